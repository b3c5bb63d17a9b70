//! Server functions of runbook runs (docs/api.md): start a run (for an
//! open incident, if given), run its steps, tick its checklist, approve
//! the steps that need it, finish it. A step runs through the very server
//! fn the service or backup page calls, so it passes the same permission
//! check and writes the same audit event, which names the run.

use super::*;
use crate::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::spec::{Input, ReleaseChoice, Step, StepAction};
#[cfg(feature = "ssr")]
use super::ssr::runs::RunRow;
#[cfg(feature = "ssr")]
use super::ssr::step_check::chosen;
#[cfg(feature = "ssr")]
use crate::auth::guard::require;
#[cfg(feature = "ssr")]
use crate::auth::Permission;
#[cfg(feature = "ssr")]
use crate::state::app_state;

/// Longest typed value (service, target, tag, replicas) accepted.
#[cfg(feature = "ssr")]
const MAX_TYPED: usize = 200;

/// A run id names a run: 1 or more.
#[cfg(feature = "ssr")]
fn check_id(field: &str, id: i64) -> Result<(), AppError> {
    if id >= 1 {
        return Ok(());
    }
    Err(AppError::invalid(field, "ids are numbered from 1"))
}

/// Starts a run of runbook `slug` at its current version (or `version`),
/// attached to the open incident `incident` if given: its steps and ticks
/// then appear on that incident's timeline. Audited `runbook.run_start`.
/// `incident` is its number (`12` or `#12`); empty for none.
#[server(endpoint = "start_runbook_run")]
pub async fn start_runbook_run(
    #[server(default)] slug: String,
    #[server(default)] version: Option<i32>,
    #[server(default)] incident: String,
) -> Result<RunSummary, AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    crate::error::check_length("slug", &slug, MAX_SLUG)?;
    if version.is_some_and(|v| v < 1) {
        return Err(AppError::invalid("version", "versions are numbered from 1"));
    }
    let incident = match incident.trim().trim_start_matches('#') {
        "" => None,
        n => Some(n.parse::<i64>().ok().filter(|i| *i >= 1).ok_or_else(|| {
            AppError::invalid(
                "incident",
                "give an incident's number, like 12, or leave it empty",
            )
        })?),
    };
    let state = app_state()?;
    super::ssr::runs::start(&state.db, &actor, &slug, version, incident).await
}

/// The runs of runbook `slug`, newest first (at most 50).
#[server(endpoint = "list_runbook_runs")]
pub async fn list_runbook_runs(
    #[server(default)] slug: String,
) -> Result<Vec<RunSummary>, AppError> {
    require(Permission::Read).await?;
    crate::error::check_length("slug", &slug, MAX_SLUG)?;
    let state = app_state()?;
    super::ssr::runs::list(&state.db, &slug).await
}

/// Run `run` of runbook `slug`: the version followed, its checklist, the
/// approvals asked for and everything done so far.
#[server(endpoint = "read_runbook_run")]
pub async fn read_runbook_run(
    #[server(default)] slug: String,
    run: i64,
) -> Result<RunRead, AppError> {
    require(Permission::Read).await?;
    crate::error::check_length("slug", &slug, MAX_SLUG)?;
    check_id("run", run)?;
    let state = app_state()?;
    super::ssr::runs::read(&state.db, &slug, run).await
}

/// Ticks (`done=true`) or unticks checklist item `item` (from 1) of run
/// `run`. Audited `runbook.check`.
#[server(endpoint = "tick_runbook_item")]
pub async fn tick_runbook_item(run: i64, item: i32, done: bool) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    check_id("run", run)?;
    let state = app_state()?;
    super::ssr::runs::tick(&state.db, &actor, run, item, done).await
}

/// Marks run `run` finished: nothing more can be done in it.
#[server(endpoint = "finish_runbook_run")]
pub async fn finish_runbook_run(run: i64) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    check_id("run", run)?;
    let state = app_state()?;
    super::ssr::runs::finish(&state.db, &actor, run).await
}

