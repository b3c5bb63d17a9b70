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

/// A `DATABASE_URL` for the database behind `pool` (a `#[sqlx::test]` database),
/// built from the suite's `DATABASE_URL` so that CLI runs can reach it.
pub async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set for database tests");
    let (path, query) = base
        .split_once('?')
        .map(|(p, q)| (p, Some(q)))
        .unwrap_or((&base, None));
    let (server, _) = path.rsplit_once('/').unwrap();
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// Runs the `opsdeck` binary against `database_url` with `stdin`; returns (exit code, stdout, stderr).
pub fn opsdeck(database_url: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("OPSDECK_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
