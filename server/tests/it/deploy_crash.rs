//! Opsdeck processes stopping in the middle of a rollout. Killed with
//! SIGKILL: the next processes find the deployment abandoned, mark it
//! `interrupted` and bring the service back to its live release, once, as
//! `system`. Stopped with SIGTERM: open streams end, and the rollout under
//! way is given time to finish.

use crate::support::deploy::*;
use crate::support::process::Opsdeck;
use crate::support::{create_user, url_of};
use app::auth::Role;
use sqlx::PgPool;
use std::time::{Duration, Instant};

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let end = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const FORM: &str = "environment=production&name=crash&image=opsdeck-test%2Fcrash&port=8080\
    &health_kind=http&health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1\
    &health_retries=2&health_start_period_s=0&stop_timeout_s=1\
    &secrets=DB_PASSWORD%3Dcrash-test-secret-value";

#[sqlx::test(migrations = "../migrations")]
async fn sigterm_ends_open_streams_and_lets_the_running_rollout_finish(pool: PgPool) {
    let Some(docker) = testkit::docker_or_skip("deploy_sigterm").await else {
        return;
    };
    let _guard = Containers::of(&pool).await;
    build_images(&docker, "opsdeck-test/crash").await;
    create_user(&pool, "ada", &[Role::Deployer]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Opsdeck::start(&url_of(&pool).await, dir.path(), &dir.path().join("s.log"));
    server.ready().await;
    let http = server.sign_in("ada").await;
    server
        .post(&http, "/api/save_service", &format!("{FORM}&replicas=1"))
        .await;
    let v1: app::deploy::DeploymentStarted = serde_json::from_str(
        &server
            .post(&http, "/api/deploy", "service=production/crash&tag=v1")
            .await,
    )
    .unwrap();
    assert_eq!(finished(&pool, v1.deployment).await.0, "succeeded");

    // A browser following the logs keeps a response open indefinitely.
    let logs = http
        .get(format!("{}/services/production/crash/logs", server.base))
        .send()
        .await
        .unwrap();
    assert!(logs.status().is_success());
    let v2: app::deploy::DeploymentStarted = serde_json::from_str(
        &server
            .post(&http, "/api/deploy", "service=production/crash&tag=v2")
            .await,
    )
    .unwrap();
    assert!(
        server.stop(Duration::from_secs(40)),
        "opsdeck did not stop cleanly"
    );
    assert!(logs.text().await.is_ok(), "the log stream was ended");
    let (state, ..) = finished(&pool, v2.deployment).await;
    assert_eq!(state, "succeeded", "{}", steps(&pool, v2.deployment).await);
    assert_eq!(pages(&docker, &pool).await, vec!["hello from v2"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn kill_9_mid_rollout_is_reconciled_once_to_the_live_release(pool: PgPool) {
    let Some(docker) = testkit::docker_or_skip("deploy_kill_9").await else {
        return;
    };
    let _guard = Containers::of(&pool).await;
    build_images(&docker, "opsdeck-test/crash").await;
    create_user(&pool, "ada", &[Role::Deployer]).await;
    let url = url_of(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let mut first = Opsdeck::start(&url, dir.path(), &dir.path().join("first.log"));
    first.ready().await;
    let http = first.sign_in("ada").await;
    let form = format!("{FORM}&replicas=3");
    first.post(&http, "/api/save_service", &form).await;
    let v1: app::deploy::DeploymentStarted = serde_json::from_str(
        &first
            .post(&http, "/api/deploy", "service=production/crash&tag=v1")
            .await,
    )
    .unwrap();
    assert_eq!(finished(&pool, v1.deployment).await.0, "succeeded");
    let v2: app::deploy::DeploymentStarted = serde_json::from_str(
        &first
            .post(&http, "/api/deploy", "service=production/crash&tag=v2")
            .await,
    )
    .unwrap();
    wait_for(
        "replica 2/3 of v2 starting",
        Duration::from_secs(60),
        async || {
            steps(&pool, v2.deployment)
                .await
                .contains("starting replica 2/3")
        },
    )
    .await;
    first.kill_9();
    let mixed = containers(&docker, &pool).await;
    assert!(
        mixed.iter().any(|c| c.3 != mixed[0].3),
        "v1 and v2 both ran: {mixed:?}"
    );

    // Two processes come back at once; exactly one reconciles.
    let second = Opsdeck::start(&url, dir.path(), &dir.path().join("second.log"));
    let third = Opsdeck::start(&url, dir.path(), &dir.path().join("third.log"));
    second.ready().await;
    third.ready().await;
    let (state, reason, _) = finished(&pool, v2.deployment).await;
    assert_eq!(state, "interrupted");
    assert!(reason.unwrap().contains("returned to its live release"));
    assert_eq!(live_release(&pool).await, Some(1));
    let release_1: i64 = sqlx::query_scalar("SELECT id FROM release WHERE number = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let now = containers(&docker, &pool).await;
    assert_eq!(now.len(), 3, "no orphans: {now:?}");
    assert!(now.iter().all(|c| c.2 && c.3 == release_1), "{now:?}");
    assert_eq!(pages(&docker, &pool).await, vec!["hello from v1"; 3]);

    let audit: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, outcome FROM audit_event WHERE action = 'deploy.reconcile' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected =
        [("system", "intent"), ("system", "success")].map(|(a, o)| (a.to_string(), o.to_string()));
    assert_eq!(audit, expected);
    let text = steps(&pool, v2.deployment).await;
    assert!(
        text.contains("Opsdeck process running this deployment stopped"),
        "{text}"
    );
    drop((second, third));
    for log in ["first.log", "second.log", "third.log"] {
        let text = std::fs::read_to_string(dir.path().join(log)).unwrap();
        assert!(
            text.contains("listening"),
            "{log} is a server's log: {text}"
        );
        assert!(
            !text.contains("crash-test-secret-value"),
            "{log} shows the secret"
        );
    }
}