/// Runs action step `step` of open run `run` through the same server fn
/// as the service or backup page (deploy, rollback, scale, restart,
/// run_backup, test_restore_backup), which checks its own permission.
/// `service` / `target` / `tag` / `replicas` carry what the reader typed
/// where the step says `ask`. A step marked `approval: required` is not
/// run: it is asked for (`approval` in the answer), and runs when a
/// second person approves it (`approve_runbook_step`).
#[server(endpoint = "run_runbook_step")]
pub async fn run_runbook_step(
    run: i64,
    step: i32,
    #[server(default)] service: String,
    #[server(default)] target: String,
    #[server(default)] tag: String,
    #[server(default)] replicas: String,
) -> Result<StepRan, AppError> {
    let actor = require(Permission::Read).await?;
    check_id("run", run)?;
    let typed = Typed {
        service,
        target,
        tag,
        replicas,
    };
    typed.check()?;
    let state = app_state()?;
    let row = super::ssr::runs::find(&state.db, run).await?.open()?;
    let (found, _) =
        super::ssr::steps::stored_step(&state.db, &row.slug, row.version, step).await?;
    if found.approval {
        require(permission_of(&found.action)?).await?;
        let asked = typed.asked(&found);
        let at = row.step_ref(Some(step));
        let id = super::ssr::approvals::request(&state.db, &actor, &at, asked).await?;
        return Ok(StepRan {
            url: None,
            approval: Some(id),
        });
    }
    let url = dispatch(&state.db, &row, step, &found, &typed).await?;
    Ok(StepRan {
        url,
        approval: None,
    })
}

/// Approves `approval` (a step asked for in a run) and runs the step with
/// what its requester typed. The approver must hold the step's permission
/// and must not be the requester (403).
#[server(endpoint = "approve_runbook_step")]
pub async fn approve_runbook_step(approval: i64) -> Result<StepRan, AppError> {
    let actor = require(Permission::Read).await?;
    check_id("approval", approval)?;
    let state = app_state()?;
    let (asked, row, found) = decidable(&state.db, approval).await?;
    let at = row.step_ref(Some(asked.step));
    super::ssr::approvals::approve(&state.db, &actor, &at, &asked).await?;
    let typed = Typed {
        service: asked.typed("service"),
        target: asked.typed("target"),
        tag: asked.typed("tag"),
        replicas: asked.typed("replicas"),
    };
    let url = dispatch(&state.db, &row, asked.step, &found, &typed).await?;
    Ok(StepRan {
        url,
        approval: Some(approval),
    })
}

/// Declines `approval`, by someone holding the step's permission (its
/// requester too: withdrawing it).
#[server(endpoint = "decline_runbook_step")]
pub async fn decline_runbook_step(approval: i64) -> Result<(), AppError> {
    let actor = require(Permission::Read).await?;
    check_id("approval", approval)?;
    let state = app_state()?;
    let (asked, row, _) = decidable(&state.db, approval).await?;
    let at = row.step_ref(Some(asked.step));
    super::ssr::approvals::decline(&state.db, &actor, &at, &asked).await
}

/// Approval `approval`, its open run and the step it is for, once the
/// caller is known to hold that step's permission.
#[cfg(feature = "ssr")]
async fn decidable(
    db: &sqlx::PgPool,
    approval: i64,
) -> Result<(super::ssr::approvals::ApprovalRow, RunRow, Step), AppError> {
    let asked = super::ssr::approvals::find(db, approval).await?;
    let row = super::ssr::runs::find(db, asked.run_id).await?.open()?;
    let (found, _) = super::ssr::steps::stored_step(db, &row.slug, row.version, asked.step).await?;
    require(permission_of(&found.action)?).await?;
    Ok((asked, row, found))
}

/// What the reader typed for a step's `ask` values.
#[cfg(feature = "ssr")]
struct Typed {
    service: String,
    target: String,
    tag: String,
    replicas: String,
}

#[cfg(feature = "ssr")]
impl Typed {
    fn check(&self) -> Result<(), AppError> {
        for (field, value) in [
            ("service", &self.service),
            ("target", &self.target),
            ("tag", &self.tag),
            ("replicas", &self.replicas),
        ] {
            crate::error::check_length(field, value, MAX_TYPED)?;
        }
        Ok(())
    }

