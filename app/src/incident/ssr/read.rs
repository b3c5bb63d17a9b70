//! Reading incidents and their timelines.

use crate::incident::*;
use crate::markdown;
use crate::AppError;
use serde_json::Value;
use sqlx::PgPool;

/// Most incidents the list shows.
const LIST_MAX: i64 = 500;

#[derive(sqlx::FromRow)]
struct IncidentRow {
    id: i64,
    title: String,
    severity: String,
    status: String,
    summary: String,
    commander: String,
    declared_by: String,
    services: Vec<String>,
    declared_at: DateTime<Utc>,
    started_at: DateTime<Utc>,
    original_started_at: Option<DateTime<Utc>>,
    acknowledged_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT i.id, i.title, i.severity, i.status, i.summary, i.commander,
        i.declared_by, i.declared_at, i.started_at, i.original_started_at, i.acknowledged_at, i.resolved_at,
        array(SELECT s.service FROM incident_service s WHERE s.incident_id = i.id
              ORDER BY s.service) AS services
    FROM incident i";

impl IncidentRow {
    fn summary(&self) -> Result<IncidentSummary, AppError> {
        let bad = |what: &str| AppError::internal(format!("incident #{} has {what}", self.id));
        Ok(IncidentSummary {
            id: self.id,
            title: self.title.clone(),
            severity: Severity::parse(&self.severity).ok_or_else(|| bad("a bad severity"))?,
            status: Status::parse(&self.status).ok_or_else(|| bad("a bad status"))?,
            commander: self.commander.clone(),
            services: self.services.clone(),
            declared_at: self.declared_at,
            started_at: self.started_at,
            original_started_at: self.original_started_at,
            acknowledged_at: self.acknowledged_at,
            resolved_at: self.resolved_at,
        })
    }
}

/// Open incidents first, then the newest.
pub async fn list(db: &PgPool) -> Result<Vec<IncidentSummary>, AppError> {
    let sql = format!("{SELECT} ORDER BY i.status = 'resolved', i.id DESC LIMIT $1");
    let rows: Vec<IncidentRow> = sqlx::query_as(&sql).bind(LIST_MAX).fetch_all(db).await?;
    rows.iter().map(IncidentRow::summary).collect()
}

/// The open incidents only, newest first (the dashboard's list).
pub async fn list_open(db: &PgPool) -> Result<Vec<IncidentSummary>, AppError> {
    let sql = format!("{SELECT} WHERE i.status <> 'resolved' ORDER BY i.id DESC");
    let rows: Vec<IncidentRow> = sqlx::query_as(&sql).fetch_all(db).await?;
    rows.iter().map(IncidentRow::summary).collect()
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    kind: String,
    at: DateTime<Utc>,
    written_at: DateTime<Utc>,
    actor: String,
    body: String,
    audit_event_id: Option<i64>,
    details: Value,
    pinned: bool,
}

/// Incident `id` with its timeline in the order things happened.
pub async fn read(db: &PgPool, id: i64) -> Result<IncidentDetail, AppError> {
    let sql = format!("{SELECT} WHERE i.id = $1");
    let row: IncidentRow = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("incident #{id}")))?;
    let entries: Vec<EntryRow> = sqlx::query_as(
        "SELECT id, kind, at, written_at, actor, body, audit_event_id, details, pinned
         FROM incident_entry WHERE incident_id = $1 ORDER BY at, id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let (scribe, responders) = super::roles::load(db, id).await?;
    let timeline = entries
        .into_iter()
        .map(entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(IncidentDetail {
        incident: row.summary()?,
        summary: row.summary,
        declared_by: row.declared_by,
        timeline,
        postmortem: super::postmortem::load(db, id).await?,
        suspected: super::cause::suspected(db, id).await?,
        scribe,
        responders,
    })
}

fn entry(row: EntryRow) -> Result<TimelineEntry, AppError> {
    let kind = EntryKind::parse(&row.kind)
        .ok_or_else(|| AppError::internal(format!("entry #{} has kind {}", row.id, row.kind)))?;
    let text = |key: &str| {
        row.details
            .get(key)
            .and_then(Value::as_str)
            .map(String::from)
    };
    let (service, outcome) = match kind {
        EntryKind::Action => (text("service"), text("outcome")),
        _ => (None, None),
    };
    let event = row.details.get("event").cloned().unwrap_or(Value::Null);
    let target = text("backup_target");
    let link = match &target {
        // A backup or restore of the affected service's backup target.
        Some(t) => event
            .get("backup")
            .and_then(Value::as_i64)
            .map(|b| format!("/backups/{t}/{b}")),
        None => event
            .get("deployment")
            .and_then(Value::as_i64)
            .map(|d| format!("/deployments/{d}"))
            .or_else(|| run_url(&event)),
    };
    let body = match kind {
        EntryKind::Action => describe(
            &text("action").unwrap_or_default(),
            outcome.as_deref().unwrap_or_default(),
            &target
                .as_ref()
                .map(|t| format!("backup target {t}"))
                .or(service.clone())
                .unwrap_or_default(),
            &event,
        ),
        _ => row.body.clone(),
    };
    Ok(TimelineEntry {
        id: row.id,
        kind,
        at: row.at,
        written_at: row.written_at,
        actor: row.actor,
        html: (kind == EntryKind::Note).then(|| markdown::render(&row.body)),
        body,
        audit_event_id: row.audit_event_id,
        service,
        outcome,
        link: match kind {
            EntryKind::Action => link,
            EntryKind::Cause => row
                .details
                .get("deployment")
                .and_then(Value::as_i64)
                .map(|d| format!("/deployments/{d}")),
            _ => None,
        },
        details: row.details,
        pinned: row.pinned,
    })
}

/// The page of the runbook run an event was part of.
fn run_url(event: &Value) -> Option<String> {
    let runbook = event.get("runbook")?;
    let slug = runbook.get("slug")?.as_str()?;
    let run = runbook.get("run")?.as_i64()?;
    Some(format!("/runbooks/{slug}/runs/{run}"))
}

/// An automatic entry in one line, from the audit event it records; an
/// action started from a runbook step says which runbook, version and step.
pub fn describe(action: &str, outcome: &str, service: &str, event: &Value) -> String {
    let Some(runbook) = event.get("runbook") else {
        return describe_action(action, outcome, service, event);
    };
    let slug = runbook
        .get("slug")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let version = runbook
        .get("version")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let step = runbook.get("step").and_then(Value::as_i64);
    let step_words = step.map(|s| format!(", step {s}")).unwrap_or_default();
    let run = runbook.get("run").and_then(Value::as_i64);
    let run_words = run.map(|r| format!("run #{r} of ")).unwrap_or_default();
    let text = event
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let step_n = step.unwrap_or_default();
    match action {
        "runbook.run_start" => format!("{run_words}runbook {slug} v{version} started"),
        "runbook.run_finish" => format!("{run_words}runbook {slug} v{version} finished"),
        "runbook.check" if event.get("done") == Some(&Value::Bool(true)) => {
            format!("ticked “{text}” ({run_words}runbook {slug} v{version})")
        }
        "runbook.check" => format!("unticked “{text}” ({run_words}runbook {slug} v{version})"),
        "runbook.approval_request" => {
            format!("approval asked for step {step_n} ({run_words}runbook {slug} v{version})")
        }
        "runbook.approve" => {
            format!("step {step_n} approved ({run_words}runbook {slug} v{version})")
        }
        "runbook.decline" => {
            format!("step {step_n} declined ({run_words}runbook {slug} v{version})")
        }
        _ => format!(
            "{} (from runbook {slug} v{version}{step_words})",
            describe_action(action, outcome, service, event)
        ),
    }
}

fn describe_action(action: &str, outcome: &str, service: &str, event: &Value) -> String {
    let number = |key: &str| event.get(key).and_then(Value::as_i64);
    let word = |key: &str| event.get(key).and_then(Value::as_str).unwrap_or_default();
    let release = number("release")
        .map(|r| format!(", release #{r}"))
        .unwrap_or_default();
    let deployment = number("deployment")
        .map(|d| format!(" (deployment #{d}{release})"))
        .unwrap_or_default();
    let verb = action.strip_prefix("deploy.").unwrap_or(action);
    match (action, outcome) {
        ("deploy.finish", _) => {
            let reason = event
                .get("reason")
                .and_then(Value::as_str)
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            format!(
                "{} of {service} ended {}{deployment}{reason}",
                word("kind"),
                word("state")
            )
        }
        ("deploy.scale", "success") => format!(
            "{service} scaled from {} to {} replicas",
            number("from").unwrap_or_default(),
            number("to").unwrap_or_default()
        ),
        ("backup.run", "intent") => format!("backup of {service} started"),
        ("backup.restore", "intent") => format!("restore of {service} started"),
        ("backup.run" | "backup.restore", _) => {
            let what = if action == "backup.run" {
                "backup"
            } else {
                "restore"
            };
            let backup = number("backup")
                .map(|b| format!(" (backup #{b})"))
                .unwrap_or_default();
            format!("{what} of {service}: {outcome}{backup}")
        }
        ("service.remove", "intent") => format!("removing {service}"),
        ("service.remove", "success") => format!("{service} removed"),
        (_, "intent") => format!("{verb} of {service} started{deployment}"),
        _ => format!("{verb} of {service}: {outcome}{deployment}"),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use serde_json::json;

    #[test]
    fn automatic_entries_say_what_happened_to_which_service() {
        let start = json!({ "deployment": 7, "release": 3, "tag": "v2" });
        assert_eq!(
            describe("deploy.deploy", "intent", "production/web", &start),
            "deploy of production/web started (deployment #7, release #3)"
        );
        let end = json!({ "deployment": 7, "release": 3, "kind": "rollback",
                          "state": "failed", "reason": "unhealthy" });
        assert_eq!(
            describe("deploy.finish", "failure", "production/web", &end),
            "rollback of production/web ended failed (deployment #7, release #3): unhealthy"
        );
        assert_eq!(
            describe("service.remove", "success", "production/web", &json!({})),
            "production/web removed"
        );
        assert_eq!(
            describe(
                "backup.run",
                "success",
                "backup target shop",
                &json!({ "backup": 4 })
            ),
            "backup of backup target shop: success (backup #4)"
        );
    }

    #[test]
    fn an_action_from_a_runbook_run_names_the_runbook_version_and_step() {
        let rollback = json!({ "deployment": 9, "release": 2,
            "runbook": { "slug": "roll-back", "version": 3, "step": 2, "run": 5 } });
        assert_eq!(
            describe("deploy.rollback", "intent", "production/web", &rollback),
            "rollback of production/web started (deployment #9, release #2) (from runbook roll-back v3, step 2)"
        );
        let tick = json!({ "text": "Tell support", "done": true,
            "runbook": { "slug": "roll-back", "version": 3, "run": 5, "item": 1 } });
        assert_eq!(
            describe("runbook.check", "success", "", &tick),
            "ticked “Tell support” (run #5 of runbook roll-back v3)"
        );
        assert_eq!(
            super::run_url(&tick).as_deref(),
            Some("/runbooks/roll-back/runs/5")
        );
    }
}
