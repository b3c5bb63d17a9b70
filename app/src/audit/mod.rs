//! The tamper-evident audit log: one writer for every feature, and the
//! chain verification behind `opsdeck audit verify`.

use chrono::{DateTime, Utc};

pub use page::AuditPage;
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod chain;
pub mod filter;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

/// How an action ended; `Intent` is written before a side effect outside the
/// database (Docker, pg_dump), and an outcome event after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Intent,
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Intent => "intent",
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Outcome::Intent,
            Outcome::Success,
            Outcome::Failure,
            Outcome::Denied,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One recorded event, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}
