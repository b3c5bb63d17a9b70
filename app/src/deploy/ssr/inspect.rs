//! Inspecting a running container: state, address, health, output.

use bollard::models::{ContainerState, ContainerStateStatusEnum, HealthStatusEnum};
use bollard::Docker;
use chrono::{DateTime, Utc};

/// The engine's verdict on a container's HEALTHCHECK (`healthy`,
/// `unhealthy`, `starting`); `None` without one.
pub fn health_word(state: &ContainerState) -> Option<String> {
    let status = state.health.as_ref()?.status?;
    Some(status.to_string()).filter(|v| !v.is_empty() && v != "none")
}

/// When a container's process last started.
pub fn started(state: &ContainerState) -> Option<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(state.started_at.as_deref()?).ok()?;
    Some(at.with_timezone(&Utc))
}

/// What inspecting a container found: is it still running, and how does the engine
/// judge its health (for command checks).
pub struct Inspection {
    pub exited: Option<i64>,
    pub ip: Option<String>,
    pub engine_health: Option<(HealthStatusEnum, Option<String>)>,
    /// Its DNS aliases on the network (the service's name while it serves).
    pub aliases: Vec<String>,
    /// `running`, `exited`, … as the engine says.
    pub status: Option<ContainerStateStatusEnum>,
    /// When its process last started (RFC 3339).
    pub started_at: Option<String>,
}

impl Inspection {
    /// Whether it carries the service's alias now.
    pub fn serves(&self, alias: &str) -> bool {
        self.aliases.iter().any(|a| a == alias)
    }
}

/// Inspects container `id` and its endpoint on `network`.
pub async fn inspect(
    d: &Docker,
    id: &str,
    network: &str,
) -> Result<Inspection, bollard::errors::Error> {
    let c = d.inspect_container(id, None).await?;
    let state = c.state.unwrap_or_default();
    // With a restart policy an exit shows as `restarting`, or as running
    // again with a restart count: all the same, the process died.
    let restarted = c.restart_count.unwrap_or(0) > 0;
    let status = state.status;
    let started_at = state.started_at.clone();
    let exited = match state.status {
        Some(
            ContainerStateStatusEnum::EXITED
            | ContainerStateStatusEnum::DEAD
            | ContainerStateStatusEnum::RESTARTING,
        ) => Some(state.exit_code.unwrap_or(-1)),
        _ if restarted => Some(state.exit_code.unwrap_or(-1)),
        _ => None,
    };
    let endpoint = c
        .network_settings
        .and_then(|n| n.networks)
        .and_then(|mut n| n.remove(network));
    let aliases = endpoint
        .as_ref()
        .and_then(|e| e.aliases.clone())
        .unwrap_or_default();
    let ip = endpoint
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
    Ok(Inspection {
        exited,
        ip,
        engine_health,
        aliases,
        status,
        started_at,
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

/// Whether the container was sent a stop signal since its process started.
/// The engine reports it `running` until the process exits or the stop
/// timeout passes, but it is on its way out: `docker stop`, or a stop whose
/// caller died, as the engine finishes it anyway.
pub async fn being_stopped(
    d: &Docker,
    id: &str,
    started_at: &str,
) -> Result<bool, bollard::errors::Error> {
    use futures_util::StreamExt;
    let stamp = |t: chrono::DateTime<chrono::Utc>| {
        format!("{}.{:09}", t.timestamp(), t.timestamp_subsec_nanos())
    };
    let since = chrono::DateTime::parse_from_rfc3339(started_at)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    let filters = std::collections::HashMap::from([
        ("container", vec![id.to_string()]),
        ("event", vec!["kill".to_string()]),
    ]);
    let options = bollard::query_parameters::EventsOptionsBuilder::default()
        .since(&stamp(since))
        .until(&stamp(chrono::Utc::now()))
        .filters(&filters)
        .build();
    let events: Vec<_> = d.events(Some(options)).collect().await;
    // TERM, KILL, INT, QUIT: the signals that end a container.
    let stopping = |e: &bollard::models::EventMessage| {
        let signal = e
            .actor
            .as_ref()
            .and_then(|a| a.attributes.as_ref())
            .and_then(|a| a.get("signal"))
            .map(String::as_str);
        matches!(signal, Some("15" | "9" | "2" | "3"))
    };
    let mut seen = false;
    for e in events {
        seen |= stopping(&e?);
    }
    Ok(seen)
}
