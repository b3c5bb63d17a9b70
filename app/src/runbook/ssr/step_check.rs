//! Checking an action started from a runbook step: the server reads the
//! step from the stored version and refuses any parameter that differs
//! from it, naming the field. `release: previous` and the newest backup
//! are resolved here, both for the confirmation (`plan`) and again when
//! the action runs (`check`), so that what was confirmed is what runs.

use super::steps::stored_step;
use crate::deploy::ssr::model::{find_service, release_by_id, ServiceRow};
use crate::format::short_id;
use crate::runbook::spec::{Input, ReleaseChoice, StepAction};
use crate::runbook::step_ref::RunbookStepRef;
use crate::runbook::{StepPlan, MAX_SLUG};
use crate::AppError;
use sqlx::PgPool;

/// What an action's server fn received, to compare with the step.
pub enum Submitted<'a> {
    Deploy { service: &'a str, tag: &'a str },
    Rollback { service: &'a str, release: i32 },
    Scale { service: &'a str, replicas: &'a str },
    Restart { service: &'a str },
    Backup { target: &'a str },
    TestRestore { backup: i64 },
}

impl Submitted<'_> {
    /// What was sent for a value the reader typed (an `ask`), by the key
    /// the runbook uses for it; what an approval fixed is compared to it.
    fn typed(&self, key: &str) -> Option<String> {
        match (self, key) {
            (
                Submitted::Deploy { service, .. }
                | Submitted::Rollback { service, .. }
                | Submitted::Scale { service, .. }
                | Submitted::Restart { service },
                "service",
            ) => Some(service.trim().to_string()),
            (Submitted::Deploy { tag, .. }, "tag") => Some(tag.trim().to_string()),
            (Submitted::Scale { replicas, .. }, "replicas") => Some(replicas.trim().to_string()),
            (Submitted::Backup { target }, "target") => Some(target.trim().to_string()),
            _ => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Submitted::Deploy { .. } => "deploy",
            Submitted::Rollback { .. } => "rollback",
            Submitted::Scale { .. } => "scale",
            Submitted::Restart { .. } => "restart",
            Submitted::Backup { .. } => "backup",
            Submitted::TestRestore { .. } => "test-restore",
        }
    }
}

/// The optional runbook arguments of an action, as they arrived.
pub struct FromRunbook<'a> {
    pub runbook: &'a str,
    pub version: Option<i32>,
    pub step: Option<i32>,
    /// The run the step is part of (`runbook_run`), if any.
    pub run: Option<i64>,
}

