//! Who may change services, what a deploy request refuses, and the
//! actions besides deploying: the lock, scaling, restarting, secrets.

use crate::support::deploy::*;
use crate::support::{signed_in, state, Client};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn twenty_concurrent_deploys_of_one_service_run_exactly_one_and_the_rest_name_it(
    pool: PgPool,
) {
    let Some(stage) = Stage::new(&pool, "lock", 1, "").await else {
        return;
    };
    let cookie = stage.ada.cookie().unwrap().to_string();
    let requests = (0..20).map(|_| {
        let mut c = Client::new(&stage.state);
        c.set_cookie(&cookie);
        async move { deploy(&mut c, "production/lock", "v1").await }
    });
    let replies = futures_util::future::join_all(requests).await;
    let ok: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .collect();
    assert_eq!(ok.len(), 1, "exactly one deploy runs");
    let winner = started(ok[0]);
    let refused: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!(refused.len(), 19, "the others are refused with 409");
    let named = format!("deployment #{} by ada running since", winner.deployment);
    for r in &refused {
        assert!(r.body.contains(&named), "{}", r.body);
    }
    assert_eq!(finished(&pool, winner.deployment).await.0, "succeeded");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM deployment")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_deploy_sent_while_a_short_change_holds_the_service_waits_and_runs(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "shortlock", 1, "").await else {
        return;
    };
    // Another request holds the service without a deployment (a repair, or
    // a deployment that has just recorded its end) and lets go 0.5 s later.
    let id: i64 = sqlx::query_scalar("SELECT id FROM service WHERE name = 'shortlock'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let held = app::locks::AdvisoryLock::take(&pool, app::locks::LockClass::Deploy, id)
        .await
        .unwrap();
    let holder = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        held.release().await;
    });
    let (_, (state, ..)) = stage.deploy_and_wait("v1").await;
    holder.await.unwrap();
    assert_eq!(state, "succeeded");
}

#[sqlx::test(migrations = "../migrations")]
async fn scaling_starts_and_stops_replicas_of_the_live_release(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "scale", 1, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    for (to, expected) in [("3", 3), ("1", 1)] {
        let (d, (state, ..)) = stage.run("/api/scale", &format!("replicas={to}")).await;
        assert_eq!(state, "succeeded", "{}", stage.steps(d.deployment).await);
        assert_eq!(stage.pages().await, vec!["hello from v1"; expected]);
        let desired: i32 = sqlx::query_scalar("SELECT replicas FROM service")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(desired, expected as i32);
    }
    let read = stage
        .ada
        .post_form("/api/read_service", "service=production/scale")
        .await;
    let detail: app::deploy::ServiceDetail = serde_json::from_str(&read.body).unwrap();
    let mut tags = detail.tags.clone();
    tags.sort();
    assert_eq!(
        tags,
        ["v1", "v2", "v3", "v4"],
        "the deploy form offers local tags"
    );
    let bad = stage
        .ada
        .post_form("/api/scale", "service=production/scale&replicas=51")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("replicas"), "{}", bad.body);
    assert_eq!(live_release(&pool).await, Some(1));
}

#[sqlx::test(migrations = "../migrations")]
async fn restart_replaces_every_replica_with_a_fresh_one_of_the_same_release(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "restart", 2, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let names = |list: Vec<(String, Option<String>, bool, i64)>| -> Vec<String> {
        list.into_iter().map(|c| c.0).collect()
    };
    let before = names(stage.containers().await);
    assert_eq!(stage.run("/api/restart", "").await.1 .0, "succeeded");
    let after = names(stage.containers().await);
    assert_eq!(after.len(), 2);
    assert!(
        after.iter().all(|c| !before.contains(c)),
        "{before:?} → {after:?}"
    );
    assert_eq!(stage.pages().await, vec!["hello from v1"; 2]);
    assert_eq!(live_release(&pool).await, Some(1));
}

