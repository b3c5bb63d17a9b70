//! Looking at a running container: state, address, health, output.

use bollard::models::{ContainerStateStatusEnum, HealthStatusEnum};
use bollard::Docker;

/// One look at a container: is it still running, and how does the engine
/// judge its health (for command checks).
pub struct Look {
    pub exited: Option<i64>,
    pub ip: Option<String>,
    pub engine_health: Option<(HealthStatusEnum, Option<String>)>,
}

pub async fn look(d: &Docker, id: &str, network: &str) -> Result<Look, bollard::errors::Error> {
    let c = d.inspect_container(id, None).await?;
    let state = c.state.unwrap_or_default();
    // With a restart policy an exit shows as `restarting`, or as running
    // again with a restart count: all the same, the process died.
    let restarted = c.restart_count.unwrap_or(0) > 0;
    let exited = match state.status {
        Some(
            ContainerStateStatusEnum::EXITED
            | ContainerStateStatusEnum::DEAD
            | ContainerStateStatusEnum::RESTARTING,
        ) => Some(state.exit_code.unwrap_or(-1)),
        _ if restarted => Some(state.exit_code.unwrap_or(-1)),
        _ => None,
    };
    let ip = c
        .network_settings
        .and_then(|n| n.networks)
        .and_then(|mut n| n.remove(network))
        .and_then(|e| e.ip_address)
        .filter(|ip| !ip.is_empty());
    let engine_health = state.health.and_then(|h| {
        let output = h
            .log
            .and_then(|l| l.into_iter().last())
            .and_then(|r| r.output)
            .map(|o| o.trim().to_string());
        h.status.map(|s| (s, output))
    });
    Ok(Look {
        exited,
        ip,
        engine_health,
    })
}

/// The last `lines` lines a container printed (stdout and stderr).
pub async fn tail_logs(
    d: &Docker,
    id: &str,
    lines: usize,
) -> Result<String, bollard::errors::Error> {
    use futures_util::StreamExt;
    let options = bollard::query_parameters::LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&lines.to_string())
        .build();
    let mut out = String::new();
    let mut stream = d.logs(id, Some(options));
    while let Some(chunk) = stream.next().await {
        out.push_str(&chunk?.to_string());
    }
    Ok(out)
}
