//! Starting a deployment: take the service's lock, resolve what to run,
//! record the release and the deployment, then roll out in the background.
//!
//! `checks` refuses a bad request before anything is taken, `plan` is what
//! a deployment runs, `record` writes it and its audited intent in one
//! transaction, `pull` fetches an image the endpoint lacks, and `spawn`
//! runs the rollout in the background, holding the lock to the end.

mod checks;
mod plan;
mod pull;
mod record;
mod spawn;

pub use checks::{skip_reason, Change};

use super::endpoints::docker_for;
use super::lock::{take_or_busy, DeployLock};
use super::model::{find_service, release_by_id, release_by_number, ReleaseRow, ServiceRow};
use super::reconcile::recover_abandoned;
use super::resolve::{self, Resolved};
use super::run::Kind;
use crate::auth::guard::Actor;
use crate::deploy::DeploymentStarted;
use crate::runbook::step_ref::RunbookStepRef;
use crate::state::AppState;
use crate::AppError;
use plan::{PlannedDeployment, Target};

/// Deploys `tag`: a new release of the image it names on the endpoint now.
/// `skip_backup` is the deployer's reason to go without the pre-deploy
/// backup; `runbook` the checked runbook step it was started from.
pub async fn deploy_tag(
    state: &AppState,
    actor: &Actor,
    service: &str,
    tag: &str,
    skip_backup: Option<String>,
    change: Change,
    runbook: Option<RunbookStepRef>,
) -> Result<DeploymentStarted, AppError> {
    let tag = tag.trim();
    checks::check_tag(tag)?;
    let service = find_service(&state.db, service).await?;
    checks::incident_exists(&state.db, change.fixes_incident).await?;
    let (lock, service) = take_lock(state, &service).await?;
    let (handle, docker) = docker_for(state, &service)?;
    let resolved = resolve::image(&handle, &docker, &service, tag).await?;
    let snapshot = service.snapshot(&state.db).await?;
    let mut tx = state.db.begin().await?;
    let target = match resolved {
        Resolved::Local(image_id, digest) => {
            let image = (image_id.as_str(), digest.as_deref());
            let who = actor.audit_name();
            let release_id =
                record::insert_release(&mut tx, &service, tag, image, &snapshot, &who).await?;
            Target::Release(release_by_id(&mut *tx, release_id).await?)
        }
        Resolved::Pull { registry } => Target::Pull {
            tag: tag.to_string(),
            registry,
            snapshot,
        },
    };
    let plan = PlannedDeployment::new(service, target, Kind::Deploy)
        .skipping(skip_backup)
        .shipping(change)
        .following(runbook);
    begin(state, actor, plan, lock, tx).await
}

/// Deploys an earlier release again, exactly as recorded.
pub async fn deploy_release(
    state: &AppState,
    actor: &Actor,
    service: &str,
    number: i32,
    skip_backup: Option<String>,
    runbook: Option<RunbookStepRef>,
) -> Result<DeploymentStarted, AppError> {
    let service = find_service(&state.db, service).await?;
    let release = release_by_number(&state.db, service.id, number)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "release",
                format!("{} has no release #{number}", service.full_name()),
            )
        })?;
    let (lock, service) = take_lock(state, &service).await?;
    let (handle, docker) = docker_for(state, &service)?;
    checks::image_still_there((&handle, &docker), &service, &release).await?;
    let tx = state.db.begin().await?;
    let plan = PlannedDeployment::new(service, Target::Release(release), Kind::Rollback)
        .skipping(skip_backup)
        .following(runbook);
    begin(state, actor, plan, lock, tx).await
}

/// Replaces every replica of the live release, start-first.
pub async fn restart(
    state: &AppState,
    actor: &Actor,
    service: &str,
    runbook: Option<RunbookStepRef>,
) -> Result<DeploymentStarted, AppError> {
    let service = find_service(&state.db, service).await?;
    let (lock, service) = take_lock(state, &service).await?;
    let release = live_release(state, &service).await?;
    let tx = state.db.begin().await?;
    let plan =
        PlannedDeployment::new(service, Target::Release(release), Kind::Restart).following(runbook);
    begin(state, actor, plan, lock, tx).await
}

/// Runs the live release with `replicas` replicas. Without a live release
/// only the desired count is stored, for the first deploy to use.
pub async fn scale(
    state: &AppState,
    actor: &Actor,
    service: &str,
    replicas: &str,
    runbook: Option<RunbookStepRef>,
) -> Result<Option<DeploymentStarted>, AppError> {
    let wanted = checks::replicas(replicas)?;
    let service = find_service(&state.db, service).await?;
    let (lock, mut service) = take_lock(state, &service).await?;
    let from = service.replicas;
    if service.live_release_id.is_none() {
        record::store_replicas(state, actor, &service, wanted, runbook.as_ref()).await?;
        lock.release().await;
        return Ok(None);
    }
    let release = live_release(state, &service).await?;
    service.replicas = wanted;
    let tx = state.db.begin().await?;
    let plan = PlannedDeployment::new(service, Target::Release(release), Kind::Scale { from })
        .following(runbook);
    begin(state, actor, plan, lock, tx).await.map(Some)
}

/// The service's lock, after putting right a deployment a dead process
/// left; and the service as it is now that nobody else can change it.
pub(super) async fn take_lock(
    state: &AppState,
    service: &ServiceRow,
) -> Result<(DeployLock, ServiceRow), AppError> {
    let lock = take_or_busy(&state.db, service.id, &service.full_name()).await?;
    if let Err(e) = recover_abandoned(state, service).await {
        lock.release().await;
        return Err(e);
    }
    let fresh = find_service(&state.db, &service.id.to_string()).await?;
    Ok((lock, fresh))
}

/// The live release of a locked service, or why there is none.
async fn live_release(state: &AppState, service: &ServiceRow) -> Result<ReleaseRow, AppError> {
    let id = service.live_release_id.ok_or_else(|| {
        AppError::invalid(
            "service",
            format!(
                "{} has no live release yet: deploy a tag first",
                service.full_name()
            ),
        )
    })?;
    release_by_id(&state.db, id).await
}

/// Records the deployment and its intent, then rolls out in the background.
async fn begin(
    state: &AppState,
    actor: &Actor,
    plan: PlannedDeployment,
    lock: DeployLock,
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<DeploymentStarted, AppError> {
    let pre_deploy = plan.pre_deploy();
    let started = record::record_deployment(tx, actor, &plan, &pre_deploy).await?;
    let id = started.deployment;
    spawn::spawn_rollout(state, actor.audit_name(), plan, pre_deploy, id, lock);
    Ok(started)
}
