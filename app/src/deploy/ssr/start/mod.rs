//! Starting a deployment: take the service's lock, resolve what to run,
//! record the release and the deployment, then roll out in the background.

use super::endpoints::docker_for;
use super::engine;
use super::finish::{fail_unreleased, finish, Kind, PreDeploy, Run};
use super::lock::{busy, DeployLock};
use super::model::{find_service, release_by_id, release_by_number, ReleaseRow, ServiceRow};
use super::reconcile::recover_abandoned;
use super::resolve::{self, Resolved};
use super::snapshot::Snapshot;
use super::steps::StepLog;
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::deploy::actions;
use crate::deploy::DeploymentStarted;
use crate::format::short_id;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

/// The reason for skipping the pre-deploy backup, when the box is ticked:
/// it is required, since it is audited and shown with the deployment.
pub fn skip_reason(skip: Option<&str>, reason: &str) -> Result<Option<String>, AppError> {
    let ticked = skip.is_some_and(|s| !matches!(s.trim(), "" | "false" | "off"));
    if !ticked {
        return Ok(None);
    }
    let reason = reason.trim();
    match reason.chars().count() {
        0 => Err(AppError::invalid(
            "skip_reason",
            "say why the pre-deploy backup is skipped (it is audited)",
        )),
        n if n > 500 => Err(AppError::invalid(
            "skip_reason",
            "keep the reason under 500 characters",
        )),
        _ => Ok(Some(reason.to_string())),
    }
}

fn check_tag(tag: &str) -> Result<(), AppError> {
    let ok = (1..=128).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !tag.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "tag",
            "a tag is 1 to 128 letters, digits, `_`, `.` or `-` (not first)",
        ))
    }
}

/// Deploys `tag`: a new release of the image it names on the endpoint now.
/// `skip_backup` is the deployer's reason to go without the pre-deploy backup.
pub async fn deploy_tag(
    state: &AppState,
    actor: &Actor,
    service: &str,
    tag: &str,
    skip_backup: Option<String>,
) -> Result<DeploymentStarted, AppError> {
    let tag = tag.trim();
    check_tag(tag)?;
    let service = find_service(&state.db, service).await?;
    let (lock, service) = take_lock(state, &service).await?;
    let (handle, docker) = docker_for(state, &service)?;
    let resolved = resolve::image(&handle, &docker, &service, tag).await?;
    let snapshot = service.snapshot(&state.db).await?;
    let mut tx = state.db.begin().await?;
    let target = match resolved {
        Resolved::Local(image_id, digest) => {
            let image = (image_id.as_str(), digest.as_deref());
            let who = actor.audit_name();
            let release_id = insert_release(&mut tx, &service, tag, image, &snapshot, &who).await?;
            Target::Release(release_by_id(&mut *tx, release_id).await?)
        }
        Resolved::Pull { registry } => Target::Pull {
            tag: tag.to_string(),
            registry,
            snapshot,
        },
    };
    let plan = PlannedDeployment::new(service, target, Kind::Deploy).skipping(skip_backup);
    begin(state, actor, plan, lock, tx).await
}

/// Records release `tag` of `service` as the image `(id, digest)` with the
/// service's settings as they are now; its number is the next free one.
async fn insert_release(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    service: &ServiceRow,
    tag: &str,
    (image_id, digest): (&str, Option<&str>),
    snapshot: &Snapshot,
    actor: &str,
) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "INSERT INTO release (service_id, number, tag, image_id, digest, config, created_by)
         SELECT $1, coalesce(max(number), 0) + 1, $2, $3, $4, $5, $6 FROM release WHERE service_id = $1
         RETURNING id",
    )
    .bind(service.id)
    .bind(tag)
    .bind(image_id)
    .bind(digest)
    .bind(sqlx::types::Json(snapshot))
    .bind(actor)
    .fetch_one(&mut **tx)
    .await
    .map_err(AppError::from)
}

