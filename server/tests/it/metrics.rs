//! `/metrics` as Prometheus scrapes it: a token holding `read` gets the
//! classic text format, which `promtool check metrics` accepts, and every
//! figure matches the records it is read from — a real deployment on the
//! engine, backups and incidents written with known times.

use crate::support::deploy::Stage;
use crate::support::{signed_in, Client, Reply};
use app::auth::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, DurationRound, Utc};
use sqlx::PgPool;
use std::io::Write;
use std::process::{Command, Stdio};

async fn scrape(client: &mut Client, token: Option<&str>) -> Reply {
    let mut req = Request::get("/metrics");
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    client.send(req.body(Body::empty()).unwrap()).await
}

/// The value of the sample written exactly as `series` (name and labels).
fn value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

fn promtool_accepts(body: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; `scripts/ensure-deps test` installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}\n{body}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn secs(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

struct Seeded {
    good_unverified_at: DateTime<Utc>,
    good_verified_at: DateTime<Utc>,
    tested_at: DateTime<Utc>,
}

/// Backups of `shop` (RPO 24 h), newest first: one found corrupted, one
/// failed, one good but unchecked, one good and checked that a test restore
/// passed on. `empty` has none.
async fn seed_backups(db: &PgPool) -> Seeded {
    let now = Utc::now()
        .duration_trunc(Duration::milliseconds(1))
        .unwrap();
    let seeded = Seeded {
        good_unverified_at: now - Duration::hours(2),
        good_verified_at: now - Duration::hours(6),
        tested_at: now - Duration::hours(5),
    };
    for name in ["shop", "empty"] {
        sqlx::query("INSERT INTO backup_target (name, sealed_url, display) VALUES ($1, '\\x00', 'db:5432/x')")
            .bind(name)
            .execute(db)
            .await
            .unwrap();
    }
    let rows: [(&str, DateTime<Utc>, i64, bool, bool, bool); 4] = [
        (
            "succeeded",
            now - Duration::minutes(30),
            9_999,
            false,
            true,
            false,
        ),
        ("failed", now - Duration::hours(1), 0, false, false, false),
        (
            "succeeded",
            seeded.good_unverified_at,
            2_000,
            false,
            false,
            false,
        ),
        (
            "succeeded",
            seeded.good_verified_at,
            1_000,
            true,
            false,
            true,
        ),
    ];
    for (state, at, size, verified, corrupted, tested) in rows {
        sqlx::query(
            "INSERT INTO backup (target_id, kind, state, file, size_bytes, sha256, actor,
                                 started_at, finished_at, verified_at, corrupted_at, corruption,
                                 test_state, test_finished_at, error)
             SELECT id, 'manual', $1, CASE WHEN $1 = 'succeeded' THEN 'f.dump' END,
                    CASE WHEN $1 = 'succeeded' THEN $3 END,
                    CASE WHEN $1 = 'succeeded' THEN repeat('a', 64) END, 'user:ada',
                    $2, $2 + interval '1 minute',
                    CASE WHEN $4 THEN $2 + interval '2 minutes' END,
                    CASE WHEN $5 THEN $2 + interval '3 minutes' END,
                    CASE WHEN $5 THEN 'checksum mismatch' END,
                    CASE WHEN $6 THEN 'passed' END, CASE WHEN $6 THEN $7 END,
                    CASE WHEN $1 = 'failed' THEN 'refused' END
             FROM backup_target WHERE name = 'shop'",
        )
        .bind(state)
        .bind(at)
        .bind(size)
        .bind(verified)
        .bind(corrupted)
        .bind(tested)
        .bind(seeded.tested_at)
        .execute(db)
        .await
        .unwrap();
    }
    seeded
}