    /// The values `step` leaves to the reader, to be approved as typed.
    fn asked(&self, step: &Step) -> serde_json::Map<String, serde_json::Value> {
        let mut asked = serde_json::Map::new();
        let mut put = |k: &str, v: &str| {
            asked.insert(k.into(), v.trim().into());
        };
        if step.action.subject() == &Input::Ask {
            if step.action.on_target() {
                put("target", &self.target);
            } else {
                put("service", &self.service);
            }
        }
        match &step.action {
            StepAction::Deploy {
                tag: Input::Ask, ..
            } => put("tag", &self.tag),
            StepAction::Scale {
                replicas: Input::Ask,
                ..
            } => put("replicas", &self.replicas),
            _ => {}
        }
        asked
    }
}

/// The permission the action of a step needs (a health check changes
/// nothing, so there is nothing to run or approve).
#[cfg(feature = "ssr")]
fn permission_of(action: &StepAction) -> Result<Permission, AppError> {
    match action {
        StepAction::HealthCheck { .. } => Err(AppError::invalid(
            "step",
            "a health check changes nothing: its card shows the service as it is",
        )),
        StepAction::Backup { .. } | StepAction::TestRestore { .. } => Ok(Permission::RunBackup),
        _ => Ok(Permission::Deploy),
    }
}

/// Calls the server fn of `step`'s action as the service or backup page
/// would, naming the run; the URL of the work it started, if any.
#[cfg(feature = "ssr")]
async fn dispatch(
    db: &sqlx::PgPool,
    run: &RunRow,
    index: i32,
    step: &Step,
    typed: &Typed,
) -> Result<Option<String>, AppError> {
    use super::ssr::step_check::{newest_backup, previous_release};
    use crate::backup::api::{run_backup, test_restore_backup};
    use crate::deploy::api::{deploy, restart, rollback, scale};
    let (slug, v, s, r) = (
        run.slug.clone(),
        Some(run.version),
        Some(index),
        Some(run.id),
    );
    let value = |written: &Input<String>, sent: &str| match written {
        Input::Fixed(x) => x.clone(),
        Input::Ask => sent.trim().to_string(),
    };
    let none = String::new;
    match &step.action {
        StepAction::Deploy { service, tag } => {
            let service = chosen(service, &typed.service, "service")?;
            let tag = value(tag, &typed.tag);
            let started = deploy(
                service,
                tag,
                None,
                none(),
                none(),
                none(),
                none(),
                slug,
                v,
                s,
                r,
            );
            Ok(Some(started.await?.url))
        }
        StepAction::Rollback { service, release } => {
            let service = chosen(service, &typed.service, "service")?;
            let number = match release {
                ReleaseChoice::Number(n) => *n,
                ReleaseChoice::Previous => {
                    let row = crate::deploy::ssr::model::find_service(db, &service).await?;
                    previous_release(db, &row).await?.0
                }
            };
            let started = rollback(service, number, None, none(), slug, v, s, r);
            Ok(Some(started.await?.url))
        }
        StepAction::Scale { service, replicas } => {
            let service = chosen(service, &typed.service, "service")?;
            let replicas = match replicas {
                Input::Fixed(n) => n.to_string(),
                Input::Ask => typed.replicas.trim().to_string(),
            };
            let started = scale(service, replicas, slug, v, s, r).await?;
            Ok(started.map(|d| d.url))
        }
        StepAction::Restart { service } => {
            let service = chosen(service, &typed.service, "service")?;
            Ok(Some(restart(service, slug, v, s, r).await?.url))
        }
        StepAction::Backup { target } => {
            let target = chosen(target, &typed.target, "target")?;
            Ok(Some(run_backup(target, slug, v, s, r).await?.url))
        }
        StepAction::TestRestore { target } => {
            let target = chosen(target, &typed.target, "target")?;
            let (id, _) = newest_backup(db, &target).await?;
            test_restore_backup(id, slug, v, s, r).await?;
            Ok(Some(format!("/backups/{target}/{id}")))
        }
        StepAction::HealthCheck { .. } => permission_of(&step.action).map(|_| None),
    }
}
