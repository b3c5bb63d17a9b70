//! A Swarm service's tasks as the replica table shows them.
//!
//! The manager's task list is cluster-wide: a task on any node is listed,
//! with its slot, node, state and the engine's error. Container events and
//! stats, by contrast, are node-local: a task's health and usage come from
//! its container where the endpoint's engine runs it (every task of a
//! single-node swarm; the manager's own tasks on a larger one) and are
//! left blank elsewhere rather than guessed.

use super::follow::release_of;
use super::spec::engine_name;
use crate::deploy::ssr::engine::{Listed, Replica, LABEL_INSTALLATION, LABEL_SERVICE};
use crate::deploy::ssr::inspect;
use crate::deploy::ssr::model::ServiceRow;
use crate::deploy::ReplicaState;
use bollard::models::{Task, TaskState};
use bollard::query_parameters::ListTasksOptionsBuilder;
use bollard::Docker;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The service's current tasks (those meant to run, and those still
/// stopping), each a replica row; `started` gets each running one's start.
pub async fn replica_states(
    d: &Docker,
    service: &ServiceRow,
    numbers: &HashMap<i64, i32>,
    started: &mut HashMap<String, DateTime<Utc>>,
) -> Result<Vec<ReplicaState>, bollard::errors::Error> {
    let name = engine_name(service);
    let filters = HashMap::from([("service", vec![name.clone()])]);
    let options = ListTasksOptionsBuilder::default().filters(&filters).build();
    let tasks: Vec<Task> = d
        .list_tasks(Some(options))
        .await?
        .into_iter()
        .filter(current)
        .collect();
    let hosts = hostnames(d).await;
    let mut states = Vec::with_capacity(tasks.len());
    for t in tasks {
        states.push(row(d, &name, t, numbers, &hosts, started).await);
    }
    states.sort_by(|a, b| (a.release, a.slot, &a.id).cmp(&(b.release, b.slot, &b.id)));
    Ok(states)
}

/// A task the table shows: meant to run, or not yet finished (an old task
/// draining during an update). Finished ones are history (`docker
/// service ps` shows them; the deployment's steps tell their story).
fn current(t: &Task) -> bool {
    let state = t.status.as_ref().and_then(|s| s.state);
    t.desired_state == Some(TaskState::RUNNING) || !state.is_some_and(finished)
}

fn finished(s: TaskState) -> bool {
    matches!(
        s,
        TaskState::COMPLETE
            | TaskState::SHUTDOWN
            | TaskState::FAILED
            | TaskState::REJECTED
            | TaskState::ORPHANED
            | TaskState::REMOVE
    )
}

/// Node id → hostname; empty when the engine cannot say (rows then show
/// the node's id).
async fn hostnames(d: &Docker) -> HashMap<String, String> {
    let nodes = d.list_nodes(None).await.unwrap_or_default();
    nodes
        .into_iter()
        .filter_map(|n| Some((n.id?, n.description?.hostname?)))
        .collect()
}

async fn row(
    d: &Docker,
    name: &str,
    t: Task,
    numbers: &HashMap<i64, i32>,
    hosts: &HashMap<String, String>,
    started: &mut HashMap<String, DateTime<Utc>>,
) -> ReplicaState {
    let status = t.status.clone().unwrap_or_default();
    let running = status.state == Some(TaskState::RUNNING);
    let container = container_id(&t);
    // Health and start from the container where this engine runs it.
    let look = match &container {
        Some(id) => d.inspect_container(id, None).await.ok(),
        None => None,
    };
    let state = look.and_then(|l| l.state).unwrap_or_default();
    let since = inspect::started(&state);
    let id = container.or_else(|| t.id.clone()).unwrap_or_default();
    if let Some(since) = since.filter(|_| running) {
        started.insert(id.clone(), since);
    }
    let slot = t.slot;
    ReplicaState {
        name: match slot {
            Some(s) => format!("{name}.{s}"),
            None => name.to_string(),
        },
        release: release_of(&t).and_then(|r| numbers.get(&r).copied()),
        state: status.state.map(|s| s.to_string()).unwrap_or_default(),
        health: inspect::health_word(&state),
        running,
        slot,
        node: t.node_id.map(|n| hosts.get(&n).cloned().unwrap_or(n)),
        message: status.err.filter(|e| !e.is_empty()),
        id,
    }
}

/// The id of the task's container, once the engine made one.
fn container_id(t: &Task) -> Option<String> {
    let status = t.status.as_ref()?.container_status.as_ref()?;
    status.container_id.clone()
}

/// Every task of this installation's services meant to run, across the
/// swarm, as the healthy counts read them (`engine::Listed`). The engine
/// holds a task whose container has a HEALTHCHECK in `starting` until the
/// check passes, and replaces it when it fails, so a running task is a
/// healthy one; Swarm services always have a command check.
pub async fn installation_tasks(
    d: &Docker,
    installation: &str,
) -> Result<Vec<Listed>, bollard::errors::Error> {
    let filters = HashMap::from([("desired-state", vec!["running".to_string()])]);
    let options = ListTasksOptionsBuilder::default().filters(&filters).build();
    let tasks = d.list_tasks(Some(options)).await?;
    Ok(tasks
        .into_iter()
        .filter_map(|t| listed(t, installation))
        .collect())
}

fn listed(t: Task, installation: &str) -> Option<Listed> {
    let labels = t.spec.as_ref()?.container_spec.as_ref()?.labels.as_ref()?;
    if labels.get(LABEL_INSTALLATION).map(String::as_str) != Some(installation) {
        return None;
    }
    let service_id = labels.get(LABEL_SERVICE)?.parse().ok()?;
    let running = t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING);
    Some(Listed {
        replica: Replica {
            id: container_id(&t).or_else(|| t.id.clone())?,
            name: t.id.clone().unwrap_or_default(),
            release_id: release_of(&t)?,
            slot: t.slot.unwrap_or(0) as i32,
            running,
        },
        service_id,
        engine_healthy: running,
        ips: HashMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::TaskStatus;

    fn task(desired: TaskState, state: TaskState) -> Task {
        Task {
            desired_state: Some(desired),
            status: Some(TaskStatus {
                state: Some(state),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_table_shows_tasks_meant_to_run_and_those_still_stopping() {
        assert!(current(&task(TaskState::RUNNING, TaskState::STARTING)));
        assert!(current(&task(TaskState::RUNNING, TaskState::FAILED)));
        assert!(current(&task(TaskState::SHUTDOWN, TaskState::RUNNING)));
        assert!(!current(&task(TaskState::SHUTDOWN, TaskState::SHUTDOWN)));
        assert!(!current(&task(TaskState::SHUTDOWN, TaskState::FAILED)));
    }
}
