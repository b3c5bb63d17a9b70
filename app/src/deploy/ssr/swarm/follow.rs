//! Following a Swarm service update: the update status and each task's
//! state, written into the deployment's steps as they change.

use super::super::engine::LABEL_RELEASE;
use super::super::health::Unhealthy;
use super::super::snapshot::Snapshot;
use super::super::steps::StepLog;
use super::spec::monitor_s;
use bollard::models::{
    Service, ServiceUpdateStatus, ServiceUpdateStatusStateEnum as Update, Task, TaskState,
};
use bollard::query_parameters::ListTasksOptionsBuilder;
use bollard::Docker;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What the rollout waits for.
#[derive(Clone, Debug)]
pub enum Goal {
    /// `replicas` running tasks of `release` and no other running task
    /// (a new service, or a new replica count).
    Converged { release: i64, replicas: i32 },
    /// The update started after `before` (the previous update's start, if
    /// any) completes, then as `Converged`.
    Updated {
        release: i64,
        replicas: i32,
        before: Option<String>,
    },
}

/// How following ended when it did not reach its goal.
#[derive(Debug)]
pub enum Failure {
    /// The engine rolled the update back: the previous spec serves.
    RolledBack(Unhealthy),
    Failed(Unhealthy),
}

impl Failure {
    pub fn into_unhealthy(self) -> Unhealthy {
        match self {
            Failure::RolledBack(u) | Failure::Failed(u) => u,
        }
    }
}

fn failed(reason: impl Into<String>) -> Failure {
    Failure::Failed(Unhealthy {
        reason: reason.into(),
        output: None,
    })
}

/// When the service's newest update started, as the engine says it (a
/// new value means a new update).
pub fn update_started(s: &Service) -> Option<String> {
    let status = s.update_status.as_ref()?;
    status.started_at.as_ref().map(|t| format!("{t:?}"))
}

/// Whether the service's spec runs `release` now.
pub fn runs_release(s: &Service, release: i64) -> bool {
    let labels = s
        .spec
        .as_ref()
        .and_then(|s| s.task_template.as_ref())
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.labels.as_ref());
    labels.and_then(|l| l.get(LABEL_RELEASE)) == Some(&release.to_string())
}

/// The release a task runs, from its container's label.
pub(super) fn release_of(t: &Task) -> Option<i64> {
    t.spec
        .as_ref()?
        .container_spec
        .as_ref()?
        .labels
        .as_ref()?
        .get(LABEL_RELEASE)?
        .parse()
        .ok()
}

fn running(t: &Task) -> bool {
    let state = t.status.as_ref().and_then(|s| s.state);
    state == Some(TaskState::RUNNING) && t.desired_state == Some(TaskState::RUNNING)
}

/// What the engine said of the update so far.
#[derive(Default)]
struct UpdateWatch {
    /// Its last state and message, to write each change once.
    said: Option<String>,
    /// The engine says why it rolls back when it starts to; when it is
    /// done it only says "rollback completed".
    rollback_cause: String,
}

impl UpdateWatch {
    /// `state: message` when it differs from the last one seen.
    fn changed(&mut self, status: &ServiceUpdateStatus) -> Option<String> {
        let state = status.state.map(|s| s.to_string()).unwrap_or_default();
        let said = format!("{state}: {}", status.message.as_deref().unwrap_or_default());
        if self.said.as_ref() == Some(&said) {
            return None;
        }
        self.said = Some(said.clone());
        Some(said)
    }

