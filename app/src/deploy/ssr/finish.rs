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

/// What a deployment does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A new release, replica by replica.
    Deploy,
    /// An earlier release again, replica by replica.
    Rollback,
    /// The live release, every replica replaced.
    Restart,
    /// The live release with another replica count (the service row given
    /// to the rollout carries the new count; `from` is the old one).
    Scale { from: i32 },
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Deploy => "deploy",
            Kind::Rollback => "rollback",
            Kind::Restart => "restart",
            Kind::Scale { .. } => "scale",
        }
    }
}

/// One deployment to carry out.
pub struct Run<'a> {
    pub service: &'a ServiceRow,
    pub deployment_id: i64,
    pub target: &'a ReleaseRow,
    pub previous: Option<&'a ReleaseRow>,
    pub kind: Kind,
    pub actor: &'a str,
}

/// Rolls out and stores the result; never fails: whatever goes wrong ends
/// up in the deployment's state and reason.
pub async fn finish(state: &AppState, run: Run<'_>) {
    let log = StepLog::new(state.db.clone(), run.deployment_id);
    let ending = match docker_for(state, run.service) {
        Ok((_, docker)) => {
            let rollout = Rollout {
                docker: &docker,
                secrets: &state.secrets,
                service: run.service,
                log: &log,
            };
            match run.kind {
                Kind::Scale { from } => rollout.scale(run.target, from).await,
                _ => rollout.run(run.target, run.previous).await,
            }
        }
        Err(e) => Ending::Failed(super::health::Unhealthy {
            reason: e.to_string(),
            output: None,
        }),
    };
    match &ending {
        Ending::Succeeded => {
            log.info(format!(
                "done: release #{} is live with {} replica(s)",
                run.target.number, run.service.replicas
            ))
            .await
        }
        Ending::RolledBack(_) => {
            log.warn("done: rolled back, the previous state is serving")
                .await
        }
        Ending::Failed(_) => log.error("done: failed").await,
    }
    if let Err(e) = record_ending(state, &run, &ending).await {
        tracing::error!(deployment = run.deployment_id, error = %e, "deployment result not stored");
    }
}

async fn record_ending(state: &AppState, run: &Run<'_>, ending: &Ending) -> Result<(), AppError> {
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
    .bind(run.deployment_id)
    .bind(st.as_str())
    .bind(failure.map(|f| f.reason.clone()))
    .bind(failure.and_then(|f| f.output.clone()))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if st == DeploymentState::Succeeded {
        // The release is live, with the replica count it now runs with.
        sqlx::query("UPDATE service SET live_release_id = $2, replicas = $3 WHERE id = $1")
            .bind(run.service.id)
            .bind(run.target.id)
            .bind(run.service.replicas)
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
        run.actor,
        "deploy.finish",
        format!("service:{}", run.service.full_name()),
        outcome,
    )
    .details(json!({
        "deployment": run.deployment_id, "kind": run.kind.as_str(),
        "release": run.target.number, "state": st.as_str(),
        "replicas": run.service.replicas,
        "reason": failure.map(|f| f.reason.clone()),
    }));
    record(&mut tx, r).await.map_err(db)?;
    tx.commit().await.map_err(db)
}
