//! The postmortem as a CommonMark document: the times, the time spent at
//! each severity, the affected services and suspected causes, the written
//! sections, the action items and the whole timeline in UTC.
//!
//! Everything people typed (titles, notes, sections, owners) is escaped
//! before it is written: each ASCII punctuation character gets a
//! backslash, lines are trimmed (no indented code) and line breaks become
//! hard breaks, so no text can open a heading, a list, a table, a code
//! span, a link or raw HTML, or end the item it stands in. A note's
//! markdown therefore reads as its source, which is what a review quotes.

use crate::format::{duration, utc};
use crate::incident::postmortem::time_in_severity;
use crate::incident::{EntryKind, IncidentDetail, TimelineEntry};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// The postmortem of `d` as markdown; `now` ends the time of an open one.
pub fn render(d: &IncidentDetail, now: DateTime<Utc>) -> String {
    let i = &d.incident;
    let mut out = format!(
        "# Postmortem: incident \\#{} — {}\n\n",
        i.id,
        inline(&i.title, " ")
    );
    facts(&mut out, d);
    out.push_str("## Time in each severity\n\n");
    for (severity, secs) in time_in_severity(d, now) {
        let _ = writeln!(out, "- {}: {}", severity.as_str(), duration(secs));
    }
    out.push_str("\n## Affected services\n\n");
    list(
        &mut out,
        i.services.iter().map(|s| inline(s, " ")),
        "none named",
    );
    out.push_str("## Suspected cause\n\n");
    let causes = d.suspected.iter().map(|c| {
        let when = utc(c.change.started_at);
        format!("{}, started {when}", inline(&c.change.describe(), " "))
    });
    list(&mut out, causes, "none named");
    for (heading, text) in d.postmortem.sections() {
        let _ = write!(out, "## {heading}\n\n{}\n\n", paragraphs(text));
    }
    out.push_str("## Action items\n\n");
    let items = d.postmortem.action_items.iter().map(|a| {
        let due = a
            .due
            .map(|d| d.to_string())
            .unwrap_or_else(|| "none".into());
        let owner = if a.owner.trim().is_empty() {
            "nobody yet".into()
        } else {
            inline(&a.owner, " ")
        };
        let state = if a.done { "done" } else { "open" };
        format!(
            "{state}: {} (owner: {owner}; due: {due})",
            inline(&a.text, " ")
        )
    });
    list(&mut out, items, "none");
    out.push_str("## Timeline (UTC)\n\n");
    for (n, e) in d.timeline.iter().enumerate() {
        let marker = format!("{}. ", n + 1);
        let indent = " ".repeat(marker.len());
        let _ = writeln!(out, "{marker}{}", entry(e, &indent));
    }
    out
}

/// The incident's times and people, one item each.
fn facts(out: &mut String, d: &IncidentDetail) {
    let i = &d.incident;
    let or_not = |t: Option<DateTime<Utc>>, none: &str| t.map(utc).unwrap_or_else(|| none.into());
    let rows = [
        ("Severity", i.severity.as_str().to_string()),
        ("Status", i.status.as_str().to_string()),
        ("Commander", inline(person(&i.commander), " ")),
        (
            "Scribe",
            d.scribe
                .as_deref()
                .map(|s| inline(person(s), " "))
                .unwrap_or_else(|| "none".into()),
        ),
        ("Responders", responders(&d.responders)),
        ("Declared by", inline(person(&d.declared_by), " ")),
        ("Declared", utc(i.declared_at)),
        ("Impact began", started(i.started_at, i.original_started_at)),
        ("Acknowledged", or_not(i.acknowledged_at, "never")),
        ("Resolved", or_not(i.resolved_at, "not yet")),
    ];
    for (label, value) in rows {
        let _ = writeln!(out, "- {label}: {value}");
    }
    out.push('\n');
}

/// Items of a bullet list, or `none` in italics when there are none.
fn list(out: &mut String, items: impl Iterator<Item = String>, none: &str) {
    let mut any = false;
    for item in items {
        any = true;
        let _ = writeln!(out, "- {item}");
    }
    if !any {
        let _ = writeln!(out, "*{none}*");
    }
    out.push('\n');
}

/// One timeline entry; `indent` continues its lines inside the list item.
fn entry(e: &TimelineEntry, indent: &str) -> String {
    let mut head = format!(
        "{} — {} — {}",
        utc(e.at),
        e.kind.as_str(),
        inline(person(&e.actor), " ")
    );
    if e.pinned {
        head.push_str(" — key moment");
    }
    if (e.written_at - e.at).num_seconds() >= 60 {
        let _ = write!(head, " (written {})", utc(e.written_at));
    }
    let mut refs = Vec::new();
    if let Some(id) = e.audit_event_id {
        refs.push(format!("audit \\#{id}"));
    }
    if let (EntryKind::Action, Some(link)) = (e.kind, &e.link) {
        refs.push(inline(link, " "));
    }
    let refs = if refs.is_empty() {
        String::new()
    } else {
        format!(" ({})", refs.join(", "))
    };
    let breaks = format!("\\\n{indent}");
    format!("{head}{refs}:\\\n{indent}{}", inline(&e.body, &breaks))
}

