//! Deep verification ("test restore"): the backup is restored into a
//! scratch database on the target's server, every table is counted, and
//! the scratch database is dropped again. Only this proves a backup can
//! really be restored; the result is stored on the backup.

use super::conn::Conn;
use super::dump::{failure, read_limited};
use super::failure::Failure;
use super::model::{find_backup, restore_command, BackupRow};
use super::target::{find, open, TargetRow};
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::backup::actions;
use crate::backup::{TableCount, TestRestoreState};
use crate::locks::{AdvisoryLock, LockClass};
use crate::runbook::step_ref::{with_runbook, RunbookStepRef};
use crate::state::AppState;
use crate::AppError;
use serde_json::json;
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::process::Stdio;

/// Starts a test restore of backup `id` in the background.
pub async fn start(
    state: &AppState,
    actor: &Actor,
    id: i64,
    runbook: Option<RunbookStepRef>,
) -> Result<(), AppError> {
    let backup = find_backup(&state.db, id).await?;
    backup.usable_path(state)?;
    let target = find(&state.db, &backup.target_id.to_string()).await?;
    let mut tx = state.db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE backup SET test_state = 'running', test_started_at = now(), test_finished_at = NULL,
         test_tables = NULL, test_error = NULL WHERE id = $1 AND test_state IS DISTINCT FROM 'running'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        return Err(AppError::Conflict(format!(
            "a test restore of backup #{id} is running; wait for its result"
        )));
    }
    let lock = AdvisoryLock::take(&state.db, LockClass::TestRestore, id).await?;
    let r = Record::new(
        actor.audit_name(),
        actions::TEST_RESTORE,
        target.audit_target(),
        Outcome::Intent,
    )
    .details(with_runbook(json!({ "backup": id }), runbook.as_ref()))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    let (state, actor) = (state.clone(), actor.audit_name());
    state.background.clone().spawn(async move {
        let result = restore_and_count(&state, &target, &backup).await;
        if let Err(e) = record_result(&state, &target, id, &actor, &result).await {
            tracing::error!(backup = id, error = %e, "test restore result not stored");
        }
        lock.release().await;
    });
    Ok(())
}

/// The scratch database of backup `id`: named after the installation too,
/// so that two installations sharing a server never touch each other's.
async fn scratch_name(state: &AppState, id: i64) -> Result<String, Failure> {
    let installation: String =
        sqlx::query_scalar("SELECT replace(installation_id::text, '-', '') FROM instance")
            .fetch_one(&state.db)
            .await
            .map_err(|e| e.to_string())?;
    Ok(format!("opsdeck_verify_{}_{id}", &installation[..12]))
}

async fn restore_and_count(
    state: &AppState,
    target: &TargetRow,
    backup: &BackupRow,
) -> Result<Vec<TableCount>, Failure> {
    let path = backup
        .checked_path(state)
        .await
        .map_err(|e| e.to_string())?;
    let conn = open(state, target).map_err(|e| e.to_string())?;
    let scratch = scratch_name(state, backup.id).await?;
    let mut admin = connect(&conn).await?;
    drop_database(&mut admin, &scratch).await?;
    sqlx::query(&format!(
        "CREATE DATABASE {} TEMPLATE template0",
        ident(&scratch)
    ))
    .execute(&mut admin)
    .await
    .map_err(|e| {
        format!("cannot create the scratch database (the target's user needs CREATEDB): {e}")
    })?;
    let scratch_conn = conn.with_database(&scratch);
    let result = match restore_into(&scratch_conn, &path).await {
        Ok(()) => count_rows(&scratch_conn).await,
        Err(e) => Err(e),
    };
    let dropped = drop_database(&mut admin, &scratch).await;
    let _ = admin.close().await;
    let tables = result?;
    dropped?;
    Ok(tables)
}

async fn connect(conn: &Conn) -> Result<PgConnection, Failure> {
    let options = conn.connect_options().map_err(|e| e.to_string())?;
    options.connect().await.map_err(|e| {
        format!(
            "cannot connect to {}: {}",
            conn.display,
            conn.scrub(&e.to_string())
        )
        .into()
    })
}

/// `"name"`, quoted as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn drop_database(admin: &mut PgConnection, name: &str) -> Result<(), Failure> {
    let forced = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name));
    if sqlx::query(&forced).execute(&mut *admin).await.is_ok() {
        return Ok(());
    }
    // Servers before PostgreSQL 13 know no FORCE.
    sqlx::query(&format!("DROP DATABASE IF EXISTS {}", ident(name)))
        .execute(&mut *admin)
        .await
        .map(|_| ())
        .map_err(|e| format!("cannot drop the scratch database {name}: {e}").into())
}

async fn restore_into(conn: &Conn, path: &std::path::Path) -> Result<(), Failure> {
    let mut cmd =
        restore_command(conn, &["--no-owner", "--no-privileges"]).map_err(|e| e.to_string())?;
    let mut child = cmd
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start pg_restore: {e}"))?;
    let stderr = read_limited(child.stderr.take()).await;
    let status = child.wait().await.map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(failure("pg_restore", status, conn.scrub(&stderr)))
    }
}

/// Every table of the restored database with its exact row count.
async fn count_rows(conn: &Conn) -> Result<Vec<TableCount>, Failure> {
    let mut c = connect(conn).await?;
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_toast%' ORDER BY 1, 2",
    )
    .fetch_all(&mut c)
    .await
    .map_err(|e| e.to_string())?;
    let mut counts = Vec::with_capacity(tables.len());
    for (schema, table) in tables {
        let sql = format!("SELECT count(*) FROM {}.{}", ident(&schema), ident(&table));
        let rows: i64 = sqlx::query_scalar(&sql)
            .fetch_one(&mut c)
            .await
            .map_err(|e| format!("counting {schema}.{table} failed: {e}"))?;
        counts.push(TableCount {
            table: format!("{schema}.{table}"),
            rows,
        });
    }
    let _ = c.close().await;
    Ok(counts)
}

async fn record_result(
    state: &AppState,
    target: &TargetRow,
    id: i64,
    actor: &str,
    result: &Result<Vec<TableCount>, Failure>,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    let (st, tables, error) = match result {
        Ok(t) => (
            TestRestoreState::Passed,
            Some(serde_json::to_value(t).unwrap_or_default()),
            None,
        ),
        Err(e) => (TestRestoreState::Failed, None, Some(e.as_str())),
    };
    sqlx::query(
        "UPDATE backup SET test_state = $2, test_tables = $3, test_error = $4, test_finished_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(st.as_str())
    .bind(&tables)
    .bind(&error)
    .execute(&mut *tx)
    .await?;
    let outcome = if result.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let rows: i64 = result
        .as_ref()
        .map(|t| t.iter().map(|c| c.rows).sum())
        .unwrap_or(0);
    let r =
        Record::new(actor, actions::TEST_RESTORE, target.audit_target(), outcome).details(json!({
            "backup": id, "state": st.as_str(), "tables": result.as_ref().map(|t| t.len()).unwrap_or(0),
            "rows": rows, "error": error,
        }));
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}
