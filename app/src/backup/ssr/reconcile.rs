//! Work a dead Opsdeck process left `running`: its liveness lock is free
//! (see `crate::locks`), so it is marked failed with the reason, its partial
//! file removed, and the ending audited as `system`.

use crate::audit::ssr::{record, Record};
use crate::audit::AuditTarget;
use crate::audit::{Action, Outcome};
use crate::backup::actions;
use crate::locks::{AdvisoryLock, LockClass};
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

const BACKUP: &str = "UPDATE backup SET state = 'failed', finished_at = now(),
     error = 'interrupted: the Opsdeck process running this backup stopped'
     WHERE id = $1 AND state IN ('queued', 'running')";
const TEST: &str = "UPDATE backup SET test_state = 'failed', test_finished_at = now(),
     test_error = 'interrupted: the Opsdeck process running this test restore stopped'
     WHERE id = $1 AND test_state = 'running'";
const RESTORE: &str = "UPDATE backup_restore SET state = 'failed', phase = 'done', finished_at = now(),
     error = 'interrupted: the Opsdeck process running this restore stopped; pg_restore runs in one transaction, so the database is as it was unless the safety backup says otherwise'
     WHERE id = $1 AND state = 'running'";

/// Fails every abandoned backup, test restore and restore.
pub async fn sweep(state: &AppState) -> Result<usize, AppError> {
    let mut fixed = 0;
    for (class, find, fix, action) in [
        (LockClass::Backup, "SELECT b.id, t.name FROM backup b JOIN backup_target t ON t.id = b.target_id WHERE b.state IN ('queued', 'running')", BACKUP, actions::RUN),
        (LockClass::TestRestore, "SELECT b.id, t.name FROM backup b JOIN backup_target t ON t.id = b.target_id WHERE b.test_state = 'running'", TEST, actions::TEST_RESTORE),
        (LockClass::Restore, "SELECT r.id, t.name FROM backup_restore r JOIN backup_target t ON t.id = r.target_id WHERE r.state = 'running'", RESTORE, actions::RESTORE),
    ] {
        let rows: Vec<(i64, String)> = sqlx::query_as(find).fetch_all(&state.db).await?;
        for (id, target) in rows {
            if fail_if_abandoned(state, class, id, &target, fix, action).await? {
                fixed += 1;
            }
        }
    }
    Ok(fixed)
}

/// Takes the row's liveness lock; if that succeeds nobody runs it.
async fn fail_if_abandoned(
    state: &AppState,
    class: LockClass,
    id: i64,
    target: &str,
    fix: &str,
    action: Action,
) -> Result<bool, AppError> {
    let mut lock = AdvisoryLock::connect(&state.db).await?;
    if !lock.try_take(class, id).await? {
        lock.release().await;
        return Ok(false);
    }
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(fix).bind(id).execute(&mut *tx).await?;
    if done.rows_affected() > 0 {
        let key = if class == LockClass::Restore {
            "restore"
        } else {
            "backup"
        };
        let r = Record::new(
            "system",
            action,
            AuditTarget::BackupTarget(target),
            Outcome::Failure,
        )
        .details(
            json!({ key: id, "error": "interrupted: the Opsdeck process running it stopped" }),
        );
        record(&mut tx, r).await?;
    }
    tx.commit().await?;
    if class == LockClass::Backup {
        let _ = tokio::fs::remove_file(state.backups.partial(target, id)).await;
    }
    lock.release().await;
    Ok(done.rows_affected() > 0)
}
