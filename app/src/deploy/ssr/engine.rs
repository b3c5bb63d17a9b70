//! The Docker side of a rollout: networks, images, replica containers and
//! their health. No database here; callers log the steps.

use super::model::ServiceRow;
use super::snapshot::Snapshot;
use crate::docker::DockerHandle;
use crate::AppError;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, NetworkingConfig,
    RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use secrecy::ExposeSecret;
use std::collections::HashMap;

pub use super::inspect::{being_stopped, inspect, tail_logs, Inspection};
pub use super::network::{ensure_network, join_alias, leave_alias};

pub const LABEL_SERVICE: &str = "opsdeck.service";
pub const LABEL_RELEASE: &str = "opsdeck.release";
pub const LABEL_DEPLOYMENT: &str = "opsdeck.deployment";
pub const LABEL_SLOT: &str = "opsdeck.slot";
pub const LABEL_INSTALLATION: &str = "opsdeck.installation";

const NANOS: i64 = 1_000_000_000;
const MIB: i64 = 1024 * 1024;

/// A replica container of a service, as the engine reports it.
#[derive(Clone, Debug)]
pub struct Replica {
    pub id: String,
    pub name: String,
    pub release_id: i64,
    pub slot: i32,
    pub running: bool,
}

/// What to start: one replica of one release.
pub struct ReplicaSpec<'a> {
    pub installation: &'a str,
    pub service_id: i64,
    pub service_name: &'a str,
    pub environment: &'a str,
    pub network: &'a str,
    /// The network's id: a name can be ambiguous for a moment (see
    /// [`ensure_network`]).
    pub network_id: &'a str,
    pub release_id: i64,
    pub release_number: i32,
    pub deployment_id: i64,
    pub slot: i32,
    pub image_id: &'a str,
    pub snapshot: &'a Snapshot,
    pub env: Vec<String>,
}

pub fn engine_error(docker: &DockerHandle, e: bollard::errors::Error) -> AppError {
    use bollard::errors::Error::*;
    match e {
        DockerResponseServerError {
            status_code,
            message,
        } if status_code < 500 => {
            AppError::internal(format!("Docker engine said {status_code}: {message}"))
        }
        DockerResponseServerError { message, .. } => {
            AppError::Unavailable(format!("the Docker engine failed: {message}"))
        }
        other => docker.unreachable(other),
    }
}

/// The image id and repo digest `reference` names on this engine, if present.
pub async fn local_image(
    d: &Docker,
    reference: &str,
) -> Result<Option<(String, Option<String>)>, bollard::errors::Error> {
    match d.inspect_image(reference).await {
        Ok(img) => {
            let digest = img.repo_digests.and_then(|v| v.into_iter().next());
            Ok(img.id.map(|id| (id, digest)))
        }
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every container of the service, whatever its state.
pub async fn replicas(
    d: &Docker,
    service: &ServiceRow,
) -> Result<Vec<Replica>, bollard::errors::Error> {
    let labels = vec![
        format!("{LABEL_INSTALLATION}={}", service.installation),
        format!("{LABEL_SERVICE}={}", service.id),
    ];
    Ok(listed(d, labels)
        .await?
        .into_iter()
        .map(|l| l.replica)
        .collect())
}

/// A replica as a container listing shows it: enough to count it healthy
/// without an inspect per replica.
#[derive(Clone, Debug)]
pub struct Listed {
    pub replica: Replica,
    pub service_id: i64,
    /// The engine's verdict on its HEALTHCHECK, from the status text.
    pub engine_healthy: bool,
    /// Its address on each network it is connected to.
    pub ips: HashMap<String, String>,
}

/// Every replica of this installation on one engine, in one listing.
pub async fn installation_replicas(
    d: &Docker,
    installation: &str,
) -> Result<Vec<Listed>, bollard::errors::Error> {
    listed(d, vec![format!("{LABEL_INSTALLATION}={installation}")]).await
}

async fn listed(d: &Docker, labels: Vec<String>) -> Result<Vec<Listed>, bollard::errors::Error> {
    let filters = HashMap::from([("label", labels)]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = d.list_containers(Some(options)).await?;
    Ok(list.into_iter().filter_map(to_listed).collect())
}

fn to_listed(c: bollard::models::ContainerSummary) -> Option<Listed> {
    let labels = c.labels.unwrap_or_default();
    let number = |k: &str| labels.get(k).and_then(|v| v.parse::<i64>().ok());
    let ips = c
        .network_settings
        .and_then(|n| n.networks)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(net, e)| Some((net, e.ip_address.filter(|ip| !ip.is_empty())?)))
        .collect();
    Some(Listed {
        replica: Replica {
            id: c.id?,
            name: c
                .names
                .and_then(|n| n.into_iter().next())
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            release_id: number(LABEL_RELEASE)?,
            slot: number(LABEL_SLOT).unwrap_or(0) as i32,
            running: c.state.map(|s| s.to_string()) == Some("running".into()),
        },
        service_id: number(LABEL_SERVICE)?,
        // "Up 3 minutes (healthy)"; API 1.41 lists no health field.
        engine_healthy: c.status.is_some_and(|s| s.ends_with("(healthy)")),
        ips,
    })
}

/// The container name: service, release and slot at a glance; the
/// deployment id keeps two deployments of one release apart.
pub fn container_name(spec: &ReplicaSpec) -> String {
    format!(
        "{}-{}-r{}-s{}-d{}-{}",
        spec.environment,
        spec.service_name,
        spec.release_number,
        spec.slot,
        spec.deployment_id,
        &spec.installation[..spec.installation.len().min(8)]
    )
}

/// Creates and starts one replica; returns its container id.
pub async fn start_replica(
    d: &Docker,
    spec: &ReplicaSpec<'_>,
) -> Result<String, bollard::errors::Error> {
    let labels = HashMap::from([
        (
            LABEL_INSTALLATION.to_string(),
            spec.installation.to_string(),
        ),
        (LABEL_SERVICE.to_string(), spec.service_id.to_string()),
        (LABEL_RELEASE.to_string(), spec.release_id.to_string()),
        (LABEL_DEPLOYMENT.to_string(), spec.deployment_id.to_string()),
        (LABEL_SLOT.to_string(), spec.slot.to_string()),
        (
            "opsdeck.service.name".to_string(),
            format!("{}/{}", spec.environment, spec.service_name),
        ),
    ]);
    let limits = &spec.snapshot.limits;
    let body = ContainerCreateBody {
        image: Some(spec.image_id.to_string()),
        env: Some(spec.env.clone()),
        labels: Some(labels),
        exposed_ports: Some(vec![format!("{}/tcp", spec.snapshot.port)]),
        healthcheck: docker_healthcheck(spec.snapshot),
        stop_timeout: Some(spec.snapshot.stop_timeout_s as i64),
        host_config: Some(HostConfig {
            // No restarts until the replica has passed its health gate:
            // see `keep_running`.
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::NO),
                maximum_retry_count: None,
            }),
            network_mode: Some(spec.network_id.to_string()),
            memory: limits.memory_mb.map(|m| i64::from(m) * MIB),
            nano_cpus: limits.cpu_millis.map(|c| i64::from(c) * 1_000_000),
            pids_limit: Some(i64::from(limits.pids)),
            ..Default::default()
        }),
        // No service alias yet: it is given once the replica is healthy
        // (see `network::join_alias`); until then it has only its own name.
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                spec.network_id.to_string(),
                EndpointSettings::default(),
            )])),
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default()
        .name(&container_name(spec))
        .build();
    let id = d.create_container(Some(options), body).await?.id;
    if let Err(e) = d.start_container(&id, None).await {
        let _ = remove_replica(d, &id, 0).await;
        return Err(e);
    }
    Ok(id)
}

