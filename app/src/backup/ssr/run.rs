//! Running one backup: record it `queued` (and the intent) → wait for the
//! target's backup lock (one pg_dump per target) → `running` → `pg_dump -Fc` into a
//! partial file, hashed and counted on the way → rename into place →
//! `pg_restore --list` → record how it ended. A failure keeps pg_dump's
//! reason (scrubbed of the password) and leaves no file behind.

use super::archive;
use super::dump::dump;
use super::ending::{record_ending, Produced};
use super::failure::Failure;
use super::model::Request;
use super::store::BackupStore;
use super::target::{find, open, refused_login_text, TargetRow};
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::backup::actions;
use crate::backup::{BackupKind, BackupStarted};
use crate::locks::{AdvisoryLock, LockClass};
use crate::request::RequestMeta;
use crate::runbook::step_ref::{with_runbook, RunbookStepRef};
use crate::state::AppState;
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::time::Duration;
use tokio::sync::watch;

/// A recorded backup still to be run, holding its liveness lock.
pub struct Begun {
    pub id: i64,
    pub(super) started_at: DateTime<Utc>,
    pub(super) target: TargetRow,
    pub(super) request: Request,
    lock: AdvisoryLock,
}

/// Records a running backup and its intent (one transaction). `None` when
/// the request's slot was already claimed, by this process or another.
pub async fn begin(
    state: &AppState,
    target: &TargetRow,
    request: Request,
) -> Result<Option<Begun>, AppError> {
    let mut tx = state.db.begin().await?;
    let row: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
        "INSERT INTO backup (target_id, kind, reason, slot, state, actor)
         VALUES ($1, $2, $3, $4, 'queued', $5)
         ON CONFLICT (target_id, slot) WHERE slot IS NOT NULL DO NOTHING
         RETURNING id, started_at",
    )
    .bind(target.id)
    .bind(request.kind.as_str())
    .bind(&request.reason)
    .bind(request.slot)
    .bind(&request.actor)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, started_at)) = row else {
        return Ok(None);
    };
    // Held before the row is visible, so no sweeper can take it for abandoned.
    let lock = AdvisoryLock::take(&state.db, LockClass::Backup, id).await?;
    let r = Record::new(&request.actor, actions::RUN, target.audit_target(), Outcome::Intent)
        .details(with_runbook(
            json!({ "backup": id, "kind": request.kind.as_str(), "reason": request.reason, "slot": request.slot }),
            request.runbook.as_ref(),
        ))
        .meta(&request.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(Some(Begun {
        id,
        started_at,
        target: target.clone(),
        request,
        lock,
    }))
}

/// Runs a begun backup to its end and records the ending. Never fails
/// silently: the reason is stored on the backup and returned.
pub async fn finish(state: &AppState, mut begun: Begun) -> Result<i64, Failure> {
    let result = match take_turn(state, &mut begun).await {
        Ok(()) => produce(state, &begun).await,
        Err(e) => Err(format!("could not wait for the target's turn: {e}").into()),
    };
    let stored = record_ending(state, begun.id, &begun.target, &begun.request, &result).await;
    begun.lock.release().await;
    if let Err(e) = stored {
        tracing::error!(backup = begun.id, error = %e, "backup result not stored");
        return Err(format!("the result could not be stored: {e}").into());
    }
    match result {
        Ok(p) => p.listing.map(|_| begun.id),
        Err(e) => Err(e),
    }
}

/// Waits while another backup of the target runs (in any process), then
/// marks this one running from now.
async fn take_turn(state: &AppState, begun: &mut Begun) -> Result<(), AppError> {
    begun
        .lock
        .wait_for(LockClass::BackupTarget, begun.target.id)
        .await?;
    begun.started_at = sqlx::query_scalar(
        "UPDATE backup SET state = 'running', started_at = now() WHERE id = $1 RETURNING started_at",
    )
    .bind(begun.id)
    .fetch_one(&state.db)
    .await?;
    Ok(())
}

