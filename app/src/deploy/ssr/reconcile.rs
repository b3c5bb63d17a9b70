//! The reconciler: a deployment still `running` whose lock nobody holds was
//! left by a dead process. It becomes `interrupted`, and the service is
//! brought back to its last live release, all audited as `system`.

use super::engine;
use super::lock::DeployLock;
use super::model::{db, find_service, release_by_id, ServiceRow};
use super::places::docker_for;
use super::rollout::Rollout;
use super::steps::StepLog;
use crate::audit::ssr::{record, record_alone, Record};
use crate::audit::Outcome;
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
            .await
            .map_err(db)?;
    let Some(deployment) = stale else {
        return Ok(false);
    };
    let target = format!("service:{}", service.full_name());
    let intent = Record::new("system", "deploy.reconcile", &target, Outcome::Intent)
        .details(json!({ "deployment": deployment, "live_release": service.live_release_id }));
    record_alone(&state.db, intent).await.map_err(db)?;
    let log = StepLog::new(state.db.clone(), deployment);
    log.warn("the Opsdeck process running this deployment stopped; returning the service to its live release")
        .await;
    let converged = converge_live(state, service, &log).await;
    let mut tx = state.db.begin().await.map_err(db)?;
    sqlx::query(
        "UPDATE deployment SET state = 'interrupted', finished_at = now(),
         reason = 'Opsdeck stopped during the rollout; the service was returned to its live release'
         WHERE id = $1 AND state = 'running'",
    )
    .bind(deployment)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let outcome = if converged.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let done = Record::new("system", "deploy.reconcile", &target, outcome).details(json!({
        "deployment": deployment, "state": "interrupted",
        "error": converged.as_ref().err().map(|e| e.to_string()),
    }));
    record(&mut tx, done).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    log.info("reconciled: deployment marked interrupted").await;
    converged.map(|()| true)
}

/// Runs exactly the live release's replicas, nothing else.
async fn converge_live(
    state: &AppState,
    service: &ServiceRow,
    log: &StepLog,
) -> Result<(), AppError> {
    let (_, docker) = docker_for(state, service)?;
    let rollout = Rollout {
        docker: &docker,
        secrets: &state.secrets,
        service,
        log,
    };
    match service.live_release_id {
        Some(id) => {
            let live = release_by_id(&state.db, id).await?;
            rollout
                .converge(&live)
                .await
                .map(|_| ())
                .map_err(|u| AppError::Unavailable(u.reason))
        }
        None => {
            let orphans = engine::replicas(&docker, service)
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?;
            for r in orphans {
                log.info(format!("removing {} (no release was ever live)", r.name))
                    .await;
                let _ = engine::remove_replica(&docker, &r.id, 0).await;
            }
            Ok(())
        }
    }
}

/// One pass over every `running` deployment; those whose lock is free are
/// recovered. Safe to run in several processes at once: the lock decides.
pub async fn reconcile_once(state: &AppState) -> Result<usize, AppError> {
    let running: Vec<i64> =
        sqlx::query_scalar("SELECT service_id FROM deployment WHERE state = 'running'")
            .fetch_all(&state.db)
            .await
            .map_err(db)?;
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
