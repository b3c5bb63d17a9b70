//! What a commander changes on an open (or resolved) incident: a note, its
//! status, its severity. Each is audited in the transaction that makes it,
//! written on the timeline with that audit event's id, and counts as the
//! acknowledgement when it is the first.

use super::{acknowledge, append, lock, parse_severity, NewEntry};
use crate::audit::ssr::{record, Record};
use crate::audit::{Action, AuditTarget, Outcome};
use crate::auth::guard::Actor;
use crate::incident::{actions, EntryKind, Status};
use crate::AppError;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::{json, Value};
use sqlx::{PgPool, Postgres, Transaction};

/// Adds note `text` (markdown) to incident `id`, told as of `at` (empty:
/// now). Answers the entry's id.
pub async fn add_note(
    db: &PgPool,
    actor: &Actor,
    id: i64,
    text: &str,
    at: &str,
) -> Result<i64, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::invalid("text", "write the note first"));
    }
    let at = parse_at(at, Utc::now())?;
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    let details = json!({ "at": at, "chars": text.chars().count() });
    let event = audited(&mut tx, actor, actions::NOTE, id, details).await?;
    let who = actor.audit_name();
    let entry = NewEntry {
        kind: EntryKind::Note,
        at,
        actor: &who,
        body: text,
        audit_event_id: event,
        details: json!({}),
    };
    let entry = append(&mut tx, id, entry).await?;
    acknowledge(&mut tx, id).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Moves incident `id` to `status` when its current status allows it.
pub async fn set_status(db: &PgPool, actor: &Actor, id: i64, status: &str) -> Result<(), AppError> {
    let to = Status::parse(status.trim()).ok_or_else(|| {
        AppError::invalid(
            "status",
            "choose investigating, identified, monitoring or resolved",
        )
    })?;
    let mut tx = db.begin().await?;
    let from = lock(&mut tx, id).await?;
    if !from.may_become(to) {
        return Err(refused_move(from, to));
    }
    sqlx::query(
        "UPDATE incident SET status = $2,
           resolved_at = CASE WHEN $2 = 'resolved' THEN now() END
         WHERE id = $1",
    )
    .bind(id)
    .bind(to.as_str())
    .execute(&mut *tx)
    .await?;
    let kinds = (actions::STATUS, EntryKind::Status);
    change(&mut tx, actor, kinds, id, (from.as_str(), to.as_str())).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets incident `id`'s severity.
pub async fn set_severity(
    db: &PgPool,
    actor: &Actor,
    id: i64,
    severity: &str,
) -> Result<(), AppError> {
    let to = parse_severity(severity)?;
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    let from: String = sqlx::query_scalar("SELECT severity FROM incident WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if from == to.as_str() {
        return Err(AppError::invalid(
            "severity",
            format!("the incident is {from} already"),
        ));
    }
    sqlx::query("UPDATE incident SET severity = $2 WHERE id = $1")
        .bind(id)
        .bind(to.as_str())
        .execute(&mut *tx)
        .await?;
    let kinds = (actions::SEVERITY, EntryKind::Severity);
    change(&mut tx, actor, kinds, id, (&from, to.as_str())).await?;
    tx.commit().await?;
    Ok(())
}

/// The 422 of a move the status machine does not allow, saying which are.
fn refused_move(from: Status, to: Status) -> AppError {
    if from == to {
        return AppError::invalid("status", format!("the incident is {} already", to.as_str()));
    }
    let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
    AppError::invalid(
        "status",
        format!(
            "an incident that is {} cannot become {}; it may become {}",
            from.as_str(),
            to.as_str(),
            allowed.join(" or ")
        ),
    )
}

/// Records a move of one of the incident's fields (`from` → `to`).
async fn change(
    tx: &mut Transaction<'_, Postgres>,
    actor: &Actor,
    kinds: (Action, EntryKind),
    id: i64,
    (from, to): (&str, &str),
) -> Result<(), AppError> {
    let details = json!({ "from": from, "to": to });
    record_change(tx, actor, kinds, id, &format!("{from} → {to}"), details).await
}

/// Records a change made to incident `id`: its audit event, its timeline
/// entry (`body`, with the event's `details`), and the acknowledgement if
/// it is the first.
pub(crate) async fn record_change(
    tx: &mut Transaction<'_, Postgres>,
    actor: &Actor,
    (action, kind): (Action, EntryKind),
    id: i64,
    body: &str,
    details: Value,
) -> Result<(), AppError> {
    let event = audited(tx, actor, action, id, details.clone()).await?;
    let who = actor.audit_name();
    let entry = NewEntry {
        kind,
        at: None,
        actor: &who,
        body,
        audit_event_id: event,
        details,
    };
    append(tx, id, entry).await?;
    acknowledge(tx, id).await
}

pub(crate) async fn audited(
    tx: &mut Transaction<'_, Postgres>,
    actor: &Actor,
    action: Action,
    id: i64,
    details: Value,
) -> Result<i64, AppError> {
    let r = Record::new(
        actor.audit_name(),
        action,
        AuditTarget::Incident(id),
        Outcome::Success,
    )
    .details(details)
    .meta(&actor.meta);
    Ok(record(tx, r).await?)
}

/// How far back a note may be dated: a week covers any incident's lead-up.
const EARLIEST: Duration = Duration::days(7);
/// Clocks of browsers and servers differ a little.
const SKEW: Duration = Duration::minutes(2);

/// A note's event time: empty is now (`None`); else RFC 3339, or
/// `YYYY-MM-DDTHH:MM[:SS]` (a browser's datetime field) read as UTC. Not in
/// the future and not more than a week before `now`.
pub fn parse_at(text: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let at = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            [
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%d %H:%M:%S",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            .map(|t| t.and_utc())
            .ok_or(())
        })
        .map_err(|_| {
            AppError::invalid("at", "give the time as YYYY-MM-DDTHH:MM (UTC) or RFC 3339")
        })?;
    if at > now + SKEW {
        return Err(AppError::invalid("at", "is in the future"));
    }
    if at < now - EARLIEST {
        return Err(AppError::invalid("at", "is more than a week ago"));
    }
    Ok(Some(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-26T18:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_note_time_is_read_as_utc_and_may_be_earlier_but_not_later() {
        assert_eq!(parse_at("", now()), Ok(None));
        let earlier: DateTime<Utc> = "2026-11-26T17:05:00Z".parse().unwrap();
        assert_eq!(parse_at("2026-11-26T17:05", now()), Ok(Some(earlier)));
        assert_eq!(parse_at("2026-11-26 17:05:00", now()), Ok(Some(earlier)));
        assert_eq!(
            parse_at("2026-11-26T18:05:00+01:00", now()),
            Ok(Some(earlier))
        );
        for bad in ["yesterday", "2026-11-26T19:00", "2026-11-01T10:00"] {
            assert!(
                matches!(parse_at(bad, now()), Err(AppError::Validation { field, .. }) if field == "at"),
                "{bad}"
            );
        }
    }
}
