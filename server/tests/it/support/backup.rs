//! Helpers for backup tests: real databases to back up on the test
//! server, a throwaway cluster with password authentication, and waiting
//! for background work to end.

#![allow(dead_code)]

pub use crate::support::password_cluster::PasswordCluster;

use app::state::AppState;
use sqlx::{Connection, PgConnection, PgPool};
use std::time::{Duration, Instant};

pub use crate::support::url_for;

/// A database of its own on the test server, dropped by [`SourceDb::drop_db`].
pub struct SourceDb {
    pub name: String,
    pub url: String,
}

impl SourceDb {
    /// An empty database named after `hint`, unique to this process.
    pub async fn empty(hint: &str) -> SourceDb {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("it_{hint}_{}_{n}", std::process::id());
        let mut admin = PgConnection::connect(&url_for("postgres")).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        SourceDb {
            url: url_for(&name),
            name,
        }
    }

    /// A database with two related tables of varied types and rows.
    pub async fn with_data(hint: &str) -> SourceDb {
        let db = SourceDb::empty(hint).await;
        let mut c = db.connect().await;
        sqlx::raw_sql(
            "CREATE TABLE customer (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2),
                 joined timestamptz, tags text[], profile jsonb);
             CREATE TABLE purchase (id bigserial PRIMARY KEY, customer_id int REFERENCES customer (id),
                 item text, quantity int CHECK (quantity > 0), note text);
             CREATE INDEX purchase_customer ON purchase (customer_id);
             INSERT INTO customer (name, balance, joined, tags, profile)
               SELECT 'customer ' || g, g * 1.25, '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 hour',
                      ARRAY['t' || (g % 7), 'x'], jsonb_build_object('n', g, 'odd', g % 2 = 1)
               FROM generate_series(1, 300) g;
             INSERT INTO purchase (customer_id, item, quantity, note)
               SELECT 1 + g % 300, 'item ' || (g % 13), 1 + g % 5, CASE WHEN g % 3 = 0 THEN NULL ELSE md5(g::text) END
               FROM generate_series(1, 1200) g;",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
        db
    }

    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }

    /// Every row of both tables, in key order, as JSON text.
    pub async fn rows(&self) -> Vec<String> {
        let mut c = self.connect().await;
        let rows: Vec<String> = sqlx::query_scalar(
            "(SELECT 'customer ' || to_jsonb(c)::text FROM customer c ORDER BY id)
             UNION ALL (SELECT 'purchase ' || to_jsonb(p)::text FROM purchase p ORDER BY id)",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
        rows
    }

    pub async fn drop_db(self) {
        let mut admin = PgConnection::connect(&url_for("postgres")).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .unwrap();
    }
}

/// Adds a target straight through the machinery, as `admin`.
pub async fn add_target(state: &AppState, name: &str, url: &str) -> i64 {
    let actor = system_admin(state).await;
    app::backup::ssr::target::create(state, &actor, name, url, "24")
        .await
        .unwrap()
}

/// A manual backup of target `target_id`, run to its end.
pub async fn backup_of(state: &AppState, target_id: i64) -> i64 {
    app::backup::ssr::run::run_kind(
        state,
        "user:test",
        target_id,
        app::backup::BackupKind::Manual,
        "",
    )
    .await
    .unwrap()
}

/// A database with data, the target `shop` for it, and one backup of it.
pub struct BackedUp {
    pub source: SourceDb,
    pub target_id: i64,
    pub backup: i64,
}

pub async fn backed_up(state: &AppState, hint: &str) -> BackedUp {
    let source = SourceDb::with_data(hint).await;
    let target_id = add_target(state, "shop", &source.url).await;
    let backup = backup_of(state, target_id).await;
    BackedUp {
        source,
        target_id,
        backup,
    }
}

/// The stored file of backup `id`.
pub async fn file_of(state: &AppState, id: i64) -> std::path::PathBuf {
    let file: String = sqlx::query_scalar("SELECT file FROM backup WHERE id = $1")
        .bind(id)
        .fetch_one(&state.db)
        .await
        .unwrap();
    state.backups.path(&file).unwrap()
}

/// An administrator actor for calling the machinery directly.
pub async fn system_admin(state: &AppState) -> app::auth::guard::Actor {
    let username = "backup-admin";
    if app::auth::users::find(&state.db, username)
        .await
        .unwrap()
        .is_none()
    {
        crate::support::create_user(&state.db, username, &[app::auth::Role::Admin]).await;
    }
    let user = app::auth::users::find(&state.db, username)
        .await
        .unwrap()
        .unwrap();
    app::auth::guard::Actor {
        roles: user.roles(),
        user,
        meta: Default::default(),
        token: None,
    }
}

/// Waits until `sql` (one bigint/int parameter, one text result) stops
/// answering `running` or `queued`, and returns what it answers then.
pub async fn wait_done(pool: &PgPool, sql: &str, id: i64) -> String {
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        let state: Option<String> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
        if let Some(s) = state.filter(|s| s != "running" && s != "queued") {
            return s;
        }
        assert!(
            Instant::now() < end,
            "`{sql}` ({id}) still running after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn backup_done(pool: &PgPool, id: i64) -> String {
    wait_done(pool, "SELECT state FROM backup WHERE id = $1", id).await
}

pub async fn restore_done(pool: &PgPool, id: i64) -> String {
    wait_done(pool, "SELECT state FROM backup_restore WHERE id = $1", id).await
}

pub async fn test_restore_done(pool: &PgPool, id: i64) -> String {
    wait_done(pool, "SELECT test_state FROM backup WHERE id = $1", id).await
}

/// Every file below the test state's backup store.
pub fn stored_files(state: &AppState) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(state.backups.root(), &mut out);
    out.sort();
    out
}

/// Removes the test state's backup store.
pub fn remove_store(state: &AppState) {
    let _ = std::fs::remove_dir_all(state.backups.root());
}

/// Row-by-row equality that names the first difference instead of
/// printing thousands of rows.
pub fn assert_same_rows(found: &[String], expected: &[String], what: &str) {
    if let Some(i) = (0..found.len().max(expected.len())).find(|&i| found.get(i) != expected.get(i))
    {
        panic!(
            "{what}: row {i} differs ({} rows vs {} expected): found {:?}, expected {:?}",
            found.len(),
            expected.len(),
            found.get(i),
            expected.get(i)
        );
    }
}
