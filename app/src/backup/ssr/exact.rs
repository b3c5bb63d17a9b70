//! Exact restores: before the archive's own statements, in the same
//! transaction, every table, view, sequence, routine and type of the
//! schemas the archive covers is dropped, so that what was created after
//! the backup does not survive the restore (pg_restore --clean only drops
//! what the archive contains). Objects of extensions are left to their
//! extension; other schemas are left alone.
//!
//! pg_restore cannot run extra statements in its transaction, so the
//! archive is turned into SQL (`pg_restore --file=-`) and Opsdeck feeds
//! `psql` itself: `BEGIN`, the drops, the archive's SQL, and `COMMIT` only
//! once the file's sha256 matched and pg_restore succeeded. Any failure
//! kills psql before it sees `COMMIT`, so nothing changes.

use super::archive;
use super::checked_pipe::{pipe_checked, report_restore_progress, Fed};
use super::conn::{find_program, Conn};
use super::dump::{failure, read_limited};
use super::failure::Failure;
use super::model::checksum_error;
use crate::state::AppState;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::watch;

/// Restores `path` exactly over the database of `conn`; the error is
/// psql's or pg_restore's reason, or the checksum refusal.
pub async fn restore_exact(
    state: &AppState,
    conn: &Conn,
    path: &Path,
    expected: &str,
    (backup_id, restore_id): (i64, i64),
) -> Result<(), Failure> {
    let schemas = archive::schemas(path).await?;
    let mut psql = spawn_psql(conn)?;
    let mut restore = spawn_script()?;
    let psql_err = tokio::spawn(read_limited(psql.stderr.take()));
    let restore_err = tokio::spawn(read_limited(restore.stderr.take()));
    let mut to_psql = psql.stdin.take().ok_or("psql has no input")?;
    // The archive's own script begins a transaction again (a warning only).
    let begin = format!("BEGIN;\n{}\n", prelude(&schemas));
    let began = to_psql.write_all(begin.as_bytes()).await;
    let (progress, seen) = watch::channel(0i64);
    let ticker = tokio::spawn(report_restore_progress(state.db.clone(), restore_id, seen));
    let archive_in = restore.stdin.take();
    // Owns pg_restore's input, so that it closes (pg_restore sees the end
    // of the archive) as soon as the file has been fed.
    let feeding = async move {
        match archive_in {
            Some(mut input) => pipe_checked(path, &mut input, expected, &progress).await,
            None => Fed::Stopped("pg_restore has no input".into()),
        }
    };
    let (fed, relayed) = tokio::join!(feeding, relay(restore.stdout.take(), &mut to_psql));
    ticker.abort();
    if let Fed::Mismatch(found) = &fed {
        // psql is killed before its input ends: nothing commits.
        abort(&mut psql, &mut restore).await;
        return Err(checksum_error(backup_id, expected, found)
            .to_string()
            .into());
    }
    let restored = restore.wait().await.map_err(|e| e.to_string())?;
    if !restored.success() {
        abort(&mut psql, &mut restore).await;
        let stderr = restore_err.await.unwrap_or_default();
        return Err(failure("pg_restore", restored, stderr));
    }
    if let Fed::Stopped(e) = fed {
        abort(&mut psql, &mut restore).await;
        return Err(e);
    }
    let _ = to_psql.shutdown().await;
    drop(to_psql);
    let status = psql.wait().await.map_err(|e| e.to_string())?;
    let stderr = conn.scrub(&psql_err.await.unwrap_or_default());
    match (status.success(), began, relayed) {
        (true, Ok(()), Ok(())) => Ok(()),
        (false, ..) => Err(failure("psql", status, stderr)),
        (true, Err(e), _) => Err(format!("psql stopped reading: {e}").into()),
        (true, _, Err(e)) => Err(e),
    }
}

async fn abort(psql: &mut Child, restore: &mut Child) {
    let _ = psql.start_kill();
    let _ = psql.wait().await;
    let _ = restore.start_kill();
    let _ = restore.wait().await;
}

/// psql on the target's database, stopping at the first error.
fn spawn_psql(conn: &Conn) -> Result<Child, Failure> {
    let mut cmd = conn.command("psql").map_err(|e| e.to_string())?;
    cmd.args([
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--set=ON_ERROR_STOP=1",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .map_err(|e| format!("cannot start psql: {e}").into())
}

/// pg_restore turning the archive on its input into one transaction's
/// SQL script on its output (it connects nowhere).
fn spawn_script() -> Result<Child, Failure> {
    let program = find_program("pg_restore").map_err(|e| e.to_string())?;
    tokio::process::Command::new(program)
        .args([
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--file=-",
        ])
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start pg_restore: {e}").into())
}

/// Copies pg_restore's script into psql. Once psql stops reading, the rest
/// is read and dropped, so pg_restore never blocks on a full pipe.
async fn relay(from: Option<ChildStdout>, to: &mut ChildStdin) -> Result<(), Failure> {
    let mut from = from.ok_or("pg_restore has no output")?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut broken = None;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(format!("reading pg_restore's script failed: {e}").into()),
        };
        if broken.is_none() {
            if let Err(e) = to.write_all(&buf[..n]).await {
                broken = Some(format!("psql stopped reading: {e}").into());
            }
        }
    }
    broken.map_or(Ok(()), Err)
}

/// The statements that empty `schemas` (run inside the restore's transaction).
pub fn prelude(schemas: &BTreeSet<String>) -> String {
    let list = schemas
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    DROP_ALL.replace("$SCHEMAS", &format!("ARRAY[{list}]::text[]"))
}

/// Every statement is worked out before the first drop runs (a dropped
/// routine's oid would no longer print as its name); `IF EXISTS` lets
/// CASCADE have taken an object already.
const DROP_ALL: &str = r"
DO $opsdeck_exact$
DECLARE
    doomed text[];
    statement text;
BEGIN
    PERFORM pg_catalog.set_config('search_path', '', true);
    SELECT coalesce(pg_catalog.array_agg(sql ORDER BY step), '{}') INTO doomed FROM (
        SELECT 1 AS step, pg_catalog.format('DROP %s IF EXISTS %I.%I CASCADE',
                   CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                  WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                   n.nspname, c.relname) AS sql
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY ($SCHEMAS) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND d.objid = c.oid AND d.deptype = 'e')
        UNION ALL
        SELECT 2, pg_catalog.format('DROP %s IF EXISTS %s CASCADE',
                   CASE p.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END, p.oid::pg_catalog.regprocedure)
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY ($SCHEMAS)
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
        UNION ALL
        SELECT 3, pg_catalog.format('DROP %s IF EXISTS %s CASCADE',
                   CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::pg_catalog.regtype)
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = ANY ($SCHEMAS) AND t.typtype IN ('c', 'd', 'e', 'r')
          AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                          AND d.objid = t.oid AND d.deptype = 'e')
    ) AS drops;
    FOREACH statement IN ARRAY doomed LOOP
        EXECUTE statement;
    END LOOP;
END
$opsdeck_exact$;
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_quoted_as_literals() {
        let schemas: BTreeSet<String> = ["public".to_string(), "it's".to_string()].into();
        let sql = prelude(&schemas);
        assert!(
            sql.contains("ANY (ARRAY['it''s', 'public']::text[])"),
            "{sql}"
        );
        assert!(!sql.contains("$SCHEMAS"));
    }
}
