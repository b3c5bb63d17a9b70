//! An action step as its reader sees it: what it does, the values to type
//! (`ask`), and a button that first shows the exact parameters the server
//! resolved (the confirmation), then calls the same server fn as the
//! service or backup page. Readers whose roles do not allow the action see
//! it disabled with the reason; an invalid block is an error box naming
//! its line. Every text of a block reaches the page as text, never markup.

use super::api::PrepareRunbookStep;
use super::spec::{Input, ReleaseChoice, SpecError, Step, StepAction};
use super::step_run::{runner, At, Ran, Runner, Typed};
use crate::deploy::api::ReadService;
use crate::deploy::ServiceDetail;
use crate::layout::ui::*;
use crate::layout::Post;
use crate::AppError;
use leptos::prelude::*;

/// What the reader's roles allow, for the steps' buttons.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Allowed {
    pub deploy: bool,
    pub backup: bool,
}

/// The permission a step's action needs and why a reader lacking it
/// cannot run it; `None` for the read-only health check.
fn needs(action: &StepAction, allowed: Allowed) -> Option<(bool, &'static str)> {
    match action {
        StepAction::HealthCheck { .. } => None,
        StepAction::Backup { .. } | StepAction::TestRestore { .. } => Some((
            allowed.backup,
            "Your roles do not allow running backups: a deployer or admin can run this step.",
        )),
        _ => Some((
            allowed.deploy,
            "Your roles do not allow deploying: a deployer or admin can run this step.",
        )),
    }
}

/// The verb on a step's first button.
fn verb(action: &StepAction) -> &'static str {
    match action {
        StepAction::Deploy { .. } => "Deploy…",
        StepAction::Rollback { .. } => "Roll back…",
        StepAction::Scale { .. } => "Scale…",
        StepAction::Restart { .. } => "Restart…",
        StepAction::Backup { .. } => "Back up…",
        StepAction::TestRestore { .. } => "Test-restore…",
        StepAction::HealthCheck { .. } => "Check again",
    }
}

/// The step's parameters as written, `(key, value)`.
fn written(action: &StepAction) -> Vec<(&'static str, String)> {
    let ask = |i: &Input<String>| match i {
        Input::Fixed(v) => v.clone(),
        Input::Ask => "typed below".into(),
    };
    match action {
        StepAction::Deploy { service, tag } => {
            vec![("service", ask(service)), ("tag", ask(tag))]
        }
        StepAction::Rollback { service, release } => vec![
            ("service", ask(service)),
            (
                "release",
                match release {
                    ReleaseChoice::Previous => "the one before the live release".into(),
                    ReleaseChoice::Number(n) => format!("#{n}"),
                },
            ),
        ],
        StepAction::Scale { service, replicas } => vec![
            ("service", ask(service)),
            (
                "replicas",
                match replicas {
                    Input::Fixed(n) => n.to_string(),
                    Input::Ask => "typed below".into(),
                },
            ),
        ],
        StepAction::Restart { service } | StepAction::HealthCheck { service } => {
            vec![("service", ask(service))]
        }
        StepAction::Backup { target } => vec![("target", ask(target))],
        StepAction::TestRestore { target } => {
            vec![("target", ask(target)), ("backup", "the newest".into())]
        }
    }
}

/// What the reader names for `service: ask` / `target: ask`.
fn subject_ask(action: &StepAction) -> Option<(&'static str, &'static str)> {
    if action.subject() != &Input::Ask {
        return None;
    }
    Some(if action.on_target() {
        ("Backup target", "e.g. main-db")
    } else {
        ("Service", "environment/name, e.g. production/web")
    })
}

/// What the reader types for an `ask` value: its label and placeholder.
fn asks(action: &StepAction) -> Option<(&'static str, &'static str)> {
    match action {
        StepAction::Deploy {
            tag: Input::Ask, ..
        } => Some(("Image tag", "e.g. v1.4.2")),
        StepAction::Scale {
            replicas: Input::Ask,
            ..
        } => Some(("Replicas", "0 to 50")),
        _ => None,
    }
}

