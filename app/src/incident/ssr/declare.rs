//! Declaring an incident: its row, its services, the audited declaration
//! and the first timeline entry, in one transaction.

use super::{append, parse_severity, NewEntry};
use crate::audit::ssr::{record, Record};
use crate::audit::{AuditTarget, Outcome};
use crate::auth::guard::Actor;
use crate::incident::{actions, EntryKind, IncidentDeclared, IncidentRole};
use crate::AppError;
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

/// The declare form, bounded by the server fn.
pub struct Declaration {
    pub title: String,
    pub severity: String,
    pub services: Vec<String>,
    pub summary: String,
    /// A deployment id, or empty.
    pub suspected: String,
    /// A username, or empty for the declarer.
    pub commander: String,
}

/// Declares `form`, with `actor` as commander unless it names another.
pub async fn declare(
    db: &PgPool,
    actor: &Actor,
    form: Declaration,
) -> Result<IncidentDeclared, AppError> {
    let title = form.title.trim();
    if title.is_empty() {
        return Err(AppError::invalid(
            "title",
            "say in a few words what is wrong",
        ));
    }
    let severity = parse_severity(&form.severity)?;
    let suspected = parse_suspected(&form.suspected)?;
    let mut tx = db.begin().await?;
    let services = existing_services(&mut tx, &form.services).await?;
    let who = actor.audit_name();
    let commander = match form.commander.trim() {
        "" => who.clone(),
        name => super::roles::person(&mut tx, IncidentRole::Commander, name, "commander").await?,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incident (title, severity, summary, commander, declared_by, started_at)
         VALUES ($1, $2, $3, $4, $5, now()) RETURNING id",
    )
    .bind(title)
    .bind(severity.as_str())
    .bind(form.summary.trim())
    .bind(&commander)
    .bind(&who)
    .fetch_one(&mut *tx)
    .await?;
    for (name, service_id) in &services {
        sqlx::query(
            "INSERT INTO incident_service (incident_id, service, service_id) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(name)
        .bind(service_id)
        .execute(&mut *tx)
        .await?;
    }
    let names: Vec<&str> = services.iter().map(|(n, _)| n.as_str()).collect();
    let details = json!({ "title": title, "severity": severity.as_str(), "services": names,
                          "commander": commander });
    let r = Record::new(
        &who,
        actions::DECLARE,
        AuditTarget::Incident(id),
        Outcome::Success,
    )
    .details(details.clone())
    .meta(&actor.meta);
    let event = record(&mut tx, r).await?;
    let body = format!("declared {}, investigating", severity.as_str());
    let entry = NewEntry {
        kind: EntryKind::Status,
        at: None,
        actor: &who,
        body: &body,
        audit_event_id: event,
        details,
    };
    append(&mut tx, id, entry).await?;
    if let Some(deployment) = suspected {
        super::cause::link(&mut tx, actor, id, deployment)
            .await
            .map_err(|e| match e {
                AppError::Validation { message, .. } => AppError::invalid("suspected", message),
                other => other,
            })?;
    }
    tx.commit().await?;
    Ok(IncidentDeclared {
        incident: id,
        url: format!("/incidents/{id}"),
    })
}

/// The suspected cause's deployment id; empty is none.
fn parse_suspected(text: &str) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::invalid("suspected", "give the id of a deployment"))
}

/// Each of `services` (`environment/name`) with its id, once each; empty
/// entries are left out, an unknown service is refused naming its field.
async fn existing_services(
    tx: &mut Transaction<'_, Postgres>,
    services: &[String],
) -> Result<Vec<(String, i64)>, AppError> {
    let mut found: Vec<(String, i64)> = Vec::new();
    for (i, reference) in services.iter().enumerate() {
        let reference = reference.trim();
        if reference.is_empty() {
            continue;
        }
        let field = format!("services[{i}]");
        let unknown = || {
            AppError::invalid(
                &field,
                format!("there is no service `{reference}`: name one as environment/name from the services list"),
            )
        };
        let (env, name) = reference.split_once('/').ok_or_else(unknown)?;
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT s.id FROM service s JOIN environment e ON e.id = s.environment_id
             WHERE e.name = $1 AND s.name = $2",
        )
        .bind(env)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
        let id = id.ok_or_else(unknown)?;
        if !found.iter().any(|(_, known)| *known == id) {
            found.push((format!("{env}/{name}"), id));
        }
    }
    Ok(found)
}
