//! Reading services, releases and deployments for pages and the API.

use super::endpoints::docker_for;
use super::engine::{self, Listed};
use super::model::{all_services, find_service, ServiceRow};
use super::swarm;
use crate::deploy::*;
use crate::state::AppState;
use crate::AppError;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const DEPLOYMENT_SELECT: &str = "SELECT d.id, d.service_id, e.name || '/' || s.name AS service,
        d.kind, r.number AS release, coalesce(r.tag, d.tag) AS tag, pr.number AS previous_release, d.state, d.reason,
        d.health_output, d.actor, d.started_at, d.finished_at,
        d.backup_id, bt.name AS backup_target, d.backup_skipped,
        d.commit_sha, d.committed_at, d.fixes_incident_id
    FROM deployment d JOIN service s ON s.id = d.service_id
    JOIN environment e ON e.id = s.environment_id
    LEFT JOIN release r ON r.id = d.release_id
    LEFT JOIN release pr ON pr.id = d.previous_release_id
    LEFT JOIN backup bk ON bk.id = d.backup_id
    LEFT JOIN backup_target bt ON bt.id = bk.target_id";

#[derive(sqlx::FromRow)]
struct DeploymentRow {
    id: i64,
    service_id: i64,
    service: String,
    kind: String,
    release: Option<i32>,
    tag: String,
    previous_release: Option<i32>,
    state: String,
    reason: Option<String>,
    health_output: Option<String>,
    actor: String,
    started_at: chrono::DateTime<chrono::Utc>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    backup_id: Option<i64>,
    backup_target: Option<String>,
    backup_skipped: Option<String>,
    commit_sha: Option<String>,
    committed_at: Option<chrono::DateTime<chrono::Utc>>,
    fixes_incident_id: Option<i64>,
}

impl From<DeploymentRow> for DeploymentView {
    fn from(r: DeploymentRow) -> Self {
        DeploymentView {
            id: r.id,
            service_id: r.service_id,
            service: r.service,
            kind: r.kind,
            release: r.release,
            tag: r.tag,
            previous_release: r.previous_release,
            state: DeploymentState::parse(&r.state).unwrap_or(DeploymentState::Failed),
            reason: r.reason,
            health_output: r.health_output,
            actor: r.actor,
            started_at: r.started_at,
            finished_at: r.finished_at,
            pre_deploy_backup: match (r.backup_id, r.backup_target) {
                (Some(id), Some(target)) => Some(format!("/backups/{target}/{id}")),
                _ => None,
            },
            backup_skipped: r.backup_skipped,
            commit_sha: r.commit_sha,
            committed_at: r.committed_at,
            fixes_incident: r.fixes_incident_id,
        }
    }
}

pub async fn deployments_of(
    pool: &PgPool,
    service_id: i64,
    limit: i64,
) -> Result<Vec<DeploymentView>, AppError> {
    let rows: Vec<DeploymentRow> = sqlx::query_as(&format!(
        "{DEPLOYMENT_SELECT} WHERE d.service_id = $1 ORDER BY d.id DESC LIMIT $2"
    ))
    .bind(service_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One deployment, without its steps.
pub async fn deployment(pool: &PgPool, id: i64) -> Result<DeploymentView, AppError> {
    let row: Option<DeploymentRow> =
        sqlx::query_as(&format!("{DEPLOYMENT_SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row
        .ok_or_else(|| AppError::NotFound(format!("deployment #{id}")))?
        .into())
}

pub async fn read_deployment(pool: &PgPool, id: i64) -> Result<DeploymentDetail, AppError> {
    Ok(DeploymentDetail {
        deployment: deployment(pool, id).await?,
        steps: steps_after(pool, id, 0).await?,
    })
}

pub async fn steps_after(
    pool: &PgPool,
    deployment: i64,
    after: i64,
) -> Result<Vec<StepView>, AppError> {
    let rows: Vec<(i64, chrono::DateTime<chrono::Utc>, String, String)> = sqlx::query_as(
        "SELECT id, at, level, message FROM deployment_step
         WHERE deployment_id = $1 AND id > $2 ORDER BY id",
    )
    .bind(deployment)
    .bind(after)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, at, level, message)| StepView {
            id,
            at,
            level,
            message,
        })
        .collect())
}

