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
pub mod runbook;
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

pub use error::AppError;
pub use pages::PAGES;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

/// Opsdeck's version, shown in the footer and reported by `/ready`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    layout::csp::set_page_policy();
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
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 dark:bg-slate-950 dark:text-slate-100 antialiased">
                <App/>
            </body>
        </html>
    }
}

/// The root component: stylesheet, router and the page layout.
///
/// Routes render with `SsrMode::Async` so that every reading page arrives as
/// complete HTML and works without JavaScript; hydration then adds behaviour.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the moment the page became
    // interactive, for people reading the DOM and for the browser tests.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        // leptos_meta writes the title unescaped, and pages put route
        // parameters (a service's name) into it.
        <Title formatter=|page: String| layout::html_text(&format!("{page} · Opsdeck"))/>
        <Router>
            <layout::Layout>
                <Routes fallback=layout::NotFound>
                    <Route path=StaticSegment("") view=dashboard::DashboardPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("dashboard"), StaticSegment("deployments")) view=dashboard::RecordsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("services") view=deploy::ServicesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("services"), StaticSegment("new")) view=deploy::NewServicePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("services"), ParamSegment("env"), ParamSegment("name")) view=deploy::ServicePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("deployments"), ParamSegment("id")) view=deploy::DeploymentPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("incidents") view=incident::IncidentsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("incidents"), ParamSegment("id")) view=incident::IncidentPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("runbooks") view=runbook::RunbooksPage ssr=SsrMode::Async/>
                    // Before `{slug}`: the first route that matches wins.
                    <Route path=(StaticSegment("runbooks"), StaticSegment("new")) view=runbook::NewRunbookPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("runbooks"), ParamSegment("slug")) view=runbook::RunbookPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("runbooks"), ParamSegment("slug"), StaticSegment("edit")) view=runbook::EditRunbookPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("runbooks"), ParamSegment("slug"), StaticSegment("diff")) view=runbook::RunbookDiffPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("engine") view=engine::EnginePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("audit")) view=audit::AuditPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view=users::UsersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("endpoints")) view=deploy::EndpointsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("webhooks")) view=webhook::WebhooksPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("tokens") view=tokens::TokensPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("backups") view=backup::BackupsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("backups"), ParamSegment("target")) view=backup::TargetPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("backups"), ParamSegment("target"), ParamSegment("backup")) view=backup::BackupPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=auth::LoginPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("setup") view=auth::SetupPage ssr=SsrMode::Async/>
                </Routes>
            </layout::Layout>
        </Router>
    }
}
