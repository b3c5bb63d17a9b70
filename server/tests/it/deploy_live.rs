//! What a deployment shows while it runs (its step stream), the logs of a
//! service's replicas, and where a secret value may and may not appear.

use crate::support::deploy::*;
use crate::support::signed_in;
use crate::support::sse::{events_of, measured_replicas, read_while_not, running_ids};
use app::auth::Role;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use sqlx::PgPool;
use std::time::Duration;

/// Reads a streamed body until `until` appears in it (or 60 s pass).
async fn read_until(body: axum::body::Body, until: &str) -> String {
    let mut body = body;
    let mut text = String::new();
    read_more(&mut body, &mut text, until).await;
    text
}

/// Appends what the stream sends to `text` for `time`.
async fn read_for(body: &mut axum::body::Body, text: &mut String, time: Duration) {
    let read = async {
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
        }
    };
    let _ = tokio::time::timeout(time, read).await;
}

/// Appends what the stream sends to `text` until `until` appears in the
/// appended part (or 60 s pass).
async fn read_more(body: &mut axum::body::Body, text: &mut String, until: &str) {
    let from = text.len();
    read_while_not(body, text, |t| t[from..].contains(until)).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_running_deployment_streams_its_steps_as_they_happen_and_then_ends(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "events", 2, "").await else {
        return;
    };
    let d = started(&stage.deploy("v1").await);

    let mut vera = signed_in(&stage.state, "vera", &[Role::Viewer]).await;
    let (status, body) = vera
        .open_stream(&format!("/deployments/{}/events", d.deployment))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = read_until(body, "event: end").await;
    // With data: EventSource never dispatches an event whose data is empty.
    assert!(
        text.contains("event: end\ndata: end"),
        "the stream ends: {text}"
    );
    let states = text.matches("event: state").count();
    assert!(
        states >= 2,
        "the stream followed the deployment ({states} states): {text}"
    );
    for step in [
        "deploy lock on production/events taken",
        "resolved tag v1 on endpoint local to image ",
        "starting replica 1/2",
        "replica 2/2 is healthy",
        "release #1 is live",
    ] {
        assert!(text.contains(step), "`{step}` streamed: {text}");
    }
    assert!(text.contains("\"state\":\"succeeded\""), "{text}");

    // Asking again after the end sends what is stored, then ends at once.
    let (_, body) = vera
        .open_stream(&format!("/deployments/{}/events?after=0", d.deployment))
        .await;
    let again = read_until(body, "event: end").await;
    assert_eq!(again.matches("event: state").count(), 1);

    // A script follows it with an API token instead of a session.
    let form = "name=ci&days=1&permissions[0]=read";
    let token: String =
        serde_json::from_str(&vera.post_form("/api/create_token", form).await.body).unwrap();
    let mut script = crate::support::Client::new(&stage.state);
    let path = format!("/deployments/{}/events", d.deployment);
    let (status, body) = script.open_stream_with(&path, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(read_until(body, "event: end")
        .await
        .contains("release #1 is live"));
    let (status, _) = script.open_stream(&path).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "neither session nor token"
    );
}

/// Asks replica `index` for a page it does not have: busybox httpd -v
/// logs the request, and only such a request gets a 404 (health checks
/// get 200).
async fn ask_for_a_missing_page(stage: &Stage, index: usize) {
    let (_, ip, _, _) = stage.containers().await.remove(index);
    let url = format!("http://{}:8080/no-such-page-for-the-log-test", ip.unwrap());
    let _ = reqwest::get(url).await;
}

fn has_line(text: &str, a: &str, b: &str) -> bool {
    text.lines().any(|l| l.contains(a) && l.contains(b))
}