/// Lets the engine restart a healthy replica from now on (after a crash or
/// a reboot of the host), like `docker update --restart unless-stopped`.
pub async fn keep_running(d: &Docker, id: &str) -> Result<(), bollard::errors::Error> {
    let update = bollard::models::ContainerUpdateBody {
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
            maximum_retry_count: None,
        }),
        ..Default::default()
    };
    d.update_container(id, update).await.map(|_| ())
}

/// A command health check runs inside the container, by the engine; an
/// HTTP one is probed by Opsdeck itself, so images need no HTTP client.
fn docker_healthcheck(s: &Snapshot) -> Option<HealthConfig> {
    if s.health.kind != "command" {
        return None;
    }
    let mut test = vec!["CMD".to_string()];
    test.extend(s.health.check.split_whitespace().map(String::from));
    Some(HealthConfig {
        test: Some(test),
        interval: Some(s.health.interval_s as i64 * NANOS),
        timeout: Some(s.health.timeout_s as i64 * NANOS),
        retries: Some(s.health.retries as i64),
        start_period: Some(s.health.start_period_s as i64 * NANOS),
        start_interval: None,
    })
}

/// Stops (within the stop timeout) and removes a container; gone already is fine.
pub async fn remove_replica(
    d: &Docker,
    id: &str,
    stop_timeout_s: i32,
) -> Result<(), bollard::errors::Error> {
    let stop = StopContainerOptionsBuilder::default()
        .t(stop_timeout_s)
        .build();
    match d.stop_container(id, Some(stop)).await {
        Ok(()) => {}
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => return Ok(()),
        Err(e) => return Err(e),
    }
    let rm = RemoveContainerOptionsBuilder::default().force(true).build();
    match d.remove_container(id, Some(rm)).await {
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        other => other,
    }
}

/// How a stop went.
#[derive(Debug, PartialEq)]
pub struct Stopped {
    /// The engine had to kill the process when the stop timeout ran out.
    pub ignored_sigterm: bool,
}

/// Stops a running replica: SIGTERM, then SIGKILL after `stop_timeout_s`.
/// A stop that lasted the whole timeout, or ended in exit code 137 (killed),
/// means the process did not act on SIGTERM.
pub async fn stop_replica(
    d: &Docker,
    id: &str,
    stop_timeout_s: i32,
) -> Result<Stopped, bollard::errors::Error> {
    let began = std::time::Instant::now();
    let stop = StopContainerOptionsBuilder::default()
        .t(stop_timeout_s)
        .build();
    d.stop_container(id, Some(stop)).await?;
    let took = began.elapsed();
    let code = d
        .inspect_container(id, None)
        .await?
        .state
        .and_then(|s| s.exit_code);
    let timed_out = took >= std::time::Duration::from_secs(stop_timeout_s as u64);
    Ok(Stopped {
        ignored_sigterm: stop_timeout_s > 0 && (timed_out || code == Some(137)),
    })
}

/// `NAME=value` pairs for the container, secrets opened only here.
pub fn container_env(
    s: &Snapshot,
    secrets: &crate::secrets::SecretBox,
) -> Result<Vec<String>, AppError> {
    let mut env: Vec<String> = s.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for (k, sealed) in &s.secrets {
        let plain = Snapshot::unseal(sealed, secrets).ok_or_else(|| {
            AppError::internal(format!(
                "secret {k} cannot be opened: was OPSDECK_SECRET_KEY changed?"
            ))
        })?;
        env.push(format!("{k}={}", plain.expose_secret()));
    }
    Ok(env)
}
