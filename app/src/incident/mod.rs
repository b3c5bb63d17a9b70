//! Incidents: declared with a severity and the services they affect,
//! moved through their statuses by a commander, with a timeline of notes,
//! status and severity changes and, written by the database itself, every
//! audited action on an affected service while the incident is open.
//!
//! Types shared by pages and server fns live here; the server fns are in
//! `api.rs`, the pages in `*_page.rs`, the machinery in `ssr/`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod actions;
pub mod api;
mod cause;
mod incident_page;
mod list_page;
pub mod measures;
mod postmortem;
mod postmortem_form;
#[cfg(feature = "ssr")]
pub mod routes;
mod services_panel;
#[cfg(feature = "ssr")]
pub mod ssr;
mod timeline;

pub use cause::{Change, RecentChange, SuspectedCause};
pub use incident_page::IncidentPage;
pub use list_page::{IncidentsPage, MeasuresTable};
pub use postmortem::{ActionItem, Postmortem};

/// How bad it is, and how fast someone must respond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    #[serde(rename = "SEV1")]
    Sev1,
    #[serde(rename = "SEV2")]
    Sev2,
    #[serde(rename = "SEV3")]
    Sev3,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Sev1, Severity::Sev2, Severity::Sev3];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1",
            Severity::Sev2 => "SEV2",
            Severity::Sev3 => "SEV3",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// What the severity means, shown wherever one is chosen.
    pub fn meaning(self) -> &'static str {
        match self {
            Severity::Sev1 => "outage, data loss or security breach; respond at once",
            Severity::Sev2 => "partial outage or a major feature down; respond within 15 minutes",
            Severity::Sev3 => "degraded, a workaround exists; respond within an hour",
        }
    }
}

/// Where an incident is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Investigating,
        Status::Identified,
        Status::Monitoring,
        Status::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Investigating => "investigating",
            Status::Identified => "identified",
            Status::Monitoring => "monitoring",
            Status::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        self != Status::Resolved
    }

    /// The statuses an incident in this one may move to: one step forward,
    /// straight to resolved from any open status, and a resolved one
    /// reopens as investigating.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Investigating => &[Status::Identified, Status::Resolved],
            Status::Identified => &[Status::Monitoring, Status::Resolved],
            Status::Monitoring => &[Status::Resolved],
            Status::Resolved => &[Status::Investigating],
        }
    }

    /// Whether moving from this status to `to` is allowed.
    pub fn may_become(self, to: Status) -> bool {
        self.next().contains(&to)
    }
}

/// What someone does in an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentRole {
    /// Leads it; one at a time, handed over.
    Commander,
    /// Keeps the timeline; one at a time.
    Scribe,
    /// Works on it; any number.
    Responder,
}

impl IncidentRole {
    pub const ALL: [IncidentRole; 3] = [
        IncidentRole::Commander,
        IncidentRole::Scribe,
        IncidentRole::Responder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentRole::Commander => "commander",
            IncidentRole::Scribe => "scribe",
            IncidentRole::Responder => "responder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// An incident as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentSummary {
    pub id: i64,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub commander: String,
    /// `environment/name` of each affected service.
    pub services: Vec<String>,
    pub declared_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    /// `started_at` as declared, once it has been corrected.
    #[serde(default)]
    pub original_started_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// What a timeline entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Note,
    Status,
    Severity,
    /// An audited action on an affected service, written by Opsdeck.
    Action,
    /// A deployment named as the suspected cause.
    Cause,
    /// A role assigned or handed over.
    Role,
    /// When the impact began, corrected.
    Started,
}

impl EntryKind {
    pub const ALL: [EntryKind; 7] = [
        EntryKind::Note,
        EntryKind::Status,
        EntryKind::Severity,
        EntryKind::Action,
        EntryKind::Cause,
        EntryKind::Role,
        EntryKind::Started,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Status => "status",
            EntryKind::Severity => "severity",
            EntryKind::Action => "action",
            EntryKind::Cause => "cause",
            EntryKind::Role => "role",
            EntryKind::Started => "started",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One timeline entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub id: i64,
    pub kind: EntryKind,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// When it was written (later than `at` for a note told afterwards).
    pub written_at: DateTime<Utc>,
    pub actor: String,
    /// A note's markdown source, or the entry in one line.
    pub body: String,
    /// A note rendered to HTML and sanitized (ammonia): the only HTML a
    /// page inserts as markup.
    pub html: Option<String>,
    /// The audit event it records.
    pub audit_event_id: Option<i64>,
    /// For an action: the service and the outcome (`intent`, `success`,
    /// `failure`), and the deployment's page when there is one.
    pub service: Option<String>,
    pub outcome: Option<String>,
    pub link: Option<String>,
    pub details: serde_json::Value,
    /// Pinned as a key moment.
    #[serde(default)]
    pub pinned: bool,
}

/// An incident with its timeline, oldest entry first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentDetail {
    pub incident: IncidentSummary,
    pub summary: String,
    pub declared_by: String,
    pub timeline: Vec<TimelineEntry>,
    /// Empty until someone writes it (after the incident is resolved).
    pub postmortem: Postmortem,
    /// Deployments linked as suspected causes, in the order they were.
    pub suspected: Vec<SuspectedCause>,
    /// `user:<name>` of the scribe, if one is named.
    pub scribe: Option<String>,
    /// `user:<name>` of each responder, in the order they were named.
    pub responders: Vec<String>,
}

/// What declaring answers: the new incident and its page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentDeclared {
    pub incident: i64,
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Severity::parse("sev1"), None);
    }

    #[test]
    fn an_incident_moves_forward_one_step_resolves_from_anywhere_and_reopens() {
        use Status::*;
        let allowed = [
            (Investigating, Identified),
            (Identified, Monitoring),
            (Monitoring, Resolved),
            (Investigating, Resolved),
            (Identified, Resolved),
            (Resolved, Investigating),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.may_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }
}
