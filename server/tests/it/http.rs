//! The HTTP surface against a real PostgreSQL (a fresh database per test)
//! and the real local Docker engine.

use crate::support::{dead_docker_host, get, get_json, signed_in, state, Client};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

fn unreachable_pool() -> PgPool {
    PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn migrations_record_one_installation(pool: PgPool) {
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM instance")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let second = sqlx::query("INSERT INTO instance DEFAULT VALUES")
        .execute(&pool)
        .await;
    assert!(second.is_err(), "the instance table must hold a single row");
}

#[sqlx::test(migrations = false)]
async fn migrating_twice_is_harmless(pool: PgPool) {
    opsdeck_server::serve::migrate(&pool).await.unwrap();
    opsdeck_server::serve::migrate(&pool).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(applied >= 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn live_answers_without_touching_dependencies(pool: PgPool) {
    pool.close().await;
    let (status, body) = get_json(&state(pool, &dead_docker_host()), "/live").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "live");
}

#[sqlx::test(migrations = "../migrations")]
async fn health_is_ok_while_the_database_answers(pool: PgPool) {
    let (status, body) = get_json(&state(pool, &dead_docker_host()), "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
}

#[tokio::test]
async fn database_outage_makes_health_and_ready_unavailable_but_pages_still_render() {
    let s = state(unreachable_pool(), &dead_docker_host());
    let (health, _) = get_json(&s, "/health").await;
    assert_eq!(health, StatusCode::SERVICE_UNAVAILABLE);
    let (ready, body) = get_json(&s, "/ready").await;
    assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        serde_json::json!({ "status": "unavailable" }),
        "an anonymous caller learns the state, not the error"
    );
    let mut client = Client::new(&s);
    let home = client.get("/").await;
    assert_eq!(home.location(), Some("/login?next=/"), "{}", home.status);
    let login = client.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(
        login.body.contains("The database is unreachable"),
        "{}",
        login.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn ready_reports_database_and_docker_with_versions(pool: PgPool) {
    if testkit::docker_or_skip("ready_reports_database_and_docker_with_versions")
        .await
        .is_none()
    {
        return;
    }
    let s = state(pool, &testkit::docker_host());
    let (status, anonymous) = get_json(&s, "/ready").await;
    assert_eq!(status, StatusCode::OK, "{anonymous}");
    assert_eq!(
        anonymous,
        serde_json::json!({ "status": "ok" }),
        "versions are for signed-in readers only"
    );
    let mut viewer = signed_in(&s, "vera", &[Role::Viewer]).await;
    let reply = viewer.get("/ready").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["version"], app::VERSION, "{body}");
    assert_eq!(body["database"]["status"], "ok");
    assert!(
        body["database"]["version"]
            .as_str()
            .unwrap()
            .starts_with("PostgreSQL "),
        "{body}"
    );
    assert_eq!(body["docker"]["status"], "ok");
    assert!(
        body["docker"]["version"]
            .as_str()
            .unwrap()
            .starts_with("Docker "),
        "{body}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn unreachable_docker_degrades_every_page_without_failing_them(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    s.docker.probe().await;
    let mut client = signed_in(&s, "vera", &[Role::Viewer]).await;
    let reply = client.get("/ready").await;
    let (ready, body): (_, serde_json::Value) =
        (reply.status, serde_json::from_str(&reply.body).unwrap());
    assert_eq!(
        ready,
        StatusCode::OK,
        "Docker alone must not make Opsdeck unready"
    );
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["docker"]["status"], "error");
    for path in ["/", "/engine"] {
        let reply = client.get(path).await;
        let (status, html) = (reply.status, reply.body);
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            html.contains("data-test=\"degraded-banner\""),
            "{path}: {html}"
        );
        assert!(html.contains("is unreachable"), "{path}: {html}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn overview_is_rendered_on_the_server_with_both_dependencies(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let reply = signed_in(&s, "vera", &[Role::Viewer]).await.get("/").await;
    let (status, html) = (reply.status, reply.body);
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1"), "{html}");
    assert!(html.contains("data-test=\"db-status\""), "{html}");
    assert!(
        html.contains("PostgreSQL 1"),
        "the database version is in the HTML: {html}"
    );
    assert!(
        html.contains("href=\"/engine\""),
        "navigation links the engine page"
    );
    assert!(
        html.contains("/pkg/opsdeck.css"),
        "the stylesheet is linked"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_path_answers_404_with_the_not_found_page(pool: PgPool) {
    let (status, html) = get(&state(pool, &dead_docker_host()), "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"), "{html}");
}

#[sqlx::test(migrations = "../migrations")]
async fn healthcheck_command_succeeds_against_a_live_server_and_fails_without_one(pool: PgPool) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = opsdeck_server::router(state(pool, &dead_docker_host()), Default::default());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    opsdeck_server::serve::healthcheck(addr).await.unwrap();
    server.abort();
    let _ = server.await;
    let closed = opsdeck_server::serve::healthcheck(addr).await;
    assert!(closed.is_err(), "nothing listens any more: {closed:?}");
}
