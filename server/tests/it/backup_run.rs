//! Running backups for real: pg_dump into the store, checksums, the first
//! verification, faithful contents, and failures that leave no file.

use crate::support::backup::*;
use crate::support::{dead_docker_host, signed_in, state};
use app::auth::Role;
use app::locks::{AdvisoryLock, LockClass};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

#[derive(sqlx::FromRow, Debug)]
struct Stored {
    state: String,
    file: Option<String>,
    size_bytes: Option<i64>,
    bytes_written: i64,
    sha256: Option<String>,
    server_version: Option<String>,
    toc_entries: Option<i32>,
    verified: bool,
    error: Option<String>,
}

async fn stored(pool: &PgPool, id: i64) -> Stored {
    sqlx::query_as(
        "SELECT state, file, size_bytes, bytes_written, sha256, server_version, toc_entries,
                verified_at IS NOT NULL AS verified, error FROM backup WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn backup_now_streams_a_verified_checksummed_dump_into_the_store(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let source = SourceDb::with_data("run").await;
    add_target(&s, "shop", &source.url).await;
    let mut deployer = signed_in(&s, "dev", &[Role::Deployer]).await;
    let reply = deployer.post_form("/api/run_backup", "target=shop").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let started: app::backup::BackupStarted = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(backup_done(&pool, started.backup).await, "succeeded");

    let b = stored(&pool, started.backup).await;
    let path = s.backups.path(b.file.as_deref().unwrap()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(b.size_bytes, Some(bytes.len() as i64));
    assert_eq!(
        b.bytes_written,
        bytes.len() as i64,
        "the progress counter ends at the size"
    );
    assert_eq!(
        b.sha256.as_deref(),
        Some(hex::encode(Sha256::digest(&bytes)).as_str())
    );
    assert!(b.verified && b.toc_entries.unwrap() >= 6, "{b:?}");
    assert!(
        b.server_version.as_deref().unwrap().starts_with("15"),
        "{b:?}"
    );
    assert_eq!(
        stored_files(&s),
        vec![path],
        "one file, no partial left over"
    );

    let audit: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, outcome FROM audit_event WHERE target = 'backup_target:shop' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let run: Vec<_> = audit
        .iter()
        .filter(|(a, _)| a == "backup.run")
        .map(|(_, o)| o.as_str())
        .collect();
    assert_eq!(run, ["intent", "success"]);
    source.drop_db().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_backup_restored_into_another_database_holds_identical_rows(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp { source, backup, .. } = backed_up(&s, "faithful").await;
    let copy = SourceDb::empty("copy").await;
    let path = file_of(&s, backup).await;
    let conn = app::backup::ssr::conn::Conn::parse(&copy.url).unwrap();
    let out = app::backup::ssr::model::restore_command(&conn, &[])
        .unwrap()
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let original = source.rows().await;
    assert_eq!(original.len(), 1500);
    assert_same_rows(&copy.rows().await, &original, "the copy");
    source.drop_db().await;
    copy.drop_db().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_backup_of_a_database_that_is_gone_fails_with_pg_dumps_reason_and_leaves_no_file(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let target_id = add_target(&s, "gone", &url_for("no_such_database_here")).await;
    let err = app::backup::ssr::run::run_kind(
        &s,
        "user:test",
        target_id,
        app::backup::BackupKind::Manual,
        "",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("no_such_database_here\" does not exist"),
        "{err}"
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM backup")
        .fetch_one(&pool)
        .await
        .unwrap();
    let b = stored(&pool, id).await;
    assert_eq!(b.state, "failed");
    assert!(b.error.unwrap().contains("does not exist"));
    assert!(b.file.is_none() && b.sha256.is_none());
    assert!(
        stored_files(&s).is_empty(),
        "no partial file: {:?}",
        stored_files(&s)
    );
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_password_fails_the_backup_clearly_without_the_password_anywhere(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let cluster = PasswordCluster::start("the-right-one-7Kq");
    let wrong = "wrong-Hunter2-xyzzy";
    let target_id = add_target(&s, "locked", &cluster.url(wrong)).await;
    let err = app::backup::ssr::run::run_kind(
        &s,
        "user:test",
        target_id,
        app::backup::BackupKind::Manual,
        "",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, app::AppError::Validation { field, .. } if field == "url"),
        "the caller's configuration, not an outage: {err:?}"
    );
    let err = err.to_string();
    assert!(err.contains("password authentication failed"), "{err}");
    let b = stored(
        &pool,
        sqlx::query_scalar("SELECT id FROM backup")
            .fetch_one(&pool)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(b.state, "failed");
    assert!(b
        .error
        .as_deref()
        .unwrap()
        .contains("password authentication failed for user \"owner\""));
    assert!(stored_files(&s).is_empty());
    let everything: String = sqlx::query_scalar(
        "SELECT string_agg(details::text, ' ') || (SELECT string_agg(coalesce(error, ''), ' ') FROM backup) FROM audit_event",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!everything.contains(wrong) && !err.contains(wrong));

    // The right password: the same cluster now backs up.
    let actor = system_admin(&s).await;
    app::backup::ssr::target::update(&s, &actor, "locked", &cluster.url("the-right-one-7Kq"), "")
        .await
        .unwrap();
    let version = app::backup::ssr::target::test_connection(&s, &actor, "locked")
        .await
        .unwrap();
    assert!(version.starts_with("15"), "{version}");
    app::backup::ssr::run::run_kind(
        &s,
        "user:test",
        target_id,
        app::backup::BackupKind::Manual,
        "",
    )
    .await
    .unwrap();
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn work_left_running_by_a_dead_process_is_failed_and_live_work_is_left_alone(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let target_id = add_target(&s, "shop", &url_for("anything")).await;
    let insert = "INSERT INTO backup (target_id, kind, state, actor) VALUES ($1, 'manual', 'running', 'user:x') RETURNING id";
    let dead: i64 = sqlx::query_scalar(insert)
        .bind(target_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let live: i64 = sqlx::query_scalar(insert)
        .bind(target_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let (partial, _) = s.backups.create_partial("shop", dead).await.unwrap();
    // The live one's owner still holds its lock (another process, here a connection).
    let owner = AdvisoryLock::take(&pool, LockClass::Backup, live)
        .await
        .unwrap();
    let fixed = app::backup::ssr::reconcile::sweep(&s).await.unwrap();
    assert_eq!(fixed, 1);
    let states: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, state, error FROM backup ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(states[0].1, "failed");
    assert!(
        states[0].2.as_deref().unwrap().starts_with("interrupted"),
        "{states:?}"
    );
    assert_eq!(
        states[1].1, "running",
        "a backup whose owner lives is left alone"
    );
    assert!(!partial.exists(), "the partial file is removed");
    owner.release().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refused_login_is_the_callers_to_fix_and_an_unreachable_server_is_unavailable(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let cluster = PasswordCluster::start("the-right-one-7Kq");
    let wrong = "wrong-Hunter2-xyzzy";
    let nowhere = "postgres://owner:secret-Pw9@127.0.0.1:1/shop?connect_timeout=3";
    for (name, url) in [
        ("locked", cluster.url(wrong)),
        ("nodb", url_for("no_such_database_9q")),
        ("unreachable", nowhere.to_string()),
    ] {
        add_target(&s, name, &url).await;
    }
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let test = |name: &'static str| format!("target={name}");
    let locked = admin
        .post_form("/api/test_backup_target", &test("locked"))
        .await;
    assert_eq!(
        locked.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        locked.body
    );
    assert!(
        locked.body.contains("password authentication failed") && locked.body.contains("\"url\""),
        "{}",
        locked.body
    );
    assert!(!locked.body.contains(wrong));
    let nodb = admin
        .post_form("/api/test_backup_target", &test("nodb"))
        .await;
    assert_eq!(
        nodb.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        nodb.body
    );
    assert!(nodb.body.contains("does not exist"), "{}", nodb.body);
    let down = admin
        .post_form("/api/test_backup_target", &test("unreachable"))
        .await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        down.body
    );
    assert!(!down.body.contains("secret-Pw9"), "{}", down.body);
    remove_store(&s);
}

/// "Back up now" on `shop`: the new backup's id.
async fn run_now(admin: &mut crate::support::Client) -> i64 {
    let reply = admin.post_form("/api/run_backup", "target=shop").await;
    serde_json::from_str::<app::backup::BackupStarted>(&reply.body)
        .unwrap()
        .backup
}

/// A backup's state as the API answers it.
async fn api_state(admin: &mut crate::support::Client, id: i64) -> String {
    let reply = admin
        .post_form("/api/read_backup", &format!("id={id}"))
        .await;
    let view: app::backup::BackupView = serde_json::from_str(&reply.body).unwrap();
    view.state.as_str().to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn two_backups_of_one_target_queue_and_never_overlap(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let source = SourceDb::with_data("queue").await;
    add_target(&s, "shop", &source.url).await;
    // A lock pg_dump must wait for keeps the first backup running.
    let mut blocker = source.connect().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE customer IN ACCESS EXCLUSIVE MODE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let first = run_now(&mut admin).await;
    let second = run_now(&mut admin).await;
    let mut admin = signed_in(&s, "ada2", &[Role::Admin]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while api_state(&mut admin, first).await != "running" {
        assert!(std::time::Instant::now() < deadline, "the first never ran");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(api_state(&mut admin, first).await, "running");
    assert_eq!(api_state(&mut admin, second).await, "queued");
    let page = admin.get("/backups/shop").await;
    assert!(page.body.contains(">queued<"), "{}", page.body);

    sqlx::raw_sql("ROLLBACK")
        .execute(&mut blocker)
        .await
        .unwrap();
    assert_eq!(backup_done(&pool, first).await, "succeeded");
    assert_eq!(backup_done(&pool, second).await, "succeeded");
    let times: Vec<(DateTime<Utc>, DateTime<Utc>, DateTime<Utc>)> =
        sqlx::query_as("SELECT requested_at, started_at, finished_at FROM backup ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        times[0].2 <= times[1].1,
        "the second dump began after the first ended: {times:?}"
    );
    assert!(times[1].0 < times[0].2, "…though it was asked for before");
    source.drop_db().await;
    remove_store(&s);
}