#[sqlx::test(migrations = "../migrations")]
async fn following_a_services_logs_streams_what_its_replicas_print(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "logs", 1, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");

    let (status, mut body) = stage
        .ada
        .open_stream("/services/production/logs/logs")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stage.pages().await, vec!["hello from v1"]);
    ask_for_a_missing_page(&stage, 0).await;
    let mut text = String::new();
    read_more(&mut body, &mut text, "response:404").await;
    assert!(text.contains("event: line"), "{text}");
    assert!(
        has_line(&text, "production-logs-r1-s1-", "response:404"),
        "the new request appears, naming the replica: {text}"
    );

    // The same stream follows a deploy: the new replica joins when it
    // starts, the old one is seen to stop, and the new one's lines arrive.
    assert_eq!(stage.deploy_and_wait("v2").await.1 .0, "succeeded");
    read_more(&mut body, &mut text, "— stopped printing").await;
    assert!(
        has_line(&text, "production-logs-r2-s1-", "| — started"),
        "the new replica joined: {text}"
    );
    assert!(
        has_line(&text, "production-logs-r1-s1-", "| — stopped printing"),
        "the old replica stopped: {text}"
    );
    let stopped = text.len();
    ask_for_a_missing_page(&stage, 0).await;
    read_more(&mut body, &mut text, "response:404").await;
    assert!(
        has_line(&text[stopped..], "production-logs-r2-s1-", "response:404"),
        "the new replica's request appears: {text}"
    );
    assert!(
        !text.contains("event: end"),
        "the stream stays open: {text}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn secret_values_reach_the_container_but_never_the_database_audit_pages_or_steps(
    pool: PgPool,
) {
    const VALUE: &str = "hunter2-very-secret-value";
    let extra = format!("&env=LOG_LEVEL%3Dinfo&secrets=API_KEY%3D{VALUE}");
    let Some(mut stage) = Stage::new(&pool, "secret", 1, &extra).await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");

    let (name, ..) = stage.containers().await.remove(0);
    let name = name.trim_start_matches('/').to_string();
    let env = stage
        .docker
        .inspect_container(name.trim_start_matches('/'), None)
        .await
        .unwrap()
        .config
        .unwrap()
        .env
        .unwrap();
    assert!(env.contains(&format!("API_KEY={VALUE}")), "{env:?}");
    assert!(env.contains(&"LOG_LEVEL=info".to_string()), "{env:?}");

    let everything: String = sqlx::query_scalar(
        "SELECT concat_ws(' ',
            (SELECT string_agg(encode(sealed, 'escape') || coalesce(value, ''), ' ') FROM service_env),
            (SELECT string_agg(config::text, ' ') FROM release),
            (SELECT string_agg(details::text || target, ' ') FROM audit_event),
            (SELECT string_agg(message, ' ') FROM deployment_step))",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        !everything.contains(VALUE),
        "the value is stored in clear somewhere"
    );
    let page = stage.ada.get("/services/production/secret").await;
    assert!(page.body.contains("API_KEY"), "the secret's name is shown");
    assert!(!page.body.contains(VALUE), "the page shows the value");
    let api = stage
        .ada
        .post_form("/api/read_service", "service=production/secret")
        .await;
    assert!(!api.body.contains(VALUE), "the API returns the value");
}