async fn produce(state: &AppState, begun: &Begun) -> Result<Produced, Failure> {
    let conn = open(state, &begun.target).map_err(|e| e.to_string())?;
    let store = &state.backups;
    let (partial, mut file) = store
        .create_partial(&begun.target.name, begun.id)
        .await
        .map_err(|e| {
            format!(
                "cannot create the backup file in {}: {e}",
                store.root().display()
            )
        })?;
    let (progress, seen) = watch::channel(0i64);
    let ticker = tokio::spawn(report_progress(
        state.db.clone(),
        "UPDATE backup SET bytes_written = $2 WHERE id = $1 AND state = 'running'",
        begun.id,
        seen,
    ));
    let dumped = dump(&conn, &mut file, &progress).await;
    ticker.abort();
    drop(file);
    let dumped = match dumped {
        Ok(d) => d,
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
    };
    let name = BackupStore::file_name(&begun.target.name, begun.id, begun.started_at);
    let path = store
        .path(&name)
        .ok_or("the backup file name leaves the store")?;
    if let Err(e) = tokio::fs::rename(&partial, &path).await {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(format!("cannot move the backup file into place: {e}").into());
    }
    let listing = archive::list(&path).await;
    Ok(Produced {
        file: name,
        dumped,
        listing,
    })
}

/// Stores a progress counter about once a second with `sql` (`$1` the
/// row, `$2` the count), for the live progress display: each update
/// notifies the page.
pub async fn report_progress(
    db_pool: sqlx::PgPool,
    sql: &'static str,
    id: i64,
    mut seen: watch::Receiver<i64>,
) {
    let mut last = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if seen.has_changed().is_err() {
            return;
        }
        let now = *seen.borrow_and_update();
        if now != last {
            last = now;
            let _ = sqlx::query(sql).bind(id).bind(now).execute(&db_pool).await;
        }
    }
}

/// "Back up now": starts a manual backup of `target` and answers at once.
pub async fn start(
    state: &AppState,
    actor: &Actor,
    target: &str,
    runbook: Option<RunbookStepRef>,
) -> Result<BackupStarted, AppError> {
    let row = find(&state.db, target).await?;
    open(state, &row)?;
    let request = Request {
        kind: BackupKind::Manual,
        reason: None,
        slot: None,
        actor: actor.audit_name(),
        meta: actor.meta.clone(),
        runbook,
    };
    let begun = begin(state, &row, request)
        .await?
        .ok_or_else(|| AppError::internal("a manual backup found its slot taken"))?;
    let id = begun.id;
    let state = state.clone();
    state.background.clone().spawn(async move {
        let _ = finish(&state, begun).await;
    });
    Ok(BackupStarted {
        backup: id,
        url: format!("/backups/{}/{id}", row.name),
    })
}

/// Runs a backup of target `target_id` to its end, for work that must not
/// go on without one (a deployment's pre-deploy backup). Returns the
/// verified backup's id, or an error saying why there is none.
pub async fn backup_and_wait(
    state: &AppState,
    actor_audit_name: &str,
    target_id: i64,
    reason: &str,
) -> Result<i64, AppError> {
    run_kind(
        state,
        actor_audit_name,
        target_id,
        BackupKind::PreDeploy,
        reason,
    )
    .await
}

/// Runs a backup of `kind` to its end (pre-deploy and safety backups).
pub async fn run_kind(
    state: &AppState,
    actor: &str,
    target_id: i64,
    kind: BackupKind,
    reason: &str,
) -> Result<i64, AppError> {
    let row = find(&state.db, &target_id.to_string()).await?;
    let request = Request {
        kind,
        reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
        slot: None,
        actor: actor.to_string(),
        meta: RequestMeta::default(),
        runbook: None,
    };
    let begun = begin(state, &row, request)
        .await?
        .ok_or_else(|| AppError::internal("an unscheduled backup found its slot taken"))?;
    let id = begun.id;
    finish(state, begun).await.map_err(|reason| {
        let message = format!("backup #{id} of `{}` failed: {reason}", row.name);
        // A refused login is the target's URL to fix, not an outage.
        if refused_login_text(reason.as_str()) {
            AppError::invalid("url", message)
        } else {
            AppError::Unavailable(message)
        }
    })
}
