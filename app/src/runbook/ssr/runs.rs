//! Runs of a runbook: starting one (optionally for an open incident),
//! ticking its checklist, finishing it, and reading it back. Everything a
//! run did is an audit event naming the run; a trigger copies those into
//! `runbook_run_entry` and onto the attached incident's timeline (see the
//! `create_runbook_runs` migration), so this module writes no entry itself.

use crate::audit::ssr::{record, Record};
use crate::audit::{Action, AuditTarget, Outcome};
use crate::auth::guard::Actor;
use crate::markdown::task_items;
use crate::runbook::step_ref::RunbookStepRef;
use crate::runbook::{actions, ChecklistItem, RunEntry, RunRead, RunSummary};
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;

/// A run as stored, with the version it follows.
#[derive(sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub runbook_id: i64,
    pub slug: String,
    pub title: String,
    pub version: i32,
    pub content_hash: String,
    pub body: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub incident_id: Option<i64>,
    pub incident_title: Option<String>,
    pub ended_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl RunRow {
    /// What the run's audit events carry: the version and the run.
    pub fn step_ref(&self, step: Option<i32>) -> RunbookStepRef {
        RunbookStepRef {
            id: self.runbook_id,
            slug: self.slug.clone(),
            version: self.version,
            content_hash: self.content_hash.clone(),
            step,
            run: Some(self.id),
            item: None,
            approval: None,
        }
    }

    fn summary(&self) -> RunSummary {
        RunSummary {
            id: self.id,
            slug: self.slug.clone(),
            title: self.title.clone(),
            version: self.version,
            started_by: self.started_by.clone(),
            started_at: self.started_at,
            incident: self.incident_id.zip(self.incident_title.clone()),
            ended: self.ended_by.clone().zip(self.ended_at),
        }
    }

    /// Refuses any change to a finished run.
    pub fn open(self) -> Result<RunRow, AppError> {
        if self.ended_at.is_some() {
            return Err(AppError::Conflict(format!(
                "run #{} of `{}` is finished: start a new run",
                self.id, self.slug
            )));
        }
        Ok(self)
    }
}

const RUN_SELECT: &str = "SELECT r.id, r.runbook_id, rb.slug, v.title, r.version, v.content_hash,
        v.body, r.started_by, r.started_at, r.incident_id, i.title AS incident_title,
        r.ended_by, r.ended_at
    FROM runbook_run r JOIN runbook rb ON rb.id = r.runbook_id
    JOIN runbook_version v ON v.runbook_id = r.runbook_id AND v.version = r.version
    LEFT JOIN incident i ON i.id = r.incident_id";

