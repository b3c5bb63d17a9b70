//! The `opsdeck` server: configuration, the embedded database, the HTTP
//! router and the process lifecycle.

pub mod api;
pub mod assets;
pub mod audit_export;
pub mod cli;
pub mod config;
pub mod embedded_pg;
pub mod health;
pub mod security;
pub mod serve;
pub mod telemetry;
pub mod web;

use app::state::AppState;
use app::{shell, App};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::CompressionLayer;

/// The app's routes, generated once per process. Generating them turns off
/// resource loading process-wide for a moment (leptos' `SuppressResourceLoad`,
/// leptos-rs/leptos#4773), and a page whose resource first polls in that
/// moment never finishes: with several routers built in one process (the
/// integration tests build one per client, in parallel) that hung a page.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The path of every page the router serves (`/services/{env}/{name}`).
pub fn page_paths() -> Vec<String> {
    route_list().iter().map(|r| r.path().to_string()).collect()
}

/// The whole HTTP surface: health probes, server functions, pages and static
/// files, behind sessions, the same-origin check and request ids.
pub fn router(state: AppState, web: web::WebConfig) -> Router {
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    let routes = route_list();
    let hashes = assets::AssetHashes::of(&state.leptos_options);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(app::auth::guard::RequestActor::default());
        }
    };
    Router::new()
        .merge(health::routes())
        .merge(app::deploy::routes::routes())
        .merge(app::backup::routes::routes())
        .merge(app::incident::routes::routes())
        .merge(app::runbook::routes::routes())
        .merge(app::metrics::routes::routes())
        .merge(app::webhook::routes::routes())
        .route(
            app::auth::registry::plain_route("/admin/audit/export"),
            axum::routing::get(audit_export::export),
        )
        // The site's assets (wasm, its split chunks, JS, CSS) from one
        // ServeDir route: not through the fallback, which renders the app's
        // 404 page for whatever its per-request ServeDir does not answer 200.
        .route_service(
            &leptos_axum::site_pkg_dir_service_route_path(&state.leptos_options),
            leptos_axum::site_pkg_dir_service(&state.leptos_options),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn(api::bounded_calls))
        .layer(api::body_limit())
        .layer(axum::middleware::from_fn_with_state(
            web.clone(),
            web::same_origin_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            web.clone(),
            security::known_host_only,
        ))
        .layer(web::session_layer(state.db.clone(), &web))
        .layer(axum::middleware::from_fn_with_state(
            web.clone(),
            security::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            hashes,
            assets::cache_policy,
        ))
        .layer(CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(security::sane_request_id))
        .with_state(state)
}
