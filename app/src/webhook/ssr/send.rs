//! Delivers what the audit trigger owes. Due deliveries are claimed with
//! SKIP LOCKED and leased for a minute, so several Opsdeck processes share
//! the work and one that dies mid-send leaves its claim to another; each is
//! posted signed, then settled: delivered on a 2xx, retried on the Standard
//! Webhooks schedule otherwise, given up after the last retry (~27 h).

use super::sign;
use crate::live::Topic;
use crate::state::AppState;
use crate::AppError;
use futures_util::StreamExt;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use sqlx::types::Json;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Waits before each retry: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const RETRY_AFTER: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// How long a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim keeps other senders off a delivery: past the timeout.
const LEASE_SECS: f64 = 60.0;
/// Deliveries sent side by side per pass.
const BATCH: i64 = 20;

/// Sends what is owed as soon as it is (woken by the deliveries' live
/// topic), and at least every `poll` for retries that come due.
pub fn spawn_sender(state: AppState, poll: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = client();
        let mut owed = Box::pin(
            state
                .live
                .subscribe(&state.db)
                .changes(Topic::Webhook, None),
        );
        loop {
            match send_due(&state, &client).await {
                Ok(sent) if sent > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook pass failed"),
            }
            // Our own settling announces itself too: one more pass, cheap.
            let _ = tokio::time::timeout(poll, owed.next()).await;
        }
    })
}

/// The HTTP client senders use: no redirects (a receiver answers where it
/// was registered), a bounded wait.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Opsdeck-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    message_id: String,
    event: String,
    payload: Json<Value>,
    attempts: i32,
    sealed_url: Vec<u8>,
    format: String,
    sealed_secret: Vec<u8>,
}

/// One pass: sends every delivery due now; returns how many.
pub async fn send_due(state: &AppState, client: &reqwest::Client) -> Result<usize, AppError> {
    let due = claim(&state.db).await?;
    let sent = due.len();
    futures_util::future::join_all(due.into_iter().map(|d| deliver(state, client, d))).await;
    Ok(sent)
}

async fn claim(db: &PgPool) -> Result<Vec<Due>, AppError> {
    let mut tx = db.begin().await?;
    let due: Vec<Due> = sqlx::query_as(
        "SELECT d.id, d.message_id, d.event, d.payload, d.attempts,
                w.sealed_url, w.format, w.sealed_secret
         FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id
         WHERE d.state = 'pending' AND d.next_attempt_at <= now()
         ORDER BY d.next_attempt_at LIMIT $1
         FOR UPDATE OF d SKIP LOCKED",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    let ids: Vec<i64> = due.iter().map(|d| d.id).collect();
    sqlx::query(
        "UPDATE webhook_delivery SET next_attempt_at = now() + make_interval(secs => $2)
         WHERE id = ANY($1)",
    )
    .bind(&ids)
    .bind(LEASE_SECS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(due)
}

async fn deliver(state: &AppState, client: &reqwest::Client, due: Due) {
    let started = Instant::now();
    let answer = post(state, client, &due).await;
    let took = started.elapsed();
    if let Err(e) = settle(&state.db, &due, &answer, took).await {
        tracing::warn!(delivery = due.id, error = %e, "webhook outcome not stored");
    }
}

/// The receiver's status code, or why there is none. Never names the URL:
/// its path may be the credential.
async fn post(state: &AppState, client: &reqwest::Client, due: &Due) -> Result<u16, String> {
    let unreadable =
        "cannot be opened with this installation's key (was OPSDECK_SECRET_KEY changed?)";
    let url = state
        .secrets
        .open(&due.sealed_url)
        .ok_or_else(|| format!("the URL {unreadable}"))?;
    let secret = state
        .secrets
        .open(&due.sealed_secret)
        .ok_or_else(|| format!("the signing secret {unreadable}"))?;
    let body = body(due);
    let at = chrono::Utc::now().timestamp();
    let signature = sign::signature(secret.expose_secret(), &due.message_id, at, &body)
        .ok_or("the signing secret is not a whsec_ secret")?;
    let sent = client
        .post(url.expose_secret())
        .header("content-type", "application/json")
        .header("webhook-id", &due.message_id)
        .header("webhook-timestamp", at.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    sent.map(|r| r.status().as_u16()).map_err(|e| describe(&e))
}

/// reqwest's message and its causes, without the URL.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

fn body(due: &Due) -> Vec<u8> {
    let value = match due.format.as_str() {
        "slack" => json!({ "text": slack_text(&due.event, &due.payload) }),
        _ => due.payload.0.clone(),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// One line for a chat channel: what happened, to what, by whom, why.
fn slack_text(event: &str, payload: &Value) -> String {
    let data = &payload["data"];
    let text = |v: &Value| v.as_str().map(str::to_string);
    let details = &data["details"];
    let why = text(&details["reason"])
        .or_else(|| text(&details["error"]))
        .or_else(|| {
            let (from, to) = (text(&details["from"])?, text(&details["to"])?);
            Some(format!("{from} → {to}"))
        });
    let mut line = format!(
        "Opsdeck {event}: {} by {} ({})",
        text(&data["target"]).unwrap_or_default(),
        text(&data["actor"]).unwrap_or_default(),
        text(&data["outcome"]).unwrap_or_default(),
    );
    if let Some(why) = why {
        line.push_str(&format!(" — {why}"));
    }
    // Slack's markup: these three are control characters in a message.
    line.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn settle(
    db: &PgPool,
    due: &Due,
    answer: &Result<u16, String>,
    took: Duration,
) -> Result<(), sqlx::Error> {
    let (status, error) = match answer {
        Ok(code) => (Some(i32::from(*code)), None),
        Err(why) => (None, Some(why.as_str())),
    };
    let delivered = status.is_some_and(|s| (200..300).contains(&s));
    let attempts = due.attempts + 1;
    let retry = RETRY_AFTER.get(usize::try_from(due.attempts).unwrap_or(usize::MAX));
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO webhook_attempt (delivery_id, status, error, duration_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(due.id)
    .bind(status)
    .bind(error)
    .bind(i32::try_from(took.as_millis()).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    let (state, after) = match (delivered, retry) {
        (true, _) => ("delivered", None),
        (false, Some(after)) => ("pending", Some(after.as_secs_f64())),
        (false, None) => ("failed", None),
    };
    sqlx::query(
        "UPDATE webhook_delivery SET state = $2, attempts = $3,
             next_attempt_at = now() + make_interval(secs => coalesce($4, 0)),
             finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END
         WHERE id = $1",
    )
    .bind(due.id)
    .bind(state)
    .bind(attempts)
    .bind(after)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_line_says_what_happened_and_escapes_slack_markup() {
        let payload = json!({ "data": {
            "target": "service:production/web", "actor": "user:ada", "outcome": "failure",
            "details": { "reason": "health check <failed> & gave up" }
        }});
        assert_eq!(
            slack_text("deployment.failed", &payload),
            "Opsdeck deployment.failed: service:production/web by user:ada (failure) — health check &lt;failed&gt; &amp; gave up"
        );
    }

    #[test]
    fn retries_span_more_than_an_hour() {
        let total: Duration = RETRY_AFTER.iter().sum();
        assert!(total > Duration::from_secs(3600), "{total:?}");
    }
}
