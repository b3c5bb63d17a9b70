//! Deployments: endpoints and environments, services, immutable releases,
//! and health-gated start-first rollouts with automatic rollback.
//!
//! Types shared by pages and server fns live here; the server fns are in
//! `api.rs`, the machinery in `ssr/`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod actions;
pub mod api;
mod deployment_page;
mod endpoints_page;
mod replica_panel;
#[cfg(feature = "ssr")]
pub mod routes;
mod service_form;
mod service_history;
mod service_logs;
mod service_page;
mod service_settings;
mod services_page;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod widgets;

pub use deployment_page::DeploymentPage;
pub use endpoints_page::EndpointsPage;
pub use service_form::NewServicePage;
pub use service_page::ServicePage;
pub use service_settings::ServiceSettingsPage;
pub use services_page::{replicas_cell, ServicesPage};

/// Where a deployment is in its life. `interrupted`: found running after the
/// process that ran it died; the reconciler has put the service back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    Running,
    Succeeded,
    RolledBack,
    Failed,
    Interrupted,
}

impl DeploymentState {
    pub const ALL: [DeploymentState; 5] = [
        DeploymentState::Running,
        DeploymentState::Succeeded,
        DeploymentState::RolledBack,
        DeploymentState::Failed,
        DeploymentState::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Running => "running",
            DeploymentState::Succeeded => "succeeded",
            DeploymentState::RolledBack => "rolled_back",
            DeploymentState::Failed => "failed",
            DeploymentState::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn is_finished(self) -> bool {
        self != DeploymentState::Running
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: i64,
    pub name: String,
    /// `local (<DOCKER_HOST>)` or the `tcp://` URL.
    pub address: String,
    /// Connected over TLS with a client certificate.
    pub tls: bool,
    /// The engine answered just now.
    pub reachable: bool,
    /// Its version, or why it did not answer.
    pub status: String,
    /// `standalone` or `swarm`: how services placed on it run.
    pub mode: String,
    /// The engine's swarm as it answered just now: `None` when it is not
    /// in one (or did not answer).
    pub swarm: Option<SwarmView>,
}

/// A swarm as one of its managers sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwarmView {
    /// This engine can manage the swarm (create and update services).
    pub manager: bool,
    /// Its nodes (listed only by a manager).
    pub nodes: Vec<NodeView>,
}

/// One node of a swarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeView {
    pub hostname: String,
    /// `manager` (with `leader` when it leads) or `worker`.
    pub role: String,
    /// `ready`, `down`, `unknown`, `disconnected`.
    pub state: String,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    pub engine: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentView {
    pub id: i64,
    pub name: String,
    pub endpoint: String,
    /// The endpoint runs services as Swarm services (the engine rolls
    /// them out) rather than as containers.
    pub swarm: bool,
    pub network: String,
}

/// A release in brief, as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ReleaseView {
    pub id: i64,
    pub number: i32,
    pub tag: String,
    pub image_id: String,
    pub digest: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub live: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentView {
    pub id: i64,
    pub service_id: i64,
    /// `environment/name`.
    pub service: String,
    pub kind: String,
    /// `None` while (or because) the tag's image is being pulled: the
    /// release is recorded once the image is on the endpoint.
    pub release: Option<i32>,
    pub tag: String,
    pub previous_release: Option<i32>,
    pub state: DeploymentState,
    pub reason: Option<String>,
    pub health_output: Option<String>,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The page of the backup taken before it, if one was.
    pub pre_deploy_backup: Option<String>,
    /// Why the deployer went without the pre-deploy backup.
    pub backup_skipped: Option<String>,
    /// The commit the deployer said it ships, and when it was made.
    pub commit_sha: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
    /// The incident the deployer said it fixes.
    pub fixes_incident: Option<i64>,
}

impl DeploymentView {
    /// "#3 v7", or "v7 (pulling)" / "v7 (not pulled)" before a release exists.
    pub fn release_text(&self) -> String {
        match self.release {
            Some(n) => format!("#{n} {}", self.tag),
            None if self.state == DeploymentState::Running => format!("{} (pulling)", self.tag),
            None => format!("{} (not pulled)", self.tag),
        }
    }