/// Two open SEV2 incidents and a resolved SEV1.
async fn seed_incidents(db: &PgPool) {
    for (severity, status) in [
        ("SEV2", "investigating"),
        ("SEV2", "monitoring"),
        ("SEV1", "resolved"),
    ] {
        sqlx::query(
            "INSERT INTO incident (title, severity, status, commander, declared_by, started_at, resolved_at)
             VALUES ('t', $1, $2, 'user:ada', 'user:ada', now(),
                     CASE WHEN $2 = 'resolved' THEN now() END)",
        )
        .bind(severity)
        .bind(status)
        .execute(db)
        .await
        .unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_read_token_scrapes_what_the_records_say_in_a_format_promtool_accepts(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "scraped", 1, "&drain_s=0").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let seeded = seed_backups(&pool).await;
    seed_incidents(&pool).await;
    let mut admin = signed_in(&stage.state, "root", &[Role::Admin]).await;
    let check = admin.post_form("/api/verify_audit", "").await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    let reply = stage
        .ada
        .post_form(
            "/api/create_token",
            "name=prometheus&days=1&permissions[0]=read",
        )
        .await;
    let token: String = serde_json::from_str(&reply.body).expect(&reply.body);

    let mut prometheus = Client::new(&stage.state);
    let events_before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event")
        .fetch_one(&pool)
        .await
        .unwrap();
    let scraped = scrape(&mut prometheus, Some(&token)).await;
    assert_eq!(scraped.status, StatusCode::OK, "{}", scraped.body);
    let body = scraped.body.as_str();
    assert!(
        scraped.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        scraped.headers
    );
    promtool_accepts(body);

    let service = r#"environment="production",service="scraped""#;
    let deployed =
        format!(r#"opsdeck_deployments_total{{{service},kind="deploy",outcome="succeeded"}}"#);
    assert_eq!(value(body, &deployed), Some(1.0), "{body}");
    let durations = format!("opsdeck_deployment_duration_seconds_count{{{service}}}");
    assert_eq!(value(body, &durations), Some(1.0), "{body}");
    let longest = format!(r#"opsdeck_deployment_duration_seconds_bucket{{{service},le="+Inf"}}"#);
    assert_eq!(value(body, &longest), Some(1.0), "{body}");
    let desired = format!("opsdeck_service_replicas_desired{{{service}}}");
    assert_eq!(value(body, &desired), Some(1.0), "{body}");
    let healthy = format!("opsdeck_service_replicas_healthy{{{service}}}");
    assert_eq!(value(body, &healthy), Some(1.0), "{body}");

    // The corrupted and the failed backups do not count; the newest good
    // one does, and "verified" means the older, checked one.
    let shop = |name: &str| value(body, &format!(r#"{name}{{target="shop"}}"#));
    let close = |found: Option<f64>, expected: f64| {
        let found = found.unwrap_or_else(|| panic!("no sample for {expected}: {body}"));
        assert!(
            (found - expected).abs() < 0.01,
            "{found} ≠ {expected}: {body}"
        );
    };
    close(
        shop("opsdeck_backup_last_success_timestamp_seconds"),
        secs(seeded.good_unverified_at),
    );
    close(
        shop("opsdeck_backup_last_verified_timestamp_seconds"),
        secs(seeded.good_verified_at),
    );
    close(
        shop("opsdeck_backup_test_restore_last_success_timestamp_seconds"),
        secs(seeded.tested_at),
    );
    assert_eq!(shop("opsdeck_backup_size_bytes"), Some(2_000.0));
    assert_eq!(shop("opsdeck_backup_rpo_seconds"), Some(86_400.0));
    let ratio = shop("opsdeck_backup_age_rpo_ratio").expect("a ratio");
    assert!((2.0 / 24.0..2.1 / 24.0).contains(&ratio), "{ratio}: {body}");
    let empty = value(body, r#"opsdeck_backup_age_rpo_ratio{target="empty"}"#);
    assert_eq!(
        empty,
        Some(f64::INFINITY),
        "no good backup is infinitely old: {body}"
    );
    assert_eq!(
        value(
            body,
            r#"opsdeck_backup_last_success_timestamp_seconds{target="empty"}"#
        ),
        None
    );

    assert_eq!(
        value(body, r#"opsdeck_incidents_open{severity="SEV1"}"#),
        Some(0.0)
    );
    assert_eq!(
        value(body, r#"opsdeck_incidents_open{severity="SEV2"}"#),
        Some(2.0)
    );
    assert_eq!(
        value(body, r#"opsdeck_incidents_open{severity="SEV3"}"#),
        Some(0.0)
    );

    let events = value(body, "opsdeck_audit_events_total").expect("an event count");
    let events_after: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        (events_before as f64..=events_after as f64).contains(&events),
        "{events_before} ≤ {events} ≤ {events_after}"
    );
    assert_eq!(
        value(body, "opsdeck_audit_chain_intact"),
        Some(1.0),
        "{body}"
    );
    assert!(value(body, "opsdeck_audit_chain_last_verified_timestamp_seconds").is_some());
    the_example_dashboard_reads_only_what_is_exposed(body);
}

/// docs/grafana-dashboard.json queries only series this scrape wrote.
fn the_example_dashboard_reads_only_what_is_exposed(body: &str) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/grafana-dashboard.json"
    );
    let dashboard = std::fs::read_to_string(path).expect("the example dashboard");
    let _: serde_json::Value = serde_json::from_str(&dashboard).expect("valid JSON");
    let mut named = 0;
    for (at, _) in dashboard.match_indices("opsdeck_") {
        let name: String = dashboard[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        named += 1;
        let written = body
            .lines()
            .any(|l| l.starts_with(&format!("{name} ")) || l.starts_with(&format!("{name}{{")));
        assert!(
            written,
            "the dashboard reads {name}, which /metrics does not write"
        );
    }
    assert!(named > 5, "the dashboard names the metrics it reads");
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_are_refused_without_a_credential_holding_read(pool: PgPool) {
    let s = crate::support::state(pool, &crate::support::dead_docker_host());
    let anonymous = scrape(&mut Client::new(&s), None).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );
    assert!(!anonymous.body.contains("opsdeck_"), "{}", anonymous.body);
    let forged = scrape(&mut Client::new(&s), Some("opsdeck_not_a_token")).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{}", forged.body);
}
