//! Rows the machinery works with, and the queries that load them.

use super::snapshot::{Health, Limits, Snapshot};
use crate::audit::AuditTarget;
use crate::AppError;
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};

/// A service with where it runs.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: i64,
    pub name: String,
    pub environment: String,
    pub network: String,
    pub endpoint: String,
    pub endpoint_kind: String,
    /// `standalone` or `swarm`.
    pub endpoint_mode: String,
    pub endpoint_url: Option<String>,
    pub tls_ca: Option<String>,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub image: String,
    pub port: i32,
    pub health_kind: String,
    pub health_check: String,
    pub health_interval_s: i32,
    pub health_timeout_s: i32,
    pub health_retries: i32,
    pub health_start_period_s: i32,
    pub replicas: i32,
    pub stop_timeout_s: i32,
    pub memory_mb: Option<i32>,
    pub cpu_millis: Option<i32>,
    pub pids_limit: i32,
    /// Seconds between leaving the DNS alias and SIGTERM.
    pub drain_s: i32,
    /// Whether missing replicas are put back between deployments.
    pub repair: bool,
    pub live_release_id: Option<i64>,
    /// The database backed up before each deploy, by id and name.
    pub backup_target_id: Option<i64>,
    pub backup_target: Option<String>,
    /// This installation's id: labels carry it, so two installations (or
    /// two test databases) sharing one engine never see each other's containers.
    pub installation: String,
    /// The port published on every node of its Swarm, if any.
    pub published_port: Option<i32>,
}

const SERVICE_SELECT: &str = "SELECT s.id, s.name, e.name AS environment, e.network,
        p.name AS endpoint, p.kind AS endpoint_kind, p.mode AS endpoint_mode, p.url AS endpoint_url,
        p.tls_ca, p.tls_cert, p.tls_key,
        s.image, s.port, s.health_kind, s.health_check, s.health_interval_s,
        s.health_timeout_s, s.health_retries, s.health_start_period_s,
        s.replicas, s.stop_timeout_s, s.memory_mb, s.cpu_millis, s.pids_limit, s.drain_s, s.repair,
        s.live_release_id,
        s.backup_target_id, b.name AS backup_target, s.published_port,
        (SELECT installation_id::text FROM instance) AS installation
    FROM service s JOIN environment e ON e.id = s.environment_id
    JOIN endpoint p ON p.id = e.endpoint_id
    LEFT JOIN backup_target b ON b.id = s.backup_target_id";

impl ServiceRow {
    /// `environment/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.environment, self.name)
    }

    /// Whether the engine runs it as a Swarm service (see `super::swarm`).
    pub fn swarm(&self) -> bool {
        self.endpoint_mode == "swarm"
    }

    /// `service:<environment>/<name>`, as the audit log names services.
    pub fn audit_target(&self) -> String {
        AuditTarget::Service(&self.full_name()).to_string()
    }

    /// The configuration a release of this service records now.
    pub async fn snapshot(&self, pool: &PgPool) -> Result<Snapshot, AppError> {
        let vars: Vec<(String, Option<String>, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT name, value, sealed FROM service_env WHERE service_id = $1")
                .bind(self.id)
                .fetch_all(pool)
                .await?;
        let mut snapshot = Snapshot {
            image: self.image.clone(),
            port: self.port,
            health: Health {
                kind: self.health_kind.clone(),
                check: self.health_check.clone(),
                interval_s: self.health_interval_s,
                timeout_s: self.health_timeout_s,
                retries: self.health_retries,
                start_period_s: self.health_start_period_s,
            },
            stop_timeout_s: self.stop_timeout_s,
            env: Default::default(),
            secrets: Default::default(),
            limits: Limits {
                memory_mb: self.memory_mb,
                cpu_millis: self.cpu_millis,
                pids: self.pids_limit,
            },
        };
        for (name, value, sealed) in vars {
            match (value, sealed) {
                (Some(v), _) => snapshot.env.insert(name, v),
                (None, Some(s)) => snapshot.secrets.insert(name, Snapshot::seal_b64(&s)),
                (None, None) => None,
            };
        }
        Ok(snapshot)
    }
}

/// A service by id or by `environment/name`.
pub async fn find_service(
    db_pool: impl PgExecutor<'_>,
    reference: &str,
) -> Result<ServiceRow, AppError> {
    let reference = reference.trim();
    let row = if let Ok(id) = reference.parse::<i64>() {
        sqlx::query_as::<_, ServiceRow>(&format!("{SERVICE_SELECT} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(db_pool)
            .await
    } else {
        let (env, name) = reference.split_once('/').unwrap_or(("", reference));
        sqlx::query_as::<_, ServiceRow>(&format!(
            "{SERVICE_SELECT} WHERE e.name = $1 AND s.name = $2"
        ))
        .bind(env)
        .bind(name)
        .fetch_optional(db_pool)
        .await
    };
    row?.ok_or_else(|| AppError::NotFound(format!("service `{reference}`")))
}

pub async fn all_services(db_pool: impl PgExecutor<'_>) -> Result<Vec<ServiceRow>, AppError> {
    sqlx::query_as::<_, ServiceRow>(&format!("{SERVICE_SELECT} ORDER BY e.name, s.name"))
        .fetch_all(db_pool)
        .await
        .map_err(AppError::from)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: i64,
    pub number: i32,
    pub tag: String,
    pub image_id: String,
    pub digest: Option<String>,
    pub config: Json<Snapshot>,
}

pub async fn release_by_id(db_pool: impl PgExecutor<'_>, id: i64) -> Result<ReleaseRow, AppError> {
    sqlx::query_as("SELECT id, number, tag, image_id, digest, config FROM release WHERE id = $1")
        .bind(id)
        .fetch_one(db_pool)
        .await
        .map_err(AppError::from)
}

pub async fn release_by_number(
    db_pool: impl PgExecutor<'_>,
    service_id: i64,
    number: i32,
) -> Result<Option<ReleaseRow>, AppError> {
    sqlx::query_as(
        "SELECT id, number, tag, image_id, digest, config FROM release
         WHERE service_id = $1 AND number = $2",
    )
    .bind(service_id)
    .bind(number)
    .fetch_optional(db_pool)
    .await
    .map_err(AppError::from)
}
