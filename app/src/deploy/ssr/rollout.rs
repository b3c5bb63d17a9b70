//! The start-first rolling update, and converging a service onto one
//! release (used to roll back and by the reconciler).

use super::engine::{self, Replica, ReplicaSpec};
use super::health::{healthy_now, wait_healthy, Unhealthy};
use super::model::{ReleaseRow, ServiceRow};
use super::steps::StepLog;
use crate::secrets::SecretBox;
use bollard::Docker;

/// Everything a rollout touches.
pub struct Rollout<'a> {
    pub docker: &'a Docker,
    pub secrets: &'a SecretBox,
    pub service: &'a ServiceRow,
    pub log: &'a StepLog,
}

/// What a convergence did.
#[derive(Debug, Default, PartialEq)]
pub struct Converged {
    pub started: usize,
    pub removed: usize,
}

/// How a rollout ended.
#[derive(Debug, PartialEq)]
pub enum Ending {
    Succeeded,
    /// The new release failed; the service runs `previous` again.
    RolledBack(Unhealthy),
    /// It failed and nothing could be (or had to be) brought back.
    Failed(Unhealthy),
}

fn engine_failure(what: &str, e: impl std::fmt::Display) -> Unhealthy {
    Unhealthy {
        reason: format!("{what}: {e}"),
        output: None,
    }
}

