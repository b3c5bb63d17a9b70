//! Every page as a lazy route: the browser downloads a page's code the first
//! time it shows that page, not with the first page it opens.
//!
//! The release build (`scripts/build`, i.e. `cargo leptos build --split`)
//! cuts the wasm at each `#[lazy_route]`: the main module keeps the router,
//! the layout and what every page shares; each page's view code goes into a
//! chunk of its own, fetched when the page is shown. The server names the
//! chunks of the page it renders as `<link rel=preload>`s in `<head>`
//! (`preload_chunks`, from the split build's manifest), so a browser fetches
//! them beside the main module rather than after it. Without `--split`
//! (debug builds, `cargo check`) the same code stays in one module and works
//! the same.
//!
//! A new page is one line here and one `<Route view={Lazy::<…>::new()}>` in
//! `root.rs`.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Declares `$route`, the lazy route that shows the component `$page`.
/// `data()` is empty: pages load their own data through server fns in
/// resources, which the server has already resolved into the HTML.
macro_rules! lazy_page {
    ($($route:ident => $page:path;)+) => {$(
        #[doc = concat!("The lazy route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                preload_chunks();
                $page().into_any()
            }
        }
    )+};
}

lazy_page! {
    DashboardRoute => crate::dashboard::DashboardPage;
    RecordsRoute => crate::dashboard::RecordsPage;
    ServicesRoute => crate::deploy::ServicesPage;
    NewServiceRoute => crate::deploy::NewServicePage;
    ServiceRoute => crate::deploy::ServicePage;
    ServiceSettingsRoute => crate::deploy::ServiceSettingsPage;
    DeploymentRoute => crate::deploy::DeploymentPage;
    IncidentsRoute => crate::incident::IncidentsPage;
    IncidentRoute => crate::incident::IncidentPage;
    RunbooksRoute => crate::runbook::RunbooksPage;
    NewRunbookRoute => crate::runbook::NewRunbookPage;
    RunbookRoute => crate::runbook::RunbookPage;
    EditRunbookRoute => crate::runbook::EditRunbookPage;
    RunbookDiffRoute => crate::runbook::RunbookDiffPage;
    RunbookRunRoute => crate::runbook::RunbookRunPage;
    EngineRoute => crate::engine::EnginePage;
    AuditRoute => crate::audit::AuditPage;
    UsersRoute => crate::users::UsersPage;
    EndpointsRoute => crate::deploy::EndpointsPage;
    WebhooksRoute => crate::webhook::WebhooksPage;
    TokensRoute => crate::tokens::TokensPage;
    BackupsRoute => crate::backup::BackupsPage;
    TargetRoute => crate::backup::TargetPage;
    BackupRoute => crate::backup::BackupPage;
    LoginRoute => crate::auth::LoginPage;
    SetupRoute => crate::auth::SetupPage;
}

/// Names the wasm chunks of the page being rendered as preloads in `<head>`.
///
/// leptos_axum 0.8.10 means to do this after rendering, but looks the split
/// manifest up where no reactive owner is current: measured, the second of
/// two `/login` loads came without a single chunk preload (and the assets
/// browser test failed on it). Here the lookup runs inside the route's own
/// view, after Leptos recorded the route's lazy function, where both the
/// record and the manifest (provided by `HydrationScripts`) are found. The
/// tags match leptos_axum's, so when both run the browser fetches once.
/// Without a split build there is no manifest and nothing is added.
#[cfg(feature = "ssr")]
fn preload_chunks() {
    use leptos::{PrefetchLazyFn, WasmSplitManifest};
    use leptos_meta::Link;
    let (Some(ran), Some(manifest)) = (
        use_context::<PrefetchLazyFn>(),
        use_context::<WasmSplitManifest>(),
    ) else {
        return;
    };
    let (Some(ran), Some(manifest)) = (ran.0.try_read_value(), manifest.0.try_read_value()) else {
        return;
    };
    let (pkg, modules, loader) = &*manifest;
    let nonce = leptos::nonce::use_nonce()
        .map(|n| n.to_string())
        .unwrap_or_default();
    let mut chunks: Vec<&String> = ran
        .iter()
        .flat_map(|name| modules.get(*name).into_iter().flatten())
        .collect();
    chunks.sort();
    chunks.dedup();
    for chunk in chunks {
        // `to_html` on a leptos_meta tag registers it for `<head>`.
        let _ = view! {
            <Link rel="preload" href=format!("{pkg}/{chunk}.wasm") as_="fetch"
                type_="application/wasm" crossorigin=nonce.clone()/>
        }
        .to_html();
    }
    let _ = view! { <Link rel="modulepreload" href=format!("{pkg}/{loader}") crossorigin=nonce/> }
        .to_html();
}
