//! Server functions of backups, at fixed `/api/` URLs so scripts can call
//! them with an API token (see docs/api.md).

use super::*;
use crate::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth::guard::require;
#[cfg(feature = "ssr")]
use crate::auth::Permission;
#[cfg(feature = "ssr")]
use crate::runbook::ssr::step_check::{self, FromRunbook, Submitted};
#[cfg(feature = "ssr")]
use crate::state::app_state;

/// Longest accepted texts: a target name or id, a connection URL, a cron
/// expression, and the small numbers (RPO hours, kept counts).
#[cfg(feature = "ssr")]
const TARGET_MAX: usize = 100;
#[cfg(feature = "ssr")]
const URL_MAX: usize = 2048;
#[cfg(feature = "ssr")]
const CRON_MAX: usize = 200;
#[cfg(feature = "ssr")]
const NUMBER_MAX: usize = 16;

/// Bounds every text argument before anything reads it; says which is too long.
#[cfg(feature = "ssr")]
fn bounded(fields: &[(&str, &str, usize)]) -> Result<(), AppError> {
    fields
        .iter()
        .try_for_each(|(field, value, max)| crate::error::check_length(field, value, *max))
}

/// Every target with the age and state of its newest backup.
#[server(endpoint = "list_backup_targets")]
pub async fn list_backup_targets() -> Result<Vec<TargetSummary>, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::read::list_targets(&state.db).await
}

/// One target (by name or id): schedule, backups with "kept by", restores.
#[server(endpoint = "read_backup_target")]
pub async fn read_backup_target(target: String) -> Result<TargetDetail, AppError> {
    require(Permission::Read).await?;
    bounded(&[("target", &target, TARGET_MAX)])?;
    let state = app_state()?;
    super::ssr::read::read_target(&state, &target).await
}

/// Adds a target. The URL is sealed and never shown again.
#[server(endpoint = "create_backup_target")]
pub async fn create_backup_target(
    #[server(default)] name: String,
    #[server(default)] url: String,
    #[server(default)] rpo_hours: String,
) -> Result<i64, AppError> {
    let actor = require(Permission::Administer).await?;
    bounded(&[
        ("name", &name, TARGET_MAX),
        ("url", &url, URL_MAX),
        ("rpo_hours", &rpo_hours, NUMBER_MAX),
    ])?;
    let state = app_state()?;
    super::ssr::target::create(&state, &actor, &name, &url, &rpo_hours).await
}

/// Changes a target's RPO and, when `url` is given, its connection URL.
#[server(endpoint = "update_backup_target")]
pub async fn update_backup_target(
    target: String,
    #[server(default)] url: String,
    #[server(default)] rpo_hours: String,
) -> Result<(), AppError> {
    let actor = require(Permission::Administer).await?;
    bounded(&[
        ("target", &target, TARGET_MAX),
        ("url", &url, URL_MAX),
        ("rpo_hours", &rpo_hours, NUMBER_MAX),
    ])?;
    let state = app_state()?;
    super::ssr::target::update(&state, &actor, &target, &url, &rpo_hours).await
}

/// Connects to the target and answers its server version.
#[server(endpoint = "test_backup_target")]
pub async fn test_backup_target(target: String) -> Result<String, AppError> {
    let actor = require(Permission::Administer).await?;
    bounded(&[("target", &target, TARGET_MAX)])?;
    let state = app_state()?;
    super::ssr::target::test_connection(&state, &actor, &target).await
}

/// Sets the target's cron schedule and retention (empty `cron` removes it):
/// GFS counts for scheduled backups, and the days safety and pre-deploy
/// backups are kept at least.
#[server(endpoint = "save_backup_schedule")]
pub async fn save_backup_schedule(
    target: String,
    #[server(default)] cron: String,
    #[server(default)] keep_daily: String,
    #[server(default)] keep_weekly: String,
    #[server(default)] keep_monthly: String,
    #[server(default)] keep_safety_days: String,
) -> Result<(), AppError> {
    let actor = require(Permission::Administer).await?;
    bounded(&[
        ("target", &target, TARGET_MAX),
        ("cron", &cron, CRON_MAX),
        ("keep_daily", &keep_daily, NUMBER_MAX),
        ("keep_weekly", &keep_weekly, NUMBER_MAX),
        ("keep_monthly", &keep_monthly, NUMBER_MAX),
    ])?;
    let state = app_state()?;
    let keep = [
        keep_daily.as_str(),
        keep_weekly.as_str(),
        keep_monthly.as_str(),
        keep_safety_days.as_str(),
    ];
    super::ssr::schedule::save(&state, &actor, &target, &cron, keep).await
}

