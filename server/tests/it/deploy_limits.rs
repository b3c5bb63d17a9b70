//! Resource limits of a service: checked on the form, recorded with each
//! release, and set on the containers the engine runs.

use crate::support::deploy::*;
use crate::support::{signed_in, state};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

const MIB: i64 = 1024 * 1024;

/// The form of `create_service` with other limits, to change service `id`.
fn settings(id: i64, name: &str, limits: &str) -> String {
    format!(
        "id={id}&environment=production&name={name}&image=opsdeck-test%2F{name}&port=8080\
         &health_kind=http&health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1\
         &health_retries=2&health_start_period_s=0&replicas=1&stop_timeout_s=1{limits}"
    )
}

/// (memory bytes, nano CPUs, pids limit) of the only running replica, as
/// the engine reports them.
async fn engine_limits(stage: &Stage) -> (Option<i64>, Option<i64>, Option<i64>) {
    let running: Vec<_> = stage
        .containers()
        .await
        .into_iter()
        .filter(|c| c.2)
        .collect();
    assert_eq!(running.len(), 1, "{running:?}");
    let name = running[0].0.trim_start_matches('/');
    let host = stage
        .docker
        .inspect_container(name, None)
        .await
        .unwrap()
        .host_config
        .unwrap();
    let set = |v: Option<i64>| v.filter(|n| *n > 0);
    (set(host.memory), set(host.nano_cpus), set(host.pids_limit))
}

#[sqlx::test(migrations = "../migrations")]
async fn limits_reach_the_engine_and_each_release_keeps_the_limits_it_was_deployed_with(
    pool: PgPool,
) {
    let extra = "&memory_mb=64&cpus=0.5&pids_limit=100";
    let Some(mut stage) = Stage::new(&pool, "limits", 1, extra).await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    assert_eq!(
        engine_limits(&stage).await,
        (Some(64 * MIB), Some(500_000_000), Some(100))
    );
    let page = stage.ada.get("/services/production/limits").await;
    assert!(
        page.body
            .contains("Limits per replica: memory 64 MiB · 0.5 CPUs · 100 pids"),
        "{}",
        page.body
    );
    let recorded: serde_json::Value =
        sqlx::query_scalar("SELECT config->'limits' FROM release WHERE number = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        recorded,
        serde_json::json!({"memory_mb": 64, "cpu_millis": 500, "pids": 100})
    );

    // Memory and CPUs left empty: none; the pids limit falls back to 512.
    let id: i64 = sqlx::query_scalar("SELECT id FROM service")
        .fetch_one(&pool)
        .await
        .unwrap();
    let form = settings(id, "limits", "&memory_mb=&cpus=");
    let saved = stage.ada.post_form("/api/save_service", &form).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(stage.deploy_and_wait("v2").await.1 .0, "succeeded");
    assert_eq!(engine_limits(&stage).await, (None, None, Some(512)));

    let (_, (state, ..)) = stage.run("/api/rollback", "release=1").await;
    assert_eq!(state, "succeeded");
    assert_eq!(
        engine_limits(&stage).await,
        (Some(64 * MIB), Some(500_000_000), Some(100)),
        "a rollback runs the limits its release recorded"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn service_form_refuses_each_bad_limit_by_name_and_stores_nothing(pool: PgPool) {
    let s = state(pool.clone(), "unix:///nonexistent.sock");
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    let good = "environment=production&name=web&image=shop%2Fweb&port=8080&health_kind=http\
                &health_check=%2Fhealthz&health_interval_s=5&health_timeout_s=3&health_retries=3\
                &health_start_period_s=0&replicas=2&stop_timeout_s=10";
    let cases = [
        ("memory_mb=lots", "memory_mb", "not a whole number"),
        ("memory_mb=5", "memory_mb", "between 6 and 1048576"),
        ("memory_mb=2000000", "memory_mb", "between 6 and 1048576"),
        ("cpus=0", "cpus", "from 0.01 to 256"),
        ("cpus=0.001", "cpus", "from 0.01 to 256"),
        ("cpus=256.5", "cpus", "from 0.01 to 256"),
        ("cpus=-1", "cpus", "from 0.01 to 256"),
        ("cpus=1e3", "cpus", "from 0.01 to 256"),
        ("cpus=NaN", "cpus", "from 0.01 to 256"),
        ("pids_limit=15", "pids_limit", "between 16 and 1000000"),
        ("pids_limit=-1", "pids_limit", "between 16 and 1000000"),
        ("pids_limit=many", "pids_limit", "not a whole number"),
    ];
    for (bad, field, says) in cases {
        let reply = ada
            .post_form("/api/save_service", &format!("{good}&{bad}"))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.body
        );
        let err: app::AppError = serde_json::from_str(&reply.body).unwrap();
        assert!(
            matches!(&err, app::AppError::Validation { field: f, message }
                if f == field && message.contains(says)),
            "{bad}: {err:?}"
        );
    }
    let services: i64 = sqlx::query_scalar("SELECT count(*) FROM service")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(services, 0);
    let fine = format!("{good}&memory_mb=256&cpus=.25&pids_limit=16");
    assert!(ada.post_form("/api/save_service", &fine).await.ok());
    let stored: (Option<i32>, Option<i32>, i32) =
        sqlx::query_as("SELECT memory_mb, cpu_millis, pids_limit FROM service")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, (Some(256), Some(250), 16));
}
