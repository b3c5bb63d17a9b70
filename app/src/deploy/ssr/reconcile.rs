//! The reconciler: a deployment still `running` whose lock nobody holds was
//! left by a dead process. It becomes `interrupted`, and the service is
//! brought back to its last live release, all audited as `system`. It
//! converges on what the engine will be, not on what it is for a moment: a
//! container the dead process had begun to stop is still `running` for up
//! to its stop timeout, but it is no replica. The result is checked again
//! afterwards, and the reason and audit event say what was really done.

use super::endpoints::docker_for;
use super::engine;
use super::lock::DeployLock;
use super::mask::Masker;
use super::model::{find_service, release_by_id, ServiceRow};
use super::rollout::{census, Ending, Rollout};
use super::steps::StepLog;
use super::swarm;
use crate::audit::ssr::{record, record_alone, Record};
use crate::audit::Outcome;
use crate::deploy::actions;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;
use std::time::Duration;

/// Puts right an abandoned deployment of `service`, if there is one (then
/// `true`). The caller holds the service's lock, so a `running` row here
/// has no live owner.
pub async fn recover_abandoned(state: &AppState, service: &ServiceRow) -> Result<bool, AppError> {
    let stale: Option<i64> =
        sqlx::query_scalar("SELECT id FROM deployment WHERE service_id = $1 AND state = 'running'")
            .bind(service.id)
            .fetch_optional(&state.db)
            .await?;
    let Some(deployment) = stale else {
        return Ok(false);
    };
    let target = service.audit_target();
    let intent = Record::new("system", actions::RECONCILE, &target, Outcome::Intent)
        .details(json!({ "deployment": deployment, "live_release": service.live_release_id }));
    record_alone(&state.db, intent).await?;
    let log = StepLog::new(state.db.clone(), deployment);
    log.warn("the Opsdeck process running this deployment stopped; returning the service to its live release")
        .await;
    let converged = converge_live(state, service, &log).await;
    let (outcome, reason) = match &converged {
        Ok(done) if done.whole() => (Outcome::Success, done.describe()),
        Ok(done) => (Outcome::Failure, done.describe()),
        Err(e) => (
            Outcome::Failure,
            format!("returning the service to its live release failed: {e}"),
        ),
    };
    let reason = format!("Opsdeck stopped during the rollout; {reason}");
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE deployment SET state = 'interrupted', finished_at = now(), reason = $2
         WHERE id = $1 AND state = 'running'",
    )
    .bind(deployment)
    .bind(&reason)
    .execute(&mut *tx)
    .await?;
    let mut details = json!({ "deployment": deployment, "state": "interrupted", "reason": reason });
    if let Ok(done) = &converged {
        details["started"] = json!(done.started);
        details["removed"] = json!(done.removed);
        details["serving"] = json!(done.serving);
        details["replicas"] = json!(done.wanted);
    }
    let done = Record::new("system", actions::RECONCILE, &target, outcome).details(details);
    record(&mut tx, done).await?;
    tx.commit().await?;
    log.info(format!(
        "reconciled: deployment marked interrupted; {reason}"
    ))
    .await;
    converged.map(|_| true)
}

/// What the reconciler did, checked against the engine afterwards.
struct Returned {
    live: bool,
    started: usize,
    removed: usize,
    serving: usize,
    wanted: usize,
    /// Containers that do not serve after all, and why.
    others: Vec<(String, String)>,
}

impl Returned {
    fn whole(&self) -> bool {
        self.serving >= self.wanted && self.others.is_empty()
    }

    fn describe(&self) -> String {
        let mut text = if !self.live {
            format!(
                "no release was ever live: {} container(s) removed",
                self.removed
            )
        } else if self.whole() {
            format!(
                "the service was returned to its live release: {} of {} replica(s) serve \
                 ({} started, {} removed)",
                self.serving, self.wanted, self.started, self.removed
            )
        } else {
            format!(
                "the service was NOT fully returned to its live release: {} of {} replica(s) \
                 serve ({} started, {} removed)",
                self.serving, self.wanted, self.started, self.removed
            )
        };
        for (name, why) in &self.others {
            text.push_str(&format!("; {name} {why}"));
        }
        text
    }
}

