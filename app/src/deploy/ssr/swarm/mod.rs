//! Services on a Swarm endpoint: the engine rolls them out.
//!
//! Opsdeck does not start tasks itself here. A deploy, rollback or restart
//! is one service update to the release's spec (start-first, one task at a
//! time, `failure_action: rollback`, the service's command check as the
//! HEALTHCHECK that gates each task), and a scale changes the replica
//! count; Opsdeck follows the update status and every task's state into
//! the deployment's steps. A failed update ends `rolled_back` with the
//! engine's own reason. The engine keeps the replica count between
//! deployments, so the repairer leaves Swarm services alone.

pub mod cluster;
mod follow;
pub mod spec;
pub mod tasks;

use super::engine::container_env;
use super::health::Unhealthy;
use super::model::{ReleaseRow, ServiceRow};
use super::network::ensure_overlay;
use super::rollout::Ending;
use super::steps::StepLog;
use crate::secrets::SecretBox;
use bollard::models::Service;
use bollard::query_parameters::{ListServicesOptionsBuilder, UpdateServiceOptionsBuilder};
use bollard::Docker;
use follow::{Follow, Goal};
use spec::Wanted;
use std::collections::HashMap;

/// Everything a Swarm rollout touches.
pub struct SwarmRollout<'a> {
    pub docker: &'a Docker,
    pub secrets: &'a SecretBox,
    pub service: &'a ServiceRow,
    pub log: &'a StepLog,
}

fn failed(what: &str, e: impl std::fmt::Display) -> Unhealthy {
    Unhealthy {
        reason: format!("{what}: {e}"),
        output: None,
    }
}

/// The service as the engine has it, if it exists.
pub async fn find(
    d: &Docker,
    service: &ServiceRow,
) -> Result<Option<Service>, bollard::errors::Error> {
    let filters = HashMap::from([("label", spec::service_labels(service))]);
    let options = ListServicesOptionsBuilder::default()
        .filters(&filters)
        .build();
    Ok(d.list_services(Some(options)).await?.into_iter().next())
}

/// Removes the engine's service (its tasks stop within their grace
/// period); gone already is fine.
pub async fn remove(d: &Docker, service: &ServiceRow) -> Result<bool, bollard::errors::Error> {
    let Some(id) = find(d, service).await?.and_then(|s| s.id) else {
        return Ok(false);
    };
    match d.delete_service(&id).await {
        Ok(()) => Ok(true),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(false),
        Err(e) => Err(e),
    }
}

