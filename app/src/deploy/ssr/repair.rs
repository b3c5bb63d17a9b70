//! Keeping each service at its desired replica count between deployments.
//!
//! A replica can vanish or die behind Opsdeck's back (`docker rm -f`, an
//! OOM kill, a crash). The engine's events say so at once; the periodic pass
//! catches what events missed (Opsdeck was down, the stream broke). Each
//! repair is a deployment of kind `repair` by `system`, with its steps and
//! audit events. A service repaired too often is crash-looping: repair
//! pauses and says so rather than restarting it forever.

use super::endpoints::docker_for;
use super::lock::DeployLock;
use super::mask::Masker;
use super::model::{find_service, release_by_id, ReleaseRow, ServiceRow};
use super::rollout::{census, Rollout};
use super::steps::StepLog;
use crate::audit::ssr::{record, record_alone, Record};
use crate::audit::Outcome;
use crate::deploy::actions;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;
use std::time::Duration;

/// At most this many repairs of one service in [`WINDOW`].
pub const MAX_REPAIRS: i64 = 5;
pub const WINDOW: Duration = Duration::from_secs(600);

/// What a look at one service led to.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// It runs its desired replicas and nothing else.
    Whole,
    /// A repair deployment ran; `true` when the service is whole again.
    Repaired(i64, bool),
    /// A deployment holds the service (it converges itself), or an abandoned
    /// one awaits the reconciler.
    Busy,
    /// Repair is off for this service, or it never had a live release.
    Off,
    /// Too many repairs in the window: reported, not repaired.
    Paused,
    /// Repaired a moment ago: try again after this (backoff).
    Later(Duration),
}

/// Looks at one service and repairs it if it is short of replicas.
pub async fn repair_service(state: &AppState, service_id: i64) -> Result<Verdict, AppError> {
    let Some(lock) = DeployLock::try_take(&state.db, service_id).await? else {
        return Ok(Verdict::Busy);
    };
    let verdict = repair_locked(state, service_id).await;
    lock.release().await;
    verdict
}

async fn repair_locked(state: &AppState, service_id: i64) -> Result<Verdict, AppError> {
    let service = find_service(&state.db, &service_id.to_string()).await?;
    // The engine keeps a Swarm service's replica count itself.
    let Some(live_id) = service
        .live_release_id
        .filter(|_| service.repair && !service.swarm())
    else {
        return Ok(Verdict::Off);
    };
    let abandoned: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM deployment WHERE service_id = $1 AND state = 'running')",
    )
    .bind(service.id)
    .fetch_one(&state.db)
    .await?;
    if abandoned {
        return Ok(Verdict::Busy);
    }
    let live = release_by_id(&state.db, live_id).await?;
    let (_, docker) = docker_for(state, &service)?;
    let (serving, others) = census(&docker, &service, &live)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let wanted = service.replicas as usize;
    if serving == wanted && others.is_empty() {
        return Ok(Verdict::Whole);
    }
    if let Some(verdict) = held_back(state, &service).await? {
        return Ok(verdict);
    }
    let found = describe(serving, wanted, &others);
    let (id, whole) = run_repair(state, &service, &live, &docker, &found).await?;
    Ok(Verdict::Repaired(id, whole))
}

/// What is wrong, in words, for the step log and the audit event.
fn describe(serving: usize, wanted: usize, others: &[(String, String)]) -> String {
    let mut text = format!("{serving} of {wanted} replica(s) serve");
    for (name, why) in others {
        text.push_str(&format!("; {name} {why}"));
    }
    text
}

/// Backoff and the limit per window, judged from earlier repairs.
async fn held_back(state: &AppState, service: &ServiceRow) -> Result<Option<Verdict>, AppError> {
    let window = format!("{} seconds", WINDOW.as_secs());
    let (recent, since_last): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*), extract(epoch FROM now() - max(started_at))::float8
         FROM deployment WHERE service_id = $1 AND kind = 'repair'
           AND started_at > now() - $2::interval",
    )
    .bind(service.id)
    .bind(&window)
    .fetch_one(&state.db)
    .await?;
    if recent >= MAX_REPAIRS {
        report_paused(state, service, recent).await?;
        return Ok(Some(Verdict::Paused));
    }
    // 0 s after no repair, then 2, 4, 8, 16 s.
    let backoff = if recent == 0 {
        0.0
    } else {
        2f64.powi(recent as i32)
    };
    match since_last {
        Some(s) if s < backoff => Ok(Some(Verdict::Later(Duration::from_secs_f64(backoff - s)))),
        _ => Ok(None),
    }
}

