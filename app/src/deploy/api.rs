//! Server functions of the deployments feature, at fixed `/api/` URLs so
//! CI pipelines can call them with an API token (see docs/api.md).

use super::*;
use crate::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr::bounds;
#[cfg(feature = "ssr")]
use crate::auth::guard::require;
#[cfg(feature = "ssr")]
use crate::auth::Permission;
#[cfg(feature = "ssr")]
use crate::runbook::ssr::step_check::{self, FromRunbook, Submitted};
#[cfg(feature = "ssr")]
use crate::runbook::step_ref::RunbookStepRef;
#[cfg(feature = "ssr")]
use crate::state::app_state;

/// A runbook step says nothing about skipping the pre-deploy backup, so
/// one started from a runbook never skips it.
#[cfg(feature = "ssr")]
fn keeps_backup(step: &Option<RunbookStepRef>, skip: &Option<String>) -> Result<(), AppError> {
    if step.is_some() && skip.is_some() {
        return Err(AppError::invalid(
            "skip_backup",
            "a runbook step always takes the pre-deploy backup",
        ));
    }
    Ok(())
}

/// Every service with its live release, replica health and last deployment.
#[server(endpoint = "list_services")]
pub async fn list_services() -> Result<Vec<ServiceSummary>, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    Ok(crate::views::services(&state).await?.as_ref().clone())
}

/// One service: settings, releases, deployment history. `service` is its id
/// or `environment/name`.
#[server(endpoint = "read_service")]
pub async fn read_service(service: String) -> Result<ServiceDetail, AppError> {
    require(Permission::Read).await?;
    bounds::check(&[("service", &service, bounds::REFERENCE)])?;
    let state = app_state()?;
    Ok(crate::views::service(&state, &service)
        .await?
        .as_ref()
        .clone())
}

/// A deployment with its step log.
#[server(endpoint = "read_deployment")]
pub async fn read_deployment(id: i64) -> Result<DeploymentDetail, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::read::read_deployment(&state.db, id).await
}

/// Environments services can be placed in.
#[server(endpoint = "list_environments")]
pub async fn list_environments() -> Result<Vec<EnvironmentView>, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::endpoints::list_environments(&state.db).await
}

/// Docker endpoints Opsdeck drives.
#[server(endpoint = "list_endpoints")]
pub async fn list_endpoints() -> Result<Vec<EndpointView>, AppError> {
    require(Permission::Administer).await?;
    let state = app_state()?;
    super::ssr::endpoints::list_endpoints(&state).await
}

/// Adds a `tcp://host:port` Docker endpoint, over TLS with a client
/// certificate when the three file paths are given. An empty `url` is this
/// host's own engine (Opsdeck's `DOCKER_HOST`). `mode` is `standalone`
/// (default: Opsdeck rolls out containers) or `swarm` (services run as
/// Swarm services; the engine must be a Swarm manager).
#[server(endpoint = "create_endpoint")]
pub async fn create_endpoint(
    name: String,
    #[server(default)] url: String,
    #[server(default)] mode: String,
    #[server(default)] tls_ca: String,
    #[server(default)] tls_cert: String,
    #[server(default)] tls_key: String,
) -> Result<i64, AppError> {
    let actor = require(Permission::Administer).await?;
    bounds::check(&[
        ("name", &name, bounds::NAME),
        ("url", &url, bounds::REFERENCE),
        ("mode", &mode, bounds::NAME),
        ("tls_ca", &tls_ca, bounds::PATH),
        ("tls_cert", &tls_cert, bounds::PATH),
        ("tls_key", &tls_key, bounds::PATH),
    ])?;
    let state = app_state()?;
    let form = super::ssr::endpoints::NewEndpoint {
        name,
        url,
        mode,
        tls_ca,
        tls_cert,
        tls_key,
    };
    super::ssr::endpoints::create_endpoint(&state, &actor, form).await
}

/// Adds an environment on an endpoint; its Docker network is created when
/// its first service deploys.
#[server(endpoint = "create_environment")]
pub async fn create_environment(name: String, endpoint: String) -> Result<i64, AppError> {
    let actor = require(Permission::Administer).await?;
    bounds::check(&[
        ("name", &name, bounds::NAME),
        ("endpoint", &endpoint, bounds::NAME),
    ])?;
    let state = app_state()?;
    super::ssr::endpoints::create_environment(&state.db, &actor, &name, &endpoint).await
}

