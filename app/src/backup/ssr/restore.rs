//! Restoring a backup over its target: the person types the target's name;
//! the file's sha256 is checked (a mismatch refuses and changes nothing);
//! a safety backup of the current state is taken; then the file is read
//! from Opsdeck, which counts the bytes for the progress display and checks
//! the sha256 once more on the way, into one transaction: `exact` (the
//! default, see `exact.rs`) leaves the database as it was at the backup;
//! `merge` is `pg_restore --clean --if-exists`, which keeps objects created
//! since. The outcome names the safety backup: restoring it undoes the
//! restore.

use super::exact::restore_exact;
use super::failure::Failure;
use super::merge::restore_merge;
use super::model::{find_backup, BackupRow};
use super::run::run_kind;
use super::target::{find, open, TargetRow};
use crate::audit::ssr::{record, record_alone, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::backup::actions;
use crate::backup::{BackupKind, RestoreStarted};
use crate::locks::{AdvisoryLock, LockClass};
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

/// Checks the request, records the restore and its intent, and runs it in
/// the background.
pub async fn start(
    state: &AppState,
    actor: &Actor,
    backup_id: i64,
    confirm: &str,
    mode: &str,
) -> Result<RestoreStarted, AppError> {
    let mode = Mode::parse(mode)?;
    let backup = find_backup(&state.db, backup_id).await?;
    let target = find(&state.db, &backup.target_id.to_string()).await?;
    if confirm.trim() != target.name {
        return Err(AppError::invalid(
            "confirm",
            format!(
                "type the target's name, `{}`, to confirm the restore",
                target.name
            ),
        ));
    }
    if is_opsdeck_itself(state, &open(state, &target)?).await {
        return Err(AppError::invalid(
            "backup",
            format!("`{}` is Opsdeck's own database: a restore from inside Opsdeck would overwrite its own records as it runs; stop Opsdeck and use pg_restore", target.name),
        ));
    }
    if let Err(e) = backup.checked_path(state).await {
        refuse(state, actor, &target, &backup, &e).await?;
        return Err(e);
    }
    let mut lock = AdvisoryLock::connect(&state.db).await?;
    if !lock.try_take(LockClass::RestoreTarget, target.id).await? {
        return Err(AppError::Conflict(format!(
            "`{}` is being restored already; wait for that restore to finish",
            target.name
        )));
    }
    let id = record_start(state, actor, &target, &backup, mode, &mut lock).await?;
    let (state, actor) = (state.clone(), actor.audit_name());
    let url = format!("/backups/{}/{}", target.name, backup.id);
    state.background.clone().spawn(async move {
        let result = safety_then_restore(&state, &target, &backup, (id, mode), &actor).await;
        if let Err(e) = record_end(&state, &target, &backup, id, &actor, &result).await {
            tracing::error!(restore = id, error = %e, "restore result not stored");
        }
        lock.release().await;
    });
    Ok(RestoreStarted { restore: id, url })
}

/// How a restore treats objects created after the backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Dropped: the database is as it was (the default).
    Exact,
    /// Kept: only the backup's own objects are replaced.
    Merge,
}

