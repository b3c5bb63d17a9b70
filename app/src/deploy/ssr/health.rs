//! Waiting for a new replica to become healthy, within the budget of its
//! health check, reporting every attempt to the step log.

use super::engine::{inspect, Inspection};
use super::snapshot::Snapshot;
use super::steps::StepLog;
use bollard::models::HealthStatusEnum;
use bollard::Docker;
use std::time::{Duration, Instant};

/// Why a replica did not become healthy, and what the last check said.
#[derive(Clone, Debug, PartialEq)]
pub struct Unhealthy {
    pub reason: String,
    pub output: Option<String>,
}

/// How many checks a replica gets: those inside the start period (which do
/// not count as failures) plus `retries`.
fn attempts(s: &Snapshot) -> i32 {
    let h = &s.health;
    (h.start_period_s + h.interval_s - 1) / h.interval_s + h.retries
}

pub async fn wait_healthy(
    d: &Docker,
    id: &str,
    network: &str,
    s: &Snapshot,
    log: &StepLog,
    who: &str,
) -> Result<(), Unhealthy> {
    let started = Instant::now();
    let total = attempts(s).max(1);
    let interval = Duration::from_secs(s.health.interval_s as u64);
    let start_period = Duration::from_secs(s.health.start_period_s as u64);
    let mut failures = 0;
    let mut last_output = None;
    for attempt in 1..=total {
        tokio::time::sleep(if attempt == 1 {
            Duration::from_millis(300)
        } else {
            interval
        })
        .await;
        let seen = inspect(d, id, network).await.map_err(|e| Unhealthy {
            reason: format!("{who} could not be inspected: {e}"),
            output: None,
        })?;
        if let Some(code) = seen.exited {
            let how = match code {
                0 => "kept exiting and being restarted".to_string(),
                code => format!("exited with code {code}"),
            };
            return Err(Unhealthy {
                reason: format!("{who} {how} before becoming healthy"),
                output: last_output,
            });
        }
        let (ok, output) = check(s, &seen).await;
        last_output = output.clone();
        let said = output.as_deref().unwrap_or("no answer yet");
        if ok == Some(true) {
            log.info(format!("{who}: health {attempt}/{total} passed ({said})"))
                .await;
            return Ok(());
        }
        log.info(format!("{who}: health {attempt}/{total} not yet ({said})"))
            .await;
        if ok == Some(false) && started.elapsed() >= start_period {
            failures += 1;
        }
        if failures >= s.health.retries || started.elapsed() > s.health_budget() {
            break;
        }
    }
    Err(Unhealthy {
        reason: format!(
            "{who} did not become healthy within its health check ({} checks, {}s)",
            total,
            started.elapsed().as_secs()
        ),
        output: last_output,
    })
}

/// One check: `Some(true)` healthy, `Some(false)` failed, `None` not judged
/// yet (the engine's own check is still starting).
async fn check(s: &Snapshot, seen: &Inspection) -> (Option<bool>, Option<String>) {
    if s.health.kind == "command" {
        return match &seen.engine_health {
            Some((HealthStatusEnum::HEALTHY, out)) => (Some(true), out.clone()),
            Some((HealthStatusEnum::UNHEALTHY, out)) => (Some(false), out.clone()),
            Some((_, out)) => (None, out.clone()),
            None => (None, None),
        };
    }
    let Some(ip) = &seen.ip else {
        return (Some(false), Some("the container has no address yet".into()));
    };
    let url = format!("http://{ip}:{}{}", s.port, s.health.check);
    match probe(&url, s.health.timeout_s).await {
        Ok(status) => (
            Some((200..400).contains(&status)),
            Some(format!("GET {} → HTTP {status}", s.health.check)),
        ),
        Err(e) => (Some(false), Some(format!("GET {} → {e}", s.health.check))),
    }
}

async fn probe(url: &str, timeout_s: i32) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout_s as u64))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer within {timeout_s}s")
        } else if e.is_connect() {
            "connection refused".to_string()
        } else {
            e.to_string()
        }
    })?;
    Ok(response.status().as_u16())
}

/// Whether a running replica passes its check right now: the engine's
/// verdict for a command check (still starting counts as not failing),
/// one probe for an HTTP check.
pub async fn healthy_now(seen: &Inspection, s: &Snapshot) -> bool {
    if s.health.kind == "command" {
        return !matches!(seen.engine_health, Some((HealthStatusEnum::UNHEALTHY, _)));
    }
    match &seen.ip {
        Some(ip) => answers(ip, s.port, &s.health.check).await,
        None => false,
    }
}

/// Whether the HTTP check passes right now (for pages showing health).
pub async fn answers(ip: &str, port: i32, path: &str) -> bool {
    let url = format!("http://{ip}:{port}{path}");
    matches!(probe(&url, 1).await, Ok(status) if (200..400).contains(&status))
}
