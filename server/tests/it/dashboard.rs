//! The dashboard as a viewer reads it: DORA figures from a known history of
//! deployments (inserted with fixed times) match hand-computed values,
//! narrowing to an environment or a service narrows them, and the page
//! shows the figures with the failed deployments behind them.

use crate::support::deploy::create_service;
use crate::support::{dead_docker_host, signed_in, state};
use app::auth::Role;
use app::dashboard::{Dashboard, Records};
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

async fn records(client: &mut crate::support::Client, form: &str) -> Records {
    let reply = client.post_form("/api/read_dashboard_records", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn records_of(client: &mut crate::support::Client, form: &str) -> usize {
    records(client, form).await.total
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
    // Newest first.
    assert_eq!(failed, [(bad, Some(undo)), (gated, None)]);
    assert_eq!(d.failed_total, 2);
    // Recoveries: 6 min (the gate), 2 h 6 min (live at 29.9 h ago, back at 27.8).
    assert_eq!(d.failed[1].recovery_secs, Some(360));
    assert_eq!(d.failed[0].recovery_secs, Some(7560));
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

    // No deploy reported a commit or a fix: not reported, never invented.
    assert_eq!((d.lead_time_reported, d.lead_time_median_secs), (0, None));
    assert_eq!((d.rework, d.rework_rate), (0, Some(0.0)));

    // The figure's records: the same two, newest first, with why.
    let records = records(&mut vera, "days=30&show=failed").await;
    let listed: Vec<(i64, Option<String>)> = records
        .rows
        .iter()
        .map(|r| (r.deployment, r.failed_because.clone()))
        .collect();
    assert_eq!(records.total, 2);
    assert_eq!(listed[0].0, bad);
    assert!(listed[0].1.as_deref().unwrap().contains("by a person"));
    assert_eq!(listed[1].0, gated);
    let every = records_of(&mut vera, "days=30&show=all").await;
    assert_eq!(every, 4);

    // A one-hour window: the rollback 2 h after v3 went live no longer
    // makes v3 failed; the gate's rollback still does.
    let narrow = dashboard(&mut vera, "days=30&scope=&window=1").await;
    assert_eq!(narrow.dora.change_failure_rate, Some(0.25));
    assert_eq!(narrow.dora.rollback_window_hours, 1);
    for (form, field) in [
        ("days=30&window=721", "window"),
        ("days=30&show=everything", "show"),
    ] {
        let refused = vera.post_form("/api/read_dashboard_records", form).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.body.contains(field), "{}", refused.body);
    }

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
        "/dashboard/deployments?days=30&amp;show=failed",
        "Lead time for changes",
        "not reported",
    ] {
        assert!(page.body.contains(shown), "the page shows {shown}");
    }
    let listed = vera.get("/dashboard/deployments?days=30&show=failed").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(
        listed.body.contains(&format!("/deployments/{gated}")),
        "{}",
        listed.body
    );
    assert!(
        !listed.body.contains(&format!("/deployments/{blamed}\"")),
        "only the failed ones"
    );

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

/// A deploy that reports its commit and the incident it fixes, made on a
/// real engine: the deployment page and its audit event show them, the
/// dashboard's lead time is commit → live and its rework rate counts it,
/// and a malformed report is refused naming the field before anything runs.
#[sqlx::test(migrations = "../migrations")]
async fn a_deploy_reporting_its_commit_and_fix_gives_lead_time_and_rework(pool: PgPool) {
    let Some(mut stage) = crate::support::deploy::Stage::new(&pool, "leadtime", 1, "").await else {
        return;
    };
    let incident: i64 = sqlx::query_scalar(
        "INSERT INTO incident (title, severity, status, commander, declared_by, summary, started_at)
         VALUES ('Broken checkout', 'SEV2', 'investigating', 'user:ada', 'user:ada', '', now())
         RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    for (extra, field) in [
        ("&commit_sha=not-hex", "commit_sha"),
        ("&committed_at=2026-01-01T00:00:00Z", "committed_at"),
        (
            "&commit_sha=abcdef1&committed_at=2999-01-01T00:00:00Z",
            "committed_at",
        ),
        ("&fixes_incident=999999", "fixes_incident"),
    ] {
        let refused = stage.deploy_with("v1", extra).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{extra}: {}",
            refused.body
        );
        assert!(refused.body.contains(field), "{}", refused.body);
    }
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM deployment")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(none, 0, "a refused deploy records nothing");

    let committed = chrono::Utc::now() - chrono::Duration::hours(2);
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let extra = format!(
        "&commit_sha={sha}&committed_at={}&fixes_incident={incident}",
        committed.to_rfc3339().replace('+', "%2B")
    );
    let d = crate::support::deploy::started(&stage.deploy_with("v1", &extra).await);
    let ended = crate::support::deploy::finished(&pool, d.deployment).await;
    assert_eq!(ended.0, "succeeded", "{ended:?}");

    let details: serde_json::Value = sqlx::query_scalar(
        "SELECT details FROM audit_event WHERE action = 'deploy.deploy' AND outcome = 'intent'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(details["commit_sha"], sha);
    assert_eq!(details["fixes_incident"], incident);

    let page = stage.ada.get(&d.url).await;
    assert!(
        page.body.contains(sha),
        "the deployment page shows the commit"
    );
    assert!(
        page.body.contains(&format!("/incidents/{incident}")),
        "and the incident it fixes"
    );

    let board = dashboard(&mut stage.ada, "days=7").await;
    let dora = board.dora;
    assert_eq!(
        (dora.deployments, dora.lead_time_reported),
        (1, 1),
        "{dora:?}"
    );
    let lead = dora.lead_time_median_secs.unwrap();
    assert!((2 * 3600..3 * 3600).contains(&lead), "lead time {lead} s");
    assert_eq!((dora.rework, dora.rework_rate), (1, Some(1.0)));
    let rework = records(&mut stage.ada, "days=7&show=rework").await;
    assert_eq!(rework.rows.len(), 1);
    assert_eq!(rework.rows[0].fixes_incident, Some(incident));
    assert_eq!(rework.rows[0].lead_secs, Some(lead));
}

/// Incidents resolved in the period make the MTTR trend, by the week they
/// were resolved; the chart says each week's figure in text.
#[sqlx::test(migrations = "../migrations")]
async fn the_mttr_trend_shows_the_weeks_incidents_were_resolved(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    sqlx::query(
        "INSERT INTO incident (title, severity, status, commander, declared_by, summary,
           declared_at, started_at, acknowledged_at, resolved_at)
         SELECT 'old ' || n, 'SEV3', 'resolved', 'user:ada', 'user:ada', '', w, w, w,
                w + make_interval(mins => n * 30)
         -- A Wednesday at least a week back: all three resolved that day.
         FROM generate_series(1, 3) n,
              (SELECT date_trunc('week', now() - interval '8 days') + interval '2 days' AS w) m",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let board = dashboard(&mut vera, "days=30").await;
    let measured: Vec<(usize, Option<i64>)> = board
        .mttr_weeks
        .iter()
        .filter(|w| w.resolved > 0)
        .map(|w| (w.resolved, w.median_secs))
        .collect();
    assert_eq!(measured, [(3, Some(3600))], "{:?}", board.mttr_weeks);
    let page = vera.get("/?days=30").await;
    assert!(
        page.body
            .contains("3 resolved, median time to resolve 1 h 0 min"),
        "{}",
        page.body.len()
    );
}

/// The board and the service list are shared by the views made under the
/// same database snapshot (see `app::views`), so a write that committed
/// before a view shows in it at once, even within the sharing period.
#[sqlx::test(migrations = "../migrations")]
async fn a_change_shows_on_the_next_view_although_views_share_one_board(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    create_service(&mut ada, "web", "opsdeck-test/web", 1, "").await;
    let w1 = release(&pool, "web", 1).await;
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let first = dashboard(&mut vera, "days=7").await;
    assert_eq!(first.dora.deployments, 0);
    // Sharing itself is unit-tested (app::views): snapshots here move with
    // every other test's writes, as the cluster is shared.
    rollout(&pool, "web", "deploy", "succeeded", w1, w1, 1.0, 0.9).await;
    let after = dashboard(&mut vera, "days=7").await;
    assert_eq!(after.dora.deployments, 1, "the committed deploy is counted");
    let listed = vera.post_form("/api/list_services", "").await;
    assert!(
        listed.body.contains("\"state\":\"succeeded\""),
        "{}",
        listed.body
    );

    sqlx::query("UPDATE service SET replicas = 3 WHERE name = 'web'")
        .execute(&pool)
        .await
        .unwrap();
    let services: Vec<app::deploy::ServiceSummary> =
        serde_json::from_str(&vera.post_form("/api/list_services", "").await.body).unwrap();
    assert_eq!(services[0].desired, 3, "the new desired count is listed");
}
