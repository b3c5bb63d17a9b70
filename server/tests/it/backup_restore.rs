//! Restores and test restores for real: pg_restore over a changed database,
//! the safety backup that undoes it, checksum refusals, scratch databases.

use crate::support::backup::*;
use crate::support::{dead_docker_host, signed_in, state};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::{Connection, PgPool};

async fn change(source: &SourceDb) {
    let mut c = source.connect().await;
    sqlx::raw_sql(
        "UPDATE customer SET balance = 0 WHERE id <= 100;
         DELETE FROM purchase WHERE id > 600;
         INSERT INTO customer (name) VALUES ('added after the backup');",
    )
    .execute(&mut c)
    .await
    .unwrap();
}

/// Starts a restore as `admin` and waits for its end.
async fn restore_and_wait(admin: &mut crate::support::Client, pool: &PgPool, backup: i64) -> i64 {
    let reply = restore(admin, backup, "shop").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let started: app::backup::RestoreStarted = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(restore_done(pool, started.restore).await, "succeeded");
    started.restore
}

async fn restore(
    admin: &mut crate::support::Client,
    backup: i64,
    confirm: &str,
) -> crate::support::Reply {
    admin
        .post_form(
            "/api/restore_backup",
            &format!("id={backup}&confirm={confirm}"),
        )
        .await
}

