//! Running a recorded deployment to its end and recording how it ended.

use super::model::{db, ReleaseRow, ServiceRow};
use super::places::docker_for;
use super::rollout::{Ending, Rollout};
use super::steps::StepLog;
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::deploy::DeploymentState;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

/// Rolls out and stores the result; never fails: whatever goes wrong ends
/// up in the deployment's state and reason.
pub async fn finish(
    state: &AppState,
    service: &ServiceRow,
    deployment_id: i64,
    target: &ReleaseRow,
    previous: Option<&ReleaseRow>,
    actor: &str,
) {
    let log = StepLog::new(state.db.clone(), deployment_id);
    let ending = match docker_for(state, service) {
        Ok((_, docker)) => {
            let rollout = Rollout {
                docker: &docker,
                secrets: &state.secrets,
                service,
                log: &log,
            };
            rollout.run(target, previous).await
        }
        Err(e) => Ending::Failed(super::health::Unhealthy {
            reason: e.to_string(),
            output: None,
        }),
    };
    match &ending {
        Ending::Succeeded => {
            log.info(format!("done: release #{} is live", target.number))
                .await
        }
        Ending::RolledBack(_) => {
            log.warn("done: rolled back, the previous release is serving")
                .await
        }
        Ending::Failed(_) => log.error("done: failed").await,
    }
    if let Err(e) = record_ending(state, service, deployment_id, target, &ending, actor).await {
        tracing::error!(deployment = deployment_id, error = %e, "deployment result not stored");
    }
}

async fn record_ending(
    state: &AppState,
    service: &ServiceRow,
    deployment_id: i64,
    target: &ReleaseRow,
    ending: &Ending,
    actor: &str,
) -> Result<(), AppError> {
    let (st, failure) = match ending {
        Ending::Succeeded => (DeploymentState::Succeeded, None),
        Ending::RolledBack(f) => (DeploymentState::RolledBack, Some(f)),
        Ending::Failed(f) => (DeploymentState::Failed, Some(f)),
    };
    let mut tx = state.db.begin().await.map_err(db)?;
    sqlx::query(
        "UPDATE deployment SET state = $2, reason = $3, health_output = $4, finished_at = now()
         WHERE id = $1 AND state = 'running'",
    )
    .bind(deployment_id)
    .bind(st.as_str())
    .bind(failure.map(|f| f.reason.clone()))
    .bind(failure.and_then(|f| f.output.clone()))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if st == DeploymentState::Succeeded {
        sqlx::query("UPDATE service SET live_release_id = $2 WHERE id = $1")
            .bind(service.id)
            .bind(target.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let outcome = if st == DeploymentState::Succeeded {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let r = Record::new(
        actor,
        "deploy.finish",
        format!("service:{}", service.full_name()),
        outcome,
    )
    .details(json!({
        "deployment": deployment_id, "release": target.number, "state": st.as_str(),
        "reason": failure.map(|f| f.reason.clone()),
    }));
    record(&mut tx, r).await.map_err(db)?;
    tx.commit().await.map_err(db)
}
