//! The dashboard as a viewer reads it: DORA figures from a known history of
//! deployments (inserted with fixed times) match hand-computed values,
//! narrowing to an environment or a service narrows them, and the page
//! shows the figures with the failed deployments behind them.

use crate::support::deploy::create_service;
use crate::support::{dead_docker_host, signed_in, state};
use app::auth::Role;
use app::dashboard::Dashboard;
use axum::http::StatusCode;
use sqlx::PgPool;

/// A release of `service` (by name) numbered `n`; returns its id.
async fn release(db: &PgPool, service: &str, n: i32) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO release (service_id, number, tag, image_id, config, created_by)
         SELECT id, $2, 'v' || $2, 'sha256:' || repeat('a', 64), '{}', 'user:ada'
         FROM service WHERE name = $1 RETURNING id",
    )
    .bind(service)
    .bind(n)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A rollout of `service` that started `start` and ended `end` hours ago.
async fn rollout(
    db: &PgPool,
    service: &str,
    kind: &str,
    state: &str,
    to: i64,
    from: i64,
    start: f64,
    end: f64,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO deployment (service_id, release_id, previous_release_id, kind, state, actor, started_at, finished_at)
         SELECT id, $2, $3, $4, $5, 'user:ada', now() - make_interval(secs => $6 * 3600),
                now() - make_interval(secs => $7 * 3600)
         FROM service WHERE name = $1 RETURNING id",
    )
    .bind(service)
    .bind(to)
    .bind(from)
    .bind(kind)
    .bind(state)
    .bind(start)
    .bind(end)
    .fetch_one(db)
    .await
    .unwrap()
}

async fn dashboard(client: &mut crate::support::Client, form: &str) -> Dashboard {
    let reply = client.post_form("/api/read_dashboard", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn dora_figures_from_a_known_history_and_their_records_on_the_page(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    create_service(&mut ada, "web", "opsdeck-test/web", 1, "").await;
    create_service(&mut ada, "api", "opsdeck-test/api", 1, "").await;
    let (w1, w2, w3) = (
        release(&pool, "web", 1).await,
        release(&pool, "web", 2).await,
        release(&pool, "web", 3).await,
    );
    let a1 = release(&pool, "api", 1).await;
    // web: v1 fine; v2 rolled back by the gate after 6 minutes; v3 live,
    // then rolled back by a person 2 h later (done in 6 minutes).
    rollout(&pool, "web", "deploy", "succeeded", w1, w1, 100.0, 99.9).await;
    let gated = rollout(&pool, "web", "deploy", "rolled_back", w2, w1, 50.0, 49.9).await;
    let bad = rollout(&pool, "web", "deploy", "succeeded", w3, w1, 30.0, 29.9).await;
    let undo = rollout(&pool, "web", "rollback", "succeeded", w1, w3, 27.9, 27.8).await;
    // api: one fine deploy, one that failed before changing anything, and
    // one from 40 days ago (outside 30 days, inside 90).
    let blamed = rollout(&pool, "api", "deploy", "succeeded", a1, a1, 10.0, 9.9).await;
    rollout(&pool, "api", "deploy", "failed", a1, a1, 5.0, 5.0).await;
    rollout(&pool, "api", "deploy", "succeeded", a1, a1, 960.0, 959.9).await;

    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let all = dashboard(&mut vera, "days=30&scope=").await;
    let d = &all.dora;
    assert_eq!((d.deployments, d.services), (4, 2), "{d:?}");
    assert_eq!(d.change_failure_rate, Some(0.5), "{d:?}");
    let failed: Vec<(i64, Option<i64>)> = d
        .failed
        .iter()
        .map(|f| (f.deployment, f.undone_by))
        .collect();
    assert_eq!(failed, [(gated, None), (bad, Some(undo))]);
    // Recoveries: 6 min (the gate), 2 h 6 min (live at 29.9 h ago, back at 27.8).
    assert_eq!(d.failed[0].recovery_secs, Some(360));
    assert_eq!(d.failed[1].recovery_secs, Some(7560));
    // The median of two is their mean, as for the incidents' MTTR.
    assert_eq!(
        (d.recovery_median_secs, d.recovery_p90_secs),
        (Some(3960), Some(7560))
    );
    assert!(
        (d.per_service_per_day - 4.0 / 2.0 / 30.0).abs() < 1e-9,
        "{}",
        d.per_service_per_day
    );
    assert_eq!(
        all.scopes,
        ["production", "production/api", "production/web"]
    );
    let weeks: usize = all.weeks.iter().map(|w| w.deployments).sum();
    assert_eq!(weeks, 4);

    let api = dashboard(&mut vera, "days=90&scope=production%2Fapi").await;
    assert_eq!((api.dora.deployments, api.dora.services), (2, 1));
    assert_eq!(api.dora.change_failure_rate, Some(0.0));
    assert_eq!(api.services.len(), 1);

    let refused = vera
        .post_form("/api/read_dashboard", "days=45&scope=")
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );

    let page = vera.get("/?days=30").await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "Change failure rate",
        "50 %",
        "2 failed deployments",
        &format!("/deployments/{bad}"),
    ] {
        assert!(page.body.contains(shown), "the page shows {shown}");
    }

    // An incident names the api deploy as its suspected cause: it counts.
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let declared = rita
        .post_form(
            "/api/declare_incident",
            "title=Slow+api&severity=SEV3&services[0]=production%2Fapi&summary=x",
        )
        .await;
    assert_eq!(declared.status, StatusCode::OK, "{}", declared.body);
    let incident: serde_json::Value = serde_json::from_str(&declared.body).unwrap();
    let linked = rita
        .post_form(
            "/api/link_incident_deployment",
            &format!("id={}&deployment={blamed}", incident["incident"]),
        )
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    let after = dashboard(&mut vera, "days=30&scope=").await;
    assert_eq!(
        after.dora.change_failure_rate,
        Some(0.75),
        "{:?}",
        after.dora
    );
    assert!(after
        .dora
        .failed
        .iter()
        .any(|f| f.deployment == blamed && f.why.contains("suspected")));
    assert_eq!(after.open_incidents.len(), 1);
    assert_eq!(after.incident_measures.len(), 6, "3 severities × 2 windows");
}