async fn releases_of(pool: &PgPool, s: &ServiceRow) -> Result<Vec<ReleaseView>, AppError> {
    let mut releases: Vec<ReleaseView> = sqlx::query_as(
        "SELECT id, number, tag, image_id, digest, created_by, created_at, false AS live
         FROM release WHERE service_id = $1 ORDER BY number DESC",
    )
    .bind(s.id)
    .fetch_all(pool)
    .await?;
    for r in &mut releases {
        r.live = Some(r.id) == s.live_release_id;
    }
    Ok(releases)
}

/// Healthy replicas of the live release: running, and passing the
/// engine's check (command) or answering the HTTP path. Learned at most
/// once every `ENGINE_LOOK_PERIOD` per service and shared by concurrent
/// pages; a deployment (start or end) makes a new key, so a page that
/// reloads on its end sees the replicas of then, not of a moment before.
async fn healthy_now(
    state: &AppState,
    s: &ServiceRow,
    last: Option<&DeploymentView>,
) -> Option<i32> {
    let Some(live) = s.live_release_id else {
        return Some(0);
    };
    let key = (s.id, live, last.map(|d| (d.id, d.finished_at.is_some())));
    state
        .engine_looks
        .healthy
        .get(key, || {
            let (state, s) = (state.clone(), s.clone());
            async move { count_healthy(&state, &s, live).await }
        })
        .await
}

/// Counts from the endpoint's shared listing; HTTP checks probe each
/// live replica. Bounded in time so a slow engine cannot stall a page.
async fn count_healthy(state: &AppState, s: &ServiceRow, live: i64) -> Option<i32> {
    let listed = endpoint_replicas(state, s).await?;
    let live_ones = listed
        .iter()
        .filter(|l| l.service_id == s.id && l.replica.running && l.replica.release_id == live);
    let checks = futures_util::future::join_all(live_ones.map(|l| listed_healthy(s, l)));
    let results = tokio::time::timeout(Duration::from_secs(3), checks)
        .await
        .ok()?;
    Some(results.into_iter().filter(|ok| *ok).count() as i32)
}

/// Every replica on the service's engine: one listing per endpoint per
/// `LISTING_PERIOD`, however many services a page counts from it. On a
/// Swarm endpoint, the manager's task list: the tasks of every node.
async fn endpoint_replicas(state: &AppState, s: &ServiceRow) -> Option<Arc<Vec<Listed>>> {
    let key = (s.endpoint_url.clone(), s.swarm());
    let look = || {
        let (state, s) = (state.clone(), s.clone());
        async move {
            let (_, docker) = docker_for(&state, &s).ok()?;
            let listing = async {
                if s.swarm() {
                    swarm::tasks::installation_tasks(&docker, &s.installation).await
                } else {
                    engine::installation_replicas(&docker, &s.installation).await
                }
            };
            let listed = tokio::time::timeout(Duration::from_secs(3), listing).await;
            Some(Arc::new(listed.ok()?.ok()?))
        }
    };
    state.engine_looks.listings.get(key, look).await
}

/// One replica's health now: the engine's verdict for a command check,
/// an answer to the HTTP path otherwise.
async fn listed_healthy(s: &ServiceRow, l: &Listed) -> bool {
    match (s.health_kind.as_str(), l.ips.get(&s.network)) {
        ("command", _) => l.engine_healthy,
        ("http", Some(ip)) => super::health::answers(ip, s.port, &s.health_check).await,
        _ => false,
    }
}

/// Tags of the service's image repository present on its engine, newest
/// image first: what can be deployed without a registry. Shared like the
/// health count: an image listing per page view was the engine's queue.
async fn local_tags(state: &AppState, s: &ServiceRow) -> Vec<String> {
    let key = (s.id, s.image.clone());
    state
        .engine_looks
        .tags
        .get(key, || {
            let (state, s) = (state.clone(), s.clone());
            async move { list_tags(&state, &s).await }
        })
        .await
}