impl Rollout<'_> {
    /// Moves the service to `target` one replica at a time: start a new
    /// replica, wait until it is healthy, then retire one old replica.
    pub async fn run(&self, target: &ReleaseRow, previous: Option<&ReleaseRow>) -> Ending {
        match self.roll(target).await {
            Ok(()) => Ending::Succeeded,
            Err((failure, started)) => self.recover(failure, started, target, previous).await,
        }
    }

    async fn roll(&self, target: &ReleaseRow) -> Result<(), (Unhealthy, Vec<String>)> {
        let mut old = engine::replicas(self.docker, self.service)
            .await
            .map_err(|e| (engine_failure("listing replicas", e), vec![]))?;
        // Retire stopped replicas first: they serve nothing.
        old.sort_by_key(|r| r.running);
        old.reverse();
        let wanted = self.service.replicas;
        self.log
            .info(format!(
                "rolling out release #{} ({}) to {wanted} replica(s), replacing {}",
                target.number,
                target.tag,
                old.len()
            ))
            .await;
        let mut started = Vec::new();
        for slot in 1..=wanted {
            let who = format!("replica {slot}/{wanted}");
            let id = match self.start_healthy(target, slot, &who).await {
                Ok(id) => id,
                Err(failure) => return Err((failure, started)),
            };
            started.push(id);
            if let Some(retired) = old.pop() {
                self.retire(&retired).await;
            }
        }
        for retired in old.into_iter().rev() {
            self.retire(&retired).await;
        }
        Ok(())
    }

    async fn start(&self, release: &ReleaseRow, slot: i32, who: &str) -> Result<String, Unhealthy> {
        let snapshot = &release.config.0;
        let env = engine::container_env(snapshot, self.secrets)
            .map_err(|e| engine_failure("opening secrets", e))?;
        let net = &self.service.network;
        let network_id = engine::ensure_network(self.docker, net)
            .await
            .map_err(|e| engine_failure(&format!("network {net}"), e))?;
        let spec = ReplicaSpec {
            installation: &self.service.installation,
            service_id: self.service.id,
            service_name: &self.service.name,
            environment: &self.service.environment,
            network: &self.service.network,
            network_id: &network_id,
            release_id: release.id,
            release_number: release.number,
            deployment_id: self.log.deployment_id,
            slot,
            image_id: &release.image_id,
            snapshot,
            env,
        };
        engine::start_replica(self.docker, &spec)
            .await
            .map_err(|e| engine_failure(&format!("starting {who}"), e))
    }

    /// Starts one replica and waits until it is healthy; only then may the
    /// engine restart it (a crash during the gate must show as an exit,
    /// not as a restart loop). A replica that fails is removed.
    async fn start_healthy(
        &self,
        release: &ReleaseRow,
        slot: i32,
        who: &str,
    ) -> Result<String, Unhealthy> {
        self.log.info(format!("starting {who}")).await;
        let id = self.start(release, slot, who).await?;
        let net = &self.service.network;
        let healthy =
            match wait_healthy(self.docker, &id, net, &release.config.0, self.log, who).await {
                Ok(()) => engine::keep_running(self.docker, &id).await.map_err(|e| {
                    engine_failure(&format!("setting the restart policy of {who}"), e)
                }),
                Err(e) => Err(e),
            };
        let serving = match healthy {
            Ok(()) => engine::join_alias(self.docker, &id, net, &self.service.name)
                .await
                .map_err(|e| engine_failure(&format!("giving {who} the service's name"), e)),
            Err(e) => Err(e),
        };
        if let Err(e) = serving {
            self.discard(&id, who).await;
            return Err(e);
        }
        self.log
            .info(format!(
                "{who} is healthy and now serves as `{}`",
                self.service.name
            ))
            .await;
        Ok(id)
    }

    /// Removes a replica that never became healthy, after copying the end
    /// of its output into the step log: that is usually where the reason is.
    async fn discard(&self, id: &str, who: &str) {
        if let Ok(lines) = engine::tail_logs(self.docker, id, 20).await {
            if !lines.trim().is_empty() {
                self.log
                    .warn(format!("last output of {who}:\n{}", lines.trim_end()))
                    .await;
            }
        }
        self.log.info(format!("removing {who}")).await;
        if let Err(e) = engine::remove_replica(self.docker, id, 0).await {
            self.log.warn(format!("{who} not removed: {e}")).await;
        }
    }

    /// Takes an old replica out of service the way a load balancer does:
    /// out of the service's name first, then the drain period (requests it
    /// accepted finish), then SIGTERM.
    async fn retire(&self, replica: &Replica) {
        let name = &replica.name;
        if replica.running {
            self.leave(replica).await;
            self.log.info(format!("stopping old replica {name}")).await;
            let timeout = self.service.stop_timeout_s;
            match engine::stop_replica(self.docker, &replica.id, timeout).await {
                Ok(stopped) if stopped.ignored_sigterm => {
                    self.log
                        .warn(format!(
                            "old replica {name} stopped after the {timeout} s timeout: \
                             the process ignored SIGTERM"
                        ))
                        .await
                }
                Ok(_) => {}
                Err(e) => self.log.warn(format!("old replica {name}: {e}")).await,
            }
        } else {
            self.log
                .info(format!("removing stopped replica {name}"))
                .await;
        }
        if let Err(e) = engine::remove_replica(self.docker, &replica.id, 0).await {
            self.log
                .warn(format!("old replica {name} not removed: {e}"))
                .await;
        }
    }

    /// Takes a replica out of the service's name and waits the drain period
    /// (only when it was serving: otherwise nobody is sent to it).
    async fn leave(&self, replica: &Replica) {
        let (d, net, alias) = (self.docker, &self.service.network, &self.service.name);
        let serving =
            matches!(engine::inspect(d, &replica.id, net).await, Ok(l) if l.serves(alias));
        if !serving {
            return;
        }
        if let Err(e) = engine::leave_alias(d, &replica.id, net).await {
            self.log
                .warn(format!("old replica {} kept `{alias}`: {e}", replica.name))
                .await;
        }
        let drain = self.service.drain_s;
        self.log
            .info(format!(
                "old replica {} no longer serves as `{alias}`; draining for {drain} s",
                replica.name
            ))
            .await;
        tokio::time::sleep(std::time::Duration::from_secs(drain as u64)).await;
    }

    /// After a failure: bring the previous release back to full strength
    /// first (so healthy replicas never drop to zero), then remove the new
    /// containers.
    async fn recover(
        &self,
        failure: Unhealthy,
        started: Vec<String>,
        target: &ReleaseRow,
        previous: Option<&ReleaseRow>,
    ) -> Ending {
        self.log
            .error(format!(
                "release #{} failed: {}",
                target.number, failure.reason
            ))
            .await;
        if let Some(out) = &failure.output {
            self.log
                .error(format!("last health check output: {out}"))
                .await;
        }
        let Some(previous) = previous else {
            for id in &started {
                self.discard(id, "a new replica").await;
            }
            self.log
                .info("new containers removed; there is no earlier release to return to")
                .await;
            return Ending::Failed(failure);
        };
        self.log
            .info(format!(
                "rolling back to release #{} ({})",
                previous.number, previous.tag
            ))
            .await;
        match self.converge(previous).await {
            Ok(_) => Ending::RolledBack(failure),
            Err(e) => {
                self.log
                    .error(format!("rollback incomplete: {}", e.reason))
                    .await;
                Ending::Failed(Unhealthy {
                    reason: format!("{}; then the rollback failed: {}", failure.reason, e.reason),
                    output: failure.output,
                })
            }
        }
    }

    /// Makes `release` run with the service's desired replica count, health
    /// gated, then removes every container of any other release. Only a
    /// running, healthy replica that serves under the service's name
    /// counts: a container being stopped is still `running` for a while,
    /// and counting it would leave the service short once it exits.
    pub async fn converge(&self, release: &ReleaseRow) -> Result<Converged, Unhealthy> {
        let all = engine::replicas(self.docker, self.service)
            .await
            .map_err(|e| engine_failure("listing replicas", e))?;
        let (mine, others): (Vec<Replica>, Vec<Replica>) =
            all.into_iter().partition(|r| r.release_id == release.id);
        let mut serving = Vec::new();
        let mut done = Converged::default();
        for r in mine {
            match why_not_a_replica(self.docker, self.service, &r, release).await {
                None => serving.push(r),
                Some(why) => {
                    self.log.info(format!("{} {why}", r.name)).await;
                    self.retire(&r).await;
                    done.removed += 1;
                }
            }
        }
        let wanted = self.service.replicas as usize;
        let mut slot = serving.iter().map(|r| r.slot).max().unwrap_or(0);
        for n in serving.len()..wanted {
            slot += 1;
            let who = format!("replica {}/{wanted} of release #{}", n + 1, release.number);
            self.start_healthy(release, slot, &who).await?;
            done.started += 1;
        }
        for r in serving.iter().skip(wanted).chain(others.iter()) {
            self.retire(r).await;
            done.removed += 1;
        }
        Ok(done)
    }

    /// Runs `release` with the service's (new) replica count; if a new
    /// replica fails, goes back to `from` replicas.
    pub async fn scale(&self, release: &ReleaseRow, from: i32) -> Ending {
        let to = self.service.replicas;
        self.log
            .info(format!(
                "scaling release #{} ({}) from {from} to {to} replica(s)",
                release.number, release.tag
            ))
            .await;
        let Err(failure) = self.converge(release).await.map(|_| ()) else {
            return Ending::Succeeded;
        };
        self.log
            .error(format!("scaling failed: {}", failure.reason))
            .await;
        self.log
            .info(format!("returning to {from} replica(s)"))
            .await;
        let before = ServiceRow {
            replicas: from,
            ..self.service.clone()
        };
        let undo = Rollout {
            service: &before,
            ..*self
        };
        match undo.converge(release).await {
            Ok(_) => Ending::RolledBack(failure),
            Err(e) => Ending::Failed(Unhealthy {
                reason: format!(
                    "{}; then returning to {from} failed: {}",
                    failure.reason, e.reason
                ),
                output: failure.output,
            }),
        }
    }
}

