//! The scheduler inside every Opsdeck process. Each pass looks at every
//! schedule's newest slot (its latest cron time at or before now) and
//! claims it by inserting the backup row: the unique index on (target,
//! slot) lets exactly one process win, however many run the pass. Older
//! slots are never looked at, so slots missed while Opsdeck was down
//! collapse into one run at the next start.

use super::model::Request;
use super::prune;
use super::reconcile::sweep;
use super::run::{begin, finish};
use super::schedule::{latest_slot, parse_cron};
use super::target::find;
use crate::request::RequestMeta;
use crate::state::AppState;
use crate::AppError;
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Claims every slot due at `now` and starts its backup (followed by the
/// retention pass). Returns the started runs, so a caller (a test) can
/// wait for them; the scheduler loop lets them run on.
pub async fn run_due(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<Vec<JoinHandle<()>>, AppError> {
    let schedules: Vec<(i64, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT target_id, cron, active_since FROM backup_schedule ORDER BY target_id",
    )
    .fetch_all(&state.db)
    .await?;
    let mut started = Vec::new();
    for (target_id, cron, active_since) in schedules {
        let Ok(cron) = parse_cron(&cron) else {
            tracing::warn!(
                target_id,
                "a backup schedule's cron expression no longer parses"
            );
            continue;
        };
        let Some(slot) = latest_slot(&cron, now).filter(|s| *s > active_since) else {
            continue;
        };
        if let Some(handle) = claim(state, target_id, slot).await? {
            started.push(handle);
        }
    }
    Ok(started)
}

/// Starts the backup of one slot unless another pass claimed it first.
async fn claim(
    state: &AppState,
    target_id: i64,
    slot: DateTime<Utc>,
) -> Result<Option<JoinHandle<()>>, AppError> {
    // Most passes find the slot taken; asking first spares the insert (and
    // an identity value) each time. The insert still decides any race.
    let taken: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM backup WHERE target_id = $1 AND slot = $2)",
    )
    .bind(target_id)
    .bind(slot)
    .fetch_one(&state.db)
    .await?;
    if taken {
        return Ok(None);
    }
    let target = find(&state.db, &target_id.to_string()).await?;
    let request = Request {
        kind: crate::backup::BackupKind::Scheduled,
        reason: Some(format!(
            "schedule slot {}",
            slot.format("%Y-%m-%d %H:%M UTC")
        )),
        slot: Some(slot),
        actor: "system".into(),
        meta: RequestMeta::default(),
        runbook: None,
    };
    let Some(begun) = begin(state, &target, request).await? else {
        return Ok(None);
    };
    let state = state.clone();
    Ok(Some(tokio::spawn(async move {
        if finish(&state, begun).await.is_err() {
            // A failed run changes nothing to keep or delete.
            return;
        }
        if let Err(e) = prune::apply(&state, &target).await {
            tracing::error!(target = %target.name, error = %e, "retention pass failed");
        }
    })))
}

/// How often the scheduler starts a scrub pass; each pass hashes only the
/// files not hashed within the last day.
const SCRUB_EVERY: Duration = Duration::from_secs(3600);

/// Runs [`run_due`] every `every`, after first putting right work that a
/// dead process left `running`; and, hourly, a scrub of the files due
/// (in the background, so hashing a large store never delays a slot).
pub fn spawn_scheduler(state: AppState, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut scrubbed: Option<std::time::Instant> = None;
        loop {
            if scrubbed.is_none_or(|at| at.elapsed() >= SCRUB_EVERY) {
                scrubbed = Some(std::time::Instant::now());
                // Not background work: a stopping server need not wait for it.
                tokio::spawn(super::scrub::scrub_due(state.clone()));
            }
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = %e, "could not check for abandoned backups");
            }
            if let Err(e) = run_due(&state, Utc::now()).await {
                tracing::warn!(error = %e, "backup scheduler pass failed");
            }
            if let Err(e) = super::rpo::record_missed(&state.db).await {
                tracing::warn!(error = %e, "could not check backups against their RPO");
            }
            tokio::time::sleep(every).await;
        }
    })
}
