//! Docker endpoints and the environments bound to them.

use super::model::{db, ServiceRow};
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::deploy::{EndpointView, EnvironmentView};
use crate::docker::DockerHandle;
use crate::state::AppState;
use crate::AppError;
use bollard::Docker;
use serde_json::json;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation {
        field: field.into(),
        message: message.into(),
    }
}

/// A DNS label: what Docker and humans both accept as a name.
pub fn check_label(field: &str, v: &str) -> Result<(), AppError> {
    let ok = (1..=63).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            "use 1 to 63 lowercase letters, digits and inner hyphens (a DNS label)",
        ))
    }
}

pub async fn list_endpoints(pool: &PgPool) -> Result<Vec<EndpointView>, AppError> {
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, url FROM endpoint ORDER BY name")
            .fetch_all(pool)
            .await
            .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, url)| EndpointView {
            id,
            name,
            address: url.unwrap_or_else(|| "local (DOCKER_HOST)".into()),
        })
        .collect())
}

pub async fn list_environments(pool: &PgPool) -> Result<Vec<EnvironmentView>, AppError> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT e.id, e.name, p.name, e.network FROM environment e
         JOIN endpoint p ON p.id = e.endpoint_id ORDER BY e.name",
    )
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, endpoint, network)| EnvironmentView {
            id,
            name,
            endpoint,
            network,
        })
        .collect())
}

fn unique(e: sqlx::Error, field: &str, what: &str) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            invalid(field, format!("{what} already exists"))
        }
        _ => db(e),
    }
}

pub async fn create_endpoint(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    url: &str,
) -> Result<i64, AppError> {
    let (name, url) = (name.trim(), url.trim());
    check_label("name", name)?;
    let rest = url.strip_prefix("tcp://").ok_or_else(|| {
        invalid(
            "url",
            "give the engine's address as tcp://host:port (TLS endpoints are not supported yet)",
        )
    })?;
    let port_ok = rest
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
    if !port_ok {
        return Err(invalid(
            "url",
            "expected tcp://host:port, e.g. tcp://10.0.0.5:2375",
        ));
    }
    let mut tx = pool.begin().await.map_err(db)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO endpoint (name, kind, url) VALUES ($1, 'tcp', $2) RETURNING id",
    )
    .bind(name)
    .bind(url)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique(e, "name", &format!("an endpoint named {name}")))?;
    let r = Record::new(
        actor.audit_name(),
        "endpoint.create",
        format!("endpoint:{name}"),
        Outcome::Success,
    )
    .details(json!({ "address": url }))
    .meta(&actor.meta);
    record(&mut tx, r).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(id)
}

pub async fn create_environment(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    endpoint: &str,
) -> Result<i64, AppError> {
    let name = name.trim();
    check_label("name", name)?;
    let mut tx = pool.begin().await.map_err(db)?;
    let endpoint_id: Option<i64> = sqlx::query_scalar("SELECT id FROM endpoint WHERE name = $1")
        .bind(endpoint.trim())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    let endpoint_id = endpoint_id
        .ok_or_else(|| invalid("endpoint", format!("there is no endpoint `{endpoint}`")))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO environment (name, endpoint_id, network) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(endpoint_id)
    .bind(format!("opsdeck-{name}"))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique(e, "name", &format!("an environment named {name}")))?;
    let r = Record::new(
        actor.audit_name(),
        "environment.create",
        format!("environment:{name}"),
        Outcome::Success,
    )
    .details(json!({ "endpoint": endpoint }))
    .meta(&actor.meta);
    record(&mut tx, r).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(id)
}

/// Clients of remote endpoints, one per address, shared by all requests.
fn remote(url: &str) -> DockerHandle {
    static CLIENTS: OnceLock<Mutex<HashMap<String, DockerHandle>>> = OnceLock::new();
    let mut map = CLIENTS
        .get_or_init(Default::default)
        .lock()
        .expect("endpoint clients");
    map.entry(url.to_string())
        .or_insert_with(|| DockerHandle::new(url))
        .clone()
}

/// The engine a service runs on.
pub fn docker_for(
    state: &AppState,
    service: &ServiceRow,
) -> Result<(DockerHandle, Docker), AppError> {
    let handle = match &service.endpoint_url {
        Some(url) => remote(url),
        None => state.docker.clone(),
    };
    let client = handle.client()?;
    Ok((handle, client))
}
