use super::{read_engine, EngineInfo};
use crate::layout::ui::BUTTON_SECONDARY;
use crate::layout::{ErrorNotice, Fact, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/engine`: the engine's identity and counts, with a live refresh.
#[component]
pub fn EnginePage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let info = Resource::new(move || refresh.get(), |_| read_engine());
    view! {
        <Title text="Docker engine"/>
        <PageHeader title="Docker engine" subtitle="The engine Opsdeck drives, read live.">
            <button
                type="button"
                data-test="engine-refresh"
                class=BUTTON_SECONDARY
                on:click=move |_| refresh.update(|n| *n += 1)
            >
                "Refresh"
            </button>
        </PageHeader>
        <Transition fallback=|| view! { <p class="text-slate-500">"Asking the engine…"</p> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(i) => view! { <EngineFacts info=i/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EngineFacts(info: EngineInfo) -> impl IntoView {
    let checked = info
        .checked_at
        .format("%Y-%m-%d %H:%M:%S%.3f UTC")
        .to_string();
    view! {
        <dl class="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
            <Fact label="Engine version" value=info.version test="engine-version"/>
            <Fact label="API version" value=info.api_version test="engine-api-version"/>
            <Fact label="OS / architecture" value=format!("{} / {}", info.os, info.arch) test="engine-os"/>
            <Fact label="Containers running / total" value=format!("{} / {}", info.containers_running, info.containers_total) test="engine-containers"/>
            <Fact label="Images" value=info.images.to_string() test="engine-images"/>
            <Fact label="Host name" value=info.name test="engine-name"/>
            <Fact label="Kernel" value=info.kernel test="engine-kernel"/>
            <Fact label="Endpoint" value=info.host test="engine-host"/>
        </dl>
        <p class="mt-4 text-xs text-slate-500">"Checked at " <span data-test="engine-checked-at">{checked}</span></p>
    }
}
