//! What a deployment runs, settled before anything is recorded.

use crate::deploy::ssr::model::{ReleaseRow, ServiceRow};
use crate::deploy::ssr::run::{Kind, PreDeploy};
use crate::deploy::ssr::snapshot::Snapshot;
use crate::runbook::step_ref::RunbookStepRef;

/// What a deployment runs.
pub(super) enum Target {
    /// A recorded release.
    Release(ReleaseRow),
    /// A tag the endpoint lacks, pulled from `registry` first; its release
    /// (with `snapshot`, the settings at the request) is recorded after.
    Pull {
        tag: String,
        registry: String,
        snapshot: Snapshot,
    },
}

impl Target {
    pub(super) fn release(&self) -> Option<&ReleaseRow> {
        match self {
            Target::Release(r) => Some(r),
            Target::Pull { .. } => None,
        }
    }

    pub(super) fn tag(&self) -> &str {
        match self {
            Target::Release(r) => &r.tag,
            Target::Pull { tag, .. } => tag,
        }
    }

    /// The registry a pulling deployment pulls from.
    pub(super) fn pull_from(&self) -> Option<&str> {
        match self {
            Target::Pull { registry, .. } => Some(registry),
            Target::Release(_) => None,
        }
    }
}

/// One deployment to record and run.
pub(super) struct PlannedDeployment {
    pub(super) service: ServiceRow,
    pub(super) target: Target,
    pub(super) kind: Kind,
    /// Why the deployer skips the pre-deploy backup, if they do.
    skip_backup: Option<String>,
    /// The commit shipped and the incident fixed, as the deployer reported.
    pub(super) change: super::checks::Change,
    /// The runbook step it was started from, named in its audit event.
    pub(super) runbook: Option<RunbookStepRef>,
}

impl PlannedDeployment {
    pub(super) fn new(service: ServiceRow, target: Target, kind: Kind) -> Self {
        PlannedDeployment {
            service,
            target,
            kind,
            skip_backup: None,
            change: super::checks::Change::default(),
            runbook: None,
        }
    }

    pub(super) fn shipping(mut self, change: super::checks::Change) -> Self {
        self.change = change;
        self
    }

    pub(super) fn following(mut self, runbook: Option<RunbookStepRef>) -> Self {
        self.runbook = runbook;
        self
    }

    pub(super) fn skipping(mut self, reason: Option<String>) -> Self {
        self.skip_backup = reason;
        self
    }

    /// Deploys and rollbacks of a service that names a backup target back
    /// it up first, unless skipped; scaling and restarts change no code.
    pub(super) fn pre_deploy(&self) -> PreDeploy {
        let changes_code = matches!(self.kind, Kind::Deploy | Kind::Rollback);
        match (&self.service.backup_target_id, &self.service.backup_target) {
            (Some(id), Some(name)) if changes_code => match &self.skip_backup {
                Some(reason) => PreDeploy::Skipped {
                    target: name.clone(),
                    reason: reason.clone(),
                },
                None => PreDeploy::Backup {
                    target_id: *id,
                    target: name.clone(),
                },
            },
            _ => PreDeploy::Nothing,
        }
    }
}
