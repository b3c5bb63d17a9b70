//! Webhooks: admin-managed destinations that are told, signed as the
//! Standard Webhooks specification says, when something an operator must
//! know happens — a deployment failed or was rolled back, a backup failed or
//! fell behind its RPO, a test restore failed, a restore ran, an incident
//! was declared or changed.
//!
//! What is owed to whom is written by a trigger on the audit log (see the
//! migration), so every process and token is covered and no action waits
//! for a receiver; `ssr::send` delivers and retries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod ssr;
mod webhooks_page;

pub use webhooks_page::WebhooksPage;

/// Every event a destination may subscribe to, as sent in `type`, and
/// what it means (shown where it is chosen).
pub const EVENTS: &[(&str, &str)] = &[
    ("deployment.failed", "a deployment failed"),
    (
        "deployment.rolled_back",
        "the health gate put the previous release back",
    ),
    ("backup.failed", "a backup failed"),
    (
        "backup.rpo_missed",
        "a target's newest good backup became older than its RPO",
    ),
    ("test_restore.failed", "a test restore failed"),
    ("restore.started", "a restore started"),
    ("restore.finished", "a restore ended, either way"),
    ("incident.declared", "an incident was declared"),
    (
        "incident.severity_changed",
        "an incident's severity changed",
    ),
    ("incident.status_changed", "an incident's status changed"),
];

/// `standard`: the Standard Webhooks JSON body; `slack`: `{"text": …}` for a
/// Slack-compatible incoming webhook.
pub const FORMATS: &[&str] = &["standard", "slack"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: i64,
    pub name: String,
    /// Scheme, host and port only: the rest of a URL may be its credential.
    pub display: String,
    pub format: String,
    pub events: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The newest deliveries, newest first.
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DeliveryView {
    pub id: i64,
    pub event: String,
    pub message_id: String,
    /// `pending`, `delivered` or `failed` (retries given up).
    pub state: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last answer: an HTTP status, or why there was none.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

/// A new destination and its signing secret, shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookCreated {
    pub id: i64,
    pub secret: String,
}