    /// `Err` once the engine rolled the update back or paused it.
    fn judge(&mut self, status: &ServiceUpdateStatus, last_error: &str) -> Result<(), Failure> {
        let message = status.message.clone().unwrap_or_default();
        match status.state {
            Some(Update::ROLLBACK_STARTED) if self.rollback_cause.is_empty() => {
                self.rollback_cause = message;
                Ok(())
            }
            Some(Update::ROLLBACK_COMPLETED) => {
                let cause = match self.rollback_cause.as_str() {
                    "" => message.as_str(),
                    cause => cause,
                };
                let task = match last_error {
                    "" => String::new(),
                    e => format!(" (task error: {e})"),
                };
                Err(Failure::RolledBack(Unhealthy {
                    reason: format!("the engine rolled the update back: {cause}{task}"),
                    output: Some(last_error.to_string()).filter(|e| !e.is_empty()),
                }))
            }
            Some(Update::PAUSED) | Some(Update::ROLLBACK_PAUSED) => {
                let state = status.state.map(|s| s.to_string()).unwrap_or_default();
                Err(failed(format!(
                    "the engine paused the update ({state}): {message}"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Follows one engine service.
pub struct Follow<'a> {
    docker: &'a Docker,
    log: &'a StepLog,
    id: String,
    /// Each task's last reported state.
    seen: HashMap<String, String>,
    /// Tasks have been looked at once: the engine keeps finished tasks of
    /// earlier updates, which the first look records without reporting.
    looked: bool,
}

impl<'a> Follow<'a> {
    pub fn new(docker: &'a Docker, log: &'a StepLog, id: String) -> Self {
        Follow {
            docker,
            log,
            id,
            seen: HashMap::new(),
            looked: false,
        }
    }

    /// Polls twice a second until `goal`, a failure, or a time budget
    /// generous for the service's health timings runs out.
    pub async fn until(mut self, goal: Goal, snapshot: &Snapshot) -> Result<(), Failure> {
        let (release, replicas) = match &goal {
            Goal::Converged { release, replicas }
            | Goal::Updated {
                release, replicas, ..
            } => (*release, *replicas),
        };
        let deadline = Instant::now() + budget(snapshot, replicas);
        let mut update = UpdateWatch::default();
        let mut last_error = String::new();
        loop {
            let service = self
                .docker
                .inspect_service(&self.id, None)
                .await
                .map_err(|e| failed(format!("reading the Swarm service: {e}")))?;
            let tasks = self.tasks().await?;
            if let Some(e) = self.report(&tasks, release).await {
                last_error = e;
            }
            let live: Vec<&Task> = tasks.iter().filter(|t| running(t)).collect();
            let converged = live.len() == replicas as usize
                && live.iter().all(|t| release_of(t) == Some(release));
            let status = match &goal {
                Goal::Updated { before, .. } if update_started(&service) != *before => {
                    service.update_status.clone()
                }
                _ => None,
            };
            if let Some(status) = &status {
                if let Some(said) = update.changed(status) {
                    self.log.info(format!("engine: update {said}")).await;
                }
                update.judge(status, &last_error)?;
            }
            let update_done = match &goal {
                Goal::Converged { .. } => true,
                Goal::Updated { .. } => {
                    status.as_ref().and_then(|s| s.state) == Some(Update::COMPLETED)
                }
            };
            if update_done && converged {
                self.log
                    .info(format!(
                        "{replicas} task(s) of the release running and healthy"
                    ))
                    .await;
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(timed_out(snapshot, replicas, &last_error));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn tasks(&self) -> Result<Vec<Task>, Failure> {
        let filters = HashMap::from([("service", vec![self.id.clone()])]);
        let options = ListTasksOptionsBuilder::default().filters(&filters).build();
        self.docker
            .list_tasks(Some(options))
            .await
            .map_err(|e| failed(format!("listing the service's tasks: {e}")))
    }

    /// Writes each task whose state changed; returns the newest task error.
    async fn report(&mut self, tasks: &[Task], release: i64) -> Option<String> {
        let mut error = None;
        let mut tasks: Vec<&Task> = tasks.iter().collect();
        tasks.sort_by_key(|t| t.updated_at.as_ref().map(|u| format!("{u:?}")));
        for t in tasks {
            let Some(id) = t.id.clone() else { continue };
            let status = t.status.clone().unwrap_or_default();
            let state = status.state.map(|s| s.to_string()).unwrap_or_default();
            if self.seen.get(&id) == Some(&state) {
                continue;
            }
            self.seen.insert(id.clone(), state.clone());
            if !self.looked && t.desired_state != Some(TaskState::RUNNING) {
                continue;
            }
            let which = if release_of(t) == Some(release) {
                "new"
            } else {
                "old"
            };
            let slot = t.slot.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
            let err = status.err.clone().filter(|e| !e.is_empty());
            let line = format!(
                "task {slot} ({which}, {}) {state}{}",
                &id[..id.len().min(12)],
                err.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
            );
            match status.state {
                Some(TaskState::FAILED) | Some(TaskState::REJECTED) => {
                    error = err.or(Some(state));
                    self.log.warn(line).await
                }
                _ => self.log.info(line).await,
            }
        }
        self.looked = true;
        error
    }
}

fn timed_out(snapshot: &Snapshot, replicas: i32, last_error: &str) -> Failure {
    let why = match last_error {
        "" => String::new(),
        e => format!("; last task error: {e}"),
    };
    failed(format!(
        "the engine did not bring {replicas} healthy task(s) of the release up within {} s{why}",
        budget(snapshot, replicas).as_secs()
    ))
}

/// How long the engine may take: each task's health gate and monitor
/// period, for the update and its rollback, plus a minute.
fn budget(s: &Snapshot, replicas: i32) -> Duration {
    let h = &s.health;
    let per_task = i64::from(h.start_period_s)
        + i64::from(h.interval_s + h.timeout_s) * i64::from(h.retries + 1)
        + monitor_s(s)
        + 10;
    let tasks = i64::from(replicas.max(1)) + 1;
    Duration::from_secs((per_task * tasks * 2 + 60) as u64)
}
