//! What the pages and the API read: targets with their freshness, a
//! target's backups with "kept by", backups and restores by id.

use super::prune::{describe, policy_of, preview};
use super::schedule::view;
use super::target::find;
use crate::backup::retention::Decision;
use crate::backup::*;
use crate::state::AppState;
use crate::AppError;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgExecutor;

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    name: String,
    display: String,
    rpo_hours: i32,
    server_version: Option<String>,
    last_good_at: Option<DateTime<Utc>>,
    last_state: Option<String>,
    cron: Option<String>,
}

const SUMMARY: &str = "SELECT t.id, t.name, t.display, t.rpo_hours, t.server_version,
    (SELECT max(b.started_at) FROM backup b WHERE b.target_id = t.id AND b.state = 'succeeded' AND b.deleted_at IS NULL AND b.corrupted_at IS NULL) AS last_good_at,
    (SELECT b.state FROM backup b WHERE b.target_id = t.id ORDER BY b.id DESC LIMIT 1) AS last_state,
    s.cron
  FROM backup_target t LEFT JOIN backup_schedule s ON s.target_id = t.id";

impl SummaryRow {
    fn into_view(self, now: DateTime<Utc>) -> TargetSummary {
        let age = self.last_good_at.map(|t| (now - t).num_seconds().max(0));
        TargetSummary {
            stale: age.is_none_or(|a| a > i64::from(self.rpo_hours) * 3600),
            id: self.id,
            name: self.name,
            display: self.display,
            rpo_hours: self.rpo_hours,
            server_version: self.server_version,
            last_good_at: self.last_good_at,
            last_good_age_secs: age,
            last_state: self.last_state.as_deref().and_then(RunState::parse),
            cron: self.cron,
        }
    }
}

/// Every target, by name.
pub async fn list_targets(db_: impl PgExecutor<'_>) -> Result<Vec<TargetSummary>, AppError> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!("{SUMMARY} ORDER BY t.name"))
        .fetch_all(db_)
        .await?;
    let now = Utc::now();
    Ok(rows.into_iter().map(|r| r.into_view(now)).collect())
}

#[derive(sqlx::FromRow)]
struct BackupRecord {
    id: i64,
    target: String,
    kind: String,
    reason: Option<String>,
    state: String,
    file: Option<String>,
    bytes_written: i64,
    size_bytes: Option<i64>,
    sha256: Option<String>,
    server_version: Option<String>,
    error: Option<String>,
    actor: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    verified_at: Option<DateTime<Utc>>,
    toc_entries: Option<i32>,
    verify_error: Option<String>,
    test_state: Option<String>,
    test_started_at: Option<DateTime<Utc>>,
    test_finished_at: Option<DateTime<Utc>>,
    test_tables: Option<Json<Vec<TableCount>>>,
    test_error: Option<String>,
    deleted_at: Option<DateTime<Utc>>,
    deleted_by: Option<String>,
    corrupted_at: Option<DateTime<Utc>>,
    corruption: Option<String>,
}

const BACKUPS: &str =
    "SELECT b.id, t.name AS target, b.kind, b.reason, b.state, b.file, b.bytes_written,
    b.size_bytes, b.sha256, b.server_version, b.error, b.actor, b.started_at, b.finished_at,
    b.verified_at, b.toc_entries, b.verify_error, b.test_state, b.test_started_at,
    b.test_finished_at, b.test_tables, b.test_error, b.deleted_at, b.deleted_by,
    b.corrupted_at, b.corruption
  FROM backup b JOIN backup_target t ON t.id = b.target_id";

impl BackupRecord {
    fn into_view(self) -> BackupView {
        let test = self
            .test_state
            .zip(self.test_started_at)
            .map(|(state, started_at)| TestRestoreView {
                // The column's CHECK allows only the three words.
                state: TestRestoreState::parse(&state).unwrap_or(TestRestoreState::Failed),
                started_at,
                finished_at: self.test_finished_at,
                tables: self.test_tables.map(|t| t.0).unwrap_or_default(),
                error: self.test_error,
            });
        let test_failed = test
            .as_ref()
            .is_some_and(|t| t.state == TestRestoreState::Failed);
        BackupView {
            id: self.id,
            target: self.target,
            kind: BackupKind::parse(&self.kind),
            reason: self.reason,
            state: RunState::parse(&self.state).unwrap_or(RunState::Failed),
            file: self
                .file
                .map(|f| f.rsplit('/').next().unwrap_or_default().to_string()),
            bytes_written: self.bytes_written,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            server_version: self.server_version,
            error: self.error,
            actor: self.actor,
            duration_ms: self
                .finished_at
                .map(|f| (f - self.started_at).num_milliseconds()),
            started_at: self.started_at,
            finished_at: self.finished_at,
            verified: self.verified_at.is_some() && !test_failed && self.corrupted_at.is_none(),
            toc_entries: self.toc_entries,
            verify_error: self.verify_error,
            test,
            corrupted_at: self.corrupted_at,
            corruption: self.corruption,
            deleted_at: self.deleted_at,
            deleted_by: self.deleted_by,
            kept_by: Vec::new(),
            next_pass_deletes: false,
        }
    }
}

