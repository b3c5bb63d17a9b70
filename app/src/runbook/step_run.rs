//! Running a confirmed step: the call to the same server fn the service or
//! backup page makes, with the confirmed parameters and the runbook step
//! they come from (the server checks them against its stored copy).

use super::run_api::RunRunbookStep;
use super::spec::{Input, StepAction};
use super::StepPlan;
use crate::backup::api::{RunBackup, TestRestoreBackup};
use crate::deploy::api::{Deploy, Restart, Rollback, Scale};
use crate::layout::{form_body, Post};
use crate::AppError;
use leptos::prelude::*;

/// Where a step is: runbook `slug`, version `version`, block `index`, and
/// the run following it, if the reader is in one.
#[derive(Clone, Debug, PartialEq)]
pub struct At {
    pub slug: String,
    pub version: i32,
    pub index: i32,
    pub run: Option<i64>,
}

/// What the reader typed for a step's `ask` values: the service or target
/// (`subject`) and the tag or replica count (`value`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Typed {
    pub subject: String,
    pub value: String,
}

/// What came of a confirmed step: work to follow, a change done, or a
/// request waiting for a second person's approval.
#[derive(Clone, Debug, PartialEq)]
pub enum Ran {
    Follow(String),
    Done,
    AwaitingApproval,
}

/// A confirmed step ready to run: what its button says, the label of the
/// typed value it sends (if any), how to run it and what came of it (the
/// page that follows the work, when there is one).
#[derive(Clone, Copy)]
pub struct Runner {
    pub label: &'static str,
    pub typed_label: Option<&'static str>,
    pub dispatch: Callback<()>,
    pub outcome: Signal<Option<Result<Ran, AppError>>>,
    pub pending: Signal<bool>,
}

fn ran(url: Option<String>) -> Ran {
    url.map_or(Ran::Done, Ran::Follow)
}

/// The runner of `action` with the server's `plan` and the reader's `typed`
/// values; `None` for a health check, which changes nothing. Within a run
/// the step goes through `run_runbook_step`, which calls the same server
/// fn and adds the run (and asks for approval where the step says so).
pub fn runner(action: &StepAction, plan: &StepPlan, typed: Typed, at: At) -> Option<Runner> {
    if matches!(action, StepAction::HealthCheck { .. }) {
        return None;
    }
    if let Some(run) = at.run {
        return Some(in_run(action, plan, typed, run, at.index));
    }
    let step = format!(
        "&{}",
        form_body(&[
            ("runbook", &at.slug),
            ("runbook_version", &at.version.to_string()),
            ("runbook_step", &at.index.to_string()),
        ])
    );
    let subject = |written: Input<String>| match written {
        Input::Fixed(name) => name,
        Input::Ask => typed.subject.clone(),
    };
    let typed = typed.value.clone();
    // The fn, the button, the typed value's label, the fn's own arguments
    // (the step's reference follows them) and the page its answer names.
    macro_rules! run {
        ($fn:ident, $label:expr, $typed:expr, $args:expr, $url:expr) => {{
            let act = Post::to::<$fn>();
            let body = form_body($args) + &step;
            Runner {
                label: $label,
                typed_label: $typed,
                dispatch: Callback::new(move |_| act.send(body.clone())),
                outcome: Signal::derive(move || act.value().get().map(|r| r.map($url).map(ran))),
                pending: act.pending().into(),
            }
        }};
    }
    Some(match action.clone() {
        StepAction::Deploy { service, tag } => {
            let service = subject(service);
            let (tag, label) = match tag {
                Input::Fixed(t) => (t, None),
                Input::Ask => (typed, Some("tag (typed)")),
            };
            run!(
                Deploy,
                "Confirm: deploy",
                label,
                &[("service", &service), ("tag", &tag)],
                |s| Some(s.url)
            )
        }
        StepAction::Rollback { service, .. } => {
            let service = subject(service);
            let release = plan.release.unwrap_or_default().to_string();
            run!(
                Rollback,
                "Confirm: roll back",
                None,
                &[("service", &service), ("release", &release)],
                |s| Some(s.url)
            )
        }
        StepAction::Scale { service, replicas } => {
            let service = subject(service);
            let (replicas, label) = match replicas {
                Input::Fixed(n) => (n.to_string(), None),
                Input::Ask => (typed, Some("replicas (typed)")),
            };
            run!(
                Scale,
                "Confirm: scale",
                label,
                &[("service", &service), ("replicas", &replicas)],
                |s: Option<crate::deploy::DeploymentStarted>| s.map(|s| s.url)
            )
        }
        StepAction::HealthCheck { .. } => return None,
        StepAction::Restart { service } => {
            let service = subject(service);
            run!(
                Restart,
                "Confirm: restart",
                None,
                &[("service", &service)],
                |s| Some(s.url)
            )
        }
        StepAction::Backup { target } => {
            let target = subject(target);
            run!(
                RunBackup,
                "Confirm: back up",
                None,
                &[("target", &target)],
                |s| Some(s.url)
            )
        }
        StepAction::TestRestore { target } => {
            let target = subject(target);
            let id = plan.backup.unwrap_or_default();
            let url = format!("/backups/{target}/{id}");
            run!(
                TestRestoreBackup,
                "Confirm: test-restore",
                None,
                &[("id", &id.to_string())],
                |()| Some(url.clone())
            )
        }
    })
}

/// A step run within run `run`: the typed values go to `run_runbook_step`;
/// the release or backup the confirmation showed is resolved again there.
fn in_run(action: &StepAction, plan: &StepPlan, typed: Typed, run: i64, step: i32) -> Runner {
    let act = Post::to::<RunRunbookStep>();
    let subject = match action.subject() {
        Input::Ask => typed.subject.clone(),
        Input::Fixed(_) => String::new(),
    };
    let (service, target) = if action.on_target() {
        (String::new(), subject)
    } else {
        (subject, String::new())
    };
    let (tag, replicas, typed_label) = match action {
        StepAction::Deploy {
            tag: Input::Ask, ..
        } => (typed.value, String::new(), Some("tag (typed)")),
        StepAction::Scale {
            replicas: Input::Ask,
            ..
        } => (String::new(), typed.value, Some("replicas (typed)")),
        _ => (String::new(), String::new(), None),
    };
    let body = form_body(&[
        ("run", &run.to_string()),
        ("step", &step.to_string()),
        ("service", &service),
        ("target", &target),
        ("tag", &tag),
        ("replicas", &replicas),
    ]);
    let label = if plan.approval {
        "Ask for approval"
    } else {
        "Confirm: run this step"
    };
    Runner {
        label,
        typed_label,
        dispatch: Callback::new(move |_| act.send(body.clone())),
        outcome: Signal::derive(move || {
            act.value().get().map(|r| {
                r.map(|ran| match (ran.url, ran.approval) {
                    (_, Some(_)) => Ran::AwaitingApproval,
                    (url, None) => self::ran(url),
                })
            })
        }),
        pending: act.pending().into(),
    }
}
