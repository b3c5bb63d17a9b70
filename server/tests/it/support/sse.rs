//! Reading a server-sent-event stream in tests: its events as JSON, and
//! the replica panel's stream (`replicas` and `usage` events).

use http_body_util::BodyExt;
use std::time::Duration;

/// The events of one kind in a server-sent-event text, as JSON.
pub fn events_of(text: &str, kind: &str) -> Vec<serde_json::Value> {
    text.split("\n\n")
        .filter(|e| e.lines().any(|l| l == format!("event: {kind}")))
        .filter_map(|e| {
            let data = e.lines().find_map(|l| l.strip_prefix("data: "))?;
            serde_json::from_str(data).ok()
        })
        .collect()
}

/// Reads `body` into `text` until `done` holds for it (or 60 s pass).
pub async fn read_while_not(
    body: &mut axum::body::Body,
    text: &mut String,
    done: impl Fn(&str) -> bool,
) -> bool {
    let read = async {
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
                if done(text) {
                    return true;
                }
            }
        }
        false
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .unwrap_or(false)
}

/// The ids of the running replicas in the newest `replicas` event.
pub fn running_ids(text: &str) -> Vec<String> {
    events_of(text, "replicas")
        .last()
        .and_then(|set| set.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["running"] == true)
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// Whether every id has had a sample with a CPU figure (its second), a
/// memory use and an uptime.
fn every_one_measured(text: &str, ids: &[String]) -> bool {
    let usage = events_of(text, "usage");
    !ids.is_empty()
        && ids.iter().all(|id| {
            usage.iter().any(|u| {
                u["id"] == id.as_str()
                    && u["cpu_percent"].is_number()
                    && u["memory_bytes"].as_u64().is_some_and(|m| m > 0)
                    && u["up_seconds"].is_number()
            })
        })
}

/// Opens a service's replica stream as `reader` and reads until `n`
/// replicas run and each has been measured: the newest `replicas` set, the
/// stream to read on, and what it sent so far.
pub async fn measured_replicas(
    reader: &mut crate::support::Client,
    path: &str,
    n: usize,
) -> (serde_json::Value, axum::body::Body, String) {
    let (status, mut body) = reader.open_stream(path).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let mut text = String::new();
    let measured = read_while_not(&mut body, &mut text, |t| {
        let ids = running_ids(t);
        ids.len() == n && every_one_measured(t, &ids)
    })
    .await;
    assert!(measured, "{n} replicas listed and measured: {text}");
    let set = events_of(&text, "replicas").last().cloned().unwrap();
    (set, body, text)
}