#[sqlx::test(migrations = "../migrations")]
async fn restore_brings_the_old_rows_back_and_its_safety_backup_undoes_it(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp { source, backup, .. } = backed_up(&s, "restore").await;
    let original = source.rows().await;
    change(&source).await;
    let changed = source.rows().await;
    assert!(changed != original, "the change changed rows");

    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let wrong = restore(&mut admin, backup, "shop2").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("`shop`"), "{}", wrong.body);
    let restore_id = restore_and_wait(&mut admin, &pool, backup).await;
    assert_same_rows(&source.rows().await, &original, "the old rows are back");

    let (safety, bytes_read, total): (i64, i64, i64) = sqlx::query_as(
        "SELECT safety_backup_id, bytes_read, total_bytes FROM backup_restore WHERE id = $1",
    )
    .bind(restore_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(bytes_read, total);
    let page = admin.get(&format!("/backups/shop/{backup}")).await;
    let undo = format!("To undo, restore safety backup #{safety}");
    assert!(page.body.contains(&undo), "{}", page.body);

    restore_and_wait(&mut admin, &pool, safety).await;
    assert_same_rows(
        &source.rows().await,
        &changed,
        "the safety backup holds the changed state",
    );
    let outcomes: Vec<String> = sqlx::query_scalar(
        "SELECT outcome FROM audit_event WHERE action = 'backup.restore' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(outcomes, ["intent", "success", "intent", "success"]);
    source.drop_db().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_flipped_byte_makes_restore_refuse_with_the_checksum_error_and_change_nothing(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp { source, backup, .. } = backed_up(&s, "flip").await;
    change(&source).await;
    let before = source.rows().await;
    let path = file_of(&s, backup).await;
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();

    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let reply = restore(&mut admin, backup, "shop").await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("checksum mismatch") && reply.body.contains("nothing was restored"),
        "{}",
        reply.body
    );
    assert_same_rows(&source.rows().await, &before, "the target is untouched");
    let restores: i64 = sqlx::query_scalar("SELECT count(*) FROM backup_restore")
        .fetch_one(&pool)
        .await
        .unwrap();
    let backups: i64 = sqlx::query_scalar("SELECT count(*) FROM backup")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        (restores, backups),
        (0, 1),
        "no restore began, no safety backup was taken"
    );
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'backup.restore' AND outcome = 'failure'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(refused, 1, "the refusal is audited");
    source.drop_db().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_test_restore_counts_every_table_in_a_scratch_database_and_drops_it(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp { source, backup, .. } = backed_up(&s, "deep").await;
    let mut deployer = signed_in(&s, "dev", &[Role::Deployer]).await;
    let reply = deployer
        .post_form("/api/test_restore_backup", &format!("id={backup}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(test_restore_done(&pool, backup).await, "passed");

    let view = app::backup::ssr::read::read_backup(&s, backup)
        .await
        .unwrap();
    let test = view.test.unwrap();
    let counts: Vec<(String, i64)> = test.tables.into_iter().map(|t| (t.table, t.rows)).collect();
    assert_eq!(
        counts,
        [
            ("public.customer".to_string(), 300),
            ("public.purchase".to_string(), 1200)
        ]
    );
    assert!(test.finished_at.is_some() && view.verified);
    let installation: String =
        sqlx::query_scalar("SELECT replace(installation_id::text, '-', '') FROM instance")
            .fetch_one(&pool)
            .await
            .unwrap();
    let mut server = sqlx::PgConnection::connect(&url_for("postgres"))
        .await
        .unwrap();
    let leftovers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname LIKE $1")
            .bind(format!("opsdeck_verify_{}%", &installation[..12]))
            .fetch_one(&mut server)
            .await
            .unwrap();
    assert_eq!(leftovers, 0, "the scratch database is dropped");
    let page = deployer.get(&format!("/backups/shop/{backup}")).await;
    assert!(
        page.body.contains("public.purchase") && page.body.contains("1200"),
        "{}",
        page.body
    );
    source.drop_db().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_file_that_changes_after_the_check_is_caught_while_restoring_and_rolled_back(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp { source, backup, .. } = backed_up(&s, "toctou").await;
    change(&source).await;
    let before = source.rows().await;
    let path = file_of(&s, backup).await;
    let conn = app::backup::ssr::conn::Conn::parse(&source.url).unwrap();
    // As if the file had been replaced between the check and the restore:
    // the whole (valid) archive streams, but its sum is not the recorded one.
    let recorded = "0".repeat(64);
    let err = app::backup::ssr::merge::restore_merge(&s, &conn, &path, &recorded, backup, 0)
        .await
        .unwrap_err();
    assert!(err.as_str().contains("checksum mismatch"), "{err}");
    assert_same_rows(
        &source.rows().await,
        &before,
        "pg_restore never got the last block, so nothing changed",
    );
    // The exact way too: its drops ran in a transaction that never commits.
    create_later_objects(&source).await;
    let err = app::backup::ssr::exact::restore_exact(&s, &conn, &path, &recorded, (backup, 0))
        .await
        .unwrap_err();
    assert!(err.as_str().contains("checksum mismatch"), "{err}");
    assert_same_rows(&source.rows().await, &before, "exact: nothing changed");
    assert_eq!(
        later_objects(&source).await,
        [true; 4],
        "exact: nothing dropped"
    );
    source.drop_db().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn opsdecks_own_database_is_never_restored_from_inside_opsdeck(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let own = crate::support::url_of(&pool).await;
    let target_id = add_target(&s, "self", &own).await;
    let backup = backup_of(&s, target_id).await;
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let reply = restore(&mut admin, backup, "self").await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("Opsdeck's own database"),
        "{}",
        reply.body
    );
    let restores: i64 = sqlx::query_scalar("SELECT count(*) FROM backup_restore")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(restores, 0);
    remove_store(&s);
}

/// Objects of every kind an exact restore drops, created after the backup.
async fn create_later_objects(source: &SourceDb) {
    let mut c = source.connect().await;
    sqlx::raw_sql(
        "CREATE TABLE later (id int PRIMARY KEY, note text);
         INSERT INTO later VALUES (1, 'made after the backup');
         CREATE VIEW later_view AS SELECT id FROM later WHERE id > 0;
         CREATE FUNCTION later_fn() RETURNS int LANGUAGE sql AS 'SELECT 42';
         CREATE TYPE later_mood AS ENUM ('fine', 'grumpy');",
    )
    .execute(&mut c)
    .await
    .unwrap();
}

/// Whether each of the objects of [`create_later_objects`] exists.
async fn later_objects(source: &SourceDb) -> [bool; 4] {
    let mut c = source.connect().await;
    let (t, v, f, ty): (bool, bool, bool, bool) = sqlx::query_as(
        "SELECT to_regclass('public.later') IS NOT NULL, to_regclass('public.later_view') IS NOT NULL,
                to_regprocedure('public.later_fn()') IS NOT NULL, to_regtype('public.later_mood') IS NOT NULL",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    [t, v, f, ty]
}

#[sqlx::test(migrations = "../migrations")]
async fn an_exact_restore_drops_what_came_after_the_backup_and_a_merge_keeps_it(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp { source, backup, .. } = backed_up(&s, "exact").await;
    let original = source.rows().await;
    change(&source).await;
    create_later_objects(&source).await;
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;

    let merge = admin
        .post_form(
            "/api/restore_backup",
            &format!("id={backup}&confirm=shop&mode=merge"),
        )
        .await;
    assert_eq!(merge.status, StatusCode::OK, "{}", merge.body);
    let merge: app::backup::RestoreStarted = serde_json::from_str(&merge.body).unwrap();
    assert_eq!(restore_done(&pool, merge.restore).await, "succeeded");
    assert_same_rows(&source.rows().await, &original, "merge: the old rows");
    assert_eq!(later_objects(&source).await, [true; 4], "merge keeps them");

    // No mode given: exact, the default.
    let exact = restore_and_wait(&mut admin, &pool, backup).await;
    assert_same_rows(&source.rows().await, &original, "exact: the old rows");
    assert_eq!(later_objects(&source).await, [false; 4], "exact drops them");
    let (mode, safety): (String, i64) =
        sqlx::query_as("SELECT mode, safety_backup_id FROM backup_restore WHERE id = $1")
            .bind(exact)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(mode, "exact");
    let page = admin.get(&format!("/backups/shop/{backup}")).await;
    assert!(page.body.contains("exact restore #"), "{}", page.body);

    // Its safety backup brings them back.
    restore_and_wait(&mut admin, &pool, safety).await;
    assert_eq!(later_objects(&source).await, [true; 4], "undone");
    let bad = restore(&mut admin, backup, "shop&mode=sideways").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("mode"), "{}", bad.body);
    source.drop_db().await;
    remove_store(&s);
}
