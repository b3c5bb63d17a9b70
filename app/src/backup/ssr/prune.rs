//! Retention passes: the GFS plan of `retention.rs` over a target's stored
//! backups, applied after each scheduled backup. The page's "kept by" and
//! "preview" come from the very same plan, so they cannot disagree.

use super::target::{db, TargetRow};
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::backup::retention::{plan, Candidate, Decision, KeepReason, Policy};
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
    let row: Option<(i32, i32, i32)> = sqlx::query_as(
        "SELECT keep_daily, keep_weekly, keep_monthly FROM backup_schedule WHERE target_id = $1",
    )
    .bind(target_id)
    .fetch_optional(db_)
    .await
    .map_err(db)?;
    Ok(row.map(|(d, w, m)| Policy {
        daily: d as u32,
        weekly: w as u32,
        monthly: m as u32,
    }))
}

/// Every stored backup of the target, as retention sees it. Verified means
/// the archive was read back and no test restore of it failed.
pub async fn candidates(
    db_: impl PgExecutor<'_>,
    target_id: i64,
) -> Result<Vec<Candidate>, AppError> {
    let rows: Vec<(i64, chrono::DateTime<chrono::Utc>, bool)> = sqlx::query_as(
        "SELECT id, started_at,
                verified_at IS NOT NULL AND test_state IS DISTINCT FROM 'failed'
         FROM backup WHERE target_id = $1 AND state = 'succeeded' AND deleted_at IS NULL",
    )
    .bind(target_id)
    .fetch_all(db_)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, taken_at, verified)| Candidate {
            id,
            taken_at,
            verified,
        })
        .collect())
}

/// What a pass would decide now (the "preview").
pub async fn preview(state: &AppState, target_id: i64) -> Result<Option<Vec<Decision>>, AppError> {
    let Some(policy) = policy_of(&state.db, target_id).await? else {
        return Ok(None);
    };
    Ok(Some(plan(
        &policy,
        &candidates(&state.db, target_id).await?,
    )))
}

/// A keep reason in words, as the page shows it.
pub fn describe(reason: &KeepReason) -> String {
    match reason {
        KeepReason::NewestVerified => "newest verified".into(),
        KeepReason::Daily(d) => format!("daily {d}"),
        KeepReason::Weekly(y, w) => format!("weekly {y}-W{w:02}"),
        KeepReason::Monthly(y, m) => format!("monthly {y}-{m:02}"),
    }
}

/// Applies the target's policy: deletes every backup no rule keeps, each
/// audited as `system`. Returns the deleted ids.
pub async fn apply(state: &AppState, target: &TargetRow) -> Result<Vec<i64>, AppError> {
    let Some(policy) = policy_of(&state.db, target.id).await? else {
        return Ok(Vec::new());
    };
    let decisions = plan(&policy, &candidates(&state.db, target.id).await?);
    let mut deleted = Vec::new();
    for d in decisions.iter().filter(|d| d.deleted()) {
        if let Some(file) = delete_one(state, target, d.id, &policy).await? {
            // The row says deleted only once the database agreed; a file
            // that cannot be removed is only disk space, so it is logged.
            if let Some(path) = state.backups.path(&file) {
                if let Err(e) = tokio::fs::remove_file(&path).await {
                    tracing::warn!(backup = d.id, error = %e, "retention could not remove a backup file");
                }
            }
            deleted.push(d.id);
        }
    }
    Ok(deleted)
}

/// Marks one backup deleted and audits it in one transaction; `None` when
/// it is in use (a restore or test restore reads it) or already gone.
async fn delete_one(
    state: &AppState,
    target: &TargetRow,
    id: i64,
    policy: &Policy,
) -> Result<Option<String>, AppError> {
    let mut tx = state.db.begin().await.map_err(db)?;
    let file: Option<String> = sqlx::query_scalar(
        "UPDATE backup b SET deleted_at = now(), deleted_by = 'system'
         WHERE id = $1 AND deleted_at IS NULL AND test_state IS DISTINCT FROM 'running'
           AND NOT EXISTS (SELECT 1 FROM backup_restore r WHERE r.backup_id = b.id AND r.state = 'running')
         RETURNING file",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    if file.is_some() {
        let r = Record::new("system", "backup.delete", target.audit_target(), Outcome::Success)
            .details(json!({ "backup": id, "file": file, "rule": "gfs",
                             "policy": { "daily": policy.daily, "weekly": policy.weekly, "monthly": policy.monthly } }));
        record(&mut tx, r).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(file)
}