/// `None` for a replica that serves `release` now; otherwise why not.
pub async fn why_not_a_replica(
    d: &Docker,
    service: &ServiceRow,
    r: &Replica,
    release: &ReleaseRow,
) -> Option<String> {
    if r.release_id != release.id {
        return Some(format!("belongs to another release (id {})", r.release_id));
    }
    if !r.running {
        return Some("is not running".into());
    }
    let (net, alias) = (&service.network, &service.name);
    let seen = match engine::inspect(d, &r.id, net).await {
        Ok(seen) => seen,
        Err(e) => return Some(format!("cannot be inspected: {e}")),
    };
    if seen.exited.is_some() {
        return Some("is exiting or restarting".into());
    }
    let started = seen.started_at.as_deref().unwrap_or_default();
    if let Ok(true) = engine::being_stopped(d, &r.id, started).await {
        return Some("is being stopped (it was sent a stop signal)".into());
    }
    if !seen.serves(alias) {
        return Some(format!(
            "does not serve as `{alias}` (it was being stopped, or never passed its health check)"
        ));
    }
    if !healthy_now(&seen, &release.config.0).await {
        return Some("fails its health check".into());
    }
    None
}

/// The service's containers judged against `release`: how many serve it,
/// and why each other one does not.
pub async fn census(
    d: &Docker,
    service: &ServiceRow,
    release: &ReleaseRow,
) -> Result<(usize, Vec<(String, String)>), bollard::errors::Error> {
    let mut serving = 0;
    let mut others = Vec::new();
    for r in engine::replicas(d, service).await? {
        match why_not_a_replica(d, service, &r, release).await {
            None => serving += 1,
            Some(why) => others.push((r.name, why)),
        }
    }
    Ok((serving, others))
}
