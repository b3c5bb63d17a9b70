//! The Swarm service spec of one release of a service: what `docker
//! service create/update` would send, with Opsdeck's rollout policy.

use super::super::engine::{LABEL_INSTALLATION, LABEL_RELEASE, LABEL_SERVICE};
use super::super::model::{ReleaseRow, ServiceRow};
use super::super::snapshot::Snapshot;
use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, HealthConfig, Limit, NetworkAttachmentConfig, ServiceSpec,
    ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};
use std::collections::HashMap;

const NANOS: i64 = 1_000_000_000;
const MIB: i64 = 1024 * 1024;

/// The engine's name of the service: unique per installation, at most 63
/// characters (a DNS label), readable where it fits.
pub fn engine_name(service: &ServiceRow) -> String {
    let installation = &service.installation[..service.installation.len().min(8)];
    let readable = format!("{}-{}-{installation}", service.environment, service.name);
    if readable.len() <= 63 {
        readable
    } else {
        format!("opsdeck-{}-{installation}", service.id)
    }
}

/// The labels that find the service on the engine.
pub fn service_labels(service: &ServiceRow) -> Vec<String> {
    vec![
        format!("{LABEL_INSTALLATION}={}", service.installation),
        format!("{LABEL_SERVICE}={}", service.id),
    ]
}

/// What the engine runs of `release`: the image it was recorded with,
/// pinned by digest where it has one (every node pulls the same bytes) and
/// by image id otherwise (an image built on the node itself).
pub fn image_of(release: &ReleaseRow) -> String {
    match &release.digest {
        Some(digest) if digest.contains("@sha256:") => digest.clone(),
        _ => release.image_id.clone(),
    }
}

/// How long the engine watches each new task before calling the update
/// good: one health check cycle, at least two seconds.
pub fn monitor_s(s: &Snapshot) -> i64 {
    (i64::from(s.health.interval_s) * i64::from(s.health.retries + 1)).max(2)
}

/// One release of the service, `replicas` tasks, `force` the counter that
/// replaces every task although nothing else changed (a restart).
pub struct Wanted<'a> {
    pub service: &'a ServiceRow,
    pub release: &'a ReleaseRow,
    pub env: Vec<String>,
    pub network_id: &'a str,
    pub replicas: i32,
    pub force: u64,
}

impl Wanted<'_> {
    pub fn spec(&self) -> ServiceSpec {
        let s = self.service;
        let snapshot = &self.release.config.0;
        let mut labels: HashMap<String, String> = service_labels(s)
            .into_iter()
            .filter_map(|l| l.split_once('=').map(|(k, v)| (k.into(), v.into())))
            .collect();
        labels.insert("opsdeck.service.name".into(), s.full_name());
        // Task containers carry the release: the replica table, the healthy
        // count and the event feed read them as they read standalone ones.
        let mut container_labels = labels.clone();
        container_labels.insert(LABEL_RELEASE.into(), self.release.id.to_string());
        labels.insert(LABEL_RELEASE.into(), self.release.id.to_string());
        let monitor = monitor_s(snapshot) * NANOS;
        ServiceSpec {
            name: Some(engine_name(s)),
            labels: Some(labels),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(image_of(self.release)),
                    labels: Some(container_labels),
                    env: Some(self.env.clone()),
                    health_check: Some(health_check(snapshot)),
                    stop_grace_period: Some(i64::from(snapshot.stop_timeout_s) * NANOS),
                    ..Default::default()
                }),
                resources: Some(TaskSpecResources {
                    limits: Some(Limit {
                        nano_cpus: snapshot.limits.cpu_millis.map(|c| i64::from(c) * 1_000_000),
                        memory_bytes: snapshot.limits.memory_mb.map(|m| i64::from(m) * MIB),
                        pids: Some(i64::from(snapshot.limits.pids)),
                    }),
                    ..Default::default()
                }),
                restart_policy: Some(TaskSpecRestartPolicy {
                    condition: Some(TaskSpecRestartPolicyConditionEnum::ANY),
                    delay: Some(NANOS),
                    ..Default::default()
                }),
                networks: Some(vec![NetworkAttachmentConfig {
                    target: Some(self.network_id.to_string()),
                    // The same name clients use on a standalone endpoint;
                    // the engine's VIP sends them to running tasks only.
                    aliases: Some(vec![s.name.clone()]),
                    ..Default::default()
                }]),
                force_update: Some(self.force),
                ..Default::default()
            }),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(i64::from(self.replicas)),
                }),
                ..Default::default()
            }),
            update_config: Some(ServiceSpecUpdateConfig {
                parallelism: Some(1),
                delay: Some(0),
                failure_action: Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK),
                monitor: Some(monitor),
                max_failure_ratio: Some(0.0),
                order: Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST),
            }),
            rollback_config: Some(ServiceSpecRollbackConfig {
                parallelism: Some(1),
                delay: Some(0),
                failure_action: Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE),
                monitor: Some(monitor),
                max_failure_ratio: Some(0.0),
                order: Some(ServiceSpecRollbackConfigOrderEnum::START_FIRST),
            }),
            endpoint_spec: Some(EndpointSpec {
                mode: Some(endpoint_mode(s)),
                ports: s.published_port.map(|published| {
                    vec![EndpointPortConfig {
                        protocol: Some(EndpointPortConfigProtocolEnum::TCP),
                        target_port: Some(i64::from(s.port)),
                        published_port: Some(i64::from(published)),
                        publish_mode: Some(EndpointPortConfigPublishModeEnum::INGRESS),
                        ..Default::default()
                    }]
                }),
            }),
            ..Default::default()
        }
    }
}

/// How clients find the tasks. Without a published port the service's
/// name resolves to the running tasks' own addresses (DNS round robin):
/// what a standalone endpoint's alias does, and it needs nothing of the
/// host's kernel. A published port needs the routing mesh, whose virtual
/// IP is balanced by the kernel's IPVS.
fn endpoint_mode(s: &ServiceRow) -> EndpointSpecModeEnum {
    if s.published_port.is_some() {
        EndpointSpecModeEnum::VIP
    } else {
        EndpointSpecModeEnum::DNSRR
    }
}

/// The service's command check as the container's HEALTHCHECK: the engine
/// holds a task back from the service's VIP until it passes.
fn health_check(s: &Snapshot) -> HealthConfig {
    let mut test = vec!["CMD".to_string()];
    test.extend(s.health.check.split_whitespace().map(String::from));
    HealthConfig {
        test: Some(test),
        interval: Some(i64::from(s.health.interval_s) * NANOS),
        timeout: Some(i64::from(s.health.timeout_s) * NANOS),
        retries: Some(i64::from(s.health.retries)),
        start_period: Some(i64::from(s.health.start_period_s) * NANOS),
        start_interval: None,
    }
}