/// When the impact began, and what was first recorded once corrected.
fn started(at: DateTime<Utc>, original: Option<DateTime<Utc>>) -> String {
    match original {
        Some(first) => format!("{} (corrected; first recorded {})", utc(at), utc(first)),
        None => utc(at),
    }
}

fn responders(list: &[String]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    let names: Vec<String> = list.iter().map(|p| inline(person(p), " ")).collect();
    names.join(", ")
}

/// `user:rita` as `rita`; tokens keep their prefix.
fn person(actor: &str) -> &str {
    actor.strip_prefix("user:").unwrap_or(actor)
}

/// Plain text as paragraphs: blank lines part them, other line breaks are
/// hard breaks. Empty text reads *Not written yet.*
fn paragraphs(text: &str) -> String {
    let text = unify_breaks(text);
    let parts: Vec<String> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| inline(p, "\\\n"))
        .collect();
    if parts.is_empty() {
        return "*Not written yet.*".into();
    }
    parts.join("\n\n")
}

/// Plain text as inline content: each line trimmed and escaped, empty lines
/// left out, the rest joined by `join` (a space, or a hard break).
pub fn inline(text: &str, join: &str) -> String {
    unify_breaks(text)
        .split('\n')
        .map(escape_line)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(join)
}

/// `\r\n` and `\r` as `\n`, and runs of blank lines as one.
fn unify_breaks(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').map(str::trim).collect();
    let mut out: Vec<&str> = Vec::new();
    for line in lines {
        if !(line.is_empty() && out.last().is_some_and(|l| l.is_empty())) {
            out.push(line);
        }
    }
    out.join("\n")
}