/// Says once per window that repair is paused.
async fn report_paused(
    state: &AppState,
    service: &ServiceRow,
    recent: i64,
) -> Result<(), AppError> {
    let target = service.audit_target();
    let said: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM audit_event WHERE action = $3
           AND target = $1 AND at > now() - $2::interval)",
    )
    .bind(&target)
    .bind(format!("{} seconds", WINDOW.as_secs()))
    .bind(actions::REPAIR_PAUSED.as_str())
    .fetch_one(&state.db)
    .await?;
    if said {
        return Ok(());
    }
    let reason = format!(
        "crash-looping: repair paused ({recent} repairs in the last {} minutes); \
         fix the release and deploy, or restart the service",
        WINDOW.as_secs() / 60
    );
    tracing::warn!(service = %service.full_name(), "{reason}");
    let r = Record::new("system", actions::REPAIR_PAUSED, &target, Outcome::Failure)
        .details(json!({ "reason": reason, "repairs": recent }));
    record_alone(&state.db, r).await?;
    Ok(())
}

/// Records a `repair` deployment, converges onto the live release, checks
/// the result and records what was really done.
async fn run_repair(
    state: &AppState,
    service: &ServiceRow,
    live: &ReleaseRow,
    docker: &bollard::Docker,
    found: &str,
) -> Result<(i64, bool), AppError> {
    let target = service.audit_target();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO deployment (service_id, release_id, tag, previous_release_id, kind, state, actor)
         VALUES ($1, $2, $3, $2, 'repair', 'running', 'system') RETURNING id",
    )
    .bind(service.id)
    .bind(live.id)
    .bind(&live.tag)
    .fetch_one(&mut *tx)
    .await?;
    let intent = Record::new("system", actions::REPAIR, &target, Outcome::Intent)
        .details(json!({ "deployment": id, "release": live.number, "found": found }));
    record(&mut tx, intent).await?;
    tx.commit().await?;
    // A replica that fails may print its secrets: masked like any rollout's.
    let log = StepLog::new(state.db.clone(), id)
        .masking(Masker::for_releases(&state.secrets, &[&live.config.0]));
    log.warn(format!("repairing: {found}")).await;
    let rollout = Rollout {
        docker,
        secrets: &state.secrets,
        service,
        log: &log,
    };
    let converged = rollout.converge(live).await;
    let (serving, others) = census(docker, service, live)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let wanted = service.replicas as usize;
    let whole = serving >= wanted;
    let (started, removed) = converged
        .as_ref()
        .map_or((0, 0), |c| (c.started, c.removed));
    let reason = match &converged {
        Ok(_) if whole => None,
        Ok(_) => Some(describe(serving, wanted, &others)),
        Err(e) => Some(log.mask(&format!(
            "{}; {}",
            e.reason,
            describe(serving, wanted, &others)
        ))),
    };
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE deployment SET state = $2, reason = $3, finished_at = now() WHERE id = $1")
        .bind(id)
        .bind(if whole { "succeeded" } else { "failed" })
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
    let outcome = if whole {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let done = Record::new("system", actions::REPAIR, &target, outcome).details(json!({
        "deployment": id, "release": live.number, "started": started, "removed": removed,
        "serving": serving, "replicas": wanted, "reason": reason,
    }));
    record(&mut tx, done).await?;
    tx.commit().await?;
    match &reason {
        None => {
            log.info(format!("repaired: {serving} of {wanted} replica(s) serve"))
                .await
        }
        Some(r) => log.error(format!("repair incomplete: {r}")).await,
    }
    Ok((id, whole))
}
