//! Desired state kept between deployments: a replica removed or stopped
//! behind Opsdeck's back is put back (audited as `system`), unless repair is
//! off for the service; a service repaired too often is reported as
//! crash-looping instead of being restarted forever. And the reconciler
//! counts no replica the engine is stopping.

use crate::support::deploy::*;
use app::deploy::ssr::repair::{repair_service, Verdict, MAX_REPAIRS};
use app::deploy::ssr::repair_watch::spawn_repairer;
use bollard::query_parameters::{RemoveContainerOptionsBuilder, StopContainerOptionsBuilder};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Running containers of the service: (name, serves under `alias`).
async fn running(stage: &Stage, alias: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for (name, _, up, _) in stage.containers().await {
        if !up {
            continue;
        }
        let name = name.trim_start_matches('/').to_string();
        let seen = stage.docker.inspect_container(&name, None).await.unwrap();
        let aliases = seen
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|n| n.into_values().next())
            .and_then(|e| e.aliases)
            .unwrap_or_default();
        out.push((name, aliases.iter().any(|a| a == alias)));
    }
    out
}

async fn remove_one(stage: &Stage) -> String {
    let (name, ..) = stage.containers().await.remove(0);
    let name = name.trim_start_matches('/').to_string();
    let rm = RemoveContainerOptionsBuilder::default().force(true).build();
    stage
        .docker
        .remove_container(&name, Some(rm))
        .await
        .unwrap();
    name
}

async fn repairs(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT actor, outcome FROM audit_event WHERE action = 'deploy.repair' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_replica_removed_behind_opsdecks_back_is_put_back_and_audited_as_system(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "mend", 2, "&drain_s=0").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let repairer = spawn_repairer(stage.state.clone(), Duration::from_secs(60));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let gone = remove_one(&stage).await;

    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let now = running(&stage, "mend").await;
        if now.len() == 2 && now.iter().all(|(name, serves)| *serves && *name != gone) {
            break;
        }
        assert!(Instant::now() < end, "not repaired within 15 s: {now:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The replica serves before the repair has written its outcome.
    let written = Instant::now() + Duration::from_secs(15);
    while repairs(&pool).await.len() < 2 && Instant::now() < written {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    repairer.abort();
    assert_eq!(stage.pages().await, vec!["hello from v1"; 2]);
    let audit = repairs(&pool).await;
    let expected =
        [("system", "intent"), ("system", "success")].map(|(a, o)| (a.to_string(), o.to_string()));
    assert_eq!(audit, expected);
    let (kind, state, actor): (String, String, String) =
        sqlx::query_as("SELECT kind, state, actor FROM deployment ORDER BY id DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (kind.as_str(), state.as_str(), actor.as_str()),
        ("repair", "succeeded", "system")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn with_repair_off_a_removed_replica_stays_missing(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "norepair", 2, "&drain_s=0&repair_off=on").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let repairer = spawn_repairer(stage.state.clone(), Duration::from_secs(2));
    tokio::time::sleep(Duration::from_secs(1)).await;
    remove_one(&stage).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    repairer.abort();
    assert_eq!(running(&stage, "norepair").await.len(), 1);
    assert!(repairs(&pool).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_service_repaired_too_often_is_reported_crash_looping_not_repaired(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "loop", 2, "&drain_s=0").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let (service, release): (i64, i64) = sqlx::query_as("SELECT id, live_release_id FROM service")
        .fetch_one(&pool)
        .await
        .unwrap();
    for _ in 0..MAX_REPAIRS {
        sqlx::query(
            "INSERT INTO deployment (service_id, release_id, tag, kind, state, actor, finished_at)
             VALUES ($1, $2, 'v1', 'repair', 'succeeded', 'system', now())",
        )
        .bind(service)
        .bind(release)
        .execute(&pool)
        .await
        .unwrap();
    }
    remove_one(&stage).await;
    for _ in 0..2 {
        let verdict = repair_service(&stage.state, service).await.unwrap();
        assert_eq!(verdict, Verdict::Paused);
    }
    assert_eq!(running(&stage, "loop").await.len(), 1);
    let said: Vec<String> = sqlx::query_scalar(
        "SELECT details->>'reason' FROM audit_event
         WHERE action = 'deploy.repair.paused' AND actor = 'system'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(said.len(), 1, "said once per window: {said:?}");
    assert!(
        said[0].starts_with("crash-looping: repair paused"),
        "{said:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn repair_off_accepts_only_a_checkbox_value(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "repairform", 1, "").await else {
        return;
    };
    let form = "environment=production&name=other&image=opsdeck-test%2Frepairform&port=8080\
        &health_kind=http&health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1\
        &health_retries=2&health_start_period_s=0&replicas=1&stop_timeout_s=1&repair_off=maybe";
    let reply = stage.ada.post_form("/api/save_service", form).await;
    assert_eq!(
        reply.status,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("repair_off"), "{}", reply.body);
    let repair: bool = sqlx::query_scalar("SELECT repair FROM service")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(repair, "repair is on unless turned off");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_reconciler_replaces_a_replica_the_engine_is_stopping(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "stopping", 2, "&drain_s=0").await else {
        return;
    };
    let (v1, _) = stage.deploy_and_wait("v1").await;
    // A deployment left `running` by a dead process, as after kill -9 ...
    sqlx::query(
        "INSERT INTO deployment (service_id, release_id, tag, kind, state, actor)
         SELECT service_id, release_id, 'v2', 'deploy', 'running', 'ada'
         FROM deployment WHERE id = $1",
    )
    .bind(v1.deployment)
    .execute(&pool)
    .await
    .unwrap();
    // ... which had begun to stop a live replica: busybox ignores SIGTERM,
    // so the engine keeps it running until the 8 s timeout.
    let (victim, ..) = stage.containers().await.remove(0);
    let docker = stage.docker.clone();
    let name = victim.trim_start_matches('/').to_string();
    let stopping = tokio::spawn(async move {
        let stop = StopContainerOptionsBuilder::default().t(8).build();
        let _ = docker.stop_container(&name, Some(stop)).await;
    });
    tokio::time::sleep(Duration::from_millis(700)).await;

    let recovered = app::deploy::ssr::reconcile::reconcile_once(&stage.state)
        .await
        .unwrap();
    assert_eq!(recovered, 1);
    let _ = stopping.await;
    let now = stage.containers().await;
    assert_eq!(now.len(), 2, "no exited leftover: {now:?}");
    assert!(now.iter().all(|c| c.2 && c.0 != victim), "{now:?}");
    assert_eq!(stage.pages().await, vec!["hello from v1"; 2]);

    let (id, reason): (i64, String) =
        sqlx::query_as("SELECT id, reason FROM deployment WHERE state = 'interrupted'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let steps = stage.steps(id).await;
    assert!(steps.contains("is being stopped"), "{steps}");
    assert!(
        reason.contains(
            "returned to its live release: 2 of 2 replica(s) serve (1 started, 1 removed)"
        ),
        "{reason}"
    );
    let (outcome, started): (String, i64) = sqlx::query_as(
        "SELECT outcome, (details->>'started')::bigint FROM audit_event
         WHERE action = 'deploy.reconcile' AND outcome <> 'intent'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((outcome.as_str(), started), ("success", 1));
}
