//! Opsdeck running in a container joins each environment network itself.
//!
//! HTTP health checks are probed by Opsdeck at the replica's address on the
//! environment network (see `health.rs`). On the host that address is
//! routable; from a container on another bridge network the engine's
//! isolation rules drop the packets, and every rollout would end unhealthy.
//! So when Opsdeck finds itself in a container of the engine it deploys to,
//! it connects that container to the network, once per network per process.
//! On another engine (a remote endpoint) its container does not exist, the
//! engine says 404, and nothing changes: there the network must be routable.

use bollard::models::NetworkConnectRequest;
use bollard::Docker;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// This process's container id, read once: the engine bind-mounts
/// `/etc/hostname` (and `hosts`, `resolv.conf`) from
/// `…/containers/<64 hex id>/`, which works under cgroup v1 and v2 alike.
/// `None` outside a Docker container.
pub fn own_container_id() -> Option<&'static str> {
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(|| {
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        container_id_in(&mounts)
    })
    .as_deref()
}

fn container_id_in(mountinfo: &str) -> Option<String> {
    mountinfo.lines().find_map(|line| {
        let (_, after) = line.split_once("/containers/")?;
        let id = after.split('/').next()?;
        let is_id = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
        (is_id && line.contains("/etc/hostname ")).then(|| id.to_string())
    })
}

/// Connects Opsdeck's own container to `network_id` when it runs in one.
/// Failures are logged, not returned: a rollout may still work (a routable
/// network, command health checks), and its health step says when not.
pub async fn join_own_container(d: &Docker, network_id: &str) {
    static JOINED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let Some(me) = own_container_id() else {
        return;
    };
    let seen = |joined: &mut Option<HashSet<String>>| {
        !joined
            .get_or_insert_with(HashSet::new)
            .insert(network_id.to_string())
    };
    if seen(&mut JOINED.lock().unwrap_or_else(|p| p.into_inner())) {
        return;
    }
    let request = NetworkConnectRequest {
        container: me.to_string(),
        endpoint_config: None,
    };
    match d.connect_network(network_id, request).await {
        Ok(()) => tracing::info!(
            network_id,
            "joined the environment network to probe replicas"
        ),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        }) if status_code == 404 || message.contains("already exists") => {}
        Err(e) => {
            tracing::warn!(network_id, error = %e, "could not join the environment network: HTTP health checks may not reach replicas");
            // Try again with the next rollout.
            if let Some(set) = JOINED.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                set.remove(network_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::container_id_in;

    #[test]
    fn the_container_id_is_read_from_the_hostname_mount() {
        let id = "3f".repeat(32);
        let mounts = format!(
            "1 0 0:1 / / rw - overlay overlay rw\n\
             42 27 254:0 /var/lib/docker/containers/{id}/hostname /etc/hostname rw - ext4 /dev/vda rw\n"
        );
        assert_eq!(container_id_in(&mounts), Some(id));
    }

    #[test]
    fn outside_a_container_there_is_no_id() {
        let mounts = "42 27 254:0 /var/lib/docker /var/lib/docker rw - ext4 /dev/vda rw\n";
        assert_eq!(container_id_in(mounts), None);
    }
}
