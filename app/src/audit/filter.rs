//! Which audit events to show or export, as typed in the audit page's form
//! (and carried in its URL, so a filtered view can be bookmarked or exported).

use crate::AppError;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest accepted actor, action or target filter.
const TEXT_MAX: usize = 300;
/// Longest accepted outcome or time.
const SHORT_MAX: usize = 64;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Exact actor, e.g. `user:alice` or `system`.
    pub actor: Option<String>,
    /// Action prefix, e.g. `user.` or `user.login`.
    pub action: Option<String>,
    /// Exact target, e.g. `user:alice`.
    pub target: Option<String>,
    /// `intent`, `success`, `failure` or `denied`.
    pub outcome: Option<String>,
    /// From this UTC time (`2026-11-22T13:00` or RFC 3339), inclusive.
    pub since: Option<String>,
    /// Until this UTC time, exclusive.
    pub until: Option<String>,
}

/// A filter checked and parsed, ready for the query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedFilter {
    pub actor: Option<String>,
    pub action_prefix: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn parse_time(field: &str, v: &Option<String>) -> Result<Option<DateTime<Utc>>, AppError> {
    let Some(text) = clean(v) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(&text) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&text, format) {
            return Ok(Some(t.and_utc()));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        return Ok(Some(
            d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc(),
        ));
    }
    Err(AppError::invalid(
        field,
        format!("`{text}` is not a time: use 2026-11-22T13:00 (UTC) or RFC 3339"),
    ))
}

impl AuditFilter {
    /// Validates every field; says which one is wrong.
    pub fn parse(&self) -> Result<ParsedFilter, AppError> {
        self.check_lengths()?;
        let outcome = clean(&self.outcome);
        if let Some(o) = &outcome {
            if super::Outcome::parse(o).is_none() {
                return Err(AppError::invalid(
                    "outcome",
                    "must be intent, success, failure or denied",
                ));
            }
        }
        let parsed = ParsedFilter {
            actor: clean(&self.actor),
            action_prefix: clean(&self.action),
            target: clean(&self.target),
            outcome,
            since: parse_time("since", &self.since)?,
            until: parse_time("until", &self.until)?,
        };
        if let (Some(s), Some(u)) = (parsed.since, parsed.until) {
            if u <= s {
                return Err(AppError::invalid("until", "must be after `since`"));
            }
        }
        Ok(parsed)
    }

    /// Actors, actions and targets are short names; times and outcomes shorter.
    fn check_lengths(&self) -> Result<(), AppError> {
        let fields = [
            ("actor", &self.actor, TEXT_MAX),
            ("action", &self.action, TEXT_MAX),
            ("target", &self.target, TEXT_MAX),
            ("outcome", &self.outcome, SHORT_MAX),
            ("since", &self.since, SHORT_MAX),
            ("until", &self.until, SHORT_MAX),
        ];
        fields.into_iter().try_for_each(|(field, value, max)| {
            crate::error::check_length(field, value.as_deref().unwrap_or_default(), max)
        })
    }

    /// The filter as a URL query (for links that keep it).
    pub fn query(&self) -> String {
        let pairs = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target", &self.target),
            ("outcome", &self.outcome),
            ("since", &self.since),
            ("until", &self.until),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| clean(v).map(|v| format!("{k}={}", encode(&v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_mean_no_filter() {
        let f = AuditFilter {
            actor: Some("  ".into()),
            ..Default::default()
        };
        assert_eq!(f.parse().unwrap(), ParsedFilter::default());
        assert_eq!(f.query(), "");
    }

    #[test]
    fn times_are_read_as_utc_and_bad_ones_name_their_field() {
        let f = AuditFilter {
            since: Some("2026-11-22T13:00".into()),
            until: Some("2026-11-23".into()),
            ..Default::default()
        };
        let p = f.parse().unwrap();
        assert_eq!(p.since.unwrap().to_rfc3339(), "2026-11-22T13:00:00+00:00");
        assert_eq!(p.until.unwrap().to_rfc3339(), "2026-11-23T00:00:00+00:00");
        let bad = AuditFilter {
            since: Some("yesterday".into()),
            ..Default::default()
        };
        assert!(matches!(bad.parse(), Err(AppError::Validation { field, .. }) if field == "since"));
        let reversed = AuditFilter {
            since: Some("2026-11-23".into()),
            until: Some("2026-11-22".into()),
            ..Default::default()
        };
        assert!(
            matches!(reversed.parse(), Err(AppError::Validation { field, .. }) if field == "until")
        );
        let outcome = AuditFilter {
            outcome: Some("maybe".into()),
            ..Default::default()
        };
        assert!(
            matches!(outcome.parse(), Err(AppError::Validation { field, .. }) if field == "outcome")
        );
    }

    #[test]
    fn an_overlong_filter_is_refused_naming_its_field() {
        let f = AuditFilter {
            target: Some("x".repeat(TEXT_MAX + 1)),
            ..Default::default()
        };
        assert!(matches!(f.parse(), Err(AppError::Validation { field, .. }) if field == "target"));
        let f = AuditFilter {
            since: Some("2".repeat(SHORT_MAX + 1)),
            ..Default::default()
        };
        assert!(matches!(f.parse(), Err(AppError::Validation { field, .. }) if field == "since"));
    }

    #[test]
    fn query_keeps_the_filter_and_escapes_it() {
        let f = AuditFilter {
            actor: Some("user:alice".into()),
            action: Some("user.log in&x".into()),
            ..Default::default()
        };
        assert_eq!(f.query(), "actor=user%3Aalice&action=user.log%20in%26x");
    }
}
