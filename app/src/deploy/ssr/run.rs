//! Running a recorded deployment to its end and recording how it ended.

use super::endpoints::docker_for;
use super::health::Unhealthy;
use super::mask::Masker;
use super::model::{ReleaseRow, ServiceRow};
use super::rollout::{Ending, Rollout};
use super::steps::StepLog;
use super::swarm::SwarmRollout;
use crate::audit::ssr::{record, Record};
use crate::audit::{Action, Outcome};
use crate::deploy::actions;
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
    /// What starting a deployment of this kind is audited as.
    pub fn action(self) -> Action {
        match self {
            Kind::Deploy => actions::DEPLOY,
            Kind::Rollback => actions::ROLLBACK,
            Kind::Restart => actions::RESTART,
            Kind::Scale { .. } => actions::SCALE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Deploy => "deploy",
            Kind::Rollback => "rollback",
            Kind::Restart => "restart",
            Kind::Scale { .. } => "scale",
        }
    }
}

/// What happens before the rollout about the pre-deploy backup.
#[derive(Clone, Debug, PartialEq)]
pub enum PreDeploy {
    /// No backup target, or a kind of deployment that changes no code.
    Nothing,
    /// Back up this target and wait; no backup, no deployment.
    Backup { target_id: i64, target: String },
    /// The deployer went without one, saying why.
    Skipped { target: String, reason: String },
}

