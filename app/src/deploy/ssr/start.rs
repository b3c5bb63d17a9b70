//! Starting a deployment: take the service's lock, resolve what to run,
//! record the release and the deployment, then roll out in the background.

use super::finish::finish;
use super::lock::{busy, DeployLock};
use super::model::{db, find_service, release_by_id, release_by_number, ReleaseRow, ServiceRow};
use super::places::docker_for;
use super::reconcile::recover_abandoned;
use super::{engine, resolve};
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::deploy::DeploymentStarted;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation {
        field: field.into(),
        message: message.into(),
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
        Err(invalid(
            "tag",
            "a tag is 1 to 128 letters, digits, `_`, `.` or `-` (not first)",
        ))
    }
}

/// Deploys `tag`: a new release of the image it names on the endpoint now.
pub async fn deploy_tag(
    state: &AppState,
    actor: &Actor,
    service: &str,
    tag: &str,
) -> Result<DeploymentStarted, AppError> {
    let tag = tag.trim();
    check_tag(tag)?;
    let service = find_service(&state.db, service).await?;
    let (lock, service) = take_lock(state, &service).await?;
    let (handle, docker) = docker_for(state, &service)?;
    let (image_id, digest) = resolve::image(&handle, &docker, &service, tag).await?;
    let snapshot = service.snapshot(&state.db).await?;
    let mut tx = state.db.begin().await.map_err(db)?;
    let release_id: i64 = sqlx::query_scalar(
        "INSERT INTO release (service_id, number, tag, image_id, digest, config, created_by)
         SELECT $1, coalesce(max(number), 0) + 1, $2, $3, $4, $5, $6 FROM release WHERE service_id = $1
         RETURNING id",
    )
    .bind(service.id)
    .bind(tag)
    .bind(&image_id)
    .bind(&digest)
    .bind(sqlx::types::Json(&snapshot))
    .bind(actor.audit_name())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let release = release_by_id(&mut *tx, release_id).await?;
    begin(state, actor, service, release, "deploy", lock, tx).await
}

/// Deploys an earlier release again, exactly as recorded.
pub async fn deploy_release(
    state: &AppState,
    actor: &Actor,
    service: &str,
    number: i32,
) -> Result<DeploymentStarted, AppError> {
    let service = find_service(&state.db, service).await?;
    let release = release_by_number(&state.db, service.id, number)
        .await?
        .ok_or_else(|| {
            invalid(
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
        return Err(invalid(
            "release",
            format!(
                "the image of release #{number} ({}) is no longer on endpoint {}: it cannot be run again",
                short(&release.image_id),
                service.endpoint
            ),
        ));
    }
    let tx = state.db.begin().await.map_err(db)?;
    begin(state, actor, service, release, "rollback", lock, tx).await
}

pub fn short(image_id: &str) -> &str {
    let hex = image_id.trim_start_matches("sha256:");
    &hex[..hex.len().min(12)]
}

/// The service's lock, after putting right a deployment a dead process
/// left; and the service as it is now that nobody else can change it.
async fn take_lock(
    state: &AppState,
    service: &ServiceRow,
) -> Result<(DeployLock, ServiceRow), AppError> {
    let Some(lock) = DeployLock::try_take(&state.db, service.id).await? else {
        return Err(busy(&state.db, service.id, &service.full_name()).await);
    };
    recover_abandoned(state, service).await?;
    let fresh = find_service(&state.db, &service.id.to_string()).await?;
    Ok((lock, fresh))
}

/// Records the deployment and its intent, then rolls out in the background.
async fn begin(
    state: &AppState,
    actor: &Actor,
    service: ServiceRow,
    release: ReleaseRow,
    kind: &str,
    lock: DeployLock,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<DeploymentStarted, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO deployment (service_id, release_id, previous_release_id, kind, state, actor)
         VALUES ($1, $2, $3, $4, 'running', $5) RETURNING id",
    )
    .bind(service.id)
    .bind(release.id)
    .bind(service.live_release_id)
    .bind(kind)
    .bind(actor.audit_name())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let r = Record::new(
        actor.audit_name(),
        &format!("deploy.{kind}"),
        format!("service:{}", service.full_name()),
        Outcome::Intent,
    )
    .details(json!({
        "deployment": id, "release": release.number, "tag": release.tag,
        "image": release.image_id, "previous_release": service.live_release_id,
    }))
    .meta(&actor.meta);
    record(&mut tx, r).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    let started = DeploymentStarted {
        deployment: id,
        release: release.number,
        url: format!("/deployments/{id}"),
    };
    let state = state.clone();
    let actor_name = actor.audit_name();
    tokio::spawn(async move {
        let previous = match service.live_release_id {
            Some(p) => release_by_id(&state.db, p).await.ok(),
            None => None,
        };
        finish(
            &state,
            &service,
            id,
            &release,
            previous.as_ref(),
            &actor_name,
        )
        .await;
        lock.release().await;
    });
    Ok(started)
}
