//! Later touches of an incident: correcting when the impact began (the
//! time first recorded is kept, the correction audited and on the
//! timeline) and pinning timeline entries as key moments (audited).

use super::change::{audited, parse_at, record_change};
use super::lock;
use crate::auth::guard::Actor;
use crate::format::utc;
use crate::incident::{actions, EntryKind};
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

/// Sets when incident `id`'s impact began to `text` (UTC, as a note's time).
pub async fn set_started_at(
    db: &PgPool,
    actor: &Actor,
    id: i64,
    text: &str,
) -> Result<(), AppError> {
    let renamed = |e: AppError| match e {
        AppError::Validation { message, .. } => AppError::invalid("started_at", message),
        other => other,
    };
    let to = parse_at(text, Utc::now())
        .map_err(renamed)?
        .ok_or_else(|| AppError::invalid("started_at", "give the time the impact began"))?;
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    let (from, resolved): (DateTime<Utc>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT started_at, resolved_at FROM incident WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if from == to {
        return Err(AppError::invalid(
            "started_at",
            "that is the time recorded already",
        ));
    }
    if resolved.is_some_and(|r| to > r) {
        return Err(AppError::invalid(
            "started_at",
            "is after the incident was resolved",
        ));
    }
    sqlx::query(
        "UPDATE incident SET original_started_at = coalesce(original_started_at, started_at),
                started_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(to)
    .execute(&mut *tx)
    .await?;
    let details = json!({ "from": from, "to": to });
    let body = format!("impact began: {} → {}", utc(from), utc(to));
    let kinds = (actions::STARTED_AT, EntryKind::Started);
    record_change(&mut tx, actor, kinds, id, &body, details).await?;
    tx.commit().await?;
    Ok(())
}

/// Pins entry `entry` of incident `id` as a key moment, or unpins it.
pub async fn pin(
    db: &PgPool,
    actor: &Actor,
    (id, entry): (i64, i64),
    pinned: bool,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    let changed =
        sqlx::query("UPDATE incident_entry SET pinned = $3 WHERE incident_id = $1 AND id = $2")
            .bind(id)
            .bind(entry)
            .bind(pinned)
            .execute(&mut *tx)
            .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound(format!(
            "entry #{entry} of incident #{id}"
        )));
    }
    let details = json!({ "entry": entry, "pinned": pinned });
    audited(&mut tx, actor, actions::PIN, id, details).await?;
    tx.commit().await?;
    Ok(())
}
