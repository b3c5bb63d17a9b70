//! The document and the app's root: the shell the server renders around
//! every page, and `App`, the router with every page's lazy route.
//! Compiled out of the islands bundle (`island-bundle` feature), which must
//! not link the lazy routes.

use crate::page_code::{page_code, PageCode};
use crate::{layout, routes};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    Lazy, ParamSegment, SsrMode, StaticSegment,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    layout::csp::set_page_policy();
    let scripts = page_scripts(&options);
    let ready = matches!(scripts, Scripts::None).then_some("true");
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
                {match scripts {
                    Scripts::None => ().into_any(),
                    Scripts::Islands(bundle, islands) => view! {
                        <layout::FetchRetry/>
                        <layout::IslandScripts bundle islands/>
                    }.into_any(),
                    Scripts::App => view! {
                        <layout::FetchRetry/>
                        <HydrationScripts options/>
                    }.into_any(),
                }}
                <MetaTags/>
            </head>
            // A page without code is as ready as it gets when it arrives.
            <body
                class="min-h-screen bg-slate-50 text-slate-900 dark:bg-slate-950 dark:text-slate-100 antialiased"
                data-hydrated=ready
            >
                <App/>
            </body>
        </html>
    }
}

/// The scripts a page is sent with.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
enum Scripts {
    None,
    Islands(&'static layout::IslandBundle, &'static [&'static str]),
    App,
}

/// Chooses by the request's path (`page_code`). A site built without the
/// islands bundle sends island pages without code (readable, not
/// interactive): the app cannot hydrate them, since its islands are plain
/// components (see `island!` in lib.rs). Only the server renders the shell.
fn page_scripts(options: &LeptosOptions) -> Scripts {
    #[cfg(feature = "ssr")]
    {
        let code = use_context::<axum::http::request::Parts>()
            .map_or(PageCode::Hydrated, |parts| page_code(parts.uri.path()));
        match code {
            PageCode::None => Scripts::None,
            PageCode::Islands(islands) => match layout::island_bundle(options) {
                Some(bundle) => Scripts::Islands(bundle, islands),
                None => {
                    static ONCE: std::sync::Once = std::sync::Once::new();
                    ONCE.call_once(|| {
                        tracing::warn!(
                            "the site has no islands bundle (islands.txt): island pages are sent \
                             without code; scripts/build-site builds it"
                        )
                    });
                    Scripts::None
                }
            },
            PageCode::Hydrated => Scripts::App,
        }
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (options, page_code, PageCode::Hydrated);
        Scripts::App
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
                    <Route path=(StaticSegment("services"), ParamSegment("env"), ParamSegment("name"), StaticSegment("settings")) view={Lazy::<routes::ServiceSettingsRoute>::new()} ssr=SsrMode::Async/>
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