/// Creates a service (`id` empty) or changes one. Numbers arrive as text so
/// that a wrong one is refused naming its field. Empty `memory_mb` and
/// `cpus` mean no limit; an empty `pids_limit` the default (512). In `secrets`, a
/// `NAME=value` line sets a secret, `NAME=` removes it; unnamed ones stay.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "save_service")]
pub async fn save_service(
    #[server(default)] id: Option<i64>,
    #[server(default)] environment: String,
    #[server(default)] name: String,
    #[server(default)] image: String,
    #[server(default)] port: String,
    #[server(default)] health_kind: String,
    #[server(default)] health_check: String,
    #[server(default)] health_interval_s: String,
    #[server(default)] health_timeout_s: String,
    #[server(default)] health_retries: String,
    #[server(default)] health_start_period_s: String,
    #[server(default)] replicas: String,
    #[server(default)] stop_timeout_s: String,
    #[server(default)] drain_s: String,
    #[server(default)] repair_off: String,
    #[server(default)] env: String,
    #[server(default)] secrets: String,
    #[server(default)] backup_target: String,
    #[server(default)] memory_mb: String,
    #[server(default)] cpus: String,
    #[server(default)] pids_limit: String,
    #[server(default)] published_port: String,
) -> Result<SavedService, AppError> {
    let actor = require(Permission::Deploy).await?;
    let state = app_state()?;
    let form = super::ssr::service_check::ServiceForm {
        environment,
        name,
        image,
        port,
        health_kind,
        health_check,
        health_interval_s,
        health_timeout_s,
        health_retries,
        health_start_period_s,
        replicas,
        stop_timeout_s,
        drain_s,
        repair_off,
        env,
        secrets,
        backup_target,
        memory_mb,
        cpus,
        pids_limit,
        published_port,
    };
    super::ssr::service::save(&state, &actor, id, form).await
}

/// Deploys `tag` of the service's image: resolves it on the endpoint,
/// records a release and starts the rollout. Answers at once with the
/// deployment to follow.
/// A service with a pre-deploy backup target is backed up first; ticking
/// `skip_backup` goes without it and needs a `skip_reason` (audited).
/// A pipeline may report the change it ships: `commit_sha` and
/// `committed_at` (for the dashboard's lead time) and `fixes_incident`
/// (for its rework rate); left empty they are "not reported".
/// Started from a runbook step, `runbook`, `runbook_version` and
/// `runbook_step` name it: the stored step must say the same service and
/// tag, and the audit event names the runbook version.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "deploy")]
pub async fn deploy(
    service: String,
    tag: String,
    #[server(default)] skip_backup: Option<String>,
    #[server(default)] skip_reason: String,
    #[server(default)] commit_sha: String,
    #[server(default)] committed_at: String,
    #[server(default)] fixes_incident: String,
    #[server(default)] runbook: String,
    #[server(default)] runbook_version: Option<i32>,
    #[server(default)] runbook_step: Option<i32>,
    #[server(default)] runbook_run: Option<i64>,
) -> Result<DeploymentStarted, AppError> {
    let actor = require(Permission::Deploy).await?;
    bounds::check(&[
        ("service", &service, bounds::REFERENCE),
        ("tag", &tag, bounds::TAG),
        (
            "skip_backup",
            skip_backup.as_deref().unwrap_or(""),
            bounds::NUMBER,
        ),
        ("skip_reason", &skip_reason, bounds::REASON),
        ("commit_sha", &commit_sha, bounds::NAME + 1),
        ("committed_at", &committed_at, bounds::NAME),
        ("fixes_incident", &fixes_incident, bounds::NUMBER),
    ])?;
    let state = app_state()?;
    let skip = super::ssr::start::skip_reason(skip_backup.as_deref(), &skip_reason)?;
    let change = super::ssr::start::Change::parse(
        &commit_sha,
        &committed_at,
        &fixes_incident,
        chrono::Utc::now(),
    )?;
    let from = FromRunbook {
        runbook: &runbook,
        version: runbook_version,
        step: runbook_step,
        run: runbook_run,
    };
    let step = step_check::check(
        &state.db,
        from,
        Submitted::Deploy {
            service: &service,
            tag: &tag,
        },
    )
    .await?;
    keeps_backup(&step, &skip)?;
    super::ssr::start::deploy_tag(&state, &actor, &service, &tag, skip, change, step).await
}