/// `None` for an action not started from a runbook; otherwise the step it
/// was started from, once every submitted parameter matched it.
pub async fn check(
    db: &PgPool,
    from: FromRunbook<'_>,
    submitted: Submitted<'_>,
) -> Result<Option<RunbookStepRef>, AppError> {
    if from.runbook.is_empty() {
        if from.version.is_some() || from.step.is_some() || from.run.is_some() {
            return Err(AppError::invalid(
                "runbook",
                "name the runbook the step is in",
            ));
        }
        return Ok(None);
    }
    crate::error::check_length("runbook", from.runbook, MAX_SLUG)?;
    let version = from.version.ok_or_else(|| {
        AppError::invalid(
            "runbook_version",
            "give the version of the runbook the step is in",
        )
    })?;
    let index = from
        .step
        .ok_or_else(|| AppError::invalid("runbook_step", "give the number of the step"))?;
    let (step, mut at) = stored_step(db, from.runbook, version, index).await?;
    if let Some(run) = from.run {
        super::runs::check_open(db, run, &at).await?;
        at.run = Some(run);
    }
    let differs = |field: &str, stored: &str, sent: &str| {
        AppError::invalid(
            field,
            format!(
                "step {index} of `{}` v{version} says {field} `{stored}`, not `{sent}`",
                at.slug
            ),
        )
    };
    match (&step.action, &submitted) {
        (StepAction::Deploy { service, tag }, Submitted::Deploy { service: s, tag: t }) => {
            same_service(db, service, s).await?;
            if let Input::Fixed(tag) = tag {
                if tag != t.trim() {
                    return Err(differs("tag", tag, t));
                }
            }
        }
        (
            StepAction::Rollback { service, release },
            Submitted::Rollback {
                service: s,
                release: r,
            },
        ) => {
            let row = same_service(db, service, s).await?;
            let wanted = match release {
                ReleaseChoice::Number(n) => *n,
                ReleaseChoice::Previous => previous_release(db, &row).await?.0,
            };
            if wanted != *r {
                return Err(differs("release", &wanted.to_string(), &r.to_string()));
            }
        }
        (
            StepAction::Scale { service, replicas },
            Submitted::Scale {
                service: s,
                replicas: n,
            },
        ) => {
            same_service(db, service, s).await?;
            if let Input::Fixed(want) = replicas {
                if n.trim().parse::<u32>().ok() != Some(*want) {
                    return Err(differs("replicas", &want.to_string(), n));
                }
            }
        }
        (StepAction::Restart { service }, Submitted::Restart { service: s }) => {
            same_service(db, service, s).await?;
        }
        (StepAction::Backup { target }, Submitted::Backup { target: t }) => {
            let sent = crate::backup::ssr::target::find(db, t).await?;
            if let Input::Fixed(target) = target {
                let stored = crate::backup::ssr::target::find(db, target).await?;
                if stored.id != sent.id {
                    return Err(differs("target", target, t));
                }
            }
        }
        (StepAction::TestRestore { target }, Submitted::TestRestore { backup }) => {
            let target = match target {
                Input::Fixed(target) => target.clone(),
                // The backup names its target: the newest of that one.
                Input::Ask => target_of_backup(db, *backup).await?,
            };
            let (newest, _) = newest_backup(db, &target).await?;
            if newest != *backup {
                return Err(differs("id", &newest.to_string(), &backup.to_string()));
            }
        }
        (stored, sent) => {
            return Err(AppError::invalid(
                "runbook_step",
                format!(
                    "step {index} of `{}` v{version} is a `{}` step, not `{}`",
                    at.slug,
                    stored.name(),
                    sent.name()
                ),
            ))
        }
    }
    if step.approval {
        let run = at.run.ok_or_else(|| {
            AppError::invalid(
                "runbook_run",
                format!(
                    "step {index} of `{}` v{version} needs approval: start a run and ask for it there",
                    at.slug
                ),
            )
        })?;
        let typed = |key: &str| submitted.typed(key);
        at.approval = Some(super::approvals::use_approval(db, run, index, typed).await?);
    }
    Ok(Some(at))
}

/// The service the step names (or, for `service: ask`, the one the reader
/// chose), after checking that the request names the same one (by
/// `environment/name` or by id).
async fn same_service(
    db: &PgPool,
    stored: &Input<String>,
    sent: &str,
) -> Result<ServiceRow, AppError> {
    let other = find_service(db, sent).await?;
    let Input::Fixed(stored) = stored else {
        return Ok(other);
    };
    let row = find_service(db, stored).await?;
    if row.id != other.id {
        return Err(AppError::invalid(
            "service",
            format!("the step acts on `{stored}`, not `{sent}`"),
        ));
    }
    Ok(row)
}

