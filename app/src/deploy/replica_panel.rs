//! The service page's replicas, live: each one's release, state, health,
//! uptime, CPU and memory (and a Swarm task's node and the engine's error), pushed by `GET /services/<env>/<name>/replicas`
//! (see `routes.rs`) as the engine reports them; nothing polls.

use super::{ReplicaState, ReplicaUsage};
use crate::format::{duration, size};
use crate::layout::ui::*;
use crate::live::use_event_stream;
use leptos::prelude::*;
use std::collections::HashMap;

const HEADERS: &[&str] = &[
    "Replica", "Release", "State", "Health", "Up", "CPU", "Memory",
];
/// A Swarm service's tasks also say which node runs them.
const SWARM_HEADERS: &[&str] = &[
    "Task", "Node", "Release", "State", "Health", "Up", "CPU", "Memory",
];

/// The live replica table of service `service` (`env/name`).
#[component]
pub fn ReplicaPanel(service: String) -> impl IntoView {
    let replicas = RwSignal::new(None::<Vec<ReplicaState>>);
    let usage = RwSignal::new(HashMap::<String, ReplicaUsage>::new());
    let ended = RwSignal::new(false);
    use_event_stream(
        format!("/services/{service}/replicas"),
        &["replicas", "usage", "end"],
        move |kind, data| match kind {
            "replicas" => {
                if let Ok(set) = serde_json::from_str::<Vec<ReplicaState>>(&data) {
                    usage
                        .update(|u| u.retain(|id, _| set.iter().any(|r| &r.id == id && r.running)));
                    replicas.set(Some(set));
                }
            }
            "usage" => {
                if let Ok(sample) = serde_json::from_str::<ReplicaUsage>(&data) {
                    usage.update(|u| {
                        u.insert(sample.id.clone(), sample);
                    });
                }
            }
            _ => ended.set(true),
        },
    );
    view! {
        <noscript><p class="text-sm text-slate-500">"Replica figures come live from the engine and need JavaScript."</p></noscript>
        {move || match replicas.get() {
            None => view! { <p class="text-sm text-slate-500" data-test="replicas-waiting">"Asking the engine…"</p> }.into_any(),
            Some(set) if set.is_empty() => view! { <p class="text-sm text-slate-500" data-test="replicas-none">"No replicas on the engine."</p> }.into_any(),
            Some(set) => {
                let swarm = set.iter().any(|r| r.slot.is_some());
                view! {
                    <DataTable test="replica-table" headers=if swarm { SWARM_HEADERS } else { HEADERS }>
                        {set.into_iter().map(|r| view! { <ReplicaRow replica=r usage=usage swarm=swarm/> }).collect_view()}
                    </DataTable>
                }.into_any()
            }
        }}
        {move || ended.get().then(|| view! { <p class="mt-2 text-xs text-slate-500">"The engine stopped reporting (Opsdeck is stopping or lost the engine); reload to resume."</p> })}
    }
}

#[component]
fn ReplicaRow(
    replica: ReplicaState,
    usage: RwSignal<HashMap<String, ReplicaUsage>>,
    swarm: bool,
) -> impl IntoView {
    let id = replica.id.clone();
    let sample = Memo::new(move |_| usage.with(|u| u.get(&id).cloned()));
    let state_tone = if replica.running {
        Tone::Good
    } else {
        Tone::Warn
    };
    let health = replica.health.clone().map(|h| {
        let tone = match h.as_str() {
            "healthy" => Tone::Good,
            "unhealthy" => Tone::Bad,
            _ => Tone::Info,
        };
        view! { <Badge text=h tone=tone/> }
    });
    view! {
        <tr class=ROW data-test="replica">
            <td class=format!("{CELL} font-mono text-xs") data-test="replica-name">{replica.name.clone()}</td>
            {swarm.then(|| view! { <td class=CELL data-test="replica-node">{replica.node.clone().unwrap_or_else(|| "—".into())}</td> })}
            <td class=CELL>{replica.release.map(|n| format!("#{n}")).unwrap_or_else(|| "—".into())}</td>
            <td class=CELL>
                <Badge text=replica.state.clone() tone=state_tone/>
                {replica.message.clone().map(|m| view! { <p class="mt-1 text-xs text-red-700 dark:text-red-300" data-test="replica-message">{m}</p> })}
            </td>
            <td class=CELL>{health.unwrap_or_else(|| view! { <Badge text="no check" tone=Tone::Info/> })}</td>
            <td class=CELL data-test="replica-up">{move || sample.get().and_then(|s| s.up_seconds).map(duration).unwrap_or_else(|| "—".into())}</td>
            <td class=CELL data-test="replica-cpu">{move || sample.get().and_then(|s| s.cpu_percent).map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into())}</td>
            <td class=CELL data-test="replica-memory">{move || sample.get().map(memory_text).unwrap_or_else(|| "—".into())}</td>
        </tr>
    }
}

/// `12.3 MB of 268.4 MB`, or the use alone when the limit is unknown.
fn memory_text(s: ReplicaUsage) -> String {
    let used = |b: u64| size(b.min(i64::MAX as u64) as i64);
    match (s.memory_bytes, s.memory_limit_bytes) {
        (Some(m), Some(l)) => format!("{} of {}", used(m), used(l)),
        (Some(m), None) => used(m),
        _ => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_reads_use_of_limit() {
        let s = ReplicaUsage {
            id: "a".into(),
            cpu_percent: None,
            memory_bytes: Some(12_300_000),
            memory_limit_bytes: Some(268_400_000),
            up_seconds: None,
        };
        assert_eq!(memory_text(s.clone()), "12.3 MB of 268.4 MB");
        assert_eq!(
            memory_text(ReplicaUsage {
                memory_limit_bytes: None,
                ..s
            }),
            "12.3 MB"
        );
    }
}