/// Fills in "kept by" from the retention preview.
fn annotate(backups: &mut [BackupView], plan: Option<&[Decision]>) {
    for b in backups.iter_mut() {
        let Some(plan) = plan else {
            if b.state == RunState::Succeeded && b.deleted_at.is_none() {
                b.kept_by = vec!["no schedule: kept until deleted".into()];
            }
            continue;
        };
        if let Some(d) = plan.iter().find(|d| d.id == b.id) {
            b.kept_by = d.keep.iter().map(describe).collect();
            b.next_pass_deletes = d.deleted();
        }
    }
}

/// A target with its schedule, backups (newest first) and restores.
pub async fn read_target(state: &AppState, target: &str) -> Result<TargetDetail, AppError> {
    let row = find(&state.db, target).await?;
    let summary: SummaryRow = sqlx::query_as(&format!("{SUMMARY} WHERE t.id = $1"))
        .bind(row.id)
        .fetch_one(&state.db)
        .await?;
    let cron = summary.cron.clone();
    let mut backups = list_backups(&state.db, row.id).await?;
    let plan = preview(state, row.id).await?;
    annotate(&mut backups, plan.as_deref());
    let policy = policy_of(&state.db, row.id).await?;
    let schedule = cron.zip(policy).map(|(c, p)| view(&c, p, Utc::now()));
    let restores = list_restores(&state.db, row.id).await?;
    Ok(TargetDetail {
        summary: summary.into_view(Utc::now()),
        schedule,
        backups,
        restores,
    })
}

/// A target's backups, newest first.
pub async fn list_backups(
    db_: impl PgExecutor<'_>,
    target_id: i64,
) -> Result<Vec<BackupView>, AppError> {
    let rows: Vec<BackupRecord> = sqlx::query_as(&format!(
        "{BACKUPS} WHERE b.target_id = $1 ORDER BY b.id DESC LIMIT 500"
    ))
    .bind(target_id)
    .fetch_all(db_)
    .await?;
    Ok(rows.into_iter().map(BackupRecord::into_view).collect())
}

/// One backup, with "kept by" when its target has a schedule.
pub async fn read_backup(state: &AppState, id: i64) -> Result<BackupView, AppError> {
    let row: BackupRecord = sqlx::query_as(&format!("{BACKUPS} WHERE b.id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("backup #{id}")))?;
    let target = find(&state.db, &row.target).await?;
    let mut view = [row.into_view()];
    let plan = preview(state, target.id).await?;
    annotate(&mut view, plan.as_deref());
    let [view] = view;
    Ok(view)
}

#[derive(sqlx::FromRow)]
struct RestoreRecord {
    id: i64,
    target: String,
    backup_id: i64,
    safety_backup_id: Option<i64>,
    mode: String,
    state: String,
    phase: String,
    bytes_read: i64,
    total_bytes: i64,
    error: Option<String>,
    actor: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

const RESTORES: &str =
    "SELECT r.id, t.name AS target, r.backup_id, r.safety_backup_id, r.mode, r.state, r.phase,
    r.bytes_read, r.total_bytes, r.error, r.actor, r.started_at, r.finished_at
  FROM backup_restore r JOIN backup_target t ON t.id = r.target_id";

impl From<RestoreRecord> for RestoreView {
    fn from(r: RestoreRecord) -> Self {
        RestoreView {
            id: r.id,
            target: r.target,
            backup_id: r.backup_id,
            safety_backup_id: r.safety_backup_id,
            mode: r.mode,
            state: RunState::parse(&r.state).unwrap_or(RunState::Failed),
            phase: r.phase,
            bytes_read: r.bytes_read,
            total_bytes: r.total_bytes,
            error: r.error,
            actor: r.actor,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

pub async fn list_restores(
    db_: impl PgExecutor<'_>,
    target_id: i64,
) -> Result<Vec<RestoreView>, AppError> {
    let rows: Vec<RestoreRecord> = sqlx::query_as(&format!(
        "{RESTORES} WHERE r.target_id = $1 ORDER BY r.id DESC LIMIT 100"
    ))
    .bind(target_id)
    .fetch_all(db_)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn read_restore(db_: impl PgExecutor<'_>, id: i64) -> Result<RestoreView, AppError> {
    let row: Option<RestoreRecord> = sqlx::query_as(&format!("{RESTORES} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db_)
        .await?;
    row.map(Into::into)
        .ok_or_else(|| AppError::NotFound(format!("restore #{id}")))
}
