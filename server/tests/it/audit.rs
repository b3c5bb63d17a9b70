//! The audit log against a real PostgreSQL: chaining, append-only
//! enforcement, tamper detection and the CLI.

use crate::support::{install_chain_key, opsdeck, url_of};
use app::audit::ssr::{record, record_alone, verify, ChainReport, Record};
use app::audit::{Action, Outcome};
use serde_json::json;
use sqlx::PgPool;

async fn write_events(pool: &PgPool, n: usize) {
    for i in 0..n {
        let r = Record::new(
            "user:alice",
            Action::new("test.event"),
            format!("thing:{i}"),
            Outcome::Success,
        )
        .details(json!({ "i": i }));
        record_alone(pool, r).await.unwrap();
    }
}

/// Runs `sql` with triggers off, as a superuser tampering with the table would.
async fn tamper(pool: &PgPool, sql: &str) {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut *conn).await.unwrap();
    sqlx::query("SET session_replication_role = origin")
        .execute(&mut *conn)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn each_event_links_to_the_previous_one_and_the_chain_verifies(pool: PgPool) {
    install_chain_key();
    write_events(&pool, 5).await;
    let links: Vec<(i64, Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT id, prev_hash, hash FROM audit_event ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        links.iter().map(|l| l.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(links[0].1, vec![0u8; 32]);
    for pair in links.windows(2) {
        assert_eq!(
            pair[1].1, pair[0].2,
            "event {} must point at event {}",
            pair[1].0, pair[0].0
        );
    }
    assert_eq!(
        verify(&pool).await.unwrap(),
        ChainReport::Intact { events: 5 }
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn update_delete_and_truncate_of_audit_events_are_rejected(pool: PgPool) {
    install_chain_key();
    write_events(&pool, 2).await;
    for sql in [
        "UPDATE audit_event SET actor = 'mallory'",
        "DELETE FROM audit_event WHERE id = 1",
        "TRUNCATE audit_event",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(
        verify(&pool).await.unwrap(),
        ChainReport::Intact { events: 2 }
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_event_disappears_with_the_transaction_that_wrote_it(pool: PgPool) {
    install_chain_key();
    let mut tx = pool.begin().await.unwrap();
    record(
        &mut tx,
        Record::new(
            "system",
            Action::new("test.rolled_back"),
            "x",
            Outcome::Success,
        ),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    let id = record_alone(
        &pool,
        Record::new("system", Action::new("test.kept"), "x", Outcome::Success),
    )
    .await
    .unwrap();
    assert_eq!(id, 1, "the rolled-back event left no gap");
    assert_eq!(
        verify(&pool).await.unwrap(),
        ChainReport::Intact { events: 1 }
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_altered_event_is_found_at_its_exact_id_by_the_cli(pool: PgPool) {
    install_chain_key();
    write_events(&pool, 6).await;
    let url = url_of(&pool).await;
    let (code, out, _) = opsdeck(&url, &["audit", "verify"], "");
    assert_eq!((code, out.trim()), (0, "6 events, chain intact"));

    tamper(
        &pool,
        "UPDATE audit_event SET details = '{\"i\": 99}' WHERE id = 4",
    )
    .await;
    assert!(matches!(
        verify(&pool).await.unwrap(),
        ChainReport::Broken { id: 4, .. }
    ));
    let (code, out, _) = opsdeck(&url, &["audit", "verify"], "");
    assert_eq!(code, 1);
    assert!(
        out.contains("chain broken at event 4") && out.contains("altered"),
        "{out}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_deleted_middle_event_is_found(pool: PgPool) {
    install_chain_key();
    write_events(&pool, 6).await;
    tamper(&pool, "DELETE FROM audit_event WHERE id = 3").await;
    match verify(&pool).await.unwrap() {
        ChainReport::Broken { id, reason } => {
            assert_eq!(id, 3);
            assert!(reason.contains("missing"), "{reason}");
        }
        intact => panic!("deletion not found: {intact:?}"),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn removed_latest_events_are_found_through_the_chain_head(pool: PgPool) {
    install_chain_key();
    write_events(&pool, 4).await;
    tamper(&pool, "DELETE FROM audit_event WHERE id = 4").await;
    assert!(matches!(
        verify(&pool).await.unwrap(),
        ChainReport::Broken { id: 4, .. }
    ));
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_concurrent_writers_produce_one_valid_chain(pool: PgPool) {
    install_chain_key();
    let writers = (0..50).map(|i| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let r = Record::new(
                format!("user:w{i}"),
                Action::new("test.concurrent"),
                "x",
                Outcome::Success,
            );
            record_alone(&pool, r).await.unwrap()
        })
    });
    let mut ids: Vec<i64> = futures_util::future::join_all(writers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    ids.sort();
    assert_eq!(ids, (1..=50).collect::<Vec<_>>());
    assert_eq!(
        verify(&pool).await.unwrap(),
        ChainReport::Intact { events: 50 }
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn secret_looking_details_are_never_stored(pool: PgPool) {
    install_chain_key();
    let details = json!({ "password": "hunter2-secret", "nested": { "api_token": "tok-abc", "ok": "visible" }, "list": [{ "DATABASE_URL": "postgres://u:pw@h/db" }] });
    record_alone(
        &pool,
        Record::new("system", Action::new("test.secrets"), "x", Outcome::Success).details(details),
    )
    .await
    .unwrap();
    let stored: String = sqlx::query_scalar("SELECT details::text FROM audit_event")
        .fetch_one(&pool)
        .await
        .unwrap();
    for secret in ["hunter2-secret", "tok-abc", "pw@h"] {
        assert!(!stored.contains(secret), "{secret} leaked: {stored}");
    }
    assert!(
        stored.contains("visible") && stored.contains("[redacted]"),
        "{stored}"
    );
    assert_eq!(
        verify(&pool).await.unwrap(),
        ChainReport::Intact { events: 1 }
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn export_writes_every_event_as_json_or_csv(pool: PgPool) {
    install_chain_key();
    write_events(&pool, 3).await;
    let url = url_of(&pool).await;
    let (code, out, err) = opsdeck(&url, &["audit", "export", "--format", "json"], "");
    assert_eq!(code, 0, "{err}");
    let events: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2]["target"], "thing:2");
    assert_eq!(events[1]["hash"].as_str().unwrap().len(), 64);

    let (code, out, _) = opsdeck(
        &url,
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--since",
            "2000-01-01T00:00:00Z",
        ],
        "",
    );
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("id,at,actor,action,target,outcome"));
    let (_, future, _) = opsdeck(
        &url,
        &[
            "audit",
            "export",
            "--format",
            "csv",
            "--since",
            "2999-01-01T00:00:00Z",
        ],
        "",
    );
    assert_eq!(future.lines().count(), 1, "only the header: {future}");
}

type Stored = (
    i64,
    chrono::DateTime<chrono::Utc>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    serde_json::Value,
);

/// What a database owner without the key can do: recompute the plain
/// sha256 chain for events `from..=to` (stored as `version`), relink the
/// event after them, or move the chain head when they end the log.
async fn rehash_without_the_key(pool: &PgPool, from: i64, to: i64, version: i16) {
    use app::audit::chain::{event_hash, Fields, GENESIS};
    let mut prev: Vec<u8> = sqlx::query_scalar("SELECT hash FROM audit_event WHERE id = $1")
        .bind(from - 1)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or(GENESIS.to_vec());
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT id, at, actor, action, target, outcome, request_id, client_addr, details
         FROM audit_event WHERE id BETWEEN $1 AND $2 ORDER BY id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    .unwrap();
    for (id, at, actor, action, target, outcome, request_id, client_addr, details) in &rows {
        let hash = event_hash(
            &prev,
            &Fields {
                id: *id,
                at_micros: at.timestamp_micros(),
                actor,
                action,
                target,
                outcome,
                request_id: request_id.as_deref(),
                client_addr: client_addr.as_deref(),
                details,
            },
        );
        let sql = format!(
            "UPDATE audit_event SET prev_hash = '\\x{}', hash = '\\x{}', hash_version = {version} WHERE id = {id}",
            hex::encode(&prev),
            hex::encode(hash)
        );
        tamper(pool, &sql).await;
        prev = hash.to_vec();
    }
    let last = rows.last().map(|r| r.0).unwrap();
    let (prev_hex, next) = (hex::encode(&prev), last + 1);
    tamper(
        pool,
        &format!("UPDATE audit_event SET prev_hash = '\\x{prev_hex}' WHERE id = {next}"),
    )
    .await;
    tamper(
        pool,
        &format!("UPDATE audit_chain_head SET last_hash = '\\x{prev_hex}' WHERE last_id = {last}"),
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rewrite_with_sql_alone_is_found_at_the_first_rewritten_event(pool: PgPool) {
    install_chain_key();
    write_events(&pool, 6).await;
    tamper(
        &pool,
        "UPDATE audit_event SET details = '{\"i\": 99}' WHERE id = 3",
    )
    .await;
    rehash_without_the_key(&pool, 3, 6, 2).await;
    match verify(&pool).await.unwrap() {
        ChainReport::Broken { id, reason } => {
            assert_eq!(id, 3);
            assert!(reason.contains("altered"), "{reason}");
        }
        intact => panic!("a rehashed rewrite passed: {intact:?}"),
    }

    rehash_without_the_key(&pool, 3, 6, 1).await;
    match verify(&pool).await.unwrap() {
        ChainReport::Broken { id, reason } => {
            assert_eq!(id, 3, "a downgrade to the plain hash after keyed events");
            assert!(reason.contains("unkeyed"), "{reason}");
        }
        intact => panic!("a downgraded rewrite passed: {intact:?}"),
    }
    let (code, out, _) = opsdeck(&url_of(&pool).await, &["audit", "verify"], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("chain broken at event 3"), "{out}");

    let s = crate::support::state(pool.clone(), &crate::support::dead_docker_host());
    let mut admin = crate::support::signed_in(&s, "ada", &[app::auth::Role::Admin]).await;
    let page = admin.post_form("/api/verify_audit", "").await;
    assert!(
        page.body.contains("Chain broken at event 3"),
        "{}",
        page.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn rehashing_the_whole_log_without_the_key_leaves_no_keyed_event_and_is_found(pool: PgPool) {
    install_chain_key();
    write_events(&pool, 4).await;
    tamper(
        &pool,
        "UPDATE audit_event SET actor = 'user:mallory' WHERE id = 1",
    )
    .await;
    rehash_without_the_key(&pool, 1, 4, 1).await;
    match verify(&pool).await.unwrap() {
        ChainReport::Broken { id, reason } => {
            assert_eq!(id, 1);
            assert!(reason.contains("keyed"), "{reason}");
        }
        intact => panic!("a fully downgraded log passed: {intact:?}"),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_log_from_before_the_key_is_keyed_when_opened_and_its_old_events_stay_checked(
    pool: PgPool,
) {
    install_chain_key();
    write_events(&pool, 3).await;
    // The log as the previous version wrote it: plain sha256 throughout.
    rehash_without_the_key(&pool, 1, 3, 1).await;
    let url = url_of(&pool).await;
    let (code, out, _) = opsdeck(&url, &["audit", "verify"], "");
    assert_eq!(
        (code, out.trim()),
        (0, "4 events, chain intact"),
        "opening the database keyed the log with one event"
    );
    let action: String = sqlx::query_scalar("SELECT action FROM audit_event WHERE id = 4")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(action, "audit.key_chain");

    // Rewriting an unkeyed event and relinking the prefix breaks the keyed
    // event after it: its HMAC covers the link.
    tamper(
        &pool,
        "UPDATE audit_event SET target = 'thing:x' WHERE id = 2",
    )
    .await;
    rehash_without_the_key(&pool, 2, 3, 1).await;
    match verify(&pool).await.unwrap() {
        ChainReport::Broken { id, reason } => {
            assert_eq!(id, 4);
            assert!(reason.contains("altered"), "{reason}");
        }
        intact => panic!("a rewrite of the unkeyed prefix passed: {intact:?}"),
    }
}
