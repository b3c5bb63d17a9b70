//! The postmortem of a resolved incident: what happened and what is done
//! about it, written by the commander's team and exported as markdown.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The written review; every text is plain text (escaped in the export).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Postmortem {
    pub summary: String,
    pub impact: String,
    pub contributing_factors: String,
    pub went_well: String,
    pub went_badly: String,
    /// Who saved it last, and when; `None` before anyone has.
    pub updated: Option<(String, DateTime<Utc>)>,
    pub action_items: Vec<ActionItem>,
}

impl Postmortem {
    /// The written sections in export order, with their headings.
    pub fn sections(&self) -> [(&'static str, &str); 5] {
        [
            ("Summary", &self.summary),
            ("Impact", &self.impact),
            ("Contributing factors", &self.contributing_factors),
            ("What went well", &self.went_well),
            ("What went badly", &self.went_badly),
        ]
    }
}

/// Something to do so that it does not happen again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionItem {
    pub id: i64,
    pub text: String,
    /// Who sees to it (free text: a person or a team); empty when nobody yet.
    pub owner: String,
    pub due: Option<NaiveDate>,
    pub done: bool,
}

use super::{EntryKind, IncidentDetail, Severity};

/// Seconds spent at each severity (every one, in `Severity::ALL` order),
/// from declaration to resolution (or `now` while it is open), split at
/// each severity change on the timeline.
pub fn time_in_severity(detail: &IncidentDetail, now: DateTime<Utc>) -> Vec<(Severity, i64)> {
    let changes: Vec<(DateTime<Utc>, Option<Severity>, Option<Severity>)> = detail
        .timeline
        .iter()
        .filter(|e| e.kind == EntryKind::Severity)
        .map(|e| {
            let word = |k: &str| {
                e.details
                    .get(k)
                    .and_then(|v| v.as_str())
                    .and_then(Severity::parse)
            };
            (e.at, word("from"), word("to"))
        })
        .collect();
    let i = &detail.incident;
    let mut level = changes
        .first()
        .and_then(|(_, from, _)| *from)
        .unwrap_or(i.severity);
    let mut since = i.declared_at;
    let mut spent = Severity::ALL.map(|s| (s, 0i64));
    let mut add = |level: Severity, from: DateTime<Utc>, to: DateTime<Utc>| {
        if let Some(slot) = spent.iter_mut().find(|(s, _)| *s == level) {
            slot.1 += (to - from).num_seconds().max(0);
        }
    };
    for (at, _, to) in changes {
        add(level, since, at);
        since = since.max(at);
        level = to.unwrap_or(level);
    }
    add(level, since, i.resolved_at.unwrap_or(now));
    spent.to_vec()
}
