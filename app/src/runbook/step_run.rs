//! Running a confirmed step: the call to the same server fn the service or
//! backup page makes, with the confirmed parameters and the runbook step
//! they come from (the server checks them against its stored copy).

use super::spec::{Input, StepAction};
use super::StepPlan;
use crate::backup::api::{RunBackup, TestRestoreBackup};
use crate::deploy::api::{Deploy, Restart, Rollback, Scale};
use crate::AppError;
use leptos::prelude::*;

/// Where a step is: runbook `slug`, version `version`, block `index`.
#[derive(Clone, Debug, PartialEq)]
pub struct At {
    pub slug: String,
    pub version: i32,
    pub index: i32,
}

/// A confirmed step ready to run: what its button says, the label of the
/// typed value it sends (if any), how to run it and what came of it (the
/// page that follows the work, when there is one).
#[derive(Clone, Copy)]
pub struct Runner {
    pub label: &'static str,
    pub typed_label: Option<&'static str>,
    pub dispatch: Callback<()>,
    pub outcome: Signal<Option<Result<Option<String>, AppError>>>,
    pub pending: Signal<bool>,
}

/// The runner of `action` with the server's `plan` and the reader's `typed`
/// value; `None` for a health check, which changes nothing.
pub fn runner(action: &StepAction, plan: &StepPlan, typed: String, at: At) -> Option<Runner> {
    let At {
        slug,
        version,
        index,
    } = at;
    let (runbook, runbook_version, runbook_step) = (slug, Some(version), Some(index));
    macro_rules! run {
        ($fn:ident, $label:expr, $typed:expr, $args:expr, $url:expr) => {{
            let act = ServerAction::<$fn>::new();
            let args = $args;
            Runner {
                label: $label,
                typed_label: $typed,
                dispatch: Callback::new(move |_| {
                    act.dispatch(args.clone());
                }),
                outcome: Signal::derive(move || act.value().get().map(|r| r.map($url))),
                pending: act.pending().into(),
            }
        }};
    }
    Some(match action.clone() {
        StepAction::Deploy { service, tag } => {
            let (tag, label) = match tag {
                Input::Fixed(t) => (t, None),
                Input::Ask => (typed, Some("tag (typed)")),
            };
            run!(
                Deploy,
                "Confirm: deploy",
                label,
                Deploy {
                    service,
                    tag,
                    skip_backup: None,
                    skip_reason: String::new(),
                    commit_sha: String::new(),
                    committed_at: String::new(),
                    fixes_incident: String::new(),
                    runbook,
                    runbook_version,
                    runbook_step,
                },
                |s| Some(s.url)
            )
        }
        StepAction::Rollback { service, .. } => {
            let release = plan.release.unwrap_or_default();
            run!(
                Rollback,
                "Confirm: roll back",
                None,
                Rollback {
                    service,
                    release,
                    skip_backup: None,
                    skip_reason: String::new(),
                    runbook,
                    runbook_version,
                    runbook_step,
                },
                |s| Some(s.url)
            )
        }
        StepAction::Scale { service, replicas } => {
            let (replicas, label) = match replicas {
                Input::Fixed(n) => (n.to_string(), None),
                Input::Ask => (typed, Some("replicas (typed)")),
            };
            run!(
                Scale,
                "Confirm: scale",
                label,
                Scale {
                    service,
                    replicas,
                    runbook,
                    runbook_version,
                    runbook_step,
                },
                |s: Option<crate::deploy::DeploymentStarted>| s.map(|s| s.url)
            )
        }
        StepAction::HealthCheck { .. } => return None,
        StepAction::Restart { service } => {
            run!(
                Restart,
                "Confirm: restart",
                None,
                Restart {
                    service,
                    runbook,
                    runbook_version,
                    runbook_step,
                },
                |s| Some(s.url)
            )
        }
        StepAction::Backup { target } => {
            run!(
                RunBackup,
                "Confirm: back up",
                None,
                RunBackup {
                    target,
                    runbook,
                    runbook_version,
                    runbook_step,
                },
                |s| Some(s.url)
            )
        }
        StepAction::TestRestore { target } => {
            let id = plan.backup.unwrap_or_default();
            let url = format!("/backups/{target}/{id}");
            run!(
                TestRestoreBackup,
                "Confirm: test-restore",
                None,
                TestRestoreBackup {
                    id,
                    runbook,
                    runbook_version,
                    runbook_step,
                },
                |()| Some(url.clone())
            )
        }
    })
}
