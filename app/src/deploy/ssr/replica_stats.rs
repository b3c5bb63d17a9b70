//! What the service page's replica panel shows, from the engine: each
//! replica's state, health and start (an inspect per replica when the set
//! changes) and its CPU and memory (the engine's stats stream, one sample
//! a second per running replica, pushed rather than polled).

use super::engine;
use super::inspect;
use super::model::ServiceRow;
use super::swarm;
use crate::deploy::{ReplicaState, ReplicaUsage};
use bollard::models::{ContainerCpuStats, ContainerStatsResponse};
use bollard::Docker;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt};
use sqlx::PgPool;
use std::collections::HashMap;

/// The service's replicas as the engine has them now, oldest release
/// first; `started` gets each running one's start time (for its uptime).
pub async fn replica_states(
    d: &Docker,
    db: &PgPool,
    service: &ServiceRow,
    started: &mut HashMap<String, DateTime<Utc>>,
) -> Result<Vec<ReplicaState>, bollard::errors::Error> {
    let numbers = release_numbers(db, service.id).await;
    started.clear();
    if service.swarm() {
        return swarm::tasks::replica_states(d, service, &numbers, started).await;
    }
    let mut states = Vec::new();
    for r in engine::replicas(d, service).await? {
        // Gone between the listing and the inspect: left out, as it will
        // be from the next listing.
        let Ok(look) = d.inspect_container(&r.id, None).await else {
            continue;
        };
        let s = look.state.unwrap_or_default();
        if let Some(t) = inspect::started(&s).filter(|_| r.running) {
            started.insert(r.id.clone(), t);
        }
        states.push(ReplicaState {
            id: r.id,
            name: r.name,
            release: numbers.get(&r.release_id).copied(),
            health: inspect::health_word(&s),
            state: s.status.map(|v| v.to_string()).unwrap_or_default(),
            running: r.running,
            slot: None,
            node: None,
            message: None,
        });
    }
    states.sort_by(|a, b| (a.release, &a.name).cmp(&(b.release, &b.name)));
    Ok(states)
}

/// Release id → number; empty when the database cannot say (the panel
/// then shows no release number rather than failing).
async fn release_numbers(db: &PgPool, service_id: i64) -> HashMap<i64, i32> {
    sqlx::query_as::<_, (i64, i32)>("SELECT id, number FROM release WHERE service_id = $1")
        .bind(service_id)
        .fetch_all(db)
        .await
        .map(|rows| rows.into_iter().collect())
        .unwrap_or_default()
}

/// The engine's stats samples of one replica, tagged with its id; ends
/// when the replica stops.
pub fn usage_samples(
    d: &Docker,
    id: String,
) -> BoxStream<'static, (String, ContainerStatsResponse)> {
    let options = bollard::query_parameters::StatsOptionsBuilder::default()
        .stream(true)
        .build();
    d.stats(&id, Some(options))
        .take_while(|s| std::future::ready(s.is_ok()))
        .filter_map(move |s| {
            let id = id.clone();
            std::future::ready(s.ok().map(|s| (id, s)))
        })
        .boxed()
}

/// One sample as the panel shows it; `started` gives the uptime.
pub fn usage(
    id: String,
    s: &ContainerStatsResponse,
    started: Option<DateTime<Utc>>,
) -> ReplicaUsage {
    let memory = s.memory_stats.as_ref();
    ReplicaUsage {
        cpu_percent: cpu_percent(s.cpu_stats.as_ref(), s.precpu_stats.as_ref()),
        memory_bytes: memory.and_then(|m| {
            let cache = m.stats.as_ref().and_then(|st| {
                // What `docker stats` leaves out: page cache the kernel can
                // take back (cgroup v2 `inactive_file`, v1 `total_inactive_file`).
                st.get("inactive_file")
                    .or_else(|| st.get("total_inactive_file"))
                    .copied()
            });
            Some(m.usage?.saturating_sub(cache.unwrap_or(0)))
        }),
        memory_limit_bytes: memory.and_then(|m| m.limit).filter(|l| *l > 0),
        up_seconds: started.map(|t| (Utc::now() - t).num_seconds().max(0)),
        id,
    }
}

/// CPU use since the previous sample, as `docker stats` computes it: the
/// container's share of the host's CPU time, times the number of CPUs (so
/// two busy cores read 200 %). `None` on the first sample, which has no
/// previous one.
pub fn cpu_percent(
    now: Option<&ContainerCpuStats>,
    before: Option<&ContainerCpuStats>,
) -> Option<f64> {
    let (now, before) = (now?, before?);
    let used = now.cpu_usage.as_ref()?.total_usage?;
    let used_before = before.cpu_usage.as_ref()?.total_usage?;
    let system = now.system_cpu_usage?;
    let system_before = before.system_cpu_usage?;
    let cpus = now
        .online_cpus
        .filter(|n| *n > 0)
        .map(f64::from)
        .or_else(|| {
            let per_cpu = now.cpu_usage.as_ref()?.percpu_usage.as_ref()?.len();
            (per_cpu > 0).then_some(per_cpu as f64)
        })?;
    let system_delta = system.checked_sub(system_before).filter(|d| *d > 0)?;
    let used_delta = used.saturating_sub(used_before);
    Some(used_delta as f64 / system_delta as f64 * cpus * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::ContainerCpuUsage;

    fn cpu(total: u64, system: u64) -> ContainerCpuStats {
        ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(2),
            ..Default::default()
        }
    }

    #[test]
    fn cpu_is_the_containers_share_of_host_time_times_the_cpus() {
        // 0.5 s of container time over 2 s of host time (2 CPUs × 1 s).
        let p = cpu_percent(
            Some(&cpu(1_500_000_000, 4_000_000_000)),
            Some(&cpu(1_000_000_000, 2_000_000_000)),
        );
        assert_eq!(p, Some(50.0));
    }

    #[test]
    fn the_first_sample_and_a_still_host_have_no_cpu_figure() {
        assert_eq!(cpu_percent(Some(&cpu(5, 10)), None), None);
        assert_eq!(cpu_percent(Some(&cpu(5, 10)), Some(&cpu(1, 10))), None);
    }

    #[test]
    fn memory_leaves_out_the_page_cache_the_kernel_can_take_back() {
        let s = ContainerStatsResponse {
            memory_stats: Some(bollard::models::ContainerMemoryStats {
                usage: Some(10_000),
                limit: Some(1 << 20),
                stats: Some(HashMap::from([("inactive_file".to_string(), 4_000)])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let u = usage("abc".into(), &s, None);
        assert_eq!(u.memory_bytes, Some(6_000));
        assert_eq!(u.memory_limit_bytes, Some(1 << 20));
        assert_eq!(u.up_seconds, None);
    }
}
