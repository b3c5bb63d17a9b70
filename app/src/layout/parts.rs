use super::ui::CARD;
use leptos::prelude::*;
use leptos_meta::Title;

/// A page's title line with optional actions on the right.
#[component]
pub fn PageHeader(
    title: &'static str,
    subtitle: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight">{title}</h1>
                <p class="mt-1 text-sm text-slate-500">{subtitle}</p>
            </div>
            <div class="flex gap-2">{children.map(|c| c())}</div>
        </div>
    }
}

/// One labelled value in a grid of facts.
#[component]
pub fn Fact(label: &'static str, #[prop(into)] value: String, test: &'static str) -> impl IntoView {
    view! {
        <div class=CARD>
            <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
            <dd class="mt-1 break-words font-mono text-sm" data-test=test>{value}</dd>
        </div>
    }
}

/// The page for unknown paths; answers with HTTP 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <h1 class="text-2xl font-semibold">"Page not found"</h1>
        <p class="mt-2 text-slate-500">"Nothing lives at this address. " <a class="underline" href="/">"Back to the overview"</a></p>
    }
}
