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
}

/// `None` for an action not started from a runbook; otherwise the step it
/// was started from, once every submitted parameter matched it.
pub async fn check(
    db: &PgPool,
    from: FromRunbook<'_>,
    submitted: Submitted<'_>,
) -> Result<Option<RunbookStepRef>, AppError> {
    if from.runbook.is_empty() {
        if from.version.is_some() || from.step.is_some() {
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
    let (step, at) = stored_step(db, from.runbook, version, index).await?;
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
            let stored = crate::backup::ssr::target::find(db, target).await?;
            let sent = crate::backup::ssr::target::find(db, t).await?;
            if stored.id != sent.id {
                return Err(differs("target", target, t));
            }
        }
        (StepAction::TestRestore { target }, Submitted::TestRestore { backup }) => {
            let (newest, _) = newest_backup(db, target).await?;
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
    Ok(Some(at))
}

/// The service the step names, after checking that the request names the
/// same one (by `environment/name` or by id).
async fn same_service(db: &PgPool, stored: &str, sent: &str) -> Result<ServiceRow, AppError> {
    let row = find_service(db, stored).await?;
    let other = find_service(db, sent).await?;
    if row.id != other.id {
        return Err(AppError::invalid(
            "service",
            format!("the step acts on `{stored}`, not `{sent}`"),
        ));
    }
    Ok(row)
}

/// The release numbered just below the live one: its number and how the
/// confirmation names it.
async fn previous_release(db: &PgPool, service: &ServiceRow) -> Result<(i32, String), AppError> {
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
async fn newest_backup(db: &PgPool, target: &str) -> Result<(i64, String), AppError> {
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

/// What step `index` of version `version` of `slug` would do now.
pub async fn plan(db: &PgPool, slug: &str, version: i32, index: i32) -> Result<StepPlan, AppError> {
    let (step, _) = stored_step(db, slug, version, index).await?;
    let mut plan = StepPlan {
        facts: Vec::new(),
        release: None,
        backup: None,
    };
    let mut fact = |what: &str, value: String| plan.facts.push((what.to_string(), value));
    match &step.action {
        StepAction::Backup { target } => fact("target", target.clone()),
        StepAction::TestRestore { target } => {
            let (id, named) = newest_backup(db, target).await?;
            fact("target", target.clone());
            fact("backup", named);
            plan.backup = Some(id);
        }
        action => {
            let service = find_service(db, action.subject()).await?;
            fact("service", action.subject().to_string());
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
                    plan.release = Some(number);
                }
                StepAction::Rollback {
                    release: ReleaseChoice::Number(n),
                    ..
                } => {
                    fact("runs release", format!("#{n}"));
                    plan.release = Some(*n);
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
        }
    }
    Ok(plan)
}
