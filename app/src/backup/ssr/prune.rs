//! Retention passes: the plan of `retention.rs` (GFS for scheduled backups,
//! other rules for other kinds) over a target's stored backups, applied
//! after each scheduled backup; and deleting one backup by hand. The page's
//! "kept by" and "preview" come from the very same plan, so they cannot
//! disagree.

use super::target::TargetRow;
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::backup::actions;
use crate::backup::retention::{plan, Candidate, Decision, KeepReason, Kind, Policy};
use crate::state::AppState;
use crate::AppError;
use serde_json::json;
use sqlx::PgExecutor;

/// The target's schedule's policy; `None` without a schedule (then
/// nothing is ever deleted).
pub async fn policy_of(
    db_: impl PgExecutor<'_>,
    target_id: i64,
) -> Result<Option<Policy>, AppError> {
    let row: Option<(i32, i32, i32, i32)> = sqlx::query_as(
        "SELECT keep_daily, keep_weekly, keep_monthly, keep_safety_days
         FROM backup_schedule WHERE target_id = $1",
    )
    .bind(target_id)
    .fetch_optional(db_)
    .await?;
    Ok(row.map(|(d, w, m, s)| Policy {
        daily: d as u32,
        weekly: w as u32,
        monthly: m as u32,
        safety_days: s as u32,
    }))
}

/// The safety backup of the target's newest restore: restoring it undoes
/// that restore, so nothing deletes it while that restore is the newest.
pub const UNDO_OF_NEWEST_RESTORE: &str = "(SELECT r.safety_backup_id FROM backup_restore r
    WHERE r.target_id = b.target_id ORDER BY r.id DESC LIMIT 1)";

/// Every stored backup of the target, as retention sees it. Verified means
/// the archive was read back, no test restore of it failed and no scrub
/// found it corrupted.
pub async fn candidates(
    db_: impl PgExecutor<'_>,
    target_id: i64,
) -> Result<Vec<Candidate>, AppError> {
    type Row = (i64, chrono::DateTime<chrono::Utc>, bool, String, bool);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT b.id, b.started_at,
                b.verified_at IS NOT NULL AND b.test_state IS DISTINCT FROM 'failed'
                  AND b.corrupted_at IS NULL,
                b.kind, b.id IS NOT DISTINCT FROM {UNDO_OF_NEWEST_RESTORE}
         FROM backup b WHERE b.target_id = $1 AND b.state = 'succeeded' AND b.deleted_at IS NULL"
    ))
    .bind(target_id)
    .fetch_all(db_)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, taken_at, verified, kind, undoes)| Candidate {
            id,
            taken_at,
            verified,
            kind: Kind::parse(&kind),
            undoes_newest_restore: undoes,
        })
        .collect())
}

/// What a pass would decide now (the "preview").
pub async fn preview(state: &AppState, target_id: i64) -> Result<Option<Vec<Decision>>, AppError> {
    let Some(policy) = policy_of(&state.db, target_id).await? else {
        return Ok(None);
    };
    let backups = candidates(&state.db, target_id).await?;
    Ok(Some(plan(&policy, &backups, chrono::Utc::now())))
}

/// A keep reason in words, as the page shows it.
pub fn describe(reason: &KeepReason) -> String {
    match reason {
        KeepReason::NewestVerified => "newest verified".into(),
        KeepReason::Daily(d) => format!("daily {d}"),
        KeepReason::Weekly(y, w) => format!("weekly {y}-W{w:02}"),
        KeepReason::Monthly(y, m) => format!("monthly {y}-{m:02}"),
        KeepReason::Manual => "manual: kept until deleted".into(),
        KeepReason::MinimumAge(until) => {
            format!("minimum age: until {}", until.format("%Y-%m-%d %H:%M UTC"))
        }
        KeepReason::UndoesNewestRestore => "undoes the newest restore".into(),
    }
}

/// Applies the target's policy: deletes every backup no rule keeps, each
/// audited as `system`. Returns the deleted ids.
pub async fn apply(state: &AppState, target: &TargetRow) -> Result<Vec<i64>, AppError> {
    let Some(policy) = policy_of(&state.db, target.id).await? else {
        return Ok(Vec::new());
    };
    let backups = candidates(&state.db, target.id).await?;
    let decisions = plan(&policy, &backups, chrono::Utc::now());
    let mut deleted = Vec::new();
    for d in decisions.iter().filter(|d| d.deleted()) {
        if let Some(file) = delete_one(state, target, d.id, &policy).await? {
            remove_file(state, d.id, &file).await;
            deleted.push(d.id);
        }
    }
    Ok(deleted)
}

/// Marks backup `id` deleted by `by`; `None` when it is in use (a restore
/// or test restore reads it), undoes the newest restore, or is gone already.
pub async fn mark_deleted(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    id: i64,
    by: &str,
) -> Result<Option<String>, AppError> {
    sqlx::query_scalar(&format!(
        "UPDATE backup b SET deleted_at = now(), deleted_by = $2
         WHERE id = $1 AND deleted_at IS NULL AND test_state IS DISTINCT FROM 'running'
           AND NOT EXISTS (SELECT 1 FROM backup_restore r WHERE r.backup_id = b.id AND r.state = 'running')
           AND b.id IS DISTINCT FROM {UNDO_OF_NEWEST_RESTORE}
         RETURNING file"
    ))
    .bind(id)
    .bind(by)
    .fetch_optional(&mut **tx)
    .await
    .map_err(AppError::from)
}

/// Marks one backup deleted by retention and audits it in one transaction.
async fn delete_one(
    state: &AppState,
    target: &TargetRow,
    id: i64,
    policy: &Policy,
) -> Result<Option<String>, AppError> {
    let mut tx = state.db.begin().await?;
    let file = mark_deleted(&mut tx, id, "system").await?;
    if file.is_some() {
        let r = Record::new("system", actions::DELETE, target.audit_target(), Outcome::Success)
            .details(json!({ "backup": id, "file": file, "rule": "retention",
                             "policy": { "daily": policy.daily, "weekly": policy.weekly, "monthly": policy.monthly,
                                         "safety_days": policy.safety_days } }));
        record(&mut tx, r).await?;
    }
    tx.commit().await?;
    Ok(file)
}

/// Removes a deleted backup's file. The row says deleted only once the
/// database agreed; a file that cannot be removed is only disk space, so
/// it is logged.
pub async fn remove_file(state: &AppState, id: i64, file: &str) {
    if let Some(path) = state.backups.path(file) {
        if let Err(e) = tokio::fs::remove_file(&path).await {
            tracing::warn!(backup = id, error = %e, "could not remove a deleted backup's file");
        }
    }
}