crate::island! {
    /// Action block `index` of version `version` of runbook `slug`, within
    /// run `run` when the reader follows it in one: its facts and its
    /// button, or for a health check the look at the service. An island of
    /// the runbook and run pages.
    pub fn StepCard(
        slug: String,
        version: i32,
        index: i32,
        step: Step,
        allowed: Allowed,
        run: Option<i64>,
    ) -> impl IntoView {
        let action = step.action.clone();
        let title = step.title.clone().unwrap_or_else(|| {
            format!(
                "{} {}",
                action.name(),
                action.subject_or("(named when run)")
            )
        });
        let facts = written(&action)
            .into_iter()
            .map(|(k, v)| view! { <dt class="text-slate-500">{k}</dt><dd class="font-mono" data-test=format!("step-{k}")>{v}</dd> })
            .collect_view();
        let at = At {
            slug,
            version,
            index,
            run,
        };
        let approval = step.approval.then(|| {
            let how = if run.is_some() {
                "Needs approval: a second person holding the permission approves it on this run, then it runs."
            } else {
                "Needs approval: start a run to ask for it; a second person holding the permission approves it."
            };
            view! { <p class="mb-2 text-xs text-amber-700 dark:text-amber-300" data-test="step-approval">{how}</p> }
        });
        let body = match &action {
            StepAction::HealthCheck { service } => {
                view! { <HealthCheck service=service.clone()/> }.into_any()
            }
            _ => {
                view! { <StepRun at=at action=action.clone() allowed=allowed approval=step.approval/> }
                    .into_any()
            }
        };
        view! {
            <section class=format!("{CARD} my-4") data-test="runbook-step" data-step=index.to_string() data-action=action.name()>
                <p class="text-xs font-medium uppercase text-slate-500">{format!("Step {index} · {}", action.name())}</p>
                <h3 class="mb-2 font-semibold" data-test="step-title">{title}</h3>
                <dl class="mb-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-xs">{facts}</dl>
                {approval}
                {body}
            </section>
        }
    }
}

/// The button of a step that acts, its `ask` input, its confirmation and
/// what came of it.
#[component]
fn StepRun(at: At, action: StepAction, allowed: Allowed, approval: bool) -> impl IntoView {
    let (may, why) = needs(&action, allowed).unwrap_or((true, ""));
    // An approval is asked for within a run: outside one the step waits.
    let (may, why) = if approval && at.run.is_none() && may {
        (
            false,
            "Start a run (above) to ask for this step's approval.",
        )
    } else {
        (may, why)
    };
    let typed = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let prepare = Post::to::<PrepareRunbookStep>();
    let confirming = RwSignal::new(false);
    let ask_subject = subject_ask(&action).map(|(label, hint)| {
        view! {
            <label class=format!("{LABEL} mb-2")>{label}
                <input class=INPUT placeholder=hint autocomplete="off" disabled=!may bind:value=subject data-test="step-ask-subject"/>
            </label>
        }
    });
    let ask = asks(&action).map(|(label, hint)| {
        view! {
            <label class=format!("{LABEL} mb-2")>{label}
                <input class=INPUT placeholder=hint autocomplete="off" disabled=!may bind:value=typed data-test="step-ask"/>
            </label>
        }
    });
    let start = {
        let at = at.clone();
        let on_target = action.on_target();
        move |_| {
            confirming.set(true);
            let chosen = subject.get_untracked();
            let (service, target) = if on_target {
                (String::new(), chosen)
            } else {
                (chosen, String::new())
            };
            prepare.dispatch(&[
                ("slug", &at.slug),
                ("version", &at.version.to_string()),
                ("step", &at.index.to_string()),
                ("service", &service),
                ("target", &target),
            ]);
        }
    };
    let panel = {
        let action = action.clone();
        move || {
            if !confirming.get() {
                return None;
            }
            let plan = prepare.value().get()?;
            Some(match plan {
                Ok(plan) => {
                    let values = Typed { subject: subject.get_untracked(), value: typed.get_untracked() };
                    let run = runner(&action, &plan, values, at.clone())?;
                    view! { <Confirm facts=plan.facts typed=typed.get_untracked() run=run cancel=confirming/> }.into_any()
                }
                Err(e) => view! { <p class="text-sm text-red-700 dark:text-red-300" data-test="step-error">{e.to_string()}</p> }.into_any(),
            })
        }
    };
    view! {
        {ask_subject}
        {ask}
        <div class="flex flex-wrap items-center gap-3">
            <button type="button" class=BUTTON_SECONDARY disabled=move || !may || prepare.pending().get() on:click=start data-test="step-start">{verb(&action)}</button>
            {(!may).then(|| view! { <span class="text-xs text-slate-500" data-test="step-reason">{why}</span> })}
        </div>
        {panel}
    }
}