    /// Seconds from start to end (or to now while running).
    pub fn duration_secs(&self) -> i64 {
        let end = self.finished_at.unwrap_or_else(Utc::now);
        (end - self.started_at).num_seconds().max(0)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `info`, `warn` or `error`.
    pub level: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentDetail {
    pub deployment: DeploymentView,
    pub steps: Vec<StepView>,
}

/// What a deploy or rollback request answers at once; the rollout goes on
/// in the background and is followed at `/deployments/<id>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentStarted {
    pub deployment: i64,
    pub release: i32,
    pub url: String,
}

/// Where a saved service lives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedService {
    pub id: i64,
    /// Its page, `/services/<environment>/<name>`.
    pub url: String,
}

/// A service's settings as its form shows them. Secret values are never
/// sent back: only their names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceConfig {
    pub environment: String,
    pub name: String,
    pub image: String,
    pub port: i32,
    /// `http` or `command`.
    pub health_kind: String,
    pub health_check: String,
    pub health_interval_s: i32,
    pub health_timeout_s: i32,
    pub health_retries: i32,
    pub health_start_period_s: i32,
    pub replicas: i32,
    pub stop_timeout_s: i32,
    /// Seconds an old replica drains between leaving the DNS alias and SIGTERM.
    pub drain_s: i32,
    /// Whether replicas that vanish or die are put back between deployments.
    pub repair: bool,
    /// Plain variables as `NAME=value` lines.
    pub env: String,
    pub secret_names: Vec<String>,
    /// The backup target backed up before each deploy, if any.
    pub backup_target: Option<String>,
    /// Memory limit of each container in MiB; `None`: no limit.
    pub memory_mb: Option<i32>,
    /// CPUs each container may use, in thousandths; `None`: no limit.
    pub cpu_millis: Option<i32>,
    /// Most processes (and threads) each container may run.
    pub pids_limit: i32,
    /// The port a Swarm service publishes on every node, if any.
    pub published_port: Option<i32>,
}

/// The pids limit of a service that names none: room for a busy
/// application server's threads, not for a fork bomb.
pub const DEFAULT_PIDS_LIMIT: i32 = 512;

/// Thousandths of a CPU as the form shows them: 1500 → "1.5".
pub fn cpus_text(millis: i32) -> String {
    let text = format!("{}.{:03}", millis / 1000, millis % 1000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A service's limits in one line, e.g. "memory 256 MiB · 1.5 CPUs · 512 pids".
pub fn limits_text(memory_mb: Option<i32>, cpu_millis: Option<i32>, pids: i32) -> String {
    let memory = memory_mb.map_or("memory unlimited".to_string(), |m| {
        format!("memory {m} MiB")
    });
    let cpus = cpu_millis.map_or("CPUs unlimited".to_string(), |c| {
        format!("{} CPUs", cpus_text(c))
    });
    format!("{memory} · {cpus} · {pids} pids")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub id: i64,
    pub environment: String,
    pub name: String,
    pub image: String,
    pub live: Option<ReleaseView>,
    pub desired: i32,
    /// Running replicas of the live release that pass their health check
    /// now; `None` when the endpoint cannot be asked.
    pub healthy: Option<i32>,
    pub last: Option<DeploymentView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceDetail {
    pub summary: ServiceSummary,
    pub config: ServiceConfig,
    pub endpoint: String,
    /// Its endpoint runs it as a Swarm service.
    pub swarm: bool,
    pub network: String,
    pub releases: Vec<ReleaseView>,
    pub deployments: Vec<DeploymentView>,
    /// Tags of the image present on the endpoint, newest first.
    pub tags: Vec<String>,
}

/// Whether `tag` is an image tag as the engine accepts it: 1 to 128
/// letters, digits, `_`, `.` or `-`, not starting with `.` or `-`. Shared by
/// the deploy check and the runbook step parser (which runs without ssr).
pub fn is_image_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !tag.starts_with(['.', '-'])
}

/// One replica as the engine has it (the `replicas` event: the whole set,
/// sent at first and whenever a replica is created, starts, stops, changes
/// health or goes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaState {
    pub id: String,
    pub name: String,
    /// The release number; `None` if the release is no longer recorded.
    pub release: Option<i32>,
    /// The engine's word: `running`, `exited`, `created`, …
    pub state: String,
    /// `healthy`, `unhealthy` or `starting`; `None` without a HEALTHCHECK.
    pub health: Option<String>,
    pub running: bool,
    /// A Swarm task's slot (`web.2` is slot 2); `None` on a standalone engine.
    #[serde(default)]
    pub slot: Option<i64>,
    /// The Swarm node that runs the task; `None` on a standalone engine.
    #[serde(default)]
    pub node: Option<String>,
    /// The engine's error for a Swarm task that failed or cannot start.
    #[serde(default)]
    pub message: Option<String>,
}

/// One stats sample of one running replica (the `usage` event, about once
/// a second each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaUsage {
    pub id: String,
    /// `None` on a replica's first sample (CPU use needs two).
    pub cpu_percent: Option<f64>,
    /// In use, page cache left out, as `docker stats` counts it.
    pub memory_bytes: Option<u64>,
    /// The replica's memory limit, or the host's memory without one.
    pub memory_limit_bytes: Option<u64>,
    pub up_seconds: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_show_without_trailing_zeros() {
        assert_eq!(cpus_text(1500), "1.5");
        assert_eq!(cpus_text(2000), "2");
        assert_eq!(cpus_text(10), "0.01");
        assert_eq!(cpus_text(1250), "1.25");
    }

    #[test]
    fn limits_text_names_unset_limits_as_unlimited() {
        assert_eq!(
            limits_text(Some(256), None, 512),
            "memory 256 MiB · CPUs unlimited · 512 pids"
        );
    }
}
