//! Deleting one backup by hand (administrators): how manual backups end,
//! and how anyone frees space early. The safety backup that undoes the
//! newest restore is refused: it is the only way back from that restore.

use super::model::find_backup;
use super::prune::{mark_deleted, remove_file};
use super::target::find;
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::backup::actions;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

/// Deletes backup `id` (its file; the row stays as history), audited.
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let backup = find_backup(&state.db, id).await?;
    // A corrupted backup can be deleted; a deleted or failed one has no file.
    backup.stored_path(state)?;
    let target = find(&state.db, &backup.target_id.to_string()).await?;
    let mut tx = state.db.begin().await?;
    let Some(file) = mark_deleted(&mut tx, id, &actor.audit_name()).await? else {
        return Err(why_kept(state, id, &target.name).await);
    };
    let r = Record::new(
        actor.audit_name(),
        actions::DELETE,
        target.audit_target(),
        Outcome::Success,
    )
    .details(json!({ "backup": id, "file": file, "rule": "by hand" }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    remove_file(state, id, &file).await;
    Ok(())
}

/// Why a usable backup could not be marked deleted.
async fn why_kept(state: &AppState, id: i64, target: &str) -> AppError {
    let newest: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT r.id, r.safety_backup_id FROM backup_restore r
         JOIN backup b ON b.target_id = r.target_id WHERE b.id = $1 ORDER BY r.id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await
    .unwrap_or(None);
    match newest {
        Some((restore, Some(safety))) if safety == id => AppError::Conflict(format!(
            "backup #{id} undoes restore #{restore}, the newest restore of `{target}`: it is kept until another restore of `{target}` runs"
        )),
        _ => AppError::invalid(
            "backup",
            format!("backup #{id} is in use by a restore or test restore, or was just deleted; try again when that ends"),
        ),
    }
}
