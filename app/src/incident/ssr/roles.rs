//! Roles in an incident: handing the command over, naming the scribe,
//! adding responders. Each is audited, on the timeline, and acknowledges.
//! The commander and the scribe must be able to act on the incident; a
//! responder need only exist (a viewer may be named to watch it).

use super::change::record_change;
use super::lock;
use crate::auth::guard::Actor;
use crate::auth::{Permission, Role};
use crate::incident::{actions, EntryKind, IncidentRole};
use crate::AppError;
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

/// Gives `role` in incident `id` to user `username`.
pub async fn assign(
    db: &PgPool,
    actor: &Actor,
    id: i64,
    role: &str,
    username: &str,
) -> Result<(), AppError> {
    let role = IncidentRole::parse(role.trim())
        .ok_or_else(|| AppError::invalid("role", "choose commander, scribe or responder"))?;
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    let person = person(&mut tx, role, username.trim(), "user").await?;
    let from = put(&mut tx, actor, id, role, &person).await?;
    let body = match &from {
        Some(from) => format!("{}: {} → {}", role.as_str(), name(from), name(&person)),
        None => format!("{}: {}", role.as_str(), name(&person)),
    };
    let details = json!({ "role": role.as_str(), "from": from, "to": person });
    let kinds = (actions::ROLE, EntryKind::Role);
    record_change(&mut tx, actor, kinds, id, &body, details).await?;
    tx.commit().await?;
    Ok(())
}

fn name(person: &str) -> &str {
    person.strip_prefix("user:").unwrap_or(person)
}

/// `user:<username>` of an active user who may hold `role`; refused
/// naming `field` otherwise.
pub(crate) async fn person(
    tx: &mut Transaction<'_, Postgres>,
    role: IncidentRole,
    username: &str,
    field: &str,
) -> Result<String, AppError> {
    let roles: Option<Vec<String>> =
        sqlx::query_scalar("SELECT roles FROM app_user WHERE username = $1 AND NOT disabled")
            .bind(username)
            .fetch_optional(&mut **tx)
            .await?;
    let roles = roles
        .ok_or_else(|| AppError::invalid(field, format!("there is no active user `{username}`")))?;
    let roles: Vec<Role> = roles.iter().filter_map(|r| Role::parse(r)).collect();
    if role != IncidentRole::Responder && !Permission::ManageIncidents.granted_by(&roles) {
        return Err(AppError::invalid(
            field,
            format!(
                "{username} cannot act on incidents: a {} needs the responder, deployer or admin role",
                role.as_str()
            ),
        ));
    }
    Ok(format!("user:{username}"))
}

/// Stores the assignment; who held the role before, for a hand-over.
async fn put(
    tx: &mut Transaction<'_, Postgres>,
    actor: &Actor,
    id: i64,
    role: IncidentRole,
    person: &str,
) -> Result<Option<String>, AppError> {
    let current: Option<String> = match role {
        IncidentRole::Commander => {
            sqlx::query_scalar("SELECT commander FROM incident WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
        }
        IncidentRole::Scribe => {
            sqlx::query_scalar(
                "SELECT person FROM incident_role WHERE incident_id = $1 AND role = 'scribe'",
            )
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
        }
        IncidentRole::Responder => {
            sqlx::query_scalar(
                "SELECT person FROM incident_role
                 WHERE incident_id = $1 AND role = 'responder' AND person = $2",
            )
            .bind(id)
            .bind(person)
            .fetch_optional(&mut **tx)
            .await?
        }
    };
    if current.as_deref() == Some(person) {
        return Err(AppError::invalid(
            "user",
            format!("{} is {} already", name(person), role.as_str()),
        ));
    }
    match role {
        IncidentRole::Commander => {
            sqlx::query("UPDATE incident SET commander = $2 WHERE id = $1")
                .bind(id)
                .bind(person)
                .execute(&mut **tx)
                .await?;
        }
        _ => {
            sqlx::query(
                "INSERT INTO incident_role (incident_id, role, person, assigned_by)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (incident_id) WHERE role = 'scribe'
                 DO UPDATE SET person = EXCLUDED.person, assigned_by = EXCLUDED.assigned_by,
                               assigned_at = now()",
            )
            .bind(id)
            .bind(role.as_str())
            .bind(person)
            .bind(actor.audit_name())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(current)
}

/// Incident `id`'s scribe and responders.
pub async fn load(db: &PgPool, id: i64) -> Result<(Option<String>, Vec<String>), AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT role, person FROM incident_role WHERE incident_id = $1 ORDER BY assigned_at, person",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let scribe = rows
        .iter()
        .find(|(r, _)| r == "scribe")
        .map(|(_, p)| p.clone());
    let responders = rows
        .into_iter()
        .filter(|(r, _)| r == "responder")
        .map(|(_, p)| p)
        .collect();
    Ok((scribe, responders))
}
