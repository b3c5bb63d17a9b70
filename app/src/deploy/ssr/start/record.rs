//! Recording a deployment before it runs: its release, its row, the steps
//! settled so far and the audited intent, in the request's transaction so
//! that either all of it is there or none.

use super::plan::{PlannedDeployment, Target};
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::deploy::actions;
use crate::deploy::ssr::model::ServiceRow;
use crate::deploy::ssr::run::{Kind, PreDeploy};
use crate::deploy::ssr::snapshot::Snapshot;
use crate::deploy::DeploymentStarted;
use crate::format::short_id;
use crate::runbook::step_ref::{with_runbook, RunbookStepRef};
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

/// Records release `tag` of `service` as the image `(id, digest)` with the
/// service's settings as they are now; its number is the next free one.
pub(super) async fn insert_release(
    tx: &mut Tx,
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

/// Records the deployment `plan` as running, with its opening steps and
/// the audited intent, and commits `tx`.
pub(super) async fn record_deployment(
    mut tx: Tx,
    actor: &Actor,
    plan: &PlannedDeployment,
    pre_deploy: &PreDeploy,
) -> Result<DeploymentStarted, AppError> {
    let id = insert_deployment(&mut tx, actor, plan, pre_deploy).await?;
    for message in opening_steps(&plan.service, &plan.target, plan.kind) {
        sqlx::query(
            "INSERT INTO deployment_step (deployment_id, level, message) VALUES ($1, 'info', $2)",
        )
        .bind(id)
        .bind(message)
        .execute(&mut *tx)
        .await?;
    }
    let number = match plan.target.release() {
        Some(r) => r.number,
        None => next_release_number(&mut tx, plan.service.id).await?,
    };
    record_intent(&mut tx, actor, plan, pre_deploy, (id, number)).await?;
    tx.commit().await?;
    Ok(DeploymentStarted {
        deployment: id,
        release: number,
        url: format!("/deployments/{id}"),
    })
}

/// The deployment's row, running; its id.
async fn insert_deployment(
    tx: &mut Tx,
    actor: &Actor,
    plan: &PlannedDeployment,
    pre_deploy: &PreDeploy,
) -> Result<i64, AppError> {
    let skipped = match pre_deploy {
        PreDeploy::Skipped { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    sqlx::query_scalar(
        "INSERT INTO deployment (service_id, release_id, tag, previous_release_id, kind, state,
           actor, backup_skipped, commit_sha, committed_at, fixes_incident_id)
         VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(plan.service.id)
    .bind(plan.target.release().map(|r| r.id))
    .bind(plan.target.tag())
    .bind(plan.service.live_release_id)
    .bind(plan.kind.as_str())
    .bind(actor.audit_name())
    .bind(&skipped)
    .bind(&plan.change.commit_sha)
    .bind(plan.change.committed_at)
    .bind(plan.change.fixes_incident)
    .fetch_one(&mut **tx)
    .await
    .map_err(AppError::from)
}

/// The audit event saying what deployment `id` (of release `number`) is
/// about to do.
async fn record_intent(
    tx: &mut Tx,
    actor: &Actor,
    plan: &PlannedDeployment,
    pre_deploy: &PreDeploy,
    (id, number): (i64, i32),
) -> Result<(), AppError> {
    let (service, target) = (&plan.service, &plan.target);
    let r = Record::new(
        actor.audit_name(),
        plan.kind.action(),
        service.audit_target(),
        Outcome::Intent,
    )
    .details(with_runbook(
        json!({
            "deployment": id, "release": number, "tag": target.tag(),
            "image": target.release().map(|r| r.image_id.clone()),
            "pull_from": target.pull_from(),
            "previous_release": service.live_release_id,
            "replicas": service.replicas, "pre_deploy_backup": pre_deploy.describe(),
            "commit_sha": plan.change.commit_sha, "committed_at": plan.change.committed_at,
            "fixes_incident": plan.change.fixes_incident,
        }),
        plan.runbook.as_ref(),
    ))
    .meta(&actor.meta);
    record(tx, r).await?;
    Ok(())
}

/// The number the next release of a service gets. While its deploy lock
/// is held nobody else records one, so a pulling deploy can name it early.
async fn next_release_number(tx: &mut Tx, service_id: i64) -> Result<i32, AppError> {
    sqlx::query_scalar("SELECT coalesce(max(number), 0) + 1 FROM release WHERE service_id = $1")
        .bind(service_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(AppError::from)
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

/// Sets the desired replica count of a service that runs nothing yet.
pub(super) async fn store_replicas(
    state: &AppState,
    actor: &Actor,
    service: &ServiceRow,
    wanted: i32,
    runbook: Option<&RunbookStepRef>,
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
    .details(with_runbook(
        json!({ "from": service.replicas, "to": wanted, "running": false }),
        runbook,
    ))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}
