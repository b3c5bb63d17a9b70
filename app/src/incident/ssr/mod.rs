//! Server-only machinery of incidents: declaring, the changes a commander
//! makes (each audited in its own transaction, with its timeline entry),
//! reading them back, and rendering notes.
//!
//! Automatic timeline entries are not written here: the
//! `audit_event_to_incident_timeline` trigger (migration
//! `create_incidents`) writes them in the transaction of the audit event
//! they record, so an action taken by any process or token is on the
//! timeline exactly when it is in the audit log.

pub mod cause;
pub mod change;
pub mod declare;
pub mod export;
pub mod measures;
pub mod postmortem;
pub mod read;
pub mod roles;
pub mod touch;

use crate::AppError;
use sqlx::{Postgres, Transaction};

/// The incident's status, its row locked until `tx` ends, so that two
/// changes of one incident never interleave.
pub(crate) async fn lock(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
) -> Result<super::Status, AppError> {
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM incident WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let status = status.ok_or_else(|| AppError::NotFound(format!("incident #{id}")))?;
    super::Status::parse(&status)
        .ok_or_else(|| AppError::internal(format!("incident #{id} has status `{status}`")))
}

/// Records that someone with the permission acted on the incident: the
/// first time sets `acknowledged_at`.
pub(crate) async fn acknowledge(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE incident SET acknowledged_at = now() WHERE id = $1 AND acknowledged_at IS NULL",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A timeline entry written by a server fn, with the audit event it records.
pub(crate) struct NewEntry<'a> {
    pub kind: super::EntryKind,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    pub actor: &'a str,
    pub body: &'a str,
    pub audit_event_id: i64,
    pub details: serde_json::Value,
}

/// Appends `entry` to incident `id`'s timeline; its id.
pub(crate) async fn append(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    entry: NewEntry<'_>,
) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "INSERT INTO incident_entry (incident_id, kind, at, actor, body, audit_event_id, details)
         VALUES ($1, $2, coalesce($3, now()), $4, $5, $6, $7) RETURNING id",
    )
    .bind(id)
    .bind(entry.kind.as_str())
    .bind(entry.at)
    .bind(entry.actor)
    .bind(entry.body)
    .bind(entry.audit_event_id)
    .bind(entry.details)
    .fetch_one(&mut **tx)
    .await
    .map_err(AppError::from)
}

/// A severity as typed (`SEV1`, `SEV2`, `SEV3`), or a 422 naming `severity`.
/// Here, below both, because declaring and changing an incident read it.
pub(crate) fn parse_severity(text: &str) -> Result<crate::incident::Severity, AppError> {
    crate::incident::Severity::parse(text.trim())
        .ok_or_else(|| AppError::invalid("severity", "choose SEV1, SEV2 or SEV3"))
}
