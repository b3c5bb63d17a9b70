//! Writing and reading the postmortem: its sections are saved whole (the
//! form always sends every one), its action items are added one by one and
//! ticked off. Each change is audited in its own transaction, and only a
//! resolved incident takes one: a review of something still happening
//! would be rewritten by what happens next.

use super::change::audited;
use super::lock;
use crate::auth::guard::Actor;
use crate::incident::{actions, ActionItem, Postmortem, Status};
use crate::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

/// The sections of the form, bounded by the server fn.
pub struct Sections {
    pub summary: String,
    pub impact: String,
    pub contributing_factors: String,
    pub went_well: String,
    pub went_badly: String,
}

/// An action item as the form sends it, bounded by the server fn.
pub struct NewItem {
    pub text: String,
    pub owner: String,
    pub due: String,
}

/// Saves the postmortem of incident `id`, replacing what was there.
pub async fn save(db: &PgPool, actor: &Actor, id: i64, s: Sections) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    resolved(&mut tx, id).await?;
    sqlx::query(
        "INSERT INTO incident_postmortem (incident_id, summary, impact, contributing_factors,
                went_well, went_badly, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (incident_id) DO UPDATE SET summary = $2, impact = $3,
            contributing_factors = $4, went_well = $5, went_badly = $6,
            updated_by = $7, updated_at = now()",
    )
    .bind(id)
    .bind(s.summary.trim())
    .bind(s.impact.trim())
    .bind(s.contributing_factors.trim())
    .bind(s.went_well.trim())
    .bind(s.went_badly.trim())
    .bind(actor.audit_name())
    .execute(&mut *tx)
    .await?;
    // Sizes only: the text itself is in the postmortem, not in the log.
    let chars = |t: &str| t.trim().chars().count();
    let details = json!({ "chars": {
        "summary": chars(&s.summary), "impact": chars(&s.impact),
        "contributing_factors": chars(&s.contributing_factors),
        "went_well": chars(&s.went_well), "went_badly": chars(&s.went_badly),
    }});
    audited(&mut tx, actor, actions::POSTMORTEM, id, details).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds an action item to incident `id`'s postmortem; its id.
pub async fn add_item(db: &PgPool, actor: &Actor, id: i64, item: NewItem) -> Result<i64, AppError> {
    let text = item.text.trim();
    if text.is_empty() {
        return Err(AppError::invalid("text", "say what is to be done"));
    }
    let due = parse_due(&item.due)?;
    let mut tx = db.begin().await?;
    resolved(&mut tx, id).await?;
    let item_id: i64 = sqlx::query_scalar(
        "INSERT INTO incident_action_item (incident_id, text, owner, due, created_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(id)
    .bind(text)
    .bind(item.owner.trim())
    .bind(due)
    .bind(actor.audit_name())
    .fetch_one(&mut *tx)
    .await?;
    let details = json!({ "item": item_id, "owner": item.owner.trim(), "due": due });
    audited(&mut tx, actor, actions::ACTION_ITEM_ADD, id, details).await?;
    tx.commit().await?;
    Ok(item_id)
}

/// Marks action item `item` of incident `id` done or open again.
pub async fn set_item_done(
    db: &PgPool,
    actor: &Actor,
    (id, item): (i64, i64),
    done: bool,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    let changed =
        sqlx::query("UPDATE incident_action_item SET done = $3 WHERE incident_id = $1 AND id = $2")
            .bind(id)
            .bind(item)
            .bind(done)
            .execute(&mut *tx)
            .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound(format!(
            "action item #{item} of incident #{id}"
        )));
    }
    let details = json!({ "item": item, "done": done });
    audited(&mut tx, actor, actions::ACTION_ITEM_DONE, id, details).await?;
    tx.commit().await?;
    Ok(())
}

/// Locks incident `id`; refuses a postmortem change while it is open.
async fn resolved(tx: &mut Transaction<'_, Postgres>, id: i64) -> Result<(), AppError> {
    if lock(tx, id).await? == Status::Resolved {
        return Ok(());
    }
    Err(AppError::Conflict(format!(
        "incident #{id} is still open: resolve it before writing its postmortem"
    )))
}

/// A due date: empty is none; else `YYYY-MM-DD`.
pub fn parse_due(text: &str) -> Result<Option<NaiveDate>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::invalid("due", "give the date as YYYY-MM-DD"))
}

#[derive(sqlx::FromRow)]
struct Row {
    summary: String,
    impact: String,
    contributing_factors: String,
    went_well: String,
    went_badly: String,
    updated_by: String,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    text: String,
    owner: String,
    due: Option<NaiveDate>,
    done: bool,
}

/// Incident `id`'s postmortem: empty sections when none was written yet.
pub async fn load(db: &PgPool, id: i64) -> Result<Postmortem, AppError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT summary, impact, contributing_factors, went_well, went_badly, updated_by,
                updated_at
         FROM incident_postmortem WHERE incident_id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let items: Vec<ItemRow> = sqlx::query_as(
        "SELECT id, text, owner, due, done FROM incident_action_item
         WHERE incident_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let action_items = items
        .into_iter()
        .map(|i| ActionItem {
            id: i.id,
            text: i.text,
            owner: i.owner,
            due: i.due,
            done: i.done,
        })
        .collect();
    let mut p = Postmortem {
        action_items,
        ..Postmortem::default()
    };
    if let Some(r) = row {
        p.summary = r.summary;
        p.impact = r.impact;
        p.contributing_factors = r.contributing_factors;
        p.went_well = r.went_well;
        p.went_badly = r.went_badly;
        p.updated = Some((r.updated_by, r.updated_at));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::parse_due;
    use crate::AppError;

    #[test]
    fn a_due_date_is_a_calendar_date_or_nothing() {
        assert_eq!(parse_due(" "), Ok(None));
        assert_eq!(
            parse_due("2026-12-01"),
            Ok(Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()))
        );
        for bad in ["next week", "2026-13-01", "01/12/2026"] {
            assert!(
                matches!(parse_due(bad), Err(AppError::Validation { field, .. }) if field == "due"),
                "{bad}"
            );
        }
    }
}