/// The backup target backup `id` belongs to.
async fn target_of_backup(db: &PgPool, id: i64) -> Result<String, AppError> {
    sqlx::query_scalar(
        "SELECT t.name FROM backup b JOIN backup_target t ON t.id = b.target_id WHERE b.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| AppError::invalid("id", format!("there is no backup #{id}")))
}

/// The name the step fixes, or the one the reader typed for an `ask`
/// (`field` says which argument carries it).
pub fn chosen(written: &Input<String>, typed: &str, field: &str) -> Result<String, AppError> {
    match written {
        Input::Fixed(name) => Ok(name.clone()),
        Input::Ask if typed.trim().is_empty() => Err(AppError::invalid(
            field,
            format!("this step leaves the {field} to you: name it"),
        )),
        Input::Ask => Ok(typed.trim().to_string()),
    }
}

/// The release numbered just below the live one: its number and how the
/// confirmation names it.
pub async fn previous_release(
    db: &PgPool,
    service: &ServiceRow,
) -> Result<(i32, String), AppError> {
    let name = format!("{}/{}", service.environment, service.name);
    let live_id = service.live_release_id.ok_or_else(|| {
        AppError::invalid(
            "release",
            format!("{name} has no live release: there is nothing to roll back"),
        )
    })?;
    let live = release_by_id(db, live_id).await?;
    let row: Option<(i32, String, String)> = sqlx::query_as(
        "SELECT number, tag, image_id FROM release
         WHERE service_id = $1 AND number < $2 ORDER BY number DESC LIMIT 1",
    )
    .bind(service.id)
    .bind(live.number)
    .fetch_optional(db)
    .await?;
    let (number, tag, image) = row.ok_or_else(|| {
        AppError::invalid(
            "release",
            format!(
                "{name} has no release before the live one (#{})",
                live.number
            ),
        )
    })?;
    Ok((
        number,
        format!("#{number} {tag} (image {})", short_id(&image)),
    ))
}

/// The newest backup of `target` that can be restored: its id and how the
/// confirmation names it.
pub async fn newest_backup(db: &PgPool, target: &str) -> Result<(i64, String), AppError> {
    let row: Option<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT b.id, b.started_at FROM backup b JOIN backup_target t ON t.id = b.target_id
         WHERE t.name = $1 AND b.state = 'succeeded' AND b.deleted_at IS NULL AND b.corrupted_at IS NULL
         ORDER BY b.started_at DESC, b.id DESC LIMIT 1",
    )
    .bind(target)
    .fetch_optional(db)
    .await?;
    let (id, at) = row.ok_or_else(|| {
        AppError::invalid(
            "id",
            format!("`{target}` has no usable backup to test-restore: back it up first"),
        )
    })?;
    Ok((id, format!("#{id} of {}", crate::format::utc(at))))
}

/// What step `index` of version `version` of `slug` would do now, on
/// `subject` (the service or target the reader chose) where it says `ask`.
pub async fn plan(
    db: &PgPool,
    slug: &str,
    version: i32,
    index: i32,
    subject: &str,
) -> Result<StepPlan, AppError> {
    let (step, _) = stored_step(db, slug, version, index).await?;
    let mut facts = Vec::new();
    let mut fact = |what: &str, value: String| facts.push((what.to_string(), value));
    let (mut release, mut backup) = (None, None);
    match &step.action {
        StepAction::Backup { target } => {
            let target = chosen(target, subject, "target")?;
            crate::backup::ssr::target::find(db, &target).await?;
            fact("target", target)
        }
        StepAction::TestRestore { target } => {
            let target = chosen(target, subject, "target")?;
            let (id, named) = newest_backup(db, &target).await?;
            fact("target", target);
            fact("backup", named);
            backup = Some(id);
        }
        action => {
            let name = chosen(action.subject(), subject, "service")?;
            let service = find_service(db, &name).await?;
            fact("service", service.full_name());
            let live = match service.live_release_id {
                Some(id) => {
                    let r = release_by_id(db, id).await?;
                    format!("#{} {} (image {})", r.number, r.tag, short_id(&r.image_id))
                }
                None => "none yet".to_string(),
            };
            fact("live release", live);
            fact("replicas now", service.replicas.to_string());
            match action {
                StepAction::Rollback {
                    release: ReleaseChoice::Previous,
                    ..
                } => {
                    let (number, named) = previous_release(db, &service).await?;
                    fact("rolls back to", named);
                    release = Some(number);
                }
                StepAction::Rollback {
                    release: ReleaseChoice::Number(n),
                    ..
                } => {
                    fact("runs release", format!("#{n}"));
                    release = Some(*n);
                }
                StepAction::Deploy {
                    tag: Input::Fixed(tag),
                    ..
                } => fact("deploys tag", tag.clone()),
                StepAction::Scale {
                    replicas: Input::Fixed(n),
                    ..
                } => fact("replicas after", n.to_string()),
                _ => {}
            }
            if matches!(
                action,
                StepAction::Deploy { .. } | StepAction::Rollback { .. }
            ) {
                fact("pre-deploy backup", pre_deploy_backup(&service));
            }
        }
    }
    if step.approval {
        fact(
            "approval",
            "required: a second person holding the permission approves it, then it runs".into(),
        );
    }
    Ok(StepPlan {
        facts,
        release,
        backup,
        approval: step.approval,
    })
}

/// Whether a deploy or rollback of `service` backs up first, and where: a
/// step never skips it (see the deploy server fn).
fn pre_deploy_backup(service: &ServiceRow) -> String {
    match &service.backup_target {
        Some(t) => format!("yes: backup target {t} is backed up first"),
        None => "none: the service has no pre-deploy backup target".into(),
    }
}
