//! Pulling a tag the endpoint lacks, in the background once the deployment
//! is recorded, and recording the release it turns out to be.

use super::record::insert_release;
use crate::deploy::ssr::endpoints::docker_for;
use crate::deploy::ssr::engine;
use crate::deploy::ssr::model::{release_by_id, ReleaseRow, ServiceRow};
use crate::deploy::ssr::resolve;
use crate::deploy::ssr::snapshot::Snapshot;
use crate::deploy::ssr::steps::StepLog;
use crate::format::short_id;
use crate::state::AppState;
use crate::AppError;

/// Pulls `tag` onto the service's endpoint, then records its release and
/// ties the deployment to it. The error is why the pull failed.
pub(super) async fn pull_and_record(
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
    let image = (image_id.as_str(), digest.as_deref());
    let release = record_pulled(state, service, deployment, tag, image, snapshot, actor).await?;
    log.info(format!(
        "pulled: tag {tag} is image {}; recorded as release #{}",
        short_id(&release.image_id),
        release.number
    ))
    .await;
    Ok(release)
}

/// Records the pulled `image` as release `tag` and ties the deployment to
/// it, in one transaction.
async fn record_pulled(
    state: &AppState,
    service: &ServiceRow,
    deployment: i64,
    tag: &str,
    image: (&str, Option<&str>),
    snapshot: &Snapshot,
    actor: &str,
) -> Result<ReleaseRow, AppError> {
    let mut tx = state.db.begin().await?;
    let id = insert_release(&mut tx, service, tag, image, snapshot, actor).await?;
    sqlx::query("UPDATE deployment SET release_id = $2 WHERE id = $1")
        .bind(deployment)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let release = release_by_id(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(release)
}
