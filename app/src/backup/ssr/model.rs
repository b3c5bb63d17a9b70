//! A backup as the machinery sees it: the request for one, the stored row,
//! and the checks every use of its file goes through.

use super::conn::Conn;
use super::store::sha256_of;
use crate::backup::BackupKind;
use crate::request::RequestMeta;
use crate::state::AppState;
use crate::AppError;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use std::path::PathBuf;

/// Who asks for a backup, of which kind, and why.
#[derive(Clone, Debug)]
pub struct Request {
    pub kind: BackupKind,
    pub reason: Option<String>,
    /// The cron slot of a scheduled backup.
    pub slot: Option<DateTime<Utc>>,
    pub actor: String,
    pub meta: RequestMeta,
    /// The runbook step a manual backup was started from.
    pub runbook: Option<crate::runbook::step_ref::RunbookStepRef>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BackupRow {
    pub id: i64,
    pub target_id: i64,
    pub target: String,
    pub state: String,
    pub file: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub started_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub corrupted_at: Option<DateTime<Utc>>,
    pub corruption: Option<String>,
}

pub async fn find_backup(db_: impl PgExecutor<'_>, id: i64) -> Result<BackupRow, AppError> {
    sqlx::query_as(
        "SELECT b.id, b.target_id, t.name AS target, b.state, b.file, b.size_bytes, b.sha256,
                b.started_at, b.deleted_at, b.corrupted_at, b.corruption
         FROM backup b JOIN backup_target t ON t.id = b.target_id WHERE b.id = $1",
    )
    .bind(id)
    .fetch_optional(db_)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("backup #{id}")))
}

impl BackupRow {
    /// The file of a succeeded backup that no scrub found corrupted and
    /// nobody deleted: the only files restored, tested or downloaded.
    pub fn usable_path(&self, state: &AppState) -> Result<PathBuf, AppError> {
        let path = self.stored_path(state)?;
        if let (Some(at), Some(what)) = (self.corrupted_at, &self.corruption) {
            return Err(AppError::invalid(
                "backup",
                format!(
                    "backup #{} is corrupted (found by a scrub on {} UTC: {what}); it cannot be restored, test-restored or downloaded: use an older backup",
                    self.id,
                    at.format("%Y-%m-%d %H:%M")
                ),
            ));
        }
        Ok(path)
    }

    /// The file of a succeeded backup that has not been deleted.
    pub fn stored_path(&self, state: &AppState) -> Result<PathBuf, AppError> {
        if self.state != "succeeded" {
            return Err(AppError::invalid(
                "backup",
                format!("backup #{} {}: it has no file to use", self.id, self.state),
            ));
        }
        if let Some(at) = self.deleted_at {
            return Err(AppError::invalid(
                "backup",
                format!(
                    "the file of backup #{} was deleted on {} UTC",
                    self.id,
                    at.format("%Y-%m-%d %H:%M")
                ),
            ));
        }
        let file = self.file.as_deref().unwrap_or_default();
        state.backups.path(file).ok_or_else(|| {
            AppError::internal(format!(
                "backup #{} names a file outside the store",
                self.id
            ))
        })
    }

    /// The file, after checking that it still has the sha256 recorded when
    /// it was taken: a changed or damaged file is refused, naming both sums.
    pub async fn checked_path(&self, state: &AppState) -> Result<PathBuf, AppError> {
        let path = self.usable_path(state)?;
        let expected = self.sha256.clone().unwrap_or_default();
        let found = sha256_of(&path).await.map_err(|e| {
            AppError::invalid(
                "backup",
                format!(
                    "the file of backup #{} cannot be read ({e}): it is missing from the store",
                    self.id
                ),
            )
        })?;
        if found != expected {
            return Err(checksum_error(self.id, &expected, &found));
        }
        Ok(path)
    }
}

/// The refusal for a file whose content no longer matches its checksum.
pub fn checksum_error(id: i64, expected: &str, found: &str) -> AppError {
    AppError::invalid(
        "backup",
        format!(
            "checksum mismatch: the file of backup #{id} has sha256 {found}, but {expected} was recorded when it was taken; it was altered or damaged, so nothing was restored"
        ),
    )
}

/// `pg_restore` set up to restore into the database of `conn`. The name
/// goes in as a one-keyword connection string, so that no name is ever
/// read as options; everything else comes from the environment.
pub fn restore_command(conn: &Conn, args: &[&str]) -> Result<tokio::process::Command, AppError> {
    let mut cmd = conn.command("pg_restore")?;
    let quoted = conn.database.replace('\\', "\\\\").replace('\'', "\\'");
    cmd.arg(format!("--dbname=dbname='{quoted}'"))
        .args(["--no-password", "--exit-on-error", "--single-transaction"])
        .args(args);
    Ok(cmd)
}