/// Runs exactly the live release's replicas, nothing else, then looks
/// again: a replica the engine was still stopping counts for nothing.
async fn converge_live(
    state: &AppState,
    service: &ServiceRow,
    log: &StepLog,
) -> Result<Returned, AppError> {
    let (_, docker) = docker_for(state, service)?;
    if service.swarm() {
        return converge_swarm(state, service, log, &docker).await;
    }
    let rollout = Rollout {
        docker: &docker,
        secrets: &state.secrets,
        service,
        log,
    };
    let unavailable = |e: bollard::errors::Error| AppError::Unavailable(e.to_string());
    match service.live_release_id {
        Some(id) => {
            let live = release_by_id(&state.db, id).await?;
            let log = log
                .clone()
                .masking(Masker::for_releases(&state.secrets, &[&live.config.0]));
            let rollout = Rollout {
                log: &log,
                ..rollout
            };
            let done = rollout
                .converge(&live)
                .await
                .map_err(|u| AppError::Unavailable(u.reason))?;
            let (serving, others) = census(&docker, service, &live).await.map_err(unavailable)?;
            Ok(Returned {
                live: true,
                started: done.started,
                removed: done.removed,
                serving,
                wanted: service.replicas as usize,
                others,
            })
        }
        None => {
            let orphans = engine::replicas(&docker, service)
                .await
                .map_err(unavailable)?;
            for r in &orphans {
                log.info(format!("removing {} (no release was ever live)", r.name))
                    .await;
                let _ = engine::remove_replica(&docker, &r.id, 0).await;
            }
            Ok(Returned {
                live: false,
                started: 0,
                removed: orphans.len(),
                serving: 0,
                wanted: 0,
                others: vec![],
            })
        }
    }
}

/// A Swarm service: the engine carried on (or rolled back) the update the
/// dead process had asked for; ask it for the live release's spec again
/// and wait until it runs, or remove the engine's service when no release
/// was ever live.
async fn converge_swarm(
    state: &AppState,
    service: &ServiceRow,
    log: &StepLog,
    docker: &bollard::Docker,
) -> Result<Returned, AppError> {
    let Some(id) = service.live_release_id else {
        let removed = swarm::remove(docker, service)
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        log.info("removed the Swarm service (no release was ever live)")
            .await;
        return Ok(Returned {
            live: false,
            started: 0,
            removed: usize::from(removed),
            serving: 0,
            wanted: 0,
            others: vec![],
        });
    };
    let live = release_by_id(&state.db, id).await?;
    let log = log
        .clone()
        .masking(Masker::for_releases(&state.secrets, &[&live.config.0]));
    let rollout = swarm::SwarmRollout {
        docker,
        secrets: &state.secrets,
        service,
        log: &log,
    };
    let wanted = service.replicas as usize;
    match rollout.run(&live, false).await {
        Ending::Succeeded => Ok(Returned {
            live: true,
            started: 0,
            removed: 0,
            serving: wanted,
            wanted,
            others: vec![],
        }),
        Ending::RolledBack(u) | Ending::Failed(u) => Err(AppError::Unavailable(u.reason)),
    }
}

/// One pass over every `running` deployment; those whose lock is free are
/// recovered. Safe to run in several processes at once: the lock decides.
pub async fn reconcile_once(state: &AppState) -> Result<usize, AppError> {
    let running: Vec<i64> =
        sqlx::query_scalar("SELECT service_id FROM deployment WHERE state = 'running'")
            .fetch_all(&state.db)
            .await?;
    let mut recovered = 0;
    for service_id in running {
        let Some(lock) = DeployLock::try_take(&state.db, service_id).await? else {
            continue;
        };
        let result = match find_service(&state.db, &service_id.to_string()).await {
            Ok(service) => recover_abandoned(state, &service).await,
            Err(e) => Err(e),
        };
        lock.release().await;
        match result {
            Ok(true) => recovered += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(service_id, error = %e, "reconcile failed; will retry"),
        }
    }
    Ok(recovered)
}

/// Reconciles at startup and then every `every`.
pub fn spawn_reconciler(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match reconcile_once(&state).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(recovered = n, "reconciler recovered abandoned deployments")
                }
                Err(e) => tracing::warn!(error = %e, "reconciler pass failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
