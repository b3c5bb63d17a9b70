//! Creating and changing services: every field checked, secrets sealed.

use super::service_check::{ServiceForm, Valid};
use crate::audit::ssr::{record, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::deploy::actions;
use crate::deploy::SavedService;
use crate::error::OnUnique;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

/// Creates (`id` = None) or updates a service.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    form: ServiceForm,
) -> Result<SavedService, AppError> {
    let v = form.check()?;
    let mut tx = state.db.begin().await?;
    let (env_id, mode) = environment_id(&mut tx, &v).await?;
    fits_the_endpoint(&mut tx, id, &mode, &v).await?;
    let backup_target_id = backup_target_id(&mut tx, &v).await?;
    if let Some(id) = id {
        same_place(&mut tx, id, env_id, &v).await?;
    }
    let [port, interval, timeout, retries, start, replicas, stop] = v.numbers;
    let saved: Option<i64> = sqlx::query_scalar(if id.is_some() {
        // Where it runs and its name stay; replicas change through Scale.
        "UPDATE service SET image = $4, port = $5, health_kind = $6,
           health_check = $7, health_interval_s = $8, health_timeout_s = $9, health_retries = $10,
           health_start_period_s = $11, stop_timeout_s = $13, backup_target_id = $14,
           memory_mb = $15, cpu_millis = $16, pids_limit = $17, drain_s = $18, repair = $19,
           published_port = $20, updated_at = now()
         WHERE id = $1 AND environment_id = $2 AND name = $3 AND $12::integer IS NOT NULL RETURNING id"
    } else {
        "INSERT INTO service (environment_id, name, image, port, health_kind, health_check,
           health_interval_s, health_timeout_s, health_retries, health_start_period_s, replicas,
           stop_timeout_s, backup_target_id, memory_mb, cpu_millis, pids_limit, drain_s, repair,
           published_port)
         SELECT $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20
         WHERE $1::bigint IS NULL RETURNING id"
    })
    .bind(id)
    .bind(env_id)
    .bind(&v.name)
    .bind(&v.image)
    .bind(port)
    .bind(&v.health_kind)
    .bind(&v.health_check)
    .bind(interval)
    .bind(timeout)
    .bind(retries)
    .bind(start)
    .bind(replicas)
    .bind(stop)
    .bind(backup_target_id)
    .bind(v.limits.memory_mb)
    .bind(v.limits.cpu_millis)
    .bind(v.limits.pids)
    .bind(v.drain_s)
    .bind(v.repair)
    .bind(v.published_port)
    .fetch_optional(&mut *tx)
    .await
    .on_unique(
        "name",
        format!("{} already has a service named {}", v.environment, v.name),
    )?;
    let service_id =
        saved.ok_or_else(|| AppError::NotFound(format!("service {}", id.unwrap_or(0))))?;
    store_env(state, &mut tx, service_id, &v).await?;
    let secret_names: Vec<&String> = v.secrets.keys().collect();
    let r = Record::new(
        actor.audit_name(),
        if id.is_some() {
            actions::SERVICE_UPDATE
        } else {
            actions::SERVICE_CREATE
        },
        AuditTarget::Service(&format!("{}/{}", v.environment, v.name)),
        Outcome::Success,
    )
    .details(json!({
        "image": v.image, "replicas": replicas, "health": v.health_kind, "drain_s": v.drain_s, "repair": v.repair,
        "pre_deploy_backup": v.backup_target, "limits": v.limits, "published_port": v.published_port,
        "variables": v.env.keys().collect::<Vec<_>>(), "changed_secrets": secret_names,
    }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(SavedService {
        id: service_id,
        url: format!("/services/{}/{}", v.environment, v.name),
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

/// The environment's id and its endpoint's mode.
async fn environment_id(tx: &mut Tx, v: &Valid) -> Result<(i64, String), AppError> {
    let found: Option<(i64, String)> = sqlx::query_as(
        "SELECT e.id, p.mode FROM environment e JOIN endpoint p ON p.id = e.endpoint_id
         WHERE e.name = $1",
    )
    .bind(&v.environment)
    .fetch_optional(&mut **tx)
    .await?;
    found.ok_or_else(|| {
        AppError::invalid(
            "environment",
            format!("there is no environment `{}`", v.environment),
        )
    })
}

/// What only one kind of endpoint can do. A Swarm service is gated by the
/// engine on the container's own health check (Opsdeck cannot hold a task
/// back while it probes it), and publishes its port through the routing
/// mesh; a standalone replica cannot share a host port with the next one.
async fn fits_the_endpoint(
    tx: &mut Tx,
    id: Option<i64>,
    mode: &str,
    v: &Valid,
) -> Result<(), AppError> {
    let swarm = mode == "swarm";
    if swarm && v.health_kind != "command" {
        return Err(AppError::invalid(
            "health_kind",
            "on a Swarm endpoint the engine gates each task on the container's health check: \
             choose `command`, e.g. wget -q --spider http://127.0.0.1:8080/healthz",
        ));
    }
    let Some(port) = v.published_port else {
        return Ok(());
    };
    if !swarm {
        return Err(AppError::invalid(
            "published_port",
            "only services on a Swarm endpoint publish a port; on a standalone engine put a \
             reverse proxy on the environment network in front of the service's name (see the README)",
        ));
    }
    let taken: Option<String> = sqlx::query_scalar(
        "SELECT e.name || '/' || s.name FROM service s
         JOIN environment e ON e.id = s.environment_id
         WHERE s.published_port = $1 AND s.id IS DISTINCT FROM $2
           AND e.endpoint_id = (SELECT endpoint_id FROM environment WHERE name = $3)",
    )
    .bind(port)
    .bind(id)
    .bind(&v.environment)
    .fetch_optional(&mut **tx)
    .await?;
    match taken {
        Some(other) => Err(AppError::invalid(
            "published_port",
            format!("{other} already publishes port {port} on this endpoint"),
        )),
        None => Ok(()),
    }
}

/// The pre-deploy backup target named in the form, if any.
async fn backup_target_id(tx: &mut Tx, v: &Valid) -> Result<Option<i64>, AppError> {
    let Some(name) = &v.backup_target else {
        return Ok(None);
    };
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM backup_target WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    id.map(Some).ok_or_else(|| {
        AppError::invalid(
            "backup_target",
            format!("there is no backup target `{name}`; add it on the Backups page first"),
        )
    })
}

/// A service keeps its environment and name: its containers, network and
/// DNS alias are tied to them.
async fn same_place(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    id: i64,
    env_id: i64,
    v: &Valid,
) -> Result<(), AppError> {
    let now: Option<(i64, String)> =
        sqlx::query_as("SELECT environment_id, name FROM service WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    match now {
        None => Err(AppError::NotFound(format!("service {id}"))),
        Some((e, _)) if e != env_id => Err(AppError::invalid(
            "environment",
            "a service cannot move to another environment; create a new service there",
        )),
        Some((_, name)) if name != v.name => Err(AppError::invalid(
            "name",
            "a service cannot be renamed; create a new service with the new name",
        )),
        Some(_) => Ok(()),
    }
}

/// Plain variables are replaced as a whole; secrets only where named.
async fn store_env(
    state: &AppState,
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    service_id: i64,
    v: &Valid,
) -> Result<(), AppError> {
    // A plain variable may replace a secret of the same name.
    let names: Vec<&String> = v.env.keys().collect();
    sqlx::query(
        "DELETE FROM service_env WHERE service_id = $1 AND (value IS NOT NULL OR name = ANY($2))",
    )
    .bind(service_id)
    .bind(names)
    .execute(&mut **tx)
    .await?;
    for (name, value) in &v.env {
        sqlx::query("INSERT INTO service_env (service_id, name, value) VALUES ($1, $2, $3)")
            .bind(service_id)
            .bind(name)
            .bind(value)
            .execute(&mut **tx)
            .await?;
    }
    for (name, value) in &v.secrets {
        sqlx::query("DELETE FROM service_env WHERE service_id = $1 AND name = $2")
            .bind(service_id)
            .bind(name)
            .execute(&mut **tx)
            .await?;
        if let Some(value) = value {
            sqlx::query("INSERT INTO service_env (service_id, name, sealed) VALUES ($1, $2, $3)")
                .bind(service_id)
                .bind(name)
                .bind(state.secrets.seal(value))
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}