/// "Back up now": starts a backup and answers at once with its id.
/// Started from a runbook step, `runbook`, `runbook_version` and
/// `runbook_step` name it: the stored step must name the same target, and
/// the audit event names the runbook version.
#[server(endpoint = "run_backup")]
pub async fn run_backup(
    target: String,
    #[server(default)] runbook: String,
    #[server(default)] runbook_version: Option<i32>,
    #[server(default)] runbook_step: Option<i32>,
    #[server(default)] runbook_run: Option<i64>,
) -> Result<BackupStarted, AppError> {
    let actor = require(Permission::RunBackup).await?;
    bounded(&[("target", &target, TARGET_MAX)])?;
    let state = app_state()?;
    let from = FromRunbook {
        runbook: &runbook,
        version: runbook_version,
        step: runbook_step,
        run: runbook_run,
    };
    let step = step_check::check(&state.db, from, Submitted::Backup { target: &target }).await?;
    super::ssr::run::start(&state, &actor, &target, step).await
}

/// One backup: state, progress, file, checksum, verification, kept by.
#[server(endpoint = "read_backup")]
pub async fn read_backup(id: i64) -> Result<BackupView, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::read::read_backup(&state, id).await
}

/// A target's backups, newest first.
#[server(endpoint = "list_backups")]
pub async fn list_backups(target: String) -> Result<Vec<BackupView>, AppError> {
    require(Permission::Read).await?;
    bounded(&[("target", &target, TARGET_MAX)])?;
    let state = app_state()?;
    let detail = super::ssr::read::read_target(&state, &target).await?;
    Ok(detail.backups)
}

/// Deep verification: restores the backup into a scratch database and
/// counts every table's rows (in the background). From a runbook step
/// (see [`run_backup`]) `id` must be the newest usable backup of the
/// step's target.
#[server(endpoint = "test_restore_backup")]
pub async fn test_restore_backup(
    id: i64,
    #[server(default)] runbook: String,
    #[server(default)] runbook_version: Option<i32>,
    #[server(default)] runbook_step: Option<i32>,
    #[server(default)] runbook_run: Option<i64>,
) -> Result<(), AppError> {
    let actor = require(Permission::RunBackup).await?;
    let state = app_state()?;
    let from = FromRunbook {
        runbook: &runbook,
        version: runbook_version,
        step: runbook_step,
        run: runbook_run,
    };
    let step = step_check::check(&state.db, from, Submitted::TestRestore { backup: id }).await?;
    super::ssr::test_restore::start(&state, &actor, id, step).await
}

/// Restores backup `id` over its target; `confirm` must be the target's
/// name. A safety backup is taken first. `mode`: `exact` (default: objects
/// created after the backup are dropped) or `merge` (they are kept).
#[server(endpoint = "restore_backup")]
pub async fn restore_backup(
    id: i64,
    #[server(default)] confirm: String,
    #[server(default)] mode: String,
) -> Result<RestoreStarted, AppError> {
    let actor = require(Permission::RestoreBackup).await?;
    bounded(&[("confirm", &confirm, TARGET_MAX)])?;
    let state = app_state()?;
    super::ssr::restore::start(&state, &actor, id, &confirm, &mode).await
}

/// Deletes backup `id`'s file (administrators; audited). The safety
/// backup that undoes the newest restore is refused.
#[server(endpoint = "delete_backup")]
pub async fn delete_backup(id: i64) -> Result<(), AppError> {
    let actor = require(Permission::Administer).await?;
    let state = app_state()?;
    super::ssr::delete::delete(&state, &actor, id).await
}

/// Scrub now: hashes every stored file of the target again and marks the
/// ones that no longer match their sha256 corrupted (audited).
#[server(endpoint = "scrub_backups")]
pub async fn scrub_backups(target: String) -> Result<ScrubReport, AppError> {
    let actor = require(Permission::RunBackup).await?;
    let state = app_state()?;
    super::ssr::scrub::scrub_target(&state, &actor, &target).await
}

/// One restore: phase, progress, outcome and its safety backup.
#[server(endpoint = "read_restore")]
pub async fn read_restore(id: i64) -> Result<RestoreView, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::read::read_restore(&state.db, id).await
}