/// The exact parameters, and the second click that runs the step.
#[component]
fn Confirm(
    facts: Vec<(String, String)>,
    typed: String,
    run: Runner,
    cancel: RwSignal<bool>,
) -> impl IntoView {
    let mut facts = facts;
    if let Some(label) = run.typed_label {
        facts.push((label.to_string(), typed));
    }
    let rows = facts
        .into_iter()
        .map(|(k, v)| view! { <dt class="text-slate-500">{k}</dt><dd class="font-mono" data-test="confirm-fact">{v}</dd> })
        .collect_view();
    let (dispatch, outcome, pending) = (run.dispatch, run.outcome, run.pending);
    let done = move || matches!(outcome.get(), Some(Ok(_)));
    let result = move || {
        outcome.get().map(|r| match r {
            Ok(Ran::Follow(url)) => view! { <p class="text-sm" data-test="step-started">"Started: " <a class=LINK href=url.clone() data-test="step-follow">{format!("follow it at {url}")}</a></p> }.into_any(),
            Ok(Ran::Done) => view! { <p class="text-sm" data-test="step-started">"Done."</p> }.into_any(),
            Ok(Ran::AwaitingApproval) => view! { <p class="text-sm" data-test="step-awaiting">"Asked for approval: a second person holding the permission approves it on this run's page, and then it runs."</p> }.into_any(),
            Err(e) => view! { <p class="text-sm text-red-700 dark:text-red-300" data-test="step-error">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <div class="mt-3 rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-800 dark:bg-amber-950" data-test="step-confirm-panel">
            <p class="mb-2 text-sm font-medium">"This will run with exactly:"</p>
            <dl class="mb-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-xs">{rows}</dl>
            <div class="flex gap-2">
                <button type="button" class=BUTTON_DANGER disabled=move || pending.get() || done() on:click=move |_| dispatch.run(()) data-test="step-confirm">{run.label}</button>
                <button type="button" class=BUTTON_SECONDARY disabled=move || pending.get() || done() on:click=move |_| cancel.set(false) data-test="step-cancel">"Cancel"</button>
            </div>
            <div class="mt-2">{result}</div>
        </div>
    }
}

/// A read-only step: the service's live release and healthy replicas now
/// (for `service: ask`, of the service the reader names).
#[component]
fn HealthCheck(service: Input<String>) -> impl IntoView {
    let again = RwSignal::new(0u32);
    let (fixed, named) = match service {
        Input::Fixed(name) => (true, RwSignal::new(name)),
        Input::Ask => (false, RwSignal::new(String::new())),
    };
    let typed = RwSignal::new(String::new());
    let pick = (!fixed).then(|| {
        view! {
            <form class="mb-2 flex flex-wrap items-end gap-2" on:submit=move |ev| { ev.prevent_default(); named.set(typed.get_untracked()); }>
                <label class=LABEL>"Service"
                    <input class=INPUT placeholder="environment/name, e.g. production/web" autocomplete="off" bind:value=typed data-test="step-ask-subject"/>
                </label>
                <button type="submit" class=BUTTON_SECONDARY data-test="step-look">"Look"</button>
            </form>
        }
    });
    // Looked up from the browser once the step is live (no Resource: the
    // step is an island, whose reads are its own); `None` while looking.
    let look = RwSignal::new(None::<Option<Result<ServiceDetail, AppError>>>);
    Effect::new(move |_| {
        let (service, _) = (named.get(), again.get());
        look.set(None);
        leptos::task::spawn_local(async move {
            let read = if service.is_empty() {
                None
            } else {
                Some(crate::layout::ask::<ReadService>(&[("service", &service)]).await)
            };
            look.try_set(Some(read));
        });
    });
    view! {
        {pick}
        {move || match look.get() {
            None => view! { <p class="text-xs text-slate-500">"Looking…"</p> }.into_any(),
            Some(None) => view! { <p class="text-xs text-slate-500">"Name the service to look at."</p> }.into_any(),
            Some(Some(Ok(d))) => {
                let live = d.summary.live.as_ref().map_or("none yet".to_string(), |r| format!("#{} {}", r.number, r.tag));
                view! {
                    <p class="text-sm" data-test="step-health">
                        "Live release " <span class="font-mono">{live}</span> ", healthy / desired replicas "
                        {crate::deploy::replicas_cell(d.summary.healthy, d.summary.desired)}
                    </p>
                }.into_any()
            }
            // Shown as text: an error component would turn the whole page into a 404.
            Some(Some(Err(e))) => view! { <p class="text-sm text-red-700 dark:text-red-300" data-test="step-error">{e.to_string()}</p> }.into_any(),
        }}
        <button type="button" class=format!("{BUTTON} mt-2") on:click=move |_| again.update(|n| *n += 1) data-test="step-start">"Check again"</button>
    }
}

/// An action block that is not a valid step: where, and what is wrong.
#[component]
pub fn InvalidStep(index: i32, error: SpecError) -> impl IntoView {
    view! {
        <div role="alert" class="my-4 rounded-md border border-red-300 bg-red-50 p-4 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200" data-test="step-invalid" data-line=error.line.to_string()>
            <p class="font-medium">{format!("Action step {index} cannot run: line {} of the runbook", error.line)}</p>
            <p class="mt-1 font-mono text-xs" data-test="step-invalid-message">{error.message}</p>
        </div>
    }
}
