//! Destinations: validated, sealed, audited in the same transaction.

use super::sign::new_secret;
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::error::check_length;
use crate::state::AppState;
use crate::webhook::{actions, DeliveryView, WebhookCreated, WebhookView, EVENTS, FORMATS};
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

/// How many deliveries each destination lists.
const SHOWN_DELIVERIES: i64 = 10;

/// A destination as asked for, checked field by field.
pub struct NewWebhook {
    name: String,
    url: url::Url,
    format: &'static str,
    events: Vec<&'static str>,
}

impl NewWebhook {
    pub fn parse(name: &str, url: &str, format: &str, events: &[String]) -> Result<Self, AppError> {
        let name = name.trim();
        check_length("name", name, 100)?;
        if name.is_empty() {
            return Err(AppError::invalid("name", "give the destination a name"));
        }
        check_length("url", url, 2000)?;
        let url = parse_url(url.trim())?;
        let format = FORMATS
            .iter()
            .find(|f| **f == format)
            .ok_or_else(|| AppError::invalid("format", "`standard` or `slack`"))?;
        Ok(NewWebhook {
            name: name.to_string(),
            url,
            format,
            events: parse_events(events)?,
        })
    }
}

fn parse_url(text: &str) -> Result<url::Url, AppError> {
    let url =
        url::Url::parse(text).map_err(|e| AppError::invalid("url", format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(AppError::invalid(
            "url",
            "an http:// or https:// URL with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid(
            "url",
            "no user or password in the URL: receivers check the signature",
        ));
    }
    Ok(url)
}

fn parse_events(events: &[String]) -> Result<Vec<&'static str>, AppError> {
    if events.is_empty() {
        return Err(AppError::invalid("events", "choose at least one event"));
    }
    let mut known = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let Some((name, _)) = EVENTS.iter().find(|(name, _)| name == e) else {
            let field = format!("events[{i}]");
            check_length(&field, e, 60)?;
            return Err(AppError::invalid(
                field,
                format!("no event is called `{e}`"),
            ));
        };
        if !known.contains(name) {
            known.push(*name);
        }
    }
    Ok(known)
}

/// `scheme://host[:port]`: what pages show of a URL whose path may be the
/// credential.
fn display(url: &url::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}",
        url.scheme(),
        url.host_str().unwrap_or_default()
    )
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    new: NewWebhook,
) -> Result<WebhookCreated, AppError> {
    let secret = new_secret()?;
    let shown = display(&new.url);
    let mut tx = state.db.begin().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO webhook (name, sealed_url, display, format, events, sealed_secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(&new.name)
    .bind(state.secrets.seal(new.url.as_str()))
    .bind(&shown)
    .bind(new.format)
    .bind(&new.events)
    .bind(state.secrets.seal(&secret))
    .bind(actor.audit_name())
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| AppError::invalid("name", "a destination has this name already"))?;
    let r = Record::new(
        actor.audit_name(),
        actions::CREATE,
        target(&new.name),
        Outcome::Success,
    )
    .details(json!({ "id": id, "display": shown, "format": new.format, "events": new.events }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(WebhookCreated { id, secret })
}

fn target(name: &str) -> String {
    format!("webhook:{name}")
}

async fn name_of(db: &PgPool, id: i64) -> Result<String, AppError> {
    sqlx::query_scalar("SELECT name FROM webhook WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("webhook #{id}")))
}

pub async fn delete(db: &PgPool, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = name_of(db, id).await?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM webhook WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let r = Record::new(
        actor.audit_name(),
        actions::DELETE,
        target(&name),
        Outcome::Success,
    )
    .details(json!({ "id": id }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(())
}

/// The audit event is the request: its trigger owes the test message.
pub async fn ask_test(db: &PgPool, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = name_of(db, id).await?;
    let mut tx = db.begin().await?;
    let r = Record::new(
        actor.audit_name(),
        actions::TEST,
        target(&name),
        Outcome::Success,
    )
    .details(json!({ "webhook": id.to_string() }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    name: String,
    display: String,
    format: String,
    events: Vec<String>,
    created_by: String,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    webhook_id: i64,
    #[sqlx(flatten)]
    delivery: DeliveryView,
}

pub async fn list(db: &PgPool) -> Result<Vec<WebhookView>, AppError> {
    let hooks: Vec<WebhookRow> = sqlx::query_as(
        "SELECT id, name, display, format, events, created_by, created_at
         FROM webhook ORDER BY name",
    )
    .fetch_all(db)
    .await?;
    let mut deliveries: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT w.id AS webhook_id, d.id, d.event, d.message_id, d.state, d.attempts, d.created_at,
                CASE WHEN d.state = 'pending' THEN d.next_attempt_at END AS next_attempt_at,
                a.status AS last_status, a.error AS last_error
         FROM webhook w
         CROSS JOIN LATERAL (SELECT * FROM webhook_delivery d WHERE d.webhook_id = w.id
                             ORDER BY d.id DESC LIMIT $1) d
         LEFT JOIN LATERAL (SELECT status, error FROM webhook_attempt a
                            WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1) a ON true
         ORDER BY d.id DESC",
    )
    .bind(SHOWN_DELIVERIES)
    .fetch_all(db)
    .await?;
    Ok(hooks
        .into_iter()
        .map(|h| {
            let (mine, rest) = deliveries.drain(..).partition(|d| d.webhook_id == h.id);
            deliveries = rest;
            WebhookView {
                id: h.id,
                name: h.name,
                display: h.display,
                format: h.format,
                events: h.events,
                created_by: h.created_by,
                created_at: h.created_at,
                deliveries: mine.into_iter().map(|d: DeliveryRow| d.delivery).collect(),
            }
        })
        .collect())
}
