//! Every page as a lazy route: the browser downloads a page's code the first
//! time it shows that page, not with the first page it opens.
//!
//! The release build (`scripts/build`, i.e. `cargo leptos build --split`)
//! cuts the wasm at each `#[lazy_route]`: the main module keeps the router,
//! the layout and what every page shares; each page's view code goes into a
//! chunk of its own, fetched when the page is shown. The server names the
//! chunks of the page it renders as `<link rel=preload>`s in `<head>`
//! (leptos_axum does, from the split build's manifest), so a browser fetches
//! them beside the main module rather than after it. Without `--split`
//! (debug builds, `cargo check`) the same code stays in one module and works
//! the same.
//!
//! A new page is one line here and one `<Route view={Lazy::<…>::new()}>` in
//! `lib.rs`.

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
    DeploymentRoute => crate::deploy::DeploymentPage;
    IncidentsRoute => crate::incident::IncidentsPage;
    IncidentRoute => crate::incident::IncidentPage;
    RunbooksRoute => crate::runbook::RunbooksPage;
    NewRunbookRoute => crate::runbook::NewRunbookPage;
    RunbookRoute => crate::runbook::RunbookPage;
    EditRunbookRoute => crate::runbook::EditRunbookPage;
    RunbookDiffRoute => crate::runbook::RunbookDiffPage;
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

