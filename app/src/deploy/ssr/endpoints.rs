//! Docker endpoints and the environments bound to them.

use super::model::ServiceRow;
use crate::audit::ssr::{record, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::deploy::actions;
use crate::deploy::{EndpointView, EnvironmentView};
use crate::docker::{DockerHandle, TlsFiles};
use crate::error::OnUnique;
use crate::state::AppState;
use crate::AppError;
use bollard::Docker;
use serde_json::json;
use sqlx::PgPool;

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
        Err(AppError::invalid(
            field,
            "use 1 to 63 lowercase letters, digits and inner hyphens (a DNS label)",
        ))
    }
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: i64,
    name: String,
    url: Option<String>,
    mode: String,
    tls_ca: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
}

impl EndpointRow {
    fn tls(&self) -> Option<TlsFiles> {
        tls_files(&self.tls_ca, &self.tls_cert, &self.tls_key)
    }
}

fn tls_files(ca: &Option<String>, cert: &Option<String>, key: &Option<String>) -> Option<TlsFiles> {
    Some(TlsFiles {
        ca: ca.as_ref()?.into(),
        cert: cert.as_ref()?.into(),
        key: key.as_ref()?.into(),
    })
}

/// Every endpoint with the engine's answer right now (bounded in time).
pub async fn list_endpoints(state: &AppState) -> Result<Vec<EndpointView>, AppError> {
    let rows: Vec<EndpointRow> = sqlx::query_as(
        "SELECT id, name, url, mode, tls_ca, tls_cert, tls_key FROM endpoint ORDER BY name",
    )
    .fetch_all(&state.db)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let handle = match &row.url {
            Some(url) => state.engines.get(url, row.tls()),
            None => state.docker.clone(),
        };
        let probe = handle.probe().await;
        let swarm = match handle.client() {
            Ok(d) if probe.ok => super::swarm::cluster::look(&d).await,
            _ => None,
        };
        out.push(EndpointView {
            id: row.id,
            tls: row.tls_ca.is_some(),
            address: row
                .url
                .unwrap_or_else(|| format!("local ({})", state.docker.host())),
            name: row.name,
            reachable: probe.ok,
            status: probe.detail,
            mode: row.mode,
            swarm,
        });
    }
    Ok(out)
}

pub async fn list_environments(pool: &PgPool) -> Result<Vec<EnvironmentView>, AppError> {
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT e.id, e.name, p.name, p.mode, e.network FROM environment e
         JOIN endpoint p ON p.id = e.endpoint_id ORDER BY e.name",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, endpoint, mode, network)| EnvironmentView {
            id,
            name,
            endpoint,
            swarm: mode == "swarm",
            network,
        })
        .collect())
}

/// What the endpoint form sends.
pub struct NewEndpoint {
    pub name: String,
    /// `tcp://host:port`, or empty for this host's own engine.
    pub url: String,
    /// `standalone` (or empty) or `swarm`.
    pub mode: String,
    pub tls_ca: String,
    pub tls_cert: String,
    pub tls_key: String,
}

impl NewEndpoint {
    /// The checked TLS paths: all three readable files, or none.
    fn tls(&self) -> Result<Option<[String; 3]>, AppError> {
        let fields = [
            ("tls_ca", self.tls_ca.trim()),
            ("tls_cert", self.tls_cert.trim()),
            ("tls_key", self.tls_key.trim()),
        ];
        if fields.iter().all(|(_, v)| v.is_empty()) {
            return Ok(None);
        }
        for (field, path) in fields {
            if path.is_empty() {
                return Err(AppError::invalid(
                    field,
                    "give all three TLS files, or none",
                ));
            }
            if let Err(e) = std::fs::File::open(path) {
                return Err(AppError::invalid(
                    field,
                    format!("{path} cannot be read here: {e}"),
                ));
            }
        }
        Ok(Some(fields.map(|(_, v)| v.to_string())))
    }

