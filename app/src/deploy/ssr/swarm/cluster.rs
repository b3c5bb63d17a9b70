//! The engine's swarm: whether it can run Swarm services, and its nodes.

use crate::deploy::{NodeView, SwarmView};
use crate::docker::PROBE_TIMEOUT;
use bollard::models::LocalNodeState;
use bollard::Docker;

/// `Ok` when `d` is an active Swarm manager; otherwise what is missing, in
/// words a person can act on.
pub async fn manager(d: &Docker) -> Result<(), String> {
    let info = tokio::time::timeout(PROBE_TIMEOUT, d.info())
        .await
        .map_err(|_| "the engine did not answer within 3 s".to_string())?
        .map_err(|e| format!("the engine did not answer: {e}"))?;
    let swarm = info.swarm.unwrap_or_default();
    if swarm.local_node_state != Some(LocalNodeState::ACTIVE) {
        return Err(
            "the engine is not in a swarm: run `docker swarm init` on it (or join it to one)"
                .into(),
        );
    }
    if swarm.control_available != Some(true) {
        return Err("the engine is a Swarm worker: give a manager's address".into());
    }
    Ok(())
}

/// The engine's swarm and, from a manager, its nodes; `None` when the
/// engine is in no swarm or does not answer.
pub async fn look(d: &Docker) -> Option<SwarmView> {
    let info = tokio::time::timeout(PROBE_TIMEOUT, d.info())
        .await
        .ok()?
        .ok()?;
    let swarm = info.swarm?;
    if swarm.local_node_state != Some(LocalNodeState::ACTIVE) {
        return None;
    }
    let manager = swarm.control_available == Some(true);
    let nodes = if manager {
        match tokio::time::timeout(PROBE_TIMEOUT, d.list_nodes(None)).await {
            Ok(Ok(nodes)) => nodes.into_iter().map(node_view).collect(),
            _ => vec![],
        }
    } else {
        vec![]
    };
    Some(SwarmView { manager, nodes })
}

fn node_view(n: bollard::models::Node) -> NodeView {
    let text = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    let description = n.description.unwrap_or_default();
    let status = n.status.unwrap_or_default();
    let spec = n.spec.unwrap_or_default();
    let leader = n.manager_status.and_then(|m| m.leader) == Some(true);
    let role = spec.role.map(|r| r.to_string());
    NodeView {
        hostname: text(description.hostname),
        role: match (role, leader) {
            (Some(r), true) => format!("{r} (leader)"),
            (r, _) => text(r),
        },
        state: text(status.state.map(|s| s.to_string())),
        availability: text(spec.availability.map(|a| a.to_string())),
        engine: text(description.engine.and_then(|e| e.engine_version)),
    }
}
