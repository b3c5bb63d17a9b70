//! Opsdeck's application: routes, pages, server functions and shared types.
//!
//! One folder per feature; server-only code sits behind the `ssr` feature.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod dashboard;
pub mod deploy;
pub mod engine;
pub mod error;
pub mod format;
pub mod home;
pub mod incident;
#[cfg(test)]
mod layering;
pub mod layout;
pub mod live;
mod pages;
pub mod routes;
pub mod runbook;
pub mod server_only;
pub mod system;
pub mod tokens;
pub mod users;
pub mod webhook;

#[cfg(feature = "ssr")]
pub mod docker;
#[cfg(feature = "ssr")]
pub mod locks;
#[cfg(feature = "ssr")]
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod recent;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod views;

pub use error::AppError;
pub use pages::PAGES;
pub use server_only::{server_only, SERVER_ONLY};

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    Lazy, ParamSegment, SsrMode, StaticSegment,
};

/// Opsdeck's version, shown in the footer and reported by `/ready`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    layout::csp::set_page_policy();
    let code = ships_code();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                // The stylesheet's name carries its content hash in a release
                // build, so browsers may keep it for good.
                <HashedStylesheet options=options.clone() id="leptos"/>
                {code.then(|| view! {
                    <layout::FetchRetry/>
                    <HydrationScripts options/>
                })}
                <MetaTags/>
            </head>
            <body
                class="min-h-screen bg-slate-50 text-slate-900 dark:bg-slate-950 dark:text-slate-100 antialiased"
                data-hydrated=(!code).then_some("true")
            >
                <App/>
            </body>
        </html>
    }
}

/// Whether the page asked for has code to hydrate; [`SERVER_ONLY`] pages
/// are sent without the wasm bundle. Only the server renders the shell.
fn ships_code() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .is_none_or(|parts| !server_only(parts.uri.path()))
    }
    #[cfg(not(feature = "ssr"))]
    {
        true
    }
}

/// The root component: stylesheet, router and the page layout.
///
/// Routes render with `SsrMode::Async` so that every reading page arrives as
/// complete HTML and works without JavaScript; hydration then adds behaviour.
/// Every page is a lazy route (see `routes.rs`): its code is fetched with
/// the page. `frontend` marks `<body data-hydrated>` once the page's own
/// code has hydrated, for people reading the DOM and the browser tests.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        // leptos_meta writes the title unescaped, and pages put route
        // parameters (a service's name) into it.
        <Title formatter=|page: String| layout::html_text(&format!("{page} · Opsdeck"))/>
        <Router>
            <layout::Layout>
                <Routes fallback=layout::NotFound>
                    <Route path=StaticSegment("") view={Lazy::<routes::DashboardRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("dashboard"), StaticSegment("deployments")) view={Lazy::<routes::RecordsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("services") view={Lazy::<routes::ServicesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("services"), StaticSegment("new")) view={Lazy::<routes::NewServiceRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("services"), ParamSegment("env"), ParamSegment("name")) view={Lazy::<routes::ServiceRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("deployments"), ParamSegment("id")) view={Lazy::<routes::DeploymentRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("incidents") view={Lazy::<routes::IncidentsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("incidents"), ParamSegment("id")) view={Lazy::<routes::IncidentRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("runbooks") view={Lazy::<routes::RunbooksRoute>::new()} ssr=SsrMode::Async/>
                    // Before `{slug}`: the first route that matches wins.
                    <Route path=(StaticSegment("runbooks"), StaticSegment("new")) view={Lazy::<routes::NewRunbookRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("runbooks"), ParamSegment("slug")) view={Lazy::<routes::RunbookRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("runbooks"), ParamSegment("slug"), StaticSegment("edit")) view={Lazy::<routes::EditRunbookRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("runbooks"), ParamSegment("slug"), StaticSegment("diff")) view={Lazy::<routes::RunbookDiffRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("runbooks"), ParamSegment("slug"), StaticSegment("runs"), ParamSegment("run")) view={Lazy::<routes::RunbookRunRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("engine") view={Lazy::<routes::EngineRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("audit")) view={Lazy::<routes::AuditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view={Lazy::<routes::UsersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("endpoints")) view={Lazy::<routes::EndpointsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("webhooks")) view={Lazy::<routes::WebhooksRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("tokens") view={Lazy::<routes::TokensRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("backups") view={Lazy::<routes::BackupsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("backups"), ParamSegment("target")) view={Lazy::<routes::TargetRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("backups"), ParamSegment("target"), ParamSegment("backup")) view={Lazy::<routes::BackupRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view={Lazy::<routes::LoginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("setup") view={Lazy::<routes::SetupRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </layout::Layout>
        </Router>
    }
}