#[sqlx::test(migrations = "../migrations")]
async fn service_pages_hear_of_deployments_started_by_anyone(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "heard", 1, "").await else {
        return;
    };
    let mut vera = signed_in(&stage.state, "vera", &[Role::Viewer]).await;
    let (status, mut one) = vera.open_stream("/services/production/heard/changes").await;
    assert_eq!(status, StatusCode::OK);
    let (status, mut all) = vera.open_stream("/service-events").await;
    assert_eq!(status, StatusCode::OK);
    let (mut seen_one, mut seen_all) = (String::new(), String::new());
    read_more(&mut one, &mut seen_one, "event: change").await;
    read_more(&mut all, &mut seen_all, "event: change").await;
    assert_eq!(
        seen_one.matches("event: change").count(),
        1,
        "one at once: {seen_one}"
    );
    assert!(
        seen_one.contains("event: change\ndata: changed"),
        "{seen_one}"
    );

    // Another user's deploy reaches both streams while it runs.
    let d = started(&stage.deploy("v1").await);
    read_more(&mut one, &mut seen_one, "event: change").await;
    read_more(&mut all, &mut seen_all, "event: change").await;
    assert!(seen_one.matches("event: change").count() >= 2, "{seen_one}");
    assert!(seen_all.matches("event: change").count() >= 2, "{seen_all}");
    assert_eq!(finished(&pool, d.deployment).await.0, "succeeded");

    // A replica dying changes the page (healthy / desired) with no row
    // changed: the engine's events reach the service's stream.
    read_for(&mut one, &mut seen_one, Duration::from_millis(1500)).await;
    let before = seen_one.matches("event: change").count();
    let (name, ..) = stage.containers().await.remove(0);
    let name = name.trim_start_matches('/').to_string();
    stage
        .docker
        .kill_container(
            &name,
            None::<bollard::query_parameters::KillContainerOptions>,
        )
        .await
        .unwrap();
    read_more(&mut one, &mut seen_one, "event: change").await;
    assert!(
        seen_one.matches("event: change").count() > before,
        "the killed replica was heard: {seen_one}"
    );

    let (status, _) = vera
        .open_stream("/services/production/nothing/changes")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut stranger = crate::support::Client::new(&stage.state);
    for path in ["/service-events", "/services/production/heard/changes"] {
        let (status, _) = stranger.open_stream(path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} without a session");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reader_sees_each_replicas_state_and_usage_live_and_the_set_follow_a_scale_down(
    pool: PgPool,
) {
    let Some(mut stage) = Stage::new(&pool, "stats", 2, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let mut vera = signed_in(&stage.state, "vera", &[Role::Viewer]).await;

    let (set, mut body, mut text) =
        measured_replicas(&mut vera, "/services/production/stats/replicas", 2).await;
    for r in set.as_array().unwrap() {
        assert_eq!(r["release"], 1, "{r}");
        assert_eq!(r["state"], "running", "{r}");
        assert_eq!(r["health"], "healthy", "{r}");
        assert!(
            r["name"]
                .as_str()
                .unwrap()
                .starts_with("production-stats-r1-"),
            "{r}"
        );
    }

    // Scaling down is seen on the same stream: the set shrinks to one.
    let (_, (state, ..)) = stage.run("/api/scale", "replicas=1").await;
    assert_eq!(state, "succeeded");
    let shrunk = read_while_not(&mut body, &mut text, |t| running_ids(t).len() == 1).await;
    assert!(shrunk, "the set follows the scale-down: {text}");
    assert!(
        !text.contains("event: end"),
        "the stream stays open: {text}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_open_service_pages_share_one_engine_feed_that_closes_after_the_last(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "feeds", 1, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    assert_eq!(stage.state.engine_feeds.open(), 0);

    // Each service page opens both streams that follow the engine.
    let mut changes = Vec::new();
    let mut tables = Vec::new();
    for _ in 0..25 {
        let (status, body) = stage
            .ada
            .open_stream("/services/production/feeds/changes")
            .await;
        assert_eq!(status, StatusCode::OK);
        changes.push(body);
        let (status, body) = stage
            .ada
            .open_stream("/services/production/feeds/replicas")
            .await;
        assert_eq!(status, StatusCode::OK);
        tables.push(body);
    }
    assert_eq!(
        stage.state.engine_feeds.open(),
        1,
        "one feed for the endpoint"
    );

    // Every reader still hears the engine: a restart replaces the replica,
    // and the first and the last table to open both see the set change.
    let (_, (state, ..)) = stage.run("/api/restart", "").await;
    assert_eq!(state, "succeeded");
    let (first, rest) = tables.split_first_mut().unwrap();
    for body in [first, rest.last_mut().unwrap()] {
        let mut text = String::new();
        let seen = read_while_not(body, &mut text, |t| events_of(t, "replicas").len() >= 2).await;
        assert!(seen, "the restart reached this table: {text}");
    }

    drop(changes);
    drop(tables);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while stage.state.engine_feeds.open() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        stage.state.engine_feeds.open(),
        0,
        "the last reader closed the feed"
    );
}