    /// The checked address; `None` for this host's own engine.
    fn check_url(&self) -> Result<Option<String>, AppError> {
        let url = self.url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        let rest = url.strip_prefix("tcp://").ok_or_else(|| {
            AppError::invalid("url", "give the engine's address as tcp://host:port")
        })?;
        let port_ok = rest
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !port_ok {
            return Err(AppError::invalid(
                "url",
                "expected tcp://host:port, e.g. tcp://10.0.0.5:2376",
            ));
        }
        Ok(Some(url.to_string()))
    }

    fn check_mode(&self) -> Result<&'static str, AppError> {
        match self.mode.trim() {
            "" | "standalone" => Ok("standalone"),
            "swarm" => Ok("swarm"),
            _ => Err(AppError::invalid("mode", "choose `standalone` or `swarm`")),
        }
    }
}

pub async fn create_endpoint(
    state: &AppState,
    actor: &Actor,
    form: NewEndpoint,
) -> Result<i64, AppError> {
    let name = form.name.trim();
    check_label("name", name)?;
    let url = form.check_url()?;
    let mode = form.check_mode()?;
    let tls = form.tls()?;
    if url.is_none() && tls.is_some() {
        return Err(AppError::invalid(
            "tls_ca",
            "this host's own engine is reached through DOCKER_HOST; TLS files go with a tcp:// address",
        ));
    }
    if mode == "swarm" {
        let handle = match &url {
            Some(url) => {
                let files = tls.as_ref().map(|[ca, cert, key]| TlsFiles {
                    ca: ca.into(),
                    cert: cert.into(),
                    key: key.into(),
                });
                state.engines.get(url, files)
            }
            None => state.docker.clone(),
        };
        let client = handle.client()?;
        super::swarm::cluster::manager(&client)
            .await
            .map_err(|why| {
                AppError::invalid("mode", format!("cannot run Swarm services there: {why}"))
            })?;
    }
    let [ca, cert, key] = tls.clone().map(|t| t.map(Some)).unwrap_or_default();
    let mut tx = state.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO endpoint (name, kind, url, mode, tls_ca, tls_cert, tls_key)
         VALUES ($1, CASE WHEN $2::text IS NULL THEN 'local' ELSE 'tcp' END, $2, $6, $3, $4, $5)
         RETURNING id",
    )
    .bind(name)
    .bind(&url)
    .bind(ca)
    .bind(cert)
    .bind(key)
    .bind(mode)
    .fetch_one(&mut *tx)
    .await
    .on_unique("name", format!("an endpoint named {name} already exists"))?;
    let r = Record::new(
        actor.audit_name(),
        actions::ENDPOINT_CREATE,
        AuditTarget::Endpoint(name),
        Outcome::Success,
    )
    .details(
        json!({ "address": url.as_deref().unwrap_or("local"), "mode": mode, "tls": tls.is_some() }),
    )
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
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
    let mut tx = pool.begin().await?;
    let endpoint_id: Option<i64> = sqlx::query_scalar("SELECT id FROM endpoint WHERE name = $1")
        .bind(endpoint.trim())
        .fetch_optional(&mut *tx)
        .await?;
    let endpoint_id = endpoint_id.ok_or_else(|| {
        AppError::invalid("endpoint", format!("there is no endpoint `{endpoint}`"))
    })?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO environment (name, endpoint_id, network) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(endpoint_id)
    .bind(format!("opsdeck-{name}"))
    .fetch_one(&mut *tx)
    .await
    .on_unique(
        "name",
        format!("an environment named {name} already exists"),
    )?;
    let r = Record::new(
        actor.audit_name(),
        actions::ENVIRONMENT_CREATE,
        AuditTarget::Environment(name),
        Outcome::Success,
    )
    .details(json!({ "endpoint": endpoint }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(id)
}

/// The engine a service runs on.
pub fn docker_for(
    state: &AppState,
    service: &ServiceRow,
) -> Result<(DockerHandle, Docker), AppError> {
    let handle = match &service.endpoint_url {
        Some(url) => state.engines.get(
            url,
            tls_files(&service.tls_ca, &service.tls_cert, &service.tls_key),
        ),
        None => state.docker.clone(),
    };
    let client = handle.client()?;
    Ok((handle, client))
}