impl PreDeploy {
    /// For the audit log.
    pub fn describe(&self) -> serde_json::Value {
        match self {
            PreDeploy::Nothing => serde_json::Value::Null,
            PreDeploy::Backup { target, .. } => json!({ "target": target }),
            PreDeploy::Skipped { target, reason } => {
                json!({ "target": target, "skipped_because": reason })
            }
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
    pub pre_deploy: PreDeploy,
}

/// Runs the whole deployment (the pre-deploy backup, the rollout) and
/// stores how it ended; never fails: whatever goes wrong ends up in the
/// deployment's state and reason.
pub async fn run_rollout(state: &AppState, run: Run<'_>) {
    let releases: Vec<_> = [Some(run.target), run.previous]
        .into_iter()
        .flatten()
        .map(|r| &r.config.0)
        .collect();
    let log = StepLog::new(state.db.clone(), run.deployment_id)
        .masking(Masker::for_releases(&state.secrets, &releases));
    let ending = match (
        pre_deploy(state, &run, &log).await,
        docker_for(state, run.service),
    ) {
        (Err(failure), _) => Ending::Failed(failure),
        (Ok(()), Ok((_, docker))) if run.service.swarm() => {
            let rollout = SwarmRollout {
                docker: &docker,
                secrets: &state.secrets,
                service: run.service,
                log: &log,
            };
            match run.kind {
                Kind::Scale { from } => rollout.scale(run.target, from).await,
                kind => rollout.run(run.target, kind == Kind::Restart).await,
            }
        }
        (Ok(()), Ok((_, docker))) => {
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
        (Ok(()), Err(e)) => Ending::Failed(Unhealthy {
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
    if let Err(e) = record_ending(state, &run, &masked(&log, ending)).await {
        tracing::error!(deployment = run.deployment_id, error = %e, "deployment result not stored");
    }
}

/// Takes the pre-deploy backup and waits for it, or notes why not.
async fn pre_deploy(state: &AppState, run: &Run<'_>, log: &StepLog) -> Result<(), Unhealthy> {
    let (target_id, target) = match &run.pre_deploy {
        PreDeploy::Nothing => return Ok(()),
        PreDeploy::Skipped { target, reason } => {
            let who = run.actor.trim_start_matches("user:");
            log.warn(format!(
                "pre-deploy backup of `{target}` skipped by {who}: {reason}"
            ))
            .await;
            return Ok(());
        }
        PreDeploy::Backup { target_id, target } => (*target_id, target),
    };
    log.info(format!(
        "backing up `{target}` first; the rollout waits for it"
    ))
    .await;
    let why = format!(
        "before deployment #{} of {}",
        run.deployment_id,
        run.service.full_name()
    );
    let backup = crate::backup::ssr::run::backup_and_wait(state, run.actor, target_id, &why).await;
    match backup {
        Ok(id) => {
            let _ = sqlx::query("UPDATE deployment SET backup_id = $2 WHERE id = $1")
                .bind(run.deployment_id)
                .bind(id)
                .execute(&state.db)
                .await;
            log.info(format!("pre-deploy backup #{id} of `{target}` is verified"))
                .await;
            Ok(())
        }
        Err(e) => Err(Unhealthy {
            reason: format!(
                "the pre-deploy backup of `{target}` failed, so nothing was changed ({e}); \
                 deploy again with \"skip backup\" and a reason to go ahead without one"
            ),
            output: None,
        }),
    }
}

/// Ends a deployment that never got a release (its image could not be
/// pulled): nothing on the endpoint was touched.
pub async fn fail_unreleased(
    state: &AppState,
    service: &ServiceRow,
    deployment_id: i64,
    actor: &str,
    why: &AppError,
    log: &StepLog,
) {
    let reason = format!("the image could not be pulled, so nothing was changed: {why}");
    log.error(reason.clone()).await;
    log.error("done: failed").await;
    let ended = async {
        let mut tx = state.db.begin().await?;
        sqlx::query(
            "UPDATE deployment SET state = 'failed', reason = $2, finished_at = now()
             WHERE id = $1 AND state = 'running'",
        )
        .bind(deployment_id)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
        let r = Record::new(
            actor,
            actions::FINISH,
            service.audit_target(),
            Outcome::Failure,
        )
        .details(json!({
            "deployment": deployment_id, "kind": "deploy", "release": null,
            "state": "failed", "replicas": service.replicas, "reason": reason,
        }));
        record(&mut tx, r).await?;
        tx.commit().await.map_err(AppError::from)
    };
    if let Err(e) = ended.await {
        tracing::error!(deployment = deployment_id, error = %e, "deployment result not stored");
    }
}

/// The ending as it may be stored: its reason and health check answer
/// can quote container output.
fn masked(log: &StepLog, ending: Ending) -> Ending {
    let mask = |f: Unhealthy| Unhealthy {
        reason: log.mask(&f.reason),
        output: f.output.map(|o| log.mask(&o)),
    };
    match ending {
        Ending::Succeeded => Ending::Succeeded,
        Ending::RolledBack(f) => Ending::RolledBack(mask(f)),
        Ending::Failed(f) => Ending::Failed(mask(f)),
    }
}

async fn record_ending(state: &AppState, run: &Run<'_>, ending: &Ending) -> Result<(), AppError> {
    let (st, failure) = match ending {
        Ending::Succeeded => (DeploymentState::Succeeded, None),
        Ending::RolledBack(f) => (DeploymentState::RolledBack, Some(f)),
        Ending::Failed(f) => (DeploymentState::Failed, Some(f)),
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE deployment SET state = $2, reason = $3, health_output = $4, finished_at = now()
         WHERE id = $1 AND state = 'running'",
    )
    .bind(run.deployment_id)
    .bind(st.as_str())
    .bind(failure.map(|f| f.reason.clone()))
    .bind(failure.and_then(|f| f.output.clone()))
    .execute(&mut *tx)
    .await?;
    if st == DeploymentState::Succeeded {
        // The release is live, with the replica count it now runs with.
        sqlx::query("UPDATE service SET live_release_id = $2, replicas = $3 WHERE id = $1")
            .bind(run.service.id)
            .bind(run.target.id)
            .bind(run.service.replicas)
            .execute(&mut *tx)
            .await?;
    }
    let outcome = if st == DeploymentState::Succeeded {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let r = Record::new(
        run.actor,
        actions::FINISH,
        run.service.audit_target(),
        outcome,
    )
    .details(json!({
        "deployment": run.deployment_id, "kind": run.kind.as_str(),
        "release": run.target.number, "state": st.as_str(),
        "replicas": run.service.replicas,
        "reason": failure.map(|f| f.reason.clone()),
    }));
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}