/// One line, trimmed, with every ASCII punctuation character escaped, tabs
/// as spaces and other control characters left out.
fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.trim().chars() {
        match c {
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::incident::*;
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    use serde_json::json;

    const HOSTILE: &str = "# not a heading\n| a | b |\n|---|---|\n```\nfence\n<script>alert(1)</script> `code` [x](javascript:alert(2)) *em* &amp; 1. one\n    indented\n- item\n\n===";

    fn at(hms: &str) -> DateTime<Utc> {
        format!("2026-11-26T{hms}Z").parse().unwrap()
    }

    fn entry(
        id: i64,
        kind: EntryKind,
        when: &str,
        body: &str,
        details: serde_json::Value,
    ) -> TimelineEntry {
        TimelineEntry {
            id,
            kind,
            at: at(when),
            written_at: at(when),
            actor: "user:rita".into(),
            body: body.into(),
            html: None,
            audit_event_id: Some(100 + id),
            service: None,
            outcome: None,
            link: None,
            details,
            pinned: id == 3,
        }
    }

    fn sample() -> IncidentDetail {
        let timeline = vec![
            entry(
                1,
                EntryKind::Status,
                "10:00:00",
                "declared SEV1, investigating",
                json!({}),
            ),
            entry(2, EntryKind::Note, "10:05:00", HOSTILE, json!({})),
            entry(
                3,
                EntryKind::Severity,
                "10:30:00",
                "SEV1 → SEV2",
                json!({"from": "SEV1", "to": "SEV2"}),
            ),
            entry(
                4,
                EntryKind::Status,
                "11:00:00",
                "investigating → resolved",
                json!({}),
            ),
        ];
        IncidentDetail {
            incident: IncidentSummary {
                id: 7,
                title: format!("Checkout {HOSTILE}"),
                severity: Severity::Sev2,
                status: Status::Resolved,
                commander: "user:rita".into(),
                services: vec!["production/web".into()],
                declared_at: at("10:00:00"),
                started_at: at("09:50:00"),
                original_started_at: Some(at("10:00:00")),
                acknowledged_at: Some(at("10:05:00")),
                resolved_at: Some(at("11:00:00")),
            },
            summary: String::new(),
            declared_by: "user:rita".into(),
            timeline,
            scribe: Some("user:sam".into()),
            responders: vec!["user:vic".into(), "user:dee".into()],
            suspected: vec![SuspectedCause {
                change: Change {
                    deployment: 12,
                    service: "production/web".into(),
                    kind: "deploy".into(),
                    release: Some(3),
                    started_at: at("09:45:00"),
                },
                linked_by: "user:rita".into(),
                linked_at: at("10:01:00"),
            }],
            postmortem: Postmortem {
                summary: format!("First paragraph.\n\n{HOSTILE}"),
                went_well: "| pipes | in | a | row |".into(),
                action_items: vec![ActionItem {
                    id: 1,
                    text: "Add a `canary` | step\n# now".into(),
                    owner: "<b>ops</b>".into(),
                    due: chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
                    done: true,
                }],
                ..Postmortem::default()
            },
        }
    }

    /// The document's blocks as (heading level or list-item depth, text).
    fn blocks(markdown: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut depth = 0;
        for event in Parser::new(markdown) {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    out.push((format!("{level:?}"), String::new()))
                }
                Event::Start(Tag::Item) => {
                    depth += 1;
                    out.push(("item".into(), String::new()));
                }
                Event::End(TagEnd::Item) => depth -= 1,
                Event::Start(Tag::Paragraph) if depth == 0 => out.push(("p".into(), String::new())),
                Event::Text(t) => out.last_mut().unwrap().1.push_str(&t),
                Event::SoftBreak => out.last_mut().unwrap().1.push(' '),
                Event::HardBreak => out.last_mut().unwrap().1.push('\n'),
                Event::Start(Tag::Emphasis) | Event::End(TagEnd::Emphasis) => {}
                Event::Start(Tag::List(_)) | Event::End(_) => {}
                other => panic!("the export holds {other:?}:\n{markdown}"),
            }
        }
        assert_eq!(depth, 0);
        out
    }

    #[test]
    fn hostile_text_stays_text_and_the_structure_holds() {
        let md = render(&sample(), at("12:00:00"));
        let blocks = blocks(&md);
        let headings: Vec<&str> = blocks
            .iter()
            .filter(|(k, _)| k.starts_with('H'))
            .map(|(k, t)| {
                if k == &format!("{:?}", HeadingLevel::H1) {
                    "title"
                } else {
                    t.as_str()
                }
            })
            .collect();
        assert_eq!(
            headings,
            [
                "title",
                "Time in each severity",
                "Affected services",
                "Suspected cause",
                "Summary",
                "Impact",
                "Contributing factors",
                "What went well",
                "What went badly",
                "Action items",
                "Timeline (UTC)"
            ]
        );
        let flat = |t: &str| {
            t.split('\n')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            blocks[0].1,
            format!("Postmortem: incident #7 — Checkout {}", flat(HOSTILE))
        );
        let summary = blocks.iter().position(|(_, t)| t == "Summary").unwrap();
        assert_eq!(blocks[summary + 1], ("p".into(), "First paragraph.".into()));
        let hostile_lines = |t: &str| {
            t.split('\n')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (before, after) = HOSTILE.split_once("\n\n").unwrap();
        assert_eq!(blocks[summary + 2].1, hostile_lines(before));
        assert_eq!(blocks[summary + 3].1, after);
        assert!(blocks
            .iter()
            .any(|(k, t)| k == "p" && t == "| pipes | in | a | row |"));
        assert!(blocks.iter().any(|(k, t)| k == "item"
            && t == "done: Add a `canary` | step # now (owner: <b>ops</b>; due: 2026-12-01)"));
    }

    #[test]
    fn the_export_gives_the_times_the_severities_and_the_timeline_in_order() {
        let md = render(&sample(), at("12:00:00"));
        let items: Vec<String> = blocks(&md)
            .into_iter()
            .filter(|(k, _)| k == "item")
            .map(|(_, t)| t)
            .collect();
        for fact in [
            "Declared: 2026-11-26 10:00:00 UTC",
            "Impact began: 2026-11-26 09:50:00 UTC (corrected; first recorded 2026-11-26 10:00:00 UTC)",
            "Acknowledged: 2026-11-26 10:05:00 UTC",
            "Resolved: 2026-11-26 11:00:00 UTC",
            "Scribe: sam",
            "Responders: vic, dee",
            "SEV1: 30 min 0 s",
            "SEV2: 30 min 0 s",
            "SEV3: 0 s",
            "production/web",
            "deploy of production/web to release #3 (deployment #12), started 2026-11-26 09:45:00 UTC",
        ] {
            assert!(items.iter().any(|i| i == fact), "{fact} in {items:#?}");
        }
        let timeline: Vec<&String> = items.iter().filter(|i| i.starts_with("2026-")).collect();
        assert_eq!(timeline.len(), 4, "{timeline:#?}");
        assert_eq!(
            timeline[0],
            "2026-11-26 10:00:00 UTC — status — rita (audit #101):\ndeclared SEV1, investigating"
        );
        assert!(timeline[1].starts_with(
            "2026-11-26 10:05:00 UTC — note — rita (audit #102):\n# not a heading\n| a | b |"
        ));
        assert!(timeline[2].ends_with("SEV1 → SEV2"));
        assert!(
            timeline[2].starts_with(
                "2026-11-26 10:30:00 UTC — severity — rita — key moment (audit #103):"
            ),
            "{}",
            timeline[2]
        );
        assert!(timeline[3].ends_with("investigating → resolved"));
    }
}
