//! Removing a service for good: its replicas first (they would otherwise
//! run on, unmanaged), then its rows. The audit log keeps its history.

use super::endpoints::docker_for;
use super::engine;
use super::model::find_service;
use super::start::take_lock;
use crate::audit::ssr::{record, record_alone, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::deploy::actions;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

/// Removes `service` once `confirm` repeats its `environment/name`.
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    service: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let found = find_service(&state.db, service).await?;
    let name = found.full_name();
    if confirm.trim() != name {
        return Err(AppError::invalid(
            "confirm",
            format!("type `{name}` to remove this service"),
        ));
    }
    let (lock, found) = take_lock(state, &found).await?;
    let target = AuditTarget::Service(&name).to_string();
    let intent = Record::new(
        actor.audit_name(),
        actions::SERVICE_REMOVE,
        &target,
        Outcome::Intent,
    )
    .meta(&actor.meta);
    record_alone(&state.db, intent).await?;
    let (handle, docker) = docker_for(state, &found)?;
    let replicas = engine::replicas(&docker, &found)
        .await
        .map_err(|e| engine::engine_error(&handle, e))?;
    if found.swarm() {
        // The engine stops and removes the tasks' containers itself, within
        // their grace period; removing them too would race it.
        super::swarm::remove(&docker, &found)
            .await
            .map_err(|e| engine::engine_error(&handle, e))?;
    } else {
        for r in &replicas {
            engine::remove_replica(&docker, &r.id, found.stop_timeout_s)
                .await
                .map_err(|e| engine::engine_error(&handle, e))?;
        }
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM service WHERE id = $1")
        .bind(found.id)
        .execute(&mut *tx)
        .await?;
    let done = Record::new(
        actor.audit_name(),
        actions::SERVICE_REMOVE,
        &target,
        Outcome::Success,
    )
    .details(json!({ "replicas_removed": replicas.len() }))
    .meta(&actor.meta);
    record(&mut tx, done).await?;
    tx.commit().await?;
    lock.release().await;
    Ok(())
}