/// Run `id`, or a 404 naming it.
pub async fn find(db: &PgPool, id: i64) -> Result<RunRow, AppError> {
    sqlx::query_as::<_, RunRow>(&format!("{RUN_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("runbook run #{id}")))
}

/// An action named run `run`: it must be open and follow the version the
/// step was read from.
pub async fn check_open(db: &PgPool, run: i64, at: &RunbookStepRef) -> Result<(), AppError> {
    let row = find(db, run).await?.open()?;
    if row.runbook_id != at.id || row.version != at.version {
        return Err(AppError::invalid(
            "runbook_run",
            format!(
                "run #{run} follows `{}` v{}, not `{}` v{}",
                row.slug, row.version, at.slug, at.version
            ),
        ));
    }
    Ok(())
}

/// Appends the run's audit event `action` with `extra` details, in `tx`.
async fn audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    actor: &Actor,
    action: Action,
    at: &RunbookStepRef,
    extra: Value,
) -> Result<i64, AppError> {
    let mut details = json!({ "runbook": at });
    if let (Value::Object(map), Value::Object(more)) = (&mut details, extra) {
        map.extend(more);
    }
    let r = Record::new(
        actor.audit_name(),
        action,
        AuditTarget::Runbook(&at.slug),
        Outcome::Success,
    )
    .details(details)
    .meta(&actor.meta);
    Ok(record(tx, r).await?)
}

/// Starts a run of `slug` at `version` (its current one without), for the
/// open incident `incident` if given.
pub async fn start(
    db: &PgPool,
    actor: &Actor,
    slug: &str,
    version: Option<i32>,
    incident: Option<i64>,
) -> Result<RunSummary, AppError> {
    let runbook = super::read::read(db, slug, version).await?;
    if let Some(id) = incident {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM incident WHERE id = $1")
                .bind(id)
                .fetch_optional(db)
                .await?;
        match status.as_deref() {
            None => {
                return Err(AppError::invalid(
                    "incident",
                    format!("there is no incident #{id}"),
                ))
            }
            Some("resolved") => {
                return Err(AppError::invalid(
                    "incident",
                    format!("incident #{id} is resolved: attach runs to open incidents"),
                ))
            }
            Some(_) => {}
        }
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO runbook_run (runbook_id, version, started_by, incident_id)
         SELECT id, $2, $3, $4 FROM runbook WHERE slug = $1 RETURNING id",
    )
    .bind(slug)
    .bind(runbook.version)
    .bind(actor.audit_name())
    .bind(incident)
    .fetch_one(&mut *tx)
    .await?;
    let row = sqlx::query_as::<_, RunRow>(&format!("{RUN_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let at = row.step_ref(None);
    audit(
        &mut tx,
        actor,
        actions::RUN_START,
        &at,
        json!({ "incident": incident }),
    )
    .await?;
    tx.commit().await?;
    Ok(row.summary())
}

/// Marks run `id` finished.
pub async fn finish(db: &PgPool, actor: &Actor, id: i64) -> Result<(), AppError> {
    let row = find(db, id).await?.open()?;
    let mut tx = db.begin().await?;
    let ended = sqlx::query(
        "UPDATE runbook_run SET ended_by = $2, ended_at = now() WHERE id = $1 AND ended_at IS NULL",
    )
    .bind(id)
    .bind(actor.audit_name())
    .execute(&mut *tx)
    .await?;
    if ended.rows_affected() == 0 {
        return Err(AppError::Conflict(format!(
            "run #{id} was finished already"
        )));
    }
    audit(
        &mut tx,
        actor,
        actions::RUN_FINISH,
        &row.step_ref(None),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ticks (`done`) or unticks checklist item `item` (from 1) of run `id`.
pub async fn tick(
    db: &PgPool,
    actor: &Actor,
    id: i64,
    item: i32,
    done: bool,
) -> Result<(), AppError> {
    let row = find(db, id).await?.open()?;
    let items = task_items(&row.body);
    let text = usize::try_from(item)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| items.get(i))
        .ok_or_else(|| {
            AppError::invalid(
                "item",
                format!(
                    "`{}` v{} has {} checklist item(s); there is no item {item}",
                    row.slug,
                    row.version,
                    items.len()
                ),
            )
        })?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO runbook_run_item (run_id, item, done, actor) VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_id, item) DO UPDATE SET done = $3, actor = $4, at = now()",
    )
    .bind(id)
    .bind(item)
    .bind(done)
    .bind(actor.audit_name())
    .execute(&mut *tx)
    .await?;
    let mut at = row.step_ref(None);
    at.item = Some(item);
    audit(
        &mut tx,
        actor,
        actions::CHECK,
        &at,
        json!({ "text": text, "done": done }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The runs of `slug`, newest first (at most 50).
pub async fn list(db: &PgPool, slug: &str) -> Result<Vec<RunSummary>, AppError> {
    let rows = sqlx::query_as::<_, RunRow>(&format!(
        "{RUN_SELECT} WHERE rb.slug = $1 ORDER BY r.started_at DESC, r.id DESC LIMIT 50"
    ))
    .bind(slug)
    .fetch_all(db)
    .await?;
    Ok(rows.iter().map(RunRow::summary).collect())
}

/// Run `id` of `slug` as its page shows it.
pub async fn read(db: &PgPool, slug: &str, id: i64) -> Result<RunRead, AppError> {
    let row = find(db, id).await?;
    if row.slug != slug {
        return Err(AppError::NotFound(format!("run #{id} of runbook `{slug}`")));
    }
    Ok(RunRead {
        pieces: super::steps::pieces(&row.body),
        checklist: checklist(db, &row).await?,
        approvals: super::approvals::for_run(db, id).await?,
        entries: entries(db, id).await?,
        run: row.summary(),
    })
}

async fn checklist(db: &PgPool, row: &RunRow) -> Result<Vec<ChecklistItem>, AppError> {
    let ticked: Vec<(i32, bool, String, DateTime<Utc>)> =
        sqlx::query_as("SELECT item, done, actor, at FROM runbook_run_item WHERE run_id = $1")
            .bind(row.id)
            .fetch_all(db)
            .await?;
    Ok(task_items(&row.body)
        .into_iter()
        .zip(1..)
        .map(|(text, index)| ChecklistItem {
            index,
            text,
            done: ticked
                .iter()
                .find(|(i, done, ..)| *i == index && *done)
                .map(|(_, _, by, at)| (by.clone(), *at)),
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    at: DateTime<Utc>,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    step: Option<i32>,
    details: Value,
    audit_event_id: i64,
    deployment_state: Option<String>,
    backup_state: Option<String>,
}

async fn entries(db: &PgPool, run: i64) -> Result<Vec<RunEntry>, AppError> {
    let rows = sqlx::query_as::<_, EntryRow>(
        "SELECT e.at, e.actor, e.action, e.target, e.outcome, e.step, e.details, e.audit_event_id,
                d.state AS deployment_state,
                CASE WHEN e.action = 'backup.run' THEN b.state END AS backup_state
         FROM runbook_run_entry e
         LEFT JOIN deployment d ON d.id = (e.details ->> 'deployment')::bigint
         LEFT JOIN backup b ON b.id = (e.details ->> 'backup')::bigint
         WHERE e.run_id = $1 ORDER BY e.id",
    )
    .bind(run)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(entry).collect())
}

fn entry(row: EntryRow) -> RunEntry {
    let number = |key: &str| row.details.get(key).and_then(Value::as_i64);
    let subject = row
        .target
        .split_once(':')
        .map_or(row.target.as_str(), |(_, name)| name);
    let link = match (number("deployment"), number("backup")) {
        (Some(d), _) => Some(format!("/deployments/{d}")),
        (None, Some(b)) => Some(format!("/backups/{subject}/{b}")),
        _ => None,
    };
    RunEntry {
        summary: summary(&row, subject),
        at: row.at,
        actor: row.actor,
        action: row.action,
        outcome: row.outcome,
        step: row.step,
        link,
        state: row.deployment_state.or(row.backup_state),
        audit_event_id: row.audit_event_id,
    }
}

/// One line saying what an entry's event did.
fn summary(row: &EntryRow, subject: &str) -> String {
    let d = &row.details;
    let step = row.step.map(|s| format!("step {s}: ")).unwrap_or_default();
    let text = d.get("text").and_then(Value::as_str).unwrap_or_default();
    match row.action.as_str() {
        "runbook.run_start" => match d.get("incident").and_then(Value::as_i64) {
            Some(i) => format!("started the run for incident #{i}"),
            None => "started the run".into(),
        },
        "runbook.run_finish" => "finished the run".into(),
        "runbook.check" if d.get("done") == Some(&Value::Bool(true)) => format!("ticked “{text}”"),
        "runbook.check" => format!("unticked “{text}”"),
        "runbook.approval_request" => format!("{step}asked for approval"),
        "runbook.approve" => format!("{step}approved"),
        "runbook.decline" => format!("{step}declined"),
        action => {
            let verb = action.split_once('.').map_or(action, |(_, v)| v);
            let what = match row.outcome.as_str() {
                "intent" => "started".to_string(),
                other => other.to_string(),
            };
            format!("{step}{verb} of {subject} {what}")
        }
    }
}
