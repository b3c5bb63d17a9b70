use super::{read_engine, EngineInfo};
use crate::layout::ui::BUTTON_SECONDARY;
use crate::layout::{ErrorNotice, Fact, PageHeader};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/engine`: the engine's identity and counts, refreshed in place.
///
/// An island page (`app::ISLAND_PAGES`): the server reads the engine and
/// hands the answer to [`EngineView`], the one part with code, so a
/// browser opening this page loads the small islands bundle, not the app.
#[component]
pub fn EnginePage() -> impl IntoView {
    let first = Resource::new(|| (), |_| read_engine());
    view! {
        <Title text="Docker engine"/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Asking the engine…"</p> }>
            {move || Suspend::new(async move { view! { <EngineView first=first.await/> } })}
        </Suspense>
    }
}

crate::island! {
    /// The header with its Refresh button and the facts it refreshes. Starts
    /// from the server's reading (a prop, so no second request on load); the
    /// button asks again and swaps the facts without a page load.
    fn EngineView(first: Result<EngineInfo, AppError>) -> impl IntoView {
        let info = RwSignal::new(first);
        let asking = RwSignal::new(false);
        let refresh = move |_| {
            asking.set(true);
            leptos::task::spawn_local(async move {
                info.set(crate::layout::ask::<super::ReadEngine>(&[]).await);
                asking.set(false);
            });
        };
        view! {
            <PageHeader title="Docker engine" subtitle="The engine Opsdeck drives, read live.">
                <button
                    type="button"
                    data-test="engine-refresh"
                    class=BUTTON_SECONDARY
                    disabled=move || asking.get()
                    on:click=refresh
                >
                    {move || if asking.get() { "Refreshing…" } else { "Refresh" }}
                </button>
            </PageHeader>
            {move || match info.get() {
                Ok(i) => view! { <EngineFacts info=i/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
        }
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
