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
            .map(|d| format!("/deployments/{d}")),
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

/// An automatic entry in one line, from the audit event it records.
pub fn describe(action: &str, outcome: &str, service: &str, event: &Value) -> String {
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
}
