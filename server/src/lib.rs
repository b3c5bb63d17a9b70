//! The `opsdeck` server: configuration, the embedded database, the HTTP
//! router and the process lifecycle.

pub mod audit_export;
pub mod cli;
pub mod config;
pub mod embedded_pg;
pub mod health;
pub mod serve;
pub mod telemetry;
pub mod web;

use app::state::AppState;
use app::{shell, App};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

/// The whole HTTP surface: health probes, server functions, pages and static
/// files, behind sessions, the same-origin check and request ids.
pub fn router(state: AppState, web: web::WebConfig) -> Router {
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    Router::new()
        .merge(health::routes())
        .merge(app::deploy::stream::routes())
        .merge(app::backup::stream::routes())
        .route(
            "/admin/audit/export",
            axum::routing::get(audit_export::export),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn_with_state(
            web.clone(),
            web::same_origin_only,
        ))
        .layer(web::session_layer(state.db.clone(), &web))
        .layer(CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
