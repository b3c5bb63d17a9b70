//! Running a recorded deployment in the background: pull its image if the
//! endpoint lacks it, roll out, and only then let go of the service's lock.

use super::plan::{PlannedDeployment, Target};
use super::pull::pull_and_record;
use crate::deploy::ssr::lock::DeployLock;
use crate::deploy::ssr::model::release_by_id;
use crate::deploy::ssr::run::{fail_unreleased, run_rollout, PreDeploy, Run};
use crate::deploy::ssr::steps::StepLog;
use crate::state::AppState;

/// Runs deployment `id` of `plan` in the background, holding `lock` until
/// it ends, however it ends.
pub(super) fn spawn_rollout(
    state: &AppState,
    actor: String,
    plan: PlannedDeployment,
    pre_deploy: PreDeploy,
    id: i64,
    lock: DeployLock,
) {
    let state = state.clone();
    state.background.clone().spawn(async move {
        carry_out(&state, &actor, plan, pre_deploy, id).await;
        lock.release().await;
    });
}

/// The release to run (pulled first if need be), then the rollout; a
/// failed pull ends the deployment before anything on the endpoint changes.
async fn carry_out(
    state: &AppState,
    actor: &str,
    plan: PlannedDeployment,
    pre_deploy: PreDeploy,
    id: i64,
) {
    let PlannedDeployment {
        service,
        target,
        kind,
        ..
    } = plan;
    let log = StepLog::new(state.db.clone(), id);
    let release = match target {
        Target::Release(r) => Ok(r),
        Target::Pull { tag, snapshot, .. } => {
            pull_and_record(state, &service, id, &tag, &snapshot, actor, &log).await
        }
    };
    let release = match release {
        Ok(release) => release,
        Err(reason) => return fail_unreleased(state, &service, id, actor, &reason, &log).await,
    };
    let previous = match service.live_release_id {
        Some(p) => release_by_id(&state.db, p).await.ok(),
        None => None,
    };
    let run = Run {
        service: &service,
        deployment_id: id,
        target: &release,
        previous: previous.as_ref(),
        kind,
        actor,
        pre_deploy,
    };
    run_rollout(state, run).await;
}