#[sqlx::test(migrations = "../migrations")]
async fn viewers_and_responders_cannot_change_services_and_each_refusal_is_audited(pool: PgPool) {
    let s = state(pool.clone(), "unix:///nonexistent.sock");
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    create_service(&mut admin, "guarded", "opsdeck-test/guarded", 1, "").await;
    let attempts = [
        ("/api/deploy", "service=production/guarded&tag=v1"),
        ("/api/rollback", "service=production/guarded&release=1"),
        ("/api/scale", "service=production/guarded&replicas=2"),
        ("/api/restart", "service=production/guarded"),
        ("/api/save_service", "name=evil&environment=production"),
    ];
    for (who, role) in [("vera", Role::Viewer), ("rudi", Role::Responder)] {
        let mut c = signed_in(&s, who, &[role]).await;
        for (path, body) in attempts {
            let reply = c.post_form(path, body).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{who} {path}: {}",
                reply.body
            );
        }
        let seen = c.get("/services/production/guarded").await;
        assert_eq!(seen.status, StatusCode::OK, "{who} may read the service");
        assert!(
            !seen.body.contains("data-test=\"deploy-form\""),
            "no deploy form for {who}"
        );
    }
    let denied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'permission.denied' AND outcome = 'denied'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(denied, 10);
    let deployments: i64 = sqlx::query_scalar("SELECT count(*) FROM deployment")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(deployments, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn service_form_refuses_each_bad_field_by_name_and_stores_nothing(pool: PgPool) {
    let s = state(pool.clone(), "unix:///nonexistent.sock");
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    let good = "environment=production&name=web&image=shop%2Fweb&port=8080&health_kind=http\
                &health_check=%2Fhealthz&health_interval_s=5&health_timeout_s=3&health_retries=3\
                &health_start_period_s=0&replicas=2&stop_timeout_s=10";
    let cases = [
        ("name=web", "name=Web", "name"),
        ("image=shop%2Fweb", "image=shop%2Fweb%3Av1", "image"),
        ("port=8080", "port=http", "port"),
        ("port=8080", "port=70000", "port"),
        (
            "health_check=%2Fhealthz",
            "health_check=healthz",
            "health_check",
        ),
        ("health_kind=http", "health_kind=tcp", "health_kind"),
        ("replicas=2", "replicas=-1", "replicas"),
        ("environment=production", "environment=mars", "environment"),
        (
            "stop_timeout_s=10",
            "stop_timeout_s=10&env=NOT+A+PAIR",
            "env",
        ),
        (
            "stop_timeout_s=10",
            "stop_timeout_s=10&env=A%3D1&secrets=A%3D2",
            "secrets",
        ),
    ];
    for (from, to, field) in cases {
        let body = good.replace(from, to);
        let reply = ada.post_form("/api/save_service", &body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{to}: {}",
            reply.body
        );
        let err: app::AppError = serde_json::from_str(&reply.body).unwrap();
        assert!(
            matches!(&err, app::AppError::Validation { field: f, .. } if f == field),
            "{to}: {err:?}"
        );
    }
    let services: i64 = sqlx::query_scalar("SELECT count(*) FROM service")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(services, 0);
    assert!(ada.post_form("/api/save_service", good).await.ok());
    let again = ada.post_form("/api/save_service", good).await;
    assert!(
        again.body.contains("already has a service named web"),
        "{}",
        again.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_tag_missing_on_the_endpoint_is_refused_by_name_and_records_nothing(pool: PgPool) {
    let Some(_docker) = testkit::docker_or_skip("deploy_missing_tag").await else {
        return;
    };
    let s = state(pool.clone(), &testkit::docker_host());
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    create_service(&mut ada, "ghost", "opsdeck-test/never-built", 1, "").await;
    let reply = deploy(&mut ada, "production/ghost", "v9").await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply
            .body
            .contains("image `opsdeck-test/never-built:v9` not found on endpoint `local`"),
        "{}",
        reply.body
    );
    let bad_tag = deploy(&mut ada, "production/ghost", "-rf").await;
    assert_eq!(bad_tag.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM release) + (SELECT count(*) FROM deployment)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn removing_a_service_takes_its_typed_name_and_removes_its_replicas(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "remove", 2, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let wrong = stage
        .ada
        .post_form(
            "/api/remove_service",
            "service=production/remove&confirm=remove",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.body.contains("type `production/remove`"),
        "{}",
        wrong.body
    );
    assert_eq!(stage.containers().await.len(), 2, "nothing removed yet");

    let form = "service=production/remove&confirm=production%2Fremove";
    let reply = stage.ada.post_form("/api/remove_service", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(stage.containers().await.is_empty());
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM service) + (SELECT count(*) FROM release)
              + (SELECT count(*) FROM deployment)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT outcome FROM audit_event WHERE action = 'service.remove' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audit, ["intent", "success"]);
    let page = stage.ada.get("/services/production/remove").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("was not found"));
}
