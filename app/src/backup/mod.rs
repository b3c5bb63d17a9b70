//! Database backups: targets (PostgreSQL databases reached by a sealed
//! connection URL), `pg_dump -Fc` backups verified with `pg_restore --list`
//! and optionally by a test restore, cron schedules with GFS retention, and
//! restores that take a safety backup first.
//!
//! Types shared by pages and server fns live here; the server fns are in
//! `api.rs`, the pages in `*_page.rs`, the machinery in `ssr/`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod actions;
pub mod api;
mod backup_page;
mod list_page;
mod parts;
pub mod retention;
#[cfg(feature = "ssr")]
pub mod routes;
mod schedule_form;
#[cfg(feature = "ssr")]
pub mod ssr;
mod target_page;

pub use backup_page::BackupPage;
pub use list_page::BackupsPage;
pub use target_page::TargetPage;

pub use retention::Kind as BackupKind;

/// How a backup's test restore went; stored in `backup.test_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestRestoreState {
    Running,
    Passed,
    Failed,
}

impl TestRestoreState {
    pub fn as_str(self) -> &'static str {
        match self {
            TestRestoreState::Running => "running",
            TestRestoreState::Passed => "passed",
            TestRestoreState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            TestRestoreState::Running,
            TestRestoreState::Passed,
            TestRestoreState::Failed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Where a backup (or a restore) is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// A backup waiting while another backup of its target runs.
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            RunState::Queued,
            RunState::Running,
            RunState::Succeeded,
            RunState::Failed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A target as the list shows it: never its URL, only `host:port/database`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetSummary {
    pub id: i64,
    pub name: String,
    pub display: String,
    pub rpo_hours: i32,
    pub server_version: Option<String>,
    /// The newest succeeded (and not deleted) backup, and its age in
    /// seconds when the page was read.
    pub last_good_at: Option<DateTime<Utc>>,
    pub last_good_age_secs: Option<i64>,
    /// The newest backup of any state.
    pub last_state: Option<RunState>,
    /// True when the newest good backup is older than the RPO (or missing).
    pub stale: bool,
    pub cron: Option<String>,
}

/// Deep verification of one backup: restored into a scratch database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestRestoreView {
    pub state: TestRestoreState,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub tables: Vec<TableCount>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCount {
    /// `schema.table`.
    pub table: String,
    pub rows: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupView {
    pub id: i64,
    pub target: String,
    pub kind: BackupKind,
    pub reason: Option<String>,
    pub state: RunState,
    /// The file's name in the store, once complete.
    pub file: Option<String>,
    pub bytes_written: i64,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub server_version: Option<String>,
    pub error: Option<String>,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    /// `pg_restore --list` read the archive, no test restore failed and no
    /// scrub found it corrupted.
    pub verified: bool,
    pub toc_entries: Option<i32>,
    pub verify_error: Option<String>,
    pub test: Option<TestRestoreView>,
    /// Set when a scrub found the file changed or gone: never restored.
    pub corrupted_at: Option<DateTime<Utc>>,
    /// What the scrub found.
    pub corruption: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// `system` (retention) or the user who deleted it.
    pub deleted_by: Option<String>,
    /// The retention rules that keep it ("daily 2026-11-23", …); empty
    /// when the next pass would delete it.
    pub kept_by: Vec<String>,
    pub next_pass_deletes: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestoreView {
    pub id: i64,
    pub target: String,
    pub backup_id: i64,
    /// The backup of the state before; restoring it undoes this restore.
    pub safety_backup_id: Option<i64>,
    /// `exact` (objects created after the backup dropped) or `merge` (kept).
    pub mode: String,
    pub state: RunState,
    /// `safety_backup`, `checking`, `restoring` or `done`.
    pub phase: String,
    pub bytes_read: i64,
    pub total_bytes: i64,
    pub error: Option<String>,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleView {
    pub cron: String,
    /// The expression in words ("At 02:30").
    pub description: String,
    pub keep_daily: i32,
    pub keep_weekly: i32,
    pub keep_monthly: i32,
    /// Safety and pre-deploy backups are kept at least this many days.
    pub keep_safety_days: i32,
    /// The next three runs (UTC).
    pub next_runs: Vec<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetDetail {
    pub summary: TargetSummary,
    pub schedule: Option<ScheduleView>,
    /// Newest first, deleted ones included (as history).
    pub backups: Vec<BackupView>,
    pub restores: Vec<RestoreView>,
}

/// What a scrub found: how many files it hashed, and the backups it newly
/// marked corrupted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScrubReport {
    pub checked: usize,
    pub corrupted: Vec<i64>,
}

/// What "back up now" answers at once; the backup runs in the background.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupStarted {
    pub backup: i64,
    pub url: String,
}

/// What a restore request answers at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestoreStarted {
    pub restore: i64,
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_states_round_trip() {
        for s in [
            RunState::Queued,
            RunState::Running,
            RunState::Succeeded,
            RunState::Failed,
        ] {
            assert_eq!(RunState::parse(s.as_str()), Some(s));
        }
        assert_eq!(RunState::parse("done"), None);
    }
}