/// Deploys an earlier release again, exactly as recorded.
pub async fn deploy_release(
    state: &AppState,
    actor: &Actor,
    service: &str,
    number: i32,
    skip_backup: Option<String>,
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
    if engine::local_image(&docker, &release.image_id)
        .await
        .map_err(|e| engine::engine_error(&handle, e))?
        .is_none()
    {
        return Err(AppError::invalid(
            "release",
            format!(
                "the image of release #{number} ({}) is no longer on endpoint {}: it cannot be run again",
                short_id(&release.image_id),
                service.endpoint
            ),
        ));
    }
    let tx = state.db.begin().await?;
    let plan = PlannedDeployment::new(service, Target::Release(release), Kind::Rollback)
        .skipping(skip_backup);
    begin(state, actor, plan, lock, tx).await
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

/// Replaces every replica of the live release, start-first.
pub async fn restart(
    state: &AppState,
    actor: &Actor,
    service: &str,
) -> Result<DeploymentStarted, AppError> {
    let service = find_service(&state.db, service).await?;
    let (lock, service) = take_lock(state, &service).await?;
    let release = live_release(state, &service).await?;
    let tx = state.db.begin().await?;
    begin(
        state,
        actor,
        PlannedDeployment::new(service, Target::Release(release), Kind::Restart),
        lock,
        tx,
    )
    .await
}

/// Runs the live release with `replicas` replicas. Without a live release
/// only the desired count is stored, for the first deploy to use.
pub async fn scale(
    state: &AppState,
    actor: &Actor,
    service: &str,
    replicas: &str,
) -> Result<Option<DeploymentStarted>, AppError> {
    let wanted: i32 = replicas
        .trim()
        .parse()
        .ok()
        .filter(|n| (0..=50).contains(n))
        .ok_or_else(|| AppError::invalid("replicas", "give a whole number from 0 to 50"))?;
    let service = find_service(&state.db, service).await?;
    let (lock, mut service) = take_lock(state, &service).await?;
    let from = service.replicas;
    if service.live_release_id.is_none() {
        store_replicas(state, actor, &service, wanted).await?;
        lock.release().await;
        return Ok(None);
    }
    let release = live_release(state, &service).await?;
    service.replicas = wanted;
    let tx = state.db.begin().await?;
    let plan = PlannedDeployment::new(service, Target::Release(release), Kind::Scale { from });
    begin(state, actor, plan, lock, tx).await.map(Some)
}

/// Sets the desired replica count of a service that runs nothing yet.
async fn store_replicas(
    state: &AppState,
    actor: &Actor,
    service: &ServiceRow,
    wanted: i32,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE service SET replicas = $2, updated_at = now() WHERE id = $1")
        .bind(service.id)
        .bind(wanted)
        .execute(&mut *tx)
        .await?;
    let r = Record::new(
        actor.audit_name(),
        actions::SCALE,
        service.audit_target(),
        Outcome::Success,
    )
    .details(json!({ "from": service.replicas, "to": wanted, "running": false }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}

/// The service's lock, after putting right a deployment a dead process
/// left; and the service as it is now that nobody else can change it.
pub(super) async fn take_lock(
    state: &AppState,
    service: &ServiceRow,
) -> Result<(DeployLock, ServiceRow), AppError> {
    let Some(lock) = DeployLock::try_take(&state.db, service.id).await? else {
        return Err(busy(&state.db, service.id, &service.full_name()).await);
    };
    if let Err(e) = recover_abandoned(state, service).await {
        lock.release().await;
        return Err(e);
    }
    let fresh = find_service(&state.db, &service.id.to_string()).await?;
    Ok((lock, fresh))
}

/// What a deployment runs.
enum Target {
    /// A recorded release.
    Release(ReleaseRow),
    /// A tag the endpoint lacks, pulled from `registry` first; its release
    /// (with `snapshot`, the settings at the request) is recorded after.
    Pull {
        tag: String,
        registry: String,
        snapshot: Snapshot,
    },
}

impl Target {
    fn release(&self) -> Option<&ReleaseRow> {
        match self {
            Target::Release(r) => Some(r),
            Target::Pull { .. } => None,
        }
    }

    fn tag(&self) -> &str {
        match self {
            Target::Release(r) => &r.tag,
            Target::Pull { tag, .. } => tag,
        }
    }
}

/// One deployment to record and run.
struct PlannedDeployment {
    service: ServiceRow,
    target: Target,
    kind: Kind,
    /// Why the deployer skips the pre-deploy backup, if they do.
    skip_backup: Option<String>,
}

impl PlannedDeployment {
    fn new(service: ServiceRow, target: Target, kind: Kind) -> Self {
        PlannedDeployment {
            service,
            target,
            kind,
            skip_backup: None,
        }
    }

    fn skipping(mut self, reason: Option<String>) -> Self {
        self.skip_backup = reason;
        self
    }

    /// Deploys and rollbacks of a service that names a backup target back
    /// it up first, unless skipped; scaling and restarts change no code.
    fn pre_deploy(&self) -> PreDeploy {
        let changes_code = matches!(self.kind, Kind::Deploy | Kind::Rollback);
        match (&self.service.backup_target_id, &self.service.backup_target) {
            (Some(id), Some(name)) if changes_code => match &self.skip_backup {
                Some(reason) => PreDeploy::Skipped {
                    target: name.clone(),
                    reason: reason.clone(),
                },
                None => PreDeploy::Backup {
                    target_id: *id,
                    target: name.clone(),
                },
            },
            _ => PreDeploy::Nothing,
        }
    }
}

/// Records the deployment and its intent, then rolls out in the background.
async fn begin(
    state: &AppState,
    actor: &Actor,
    plan: PlannedDeployment,
    lock: DeployLock,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<DeploymentStarted, AppError> {
    let pre_deploy = plan.pre_deploy();
    let skipped = match &pre_deploy {
        PreDeploy::Skipped { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    let PlannedDeployment {
        service,
        target,
        kind,
        ..
    } = plan;
    let release = target.release();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO deployment (service_id, release_id, tag, previous_release_id, kind, state,
           actor, backup_skipped)
         VALUES ($1, $2, $3, $4, $5, 'running', $6, $7) RETURNING id",
    )
    .bind(service.id)
    .bind(release.map(|r| r.id))
    .bind(target.tag())
    .bind(service.live_release_id)
    .bind(kind.as_str())
    .bind(actor.audit_name())
    .bind(&skipped)
    .fetch_one(&mut *tx)
    .await?;
    for message in opening_steps(&service, &target, kind) {
        sqlx::query(
            "INSERT INTO deployment_step (deployment_id, level, message) VALUES ($1, 'info', $2)",
        )
        .bind(id)
        .bind(message)
        .execute(&mut *tx)
        .await?;
    }
    let number = match release {
        Some(r) => r.number,
        None => next_release_number(&mut tx, service.id).await?,
    };
    let r = Record::new(
        actor.audit_name(),
        kind.action(),
        service.audit_target(),
        Outcome::Intent,
    )
    .details(json!({
        "deployment": id, "release": number, "tag": target.tag(),
        "image": release.map(|r| r.image_id.clone()),
        "pull_from": match &target { Target::Pull { registry, .. } => Some(registry), _ => None },
        "previous_release": service.live_release_id,
        "replicas": service.replicas, "pre_deploy_backup": pre_deploy.describe(),
    }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    let started = DeploymentStarted {
        deployment: id,
        release: number,
        url: format!("/deployments/{id}"),
    };
    let state = state.clone();
    let actor_name = actor.audit_name();
    state.background.clone().spawn(async move {
        let log = StepLog::new(state.db.clone(), id);
        let release = match target {
            Target::Release(r) => Ok(r),
            Target::Pull { tag, snapshot, .. } => {
                pull_and_record(&state, &service, id, &tag, &snapshot, &actor_name, &log).await
            }
        };
        match release {
            Ok(release) => {
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
                    actor: &actor_name,
                    pre_deploy,
                };
                finish(&state, run).await;
            }
            Err(reason) => fail_unreleased(&state, &service, id, &actor_name, &reason, &log).await,
        }
        lock.release().await;
    });
    Ok(started)
}

/// The number the next release of a service gets. While its deploy lock
/// is held nobody else records one, so a pulling deploy can name it early.
async fn next_release_number(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    service_id: i64,
) -> Result<i32, AppError> {
    sqlx::query_scalar("SELECT coalesce(max(number), 0) + 1 FROM release WHERE service_id = $1")
        .bind(service_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(AppError::from)
}

/// Pulls `tag` onto the service's endpoint, then records its release and
/// ties the deployment to it. The error is why the pull failed.
async fn pull_and_record(
    state: &AppState,
    service: &ServiceRow,
    deployment: i64,
    tag: &str,
    snapshot: &Snapshot,
    actor: &str,
    log: &StepLog,
) -> Result<ReleaseRow, AppError> {
    let (handle, docker) = docker_for(state, service)?;
    resolve::pull(&docker, &service.image, tag, log).await?;
    let reference = format!("{}:{tag}", service.image);
    let (image_id, digest) = engine::local_image(&docker, &reference)
        .await
        .map_err(|e| engine::engine_error(&handle, e))?
        .ok_or_else(|| {
            AppError::Unavailable(format!(
                "the engine reported {reference} pulled, but does not have it"
            ))
        })?;
    let recorded = async {
        let mut tx = state.db.begin().await?;
        let image = (image_id.as_str(), digest.as_deref());
        let id = insert_release(&mut tx, service, tag, image, snapshot, actor).await?;
        sqlx::query("UPDATE deployment SET release_id = $2 WHERE id = $1")
            .bind(deployment)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let release = release_by_id(&mut *tx, id).await?;
        tx.commit().await?;
        Ok::<_, AppError>(release)
    };
    let release = recorded.await?;
    log.info(format!(
        "pulled: tag {tag} is image {}; recorded as release #{}",
        short_id(&release.image_id),
        release.number
    ))
    .await;
    Ok(release)
}

/// What was settled before the deployment row existed (the lock and the
/// image), written as its first steps so the step log tells the whole run.
fn opening_steps(service: &ServiceRow, target: &Target, kind: Kind) -> [String; 2] {
    let lock = format!(
        "deploy lock on {} taken: no other deployment of it can start until this one ends",
        service.full_name()
    );
    let image = match (target, kind) {
        (Target::Pull { tag, registry, .. }, _) => format!(
            "tag {tag} is not on endpoint {}: pulling {}:{tag} from {registry}",
            service.endpoint, service.image
        ),
        (Target::Release(release), Kind::Deploy) => format!(
            "resolved tag {} on endpoint {} to image {}{}",
            release.tag,
            service.endpoint,
            short_id(&release.image_id),
            release
                .digest
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        (Target::Release(release), _) => format!(
            "release #{} runs its recorded image {} (tag {} is not looked up again)",
            release.number,
            short_id(&release.image_id),
            release.tag
        ),
    };
    [lock, image]
}