async fn list_tags(state: &AppState, s: &ServiceRow) -> Vec<String> {
    let Ok((_, docker)) = docker_for(state, s) else {
        return vec![];
    };
    let filters = std::collections::HashMap::from([("reference", vec![s.image.clone()])]);
    let options = bollard::query_parameters::ListImagesOptionsBuilder::default()
        .filters(&filters)
        .build();
    let listed = tokio::time::timeout(Duration::from_secs(2), docker.list_images(Some(options)));
    let Ok(Ok(mut images)) = listed.await else {
        return vec![];
    };
    images.sort_by_key(|i| std::cmp::Reverse(i.created));
    let prefix = format!("{}:", s.image);
    images
        .into_iter()
        .flat_map(|i| i.repo_tags)
        .filter_map(|t| t.strip_prefix(&prefix).map(str::to_string))
        .collect()
}

async fn summary(
    state: &AppState,
    s: &ServiceRow,
    live: Option<ReleaseView>,
    last: Option<DeploymentView>,
) -> ServiceSummary {
    ServiceSummary {
        id: s.id,
        environment: s.environment.clone(),
        name: s.name.clone(),
        image: s.image.clone(),
        live,
        desired: s.replicas,
        healthy: healthy_now(state, s, last.as_ref()).await,
        last,
    }
}

/// Every service with its live release and last deployment: three queries
/// whatever the number of services (it was three per service).
pub async fn list_services(state: &AppState) -> Result<Vec<ServiceSummary>, AppError> {
    let services = all_services(&state.db).await?;
    let mut live = live_releases(&state.db).await?;
    let mut last = last_deployments(&state.db).await?;
    // Side by side: a summary may wait on its engine for health.
    let summaries = services.iter().map(|s| {
        let (live, last) = (live.remove(&s.id), last.remove(&s.id));
        summary(state, s, live, last)
    });
    Ok(futures_util::future::join_all(summaries).await)
}

#[derive(sqlx::FromRow)]
struct LiveRelease {
    service_id: i64,
    #[sqlx(flatten)]
    release: ReleaseView,
}

async fn live_releases(pool: &PgPool) -> Result<HashMap<i64, ReleaseView>, AppError> {
    let rows: Vec<LiveRelease> = sqlx::query_as(
        "SELECT s.id AS service_id, r.id, r.number, r.tag, r.image_id, r.digest,
                r.created_by, r.created_at, true AS live
         FROM service s JOIN release r ON r.id = s.live_release_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.service_id, r.release))
        .collect())
}

/// The newest deployment of each service, one index probe per service.
async fn last_deployments(pool: &PgPool) -> Result<HashMap<i64, DeploymentView>, AppError> {
    let rows: Vec<DeploymentRow> = sqlx::query_as(&format!(
        "{DEPLOYMENT_SELECT} WHERE d.id IN (
            SELECT (SELECT l.id FROM deployment l WHERE l.service_id = sv.id
                    ORDER BY l.id DESC LIMIT 1)
            FROM service sv)"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.service_id, r.into())).collect())
}

pub async fn read_service(state: &AppState, reference: &str) -> Result<ServiceDetail, AppError> {
    let s = find_service(&state.db, reference).await?;
    let releases = releases_of(&state.db, &s).await?;
    let snapshot = s.snapshot(&state.db).await?;
    let env = snapshot
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let config = ServiceConfig {
        environment: s.environment.clone(),
        name: s.name.clone(),
        image: s.image.clone(),
        port: s.port,
        health_kind: s.health_kind.clone(),
        health_check: s.health_check.clone(),
        health_interval_s: s.health_interval_s,
        health_timeout_s: s.health_timeout_s,
        health_retries: s.health_retries,
        health_start_period_s: s.health_start_period_s,
        replicas: s.replicas,
        stop_timeout_s: s.stop_timeout_s,
        drain_s: s.drain_s,
        repair: s.repair,
        env,
        secret_names: snapshot.secrets.keys().cloned().collect(),
        backup_target: s.backup_target.clone(),
        memory_mb: s.memory_mb,
        cpu_millis: s.cpu_millis,
        pids_limit: s.pids_limit,
        published_port: s.published_port,
    };
    let live = releases.iter().find(|r| r.live).cloned();
    let deployments = deployments_of(&state.db, s.id, 50).await?;
    Ok(ServiceDetail {
        summary: summary(state, &s, live, deployments.first().cloned()).await,
        config,
        endpoint: s.endpoint.clone(),
        swarm: s.swarm(),
        network: s.network.clone(),
        releases,
        deployments,
        tags: local_tags(state, &s).await,
    })
}
