//! What this Opsdeck is connected to (database, Docker engine), shown on
//! the dashboard.

use crate::layout::{Badge, ErrorNotice, Tone};
use crate::system::{read_system_status, Probe};
use leptos::prelude::*;

/// Database and Docker engine state at a glance.
#[component]
pub fn SystemCards() -> impl IntoView {
    let status = Resource::new(|| (), |_| read_system_status());
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Checking…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) => view! {
                        <div class="grid grid-cols-1 gap-4 md:grid-cols-2">
                            <ProbeCard title="Database" probe=s.database test="db-status"/>
                            <ProbeCard title="Docker engine" probe=s.docker test="docker-status"/>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProbeCard(title: &'static str, probe: Probe, test: &'static str) -> impl IntoView {
    let (badge, tone) = if probe.ok {
        ("ok", Tone::Good)
    } else {
        ("unreachable", Tone::Bad)
    };
    view! {
        <section class="rounded-md border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900" data-test=test>
            <div class="flex items-center justify-between">
                <h2 class="font-medium">{title}</h2>
                <Badge text=badge tone=tone/>
            </div>
            <p class="mt-2 break-words font-mono text-sm text-slate-600 dark:text-slate-300">{probe.detail}</p>
        </section>
    }
}
