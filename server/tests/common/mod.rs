//! Helpers for driving the real router in-process.

#![allow(dead_code)]

use app::docker::DockerHandle;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;
use tower::ServiceExt;

pub fn state(db: PgPool, docker_host: &str) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name("opsdeck")
        .site_root("target/site")
        .build();
    AppState {
        leptos_options,
        db,
        docker: DockerHandle::new(docker_host),
    }
}

/// Sends a GET through the whole router and returns status and body text.
pub async fn get(state: &AppState, path: &str) -> (StatusCode, String) {
    let router = opsdeck_server::router(state.clone());
    let response = router
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

pub async fn get_json(state: &AppState, path: &str) -> (StatusCode, serde_json::Value) {
    let (status, body) = get(state, path).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {body}")),
    )
}

/// A socket path nobody listens on.
pub fn dead_docker_host() -> String {
    format!("unix:///tmp/opsdeck-no-docker-{}.sock", std::process::id())
}
