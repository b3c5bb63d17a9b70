//! What sets off repairs: the engine's events about services' containers
//! (`die`, `destroy`) at once, and a periodic pass over every service for
//! what the events missed.

use super::endpoints::docker_for;
use super::engine::{LABEL_INSTALLATION, LABEL_SERVICE};
use super::model::{all_services, ServiceRow};
use super::repair::{repair_service, Verdict};
use crate::state::AppState;
use futures_util::StreamExt;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// Watches and repairs until the task is aborted; passes every `every`.
pub fn spawn_repairer(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (tx, mut rx) = unbounded_channel::<i64>();
        let mut watched = HashSet::new();
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => pass(&state, &tx, &mut watched).await,
                Some(first) = rx.recv() => {
                    // Events come in bursts (die, then destroy): one look each.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let mut ids = BTreeSet::from([first]);
                    while let Ok(more) = rx.try_recv() {
                        ids.insert(more);
                    }
                    for id in ids {
                        look_at(&state, id, &tx).await;
                    }
                }
            }
        }
    })
}

/// Queues every service, and watches the events of every endpoint in use.
async fn pass(state: &AppState, tx: &UnboundedSender<i64>, watched: &mut HashSet<String>) {
    let services = match all_services(&state.db).await {
        Ok(s) => s,
        Err(e) => return tracing::warn!(error = %e, "repair pass: services not listed"),
    };
    for s in services {
        if watched.insert(s.endpoint.clone()) {
            tokio::spawn(watch(state.clone(), s.clone(), tx.clone()));
        }
        let _ = tx.send(s.id);
    }
}

async fn look_at(state: &AppState, id: i64, tx: &UnboundedSender<i64>) {
    match repair_service(state, id).await {
        Ok(Verdict::Later(wait)) => {
            let tx = tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                let _ = tx.send(id);
            });
        }
        Ok(Verdict::Repaired(deployment, whole)) => {
            tracing::info!(service = id, deployment, whole, "repaired a service")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(service = id, error = %e, "repair failed; will retry"),
    }
}

/// Follows one endpoint's container events (through the connection of one
/// of its services), reconnecting after a pause when the stream ends.
async fn watch(state: AppState, via: ServiceRow, tx: UnboundedSender<i64>) {
    loop {
        if let Ok((_, docker)) = docker_for(&state, &via) {
            let filters = HashMap::from([
                ("type", vec!["container".to_string()]),
                ("event", vec!["die".to_string(), "destroy".to_string()]),
                (
                    "label",
                    vec![format!("{LABEL_INSTALLATION}={}", via.installation)],
                ),
            ]);
            let options = bollard::query_parameters::EventsOptionsBuilder::default()
                .filters(&filters)
                .build();
            let mut events = docker.events(Some(options));
            while let Some(Ok(event)) = events.next().await {
                let service = event
                    .actor
                    .and_then(|a| a.attributes)
                    .and_then(|a| a.get(LABEL_SERVICE).and_then(|v| v.parse().ok()));
                if let Some(id) = service {
                    if tx.send(id).is_err() {
                        return;
                    }
                }
            }
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}
