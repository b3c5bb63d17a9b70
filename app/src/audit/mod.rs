//! The tamper-evident audit log: one writer for every feature, and the
//! chain verification behind `opsdeck audit verify`.

use chrono::{DateTime, Utc};

pub use page::AuditPage;
use serde::{Deserialize, Serialize};

pub mod actions;
pub mod api;
#[cfg(feature = "ssr")]
pub mod chain;
pub mod filter;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

/// An audit action, `<feature>.<verb>` such as `deploy.scale`. Each feature
/// lists its own in its `actions` module (`crate::deploy::actions::SCALE`)
/// and writes every event with one of them, so the log's vocabulary is
/// spelled once, beside the feature, and the pages and tests that read it
/// name the same constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Action(&'static str);

impl Action {
    pub const fn new(name: &'static str) -> Self {
        Action(name)
    }

    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// What an audit event is about, stored as `<kind>:<name>` (the audit
/// page's target filter matches these prefixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditTarget<'a> {
    User(&'a str),
    Token(i64),
    /// `environment/name`.
    Service(&'a str),
    Endpoint(&'a str),
    Environment(&'a str),
    BackupTarget(&'a str),
    Incident(i64),
    /// A runbook's slug.
    Runbook(&'a str),
}

impl std::fmt::Display for AuditTarget<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditTarget::User(name) => write!(f, "user:{name}"),
            AuditTarget::Token(id) => write!(f, "token:{id}"),
            AuditTarget::Service(name) => write!(f, "service:{name}"),
            AuditTarget::Endpoint(name) => write!(f, "endpoint:{name}"),
            AuditTarget::Environment(name) => write!(f, "environment:{name}"),
            AuditTarget::BackupTarget(name) => write!(f, "backup_target:{name}"),
            AuditTarget::Incident(id) => write!(f, "incident:{id}"),
            AuditTarget::Runbook(slug) => write!(f, "runbook:{slug}"),
        }
    }
}

impl From<AuditTarget<'_>> for String {
    fn from(t: AuditTarget<'_>) -> String {
        t.to_string()
    }
}

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