/// Rolls the service back (or forward) to an earlier release, by number,
/// running exactly the image that release recorded.
/// Backs up first like [`deploy`], with the same way to skip it; from a
/// runbook step (see [`deploy`]) the release must be the step's.
#[server(endpoint = "rollback")]
pub async fn rollback(
    service: String,
    release: i32,
    #[server(default)] skip_backup: Option<String>,
    #[server(default)] skip_reason: String,
    #[server(default)] runbook: String,
    #[server(default)] runbook_version: Option<i32>,
    #[server(default)] runbook_step: Option<i32>,
    #[server(default)] runbook_run: Option<i64>,
) -> Result<DeploymentStarted, AppError> {
    let actor = require(Permission::Deploy).await?;
    bounds::check(&[
        ("service", &service, bounds::REFERENCE),
        (
            "skip_backup",
            skip_backup.as_deref().unwrap_or(""),
            bounds::NUMBER,
        ),
        ("skip_reason", &skip_reason, bounds::REASON),
    ])?;
    let state = app_state()?;
    let skip = super::ssr::start::skip_reason(skip_backup.as_deref(), &skip_reason)?;
    let from = FromRunbook {
        runbook: &runbook,
        version: runbook_version,
        step: runbook_step,
        run: runbook_run,
    };
    let step = step_check::check(
        &state.db,
        from,
        Submitted::Rollback {
            service: &service,
            release,
        },
    )
    .await?;
    keeps_backup(&step, &skip)?;
    super::ssr::start::deploy_release(&state, &actor, &service, release, skip, step).await
}

/// Changes how many replicas of the live release run, starting new ones
/// health-gated or stopping surplus ones. Without a live release only the
/// desired count changes (`None`). From a runbook step (see [`deploy`])
/// the service and a fixed count must be the step's.
#[server(endpoint = "scale")]
pub async fn scale(
    service: String,
    replicas: String,
    #[server(default)] runbook: String,
    #[server(default)] runbook_version: Option<i32>,
    #[server(default)] runbook_step: Option<i32>,
    #[server(default)] runbook_run: Option<i64>,
) -> Result<Option<DeploymentStarted>, AppError> {
    let actor = require(Permission::Deploy).await?;
    bounds::check(&[
        ("service", &service, bounds::REFERENCE),
        ("replicas", &replicas, bounds::NUMBER),
    ])?;
    let state = app_state()?;
    let from = FromRunbook {
        runbook: &runbook,
        version: runbook_version,
        step: runbook_step,
        run: runbook_run,
    };
    let step = step_check::check(
        &state.db,
        from,
        Submitted::Scale {
            service: &service,
            replicas: &replicas,
        },
    )
    .await?;
    super::ssr::start::scale(&state, &actor, &service, &replicas, step).await
}

/// Replaces every replica of the live release with a fresh one, start-first
/// and health-gated, like a deploy of the same release (from a runbook
/// step, see [`deploy`]).
#[server(endpoint = "restart")]
pub async fn restart(
    service: String,
    #[server(default)] runbook: String,
    #[server(default)] runbook_version: Option<i32>,
    #[server(default)] runbook_step: Option<i32>,
    #[server(default)] runbook_run: Option<i64>,
) -> Result<DeploymentStarted, AppError> {
    let actor = require(Permission::Deploy).await?;
    bounds::check(&[("service", &service, bounds::REFERENCE)])?;
    let state = app_state()?;
    let from = FromRunbook {
        runbook: &runbook,
        version: runbook_version,
        step: runbook_step,
        run: runbook_run,
    };
    let step = step_check::check(&state.db, from, Submitted::Restart { service: &service }).await?;
    super::ssr::start::restart(&state, &actor, &service, step).await
}

/// Removes a service: stops and removes its replicas, then forgets it
/// (the audit log keeps its history). `confirm` must repeat
/// `environment/name`.
#[server(endpoint = "remove_service")]
pub async fn remove_service(service: String, confirm: String) -> Result<(), AppError> {
    let actor = require(Permission::Deploy).await?;
    bounds::check(&[
        ("service", &service, bounds::REFERENCE),
        ("confirm", &confirm, bounds::REFERENCE),
    ])?;
    let state = app_state()?;
    super::ssr::remove::remove(&state, &actor, &service, &confirm).await?;
    leptos_axum::redirect("/services");
    Ok(())
}
