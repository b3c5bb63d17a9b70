//! The start-first rolling update, and converging a service onto one
//! release (used to roll back and by the reconciler).

use super::engine::{self, Replica, ReplicaSpec};
use super::health::{wait_healthy, Unhealthy};
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
        if let Err(e) = healthy {
            self.discard(&id, who).await;
            return Err(e);
        }
        self.log.info(format!("{who} is healthy")).await;
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

    async fn retire(&self, replica: &Replica) {
        self.log
            .info(format!("stopping old replica {}", replica.name))
            .await;
        if let Err(e) =
            engine::remove_replica(self.docker, &replica.id, self.service.stop_timeout_s).await
        {
            self.log
                .warn(format!("old replica {} not removed: {e}", replica.name))
                .await;
        }
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
            Ok(()) => Ending::RolledBack(failure),
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
    /// gated, then removes every container of any other release.
    pub async fn converge(&self, release: &ReleaseRow) -> Result<(), Unhealthy> {
        let all = engine::replicas(self.docker, self.service)
            .await
            .map_err(|e| engine_failure("listing replicas", e))?;
        let (mine, others): (Vec<Replica>, Vec<Replica>) =
            all.into_iter().partition(|r| r.release_id == release.id);
        let (running, stopped): (Vec<Replica>, Vec<Replica>) =
            mine.into_iter().partition(|r| r.running);
        for r in &stopped {
            self.retire(r).await;
        }
        let wanted = self.service.replicas as usize;
        let mut slot = running.iter().map(|r| r.slot).max().unwrap_or(0);
        for n in running.len()..wanted {
            slot += 1;
            let who = format!("replica {}/{wanted} of release #{}", n + 1, release.number);
            self.start_healthy(release, slot, &who).await?;
        }
        for r in running.iter().skip(wanted).chain(others.iter()) {
            self.retire(r).await;
        }
        Ok(())
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
        let Err(failure) = self.converge(release).await else {
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
            Ok(()) => Ending::RolledBack(failure),
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