impl Mode {
    pub fn parse(text: &str) -> Result<Mode, AppError> {
        match text.trim() {
            "" | "exact" => Ok(Mode::Exact),
            "merge" => Ok(Mode::Merge),
            other => Err(AppError::invalid(
                "mode",
                format!("`{other}` is not a restore mode: use exact (the default) or merge"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exact => "exact",
            Mode::Merge => "merge",
        }
    }
}

/// Whether `conn` reaches this installation's own database (its
/// `instance` row carries our installation id). Unreachable: no.
async fn is_opsdeck_itself(state: &AppState, conn: &super::conn::Conn) -> bool {
    use sqlx::{ConnectOptions, Connection};
    let ours: Option<String> = sqlx::query_scalar("SELECT installation_id::text FROM instance")
        .fetch_optional(&state.db)
        .await
        .ok()
        .flatten();
    let Ok(options) = conn.connect_options() else {
        return false;
    };
    let Ok(mut c) = options.connect().await else {
        return false;
    };
    // Any other database has no such table: the query fails, and it is not ours.
    let theirs: Option<String> =
        sqlx::query_scalar("SELECT installation_id::text FROM public.instance")
            .fetch_optional(&mut c)
            .await
            .unwrap_or(None);
    let _ = c.close().await;
    ours.is_some() && ours == theirs
}

/// A refused restore is audited too: someone tried.
async fn refuse(
    state: &AppState,
    actor: &Actor,
    target: &TargetRow,
    backup: &BackupRow,
    e: &AppError,
) -> Result<(), AppError> {
    let r = Record::new(
        actor.audit_name(),
        actions::RESTORE,
        target.audit_target(),
        Outcome::Failure,
    )
    .details(json!({ "backup": backup.id, "error": e.to_string() }))
    .meta(&actor.meta);
    record_alone(&state.db, r).await?;
    Ok(())
}

async fn record_start(
    state: &AppState,
    actor: &Actor,
    target: &TargetRow,
    backup: &BackupRow,
    mode: Mode,
    lock: &mut AdvisoryLock,
) -> Result<i64, AppError> {
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO backup_restore (target_id, backup_id, state, total_bytes, actor, mode)
         VALUES ($1, $2, 'running', $3, $4, $5) RETURNING id",
    )
    .bind(target.id)
    .bind(backup.id)
    .bind(backup.size_bytes.unwrap_or(0))
    .bind(actor.audit_name())
    .bind(mode.as_str())
    .fetch_one(&mut *tx)
    .await?;
    lock.try_take(LockClass::Restore, id).await?;
    let r = Record::new(
        actor.audit_name(),
        actions::RESTORE,
        target.audit_target(),
        Outcome::Intent,
    )
    .details(json!({ "restore": id, "backup": backup.id, "sha256": backup.sha256, "mode": mode.as_str() }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(id)
}

/// The safety backup's id on success; on failure the reason, and the
/// safety backup if one was taken.
type Ending = Result<i64, (Failure, Option<i64>)>;

async fn safety_then_restore(
    state: &AppState,
    target: &TargetRow,
    backup: &BackupRow,
    (restore_id, mode): (i64, Mode),
    actor: &str,
) -> Ending {
    let reason = format!("before restore #{restore_id} of backup #{}", backup.id);
    let safety = run_kind(state, actor, target.id, BackupKind::Safety, &reason)
        .await
        .map_err(|e| {
            (
                format!("the safety backup failed, so nothing was restored: {e}").into(),
                None,
            )
        })?;
    let fail = |e: Failure| (e, Some(safety));
    sqlx::query(
        "UPDATE backup_restore SET safety_backup_id = $2, phase = 'restoring' WHERE id = $1",
    )
    .bind(restore_id)
    .bind(safety)
    .execute(&state.db)
    .await
    .map_err(|e| fail(e.to_string().into()))?;
    let path = backup
        .usable_path(state)
        .map_err(|e| fail(e.to_string().into()))?;
    let conn = open(state, target).map_err(|e| fail(e.to_string().into()))?;
    let expected = backup.sha256.clone().unwrap_or_default();
    let fed = match mode {
        Mode::Merge => restore_merge(state, &conn, &path, &expected, backup.id, restore_id).await,
        Mode::Exact => restore_exact(state, &conn, &path, &expected, (backup.id, restore_id)).await,
    };
    fed.map_err(fail)?;
    Ok(safety)
}

async fn record_end(
    state: &AppState,
    target: &TargetRow,
    backup: &BackupRow,
    id: i64,
    actor: &str,
    ending: &Ending,
) -> Result<(), AppError> {
    let (st, error, safety) = match ending {
        Ok(s) => ("succeeded", None, Some(*s)),
        Err((e, s)) => ("failed", Some(e.as_str()), *s),
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE backup_restore SET state = $2, error = $3, phase = 'done', finished_at = now(),
         bytes_read = CASE WHEN $2 = 'succeeded' THEN total_bytes ELSE bytes_read END WHERE id = $1",
    )
    .bind(id)
    .bind(st)
    .bind(&error)
    .execute(&mut *tx)
    .await?;
    let outcome = if ending.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let undo = safety.map(|s| format!("restore backup #{s} to return to the state before"));
    let r = Record::new(actor, actions::RESTORE, target.audit_target(), outcome).details(json!({
        "restore": id, "backup": backup.id, "safety_backup": safety, "error": error, "undo": undo,
    }));
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}
