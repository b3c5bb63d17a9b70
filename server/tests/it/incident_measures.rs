//! MTTA and MTTR on the incidents list, from incidents inserted with fixed
//! times (relative to the database's now, so the windows hold them).

use crate::support::{dead_docker_host, signed_in, state};
use app::auth::Role;
use app::incident::measures::{Measure, Spread};
use app::incident::Severity;
use axum::http::StatusCode;
use sqlx::PgPool;

/// An incident declared `days` ago, impact from 10 minutes before, with
/// acknowledgement and resolution `ack` and `resolved` minutes after.
async fn insert(db: &PgPool, severity: &str, days: i32, ack: Option<i32>, resolved: Option<i32>) {
    sqlx::query(
        "WITH t AS (SELECT date_trunc('second', now()) - make_interval(days => $2) AS declared)
         INSERT INTO incident (title, severity, status, commander, declared_by, declared_at,
                               started_at, acknowledged_at, resolved_at)
         SELECT 'fixed', $1, CASE WHEN $4::int IS NULL THEN 'investigating' ELSE 'resolved' END,
                'user:rita', 'user:rita', declared, declared - interval '10 minutes',
                declared + make_interval(mins => $3), declared + make_interval(mins => $4)
         FROM t",
    )
    .bind(severity)
    .bind(days)
    .bind(ack)
    .bind(resolved)
    .execute(db)
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn mtta_and_mttr_are_median_and_p90_per_severity_over_30_and_90_days(pool: PgPool) {
    insert(&pool, "SEV1", 1, Some(2), Some(50)).await;
    insert(&pool, "SEV1", 10, Some(4), None).await;
    insert(&pool, "SEV1", 60, Some(30), Some(110)).await;
    insert(&pool, "SEV2", 5, None, None).await;
    insert(&pool, "SEV3", 100, Some(1), Some(1)).await;
    let s = state(pool.clone(), &dead_docker_host());
    let mut vic = signed_in(&s, "vic", &[Role::Viewer]).await;
    let reply = vic.post_form("/api/read_incident_measures", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let m: Vec<Measure> = serde_json::from_str(&reply.body).unwrap();
    let find = |s: Severity, d: i64| m.iter().find(|x| x.severity == s && x.days == d).unwrap();
    let spread = |count, median, p90| Spread {
        count,
        median: Some(median),
        p90: Some(p90),
    };
    assert_eq!(find(Severity::Sev1, 30).mtta, spread(2, 180, 240));
    assert_eq!(find(Severity::Sev1, 30).mttr, spread(1, 3600, 3600));
    assert_eq!(find(Severity::Sev1, 90).mtta, spread(3, 240, 1800));
    assert_eq!(find(Severity::Sev1, 90).mttr, spread(2, 5400, 7200));
    assert_eq!(find(Severity::Sev2, 90).mtta, Spread::default());
    assert_eq!(
        find(Severity::Sev3, 90).mttr,
        Spread::default(),
        "declared before the window"
    );

    let page = vic.get("/incidents").await.body;
    let row = page
        .find("data-test=\"measures-SEV1\"")
        .expect("a row per severity");
    assert!(
        page[row..].contains("3 min 0 s / 4 min 0 s (n=2)"),
        "{page}"
    );
    let open = page.find("data-status=\"investigating\"").unwrap();
    let resolved = page.find("data-status=\"resolved\"").unwrap();
    assert!(open < resolved, "open incidents first");
}
