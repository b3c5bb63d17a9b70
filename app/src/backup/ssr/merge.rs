//! Merge restores: the backup file is fed to `pg_restore --clean
//! --if-exists` through its standard input (see `checked_pipe.rs` for why
//! Opsdeck reads the file itself), which keeps objects created since the
//! backup.

use super::checked_pipe::{pipe_checked, report_restore_progress, Fed};
use super::conn::Conn;
use super::dump::{failure, read_limited};
use super::failure::Failure;
use super::model::{checksum_error, restore_command};
use crate::state::AppState;
use std::path::Path;
use std::process::Stdio;
use tokio::sync::watch;

/// Restores `path` over the database of `conn`; the error is pg_restore's
/// reason or the checksum refusal.
pub async fn restore_merge(
    state: &AppState,
    conn: &Conn,
    path: &Path,
    expected: &str,
    backup_id: i64,
    restore_id: i64,
) -> Result<(), Failure> {
    let mut cmd = restore_command(conn, &["--clean", "--if-exists"]).map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start pg_restore: {e}"))?;
    let stderr = tokio::spawn(read_limited(child.stderr.take()));
    let (progress, seen) = watch::channel(0i64);
    let ticker = tokio::spawn(report_restore_progress(state.db.clone(), restore_id, seen));
    let fed = match child.stdin.take() {
        Some(mut stdin) => pipe_checked(path, &mut stdin, expected, &progress).await,
        None => Fed::Stopped("pg_restore has no input".into()),
    };
    ticker.abort();
    if let Fed::Mismatch(found) = &fed {
        // Killed before its last block: its transaction rolls back.
        let _ = child.start_kill();
        let _ = child.wait().await;
        return Err(checksum_error(backup_id, expected, found)
            .to_string()
            .into());
    }
    let status = child.wait().await.map_err(|e| e.to_string())?;
    let stderr = stderr.await.unwrap_or_default();
    if !status.success() {
        return Err(failure("pg_restore", status, conn.scrub(&stderr)));
    }
    match fed {
        Fed::Stopped(e) => Err(e),
        _ => Ok(()),
    }
}