impl SwarmRollout<'_> {
    /// Puts `target` on every task (deploy, rollback, restart when
    /// `restart`), letting the engine replace them one at a time.
    pub async fn run(&self, target: &ReleaseRow, restart: bool) -> Ending {
        match self.update(target, self.service.replicas, restart).await {
            Ok(ending) => ending,
            Err(failure) => Ending::Failed(failure),
        }
    }

    /// Runs the live release with the service's (new) replica count.
    pub async fn scale(&self, release: &ReleaseRow, from: i32) -> Ending {
        let to = self.service.replicas;
        self.log
            .info(format!(
                "scaling release #{} ({}) from {from} to {to} task(s)",
                release.number, release.tag
            ))
            .await;
        match self.update(release, to, false).await {
            Ok(ending) => ending,
            Err(failure) => Ending::Failed(failure),
        }
    }

    async fn update(
        &self,
        release: &ReleaseRow,
        replicas: i32,
        restart: bool,
    ) -> Result<Ending, Unhealthy> {
        let snapshot = &release.config.0;
        if snapshot.health.kind != "command" {
            return Err(failed(
                "this release cannot run on a Swarm endpoint",
                "its health check is an HTTP path probed by Opsdeck; the engine gates tasks on a command check",
            ));
        }
        cluster::manager(self.docker)
            .await
            .map_err(|e| failed("the endpoint cannot run Swarm services", e))?;
        let env =
            container_env(snapshot, self.secrets).map_err(|e| failed("opening secrets", e))?;
        let net = &self.service.network;
        let network_id = ensure_overlay(self.docker, net)
            .await
            .map_err(|e| failed(&format!("overlay network {net}"), e))?;
        let existing = find(self.docker, self.service)
            .await
            .map_err(|e| failed("finding the Swarm service", e))?;
        let force = existing
            .as_ref()
            .and_then(|s| s.spec.as_ref()?.task_template.as_ref()?.force_update)
            .unwrap_or(0);
        let wanted = Wanted {
            service: self.service,
            release,
            env,
            network_id: &network_id,
            replicas,
            force: if restart { force + 1 } else { force },
        };
        match existing {
            None => self.create(&wanted).await,
            Some(existing) => self.replace(&wanted, existing, restart).await,
        }
    }

    /// A first deploy: the engine creates the service and its tasks.
    async fn create(&self, wanted: &Wanted<'_>) -> Result<Ending, Unhealthy> {
        let (release, replicas) = (wanted.release, wanted.replicas);
        self.log
            .info(format!(
                "creating Swarm service {} with release #{} ({}), {replicas} task(s)",
                spec::engine_name(self.service),
                release.number,
                spec::image_of(release)
            ))
            .await;
        let created = self
            .docker
            .create_service(wanted.spec(), None)
            .await
            .map_err(|e| failed("creating the Swarm service", e))?;
        let follow = Follow::new(self.docker, self.log, created.id.unwrap_or_default());
        let goal = Goal::Converged {
            release: release.id,
            replicas,
        };
        let Err(failure) = follow.until(goal, &release.config.0).await else {
            return Ok(Ending::Succeeded);
        };
        // Nothing served before: leave nothing crash-looping.
        self.log
            .warn("removing the Swarm service that never became healthy")
            .await;
        if let Err(e) = remove(self.docker, self.service).await {
            self.log.error(format!("removing it failed: {e}")).await;
        }
        Ok(Ending::Failed(failure.into_unhealthy()))
    }

    /// Any later change: one service update, followed to its end.
    async fn replace(
        &self,
        wanted: &Wanted<'_>,
        existing: Service,
        restart: bool,
    ) -> Result<Ending, Unhealthy> {
        let (release, replicas) = (wanted.release, wanted.replicas);
        let id = existing.id.clone().unwrap_or_default();
        let version = existing.version.as_ref().and_then(|v| v.index).unwrap_or(0);
        let before = follow::update_started(&existing);
        let same_tasks = !restart && follow::runs_release(&existing, release.id);
        self.log
            .info(if same_tasks {
                format!("asking the engine for {replicas} task(s) of release #{}", release.number)
            } else {
                format!(
                    "updating Swarm service {} to release #{} ({}): start-first, one task at a time, rolled back by the engine on failure",
                    spec::engine_name(self.service),
                    release.number,
                    spec::image_of(release)
                )
            })
            .await;
        let options = UpdateServiceOptionsBuilder::default()
            .version(i32::try_from(version).unwrap_or(i32::MAX))
            .build();
        self.docker
            .update_service(&id, wanted.spec(), options, None)
            .await
            .map_err(|e| failed("updating the Swarm service", e))?;
        let follow = Follow::new(self.docker, self.log, id);
        let goal = if same_tasks {
            // Only the count changed: the engine starts or stops tasks
            // without an update (and without an update status).
            Goal::Converged {
                release: release.id,
                replicas,
            }
        } else {
            Goal::Updated {
                release: release.id,
                replicas,
                before,
            }
        };
        Ok(match follow.until(goal, &release.config.0).await {
            Ok(()) => Ending::Succeeded,
            Err(follow::Failure::RolledBack(why)) => Ending::RolledBack(why),
            Err(follow::Failure::Failed(why)) => Ending::Failed(why),
        })
    }
}
