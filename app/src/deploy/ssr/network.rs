//! The Docker network of an environment, and the service's name on it.
//!
//! Clients reach a service by its DNS alias on the environment network, and
//! the engine's DNS hands out every address that carries the alias, healthy
//! or not. So a replica carries the alias only while it may serve: it joins
//! after its health gate and leaves before it is stopped. Docker 20.10 (API
//! 1.41) cannot change the aliases of a connected container, hence the
//! disconnect and reconnect; the replica keeps its own name on the network,
//! where health probes reach it. The engine gave it back the same address
//! in each of 80 measured leaves, so the gap costs little: a client that
//! resolved the alias just before the disconnect waits one SYN
//! retransmission (1 s) and then gets its answer (see
//! `server/tests/it/deploy_drain.rs`).

use bollard::models::{
    EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
};
use bollard::Docker;
use std::collections::HashMap;

/// The id of the environment's network, created when missing. Docker
/// lets two concurrent creations make two networks of one name (which then
/// cannot be used by name), so creation is serialised in this process, and
/// every process settles on the oldest of any duplicates and removes the
/// others while they are empty.
pub async fn ensure_network(d: &Docker, name: &str) -> Result<String, bollard::errors::Error> {
    ensure(d, name, false).await
}

/// The environment's network on a Swarm endpoint: an attachable overlay,
/// so tasks on every node share it and other containers (a reverse proxy,
/// Opsdeck itself) can join it.
pub async fn ensure_overlay(d: &Docker, name: &str) -> Result<String, bollard::errors::Error> {
    ensure(d, name, true).await
}

async fn ensure(d: &Docker, name: &str, overlay: bool) -> Result<String, bollard::errors::Error> {
    static CREATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = CREATING.lock().await;
    let mut found = networks_named(d, name).await?;
    if found.is_empty() {
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some(if overlay { "overlay" } else { "bridge" }.into()),
            attachable: overlay.then_some(true),
            labels: Some(HashMap::from([("opsdeck.managed".into(), "true".into())])),
            ..Default::default()
        };
        d.create_network(request).await?;
        found = networks_named(d, name).await?;
    }
    let mut found = found.into_iter();
    let keep = found
        .next()
        .ok_or_else(|| bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message: format!("network {name} vanished after it was created"),
        })?;
    // The engine refuses to remove a network that containers use.
    for extra in found.filter_map(|n| n.id) {
        let _ = d.remove_network(&extra).await;
    }
    let id = keep.id.unwrap_or_default();
    super::self_join::join_own_container(d, &id).await;
    Ok(id)
}

/// Networks named exactly `name`, oldest first (ties by id).
async fn networks_named(
    d: &Docker,
    name: &str,
) -> Result<Vec<bollard::models::Network>, bollard::errors::Error> {
    let filters = HashMap::from([("name", vec![name.to_string()])]);
    let options = bollard::query_parameters::ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let mut list: Vec<_> = d
        .list_networks(Some(options))
        .await?
        .into_iter()
        .filter(|n| n.name.as_deref() == Some(name))
        .collect();
    list.sort_by(|a, b| (&a.created, &a.id).cmp(&(&b.created, &b.id)));
    Ok(list)
}

/// Puts a running replica behind `alias` on the network.
pub async fn join_alias(
    d: &Docker,
    container: &str,
    network: &str,
    alias: &str,
) -> Result<(), bollard::errors::Error> {
    reattach(d, container, network, Some(vec![alias.to_string()])).await
}

/// Takes a replica out of the alias; it stays on the network by its own name.
pub async fn leave_alias(
    d: &Docker,
    container: &str,
    network: &str,
) -> Result<(), bollard::errors::Error> {
    reattach(d, container, network, None).await
}

async fn reattach(
    d: &Docker,
    container: &str,
    network: &str,
    aliases: Option<Vec<String>>,
) -> Result<(), bollard::errors::Error> {
    let network_id = ensure_network(d, network).await?;
    let off = NetworkDisconnectRequest {
        container: container.to_string(),
        force: Some(false),
    };
    match d.disconnect_network(&network_id, off).await {
        // Not connected (a half-done earlier attempt): connecting mends it.
        Err(bollard::errors::Error::DockerResponseServerError { message, .. })
            if message.contains("is not connected") => {}
        Ok(()) => {}
        Err(e) => return Err(e),
    }
    let on = NetworkConnectRequest {
        container: container.to_string(),
        endpoint_config: Some(EndpointSettings {
            aliases,
            ..Default::default()
        }),
    };
    d.connect_network(&network_id, on).await
}
