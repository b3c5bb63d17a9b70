//! The timeline of an incident and the badges of its severity and status.

use super::api::PinIncidentEntry;
use super::{EntryKind, Severity, Status, TimelineEntry};
use crate::format::utc;
use crate::layout::ui::*;
use crate::layout::{PostForm, PostOf};
use leptos::prelude::*;

#[component]
pub fn SeverityBadge(severity: Severity) -> impl IntoView {
    let tone = match severity {
        Severity::Sev1 => Tone::Bad,
        Severity::Sev2 => Tone::Warn,
        Severity::Sev3 => Tone::Info,
    };
    view! { <span title=severity.meaning()><Badge text=severity.as_str() tone=tone test="incident-severity"/></span> }
}

#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    let tone = match status {
        Status::Investigating => Tone::Bad,
        Status::Identified | Status::Monitoring => Tone::Warn,
        Status::Resolved => Tone::Good,
    };
    view! { <Badge text=status.as_str() tone=tone test="incident-status"/> }
}

/// Every entry, in the order things happened; with `pin` (the incident
/// and the action, for those who may), each can be pinned as a key moment.
#[component]
pub fn Timeline(
    entries: Vec<TimelineEntry>,
    pin: Option<(i64, PostOf<PinIncidentEntry>)>,
) -> impl IntoView {
    let items = entries
        .into_iter()
        .map(|e| view! { <Entry entry=e pin=pin/> })
        .collect_view();
    view! { <ol class=format!("{CARD} space-y-3") data-test="timeline">{items}</ol> }
}

#[component]
fn Entry(entry: TimelineEntry, pin: Option<(i64, PostOf<PinIncidentEntry>)>) -> impl IntoView {
    let e = entry;
    let key = e
        .pinned
        .then(|| view! { <Badge text="key moment" tone=Tone::Good test="entry-pinned"/> });
    let toggle = pin.map(|(incident, action)| {
        let label = if e.pinned { "Unpin" } else { "Pin" };
        view! {
            <PostForm action=action attr:class="inline">
                <input type="hidden" name="id" value=incident.to_string()/>
                <input type="hidden" name="entry" value=e.id.to_string()/>
                <input type="hidden" name="pinned" value=(!e.pinned).to_string()/>
                <button type="submit" class=BUTTON data-test="entry-pin">{label}</button>
            </PostForm>
        }
    });
    // A note told afterwards shows when it was written as well.
    let written = ((e.written_at - e.at).num_seconds() >= 60)
        .then(|| format!(" (written {})", utc(e.written_at)));
    let tone = match (e.kind, e.outcome.as_deref()) {
        (EntryKind::Action, Some("failure")) => Tone::Bad,
        (EntryKind::Action, Some("success")) => Tone::Good,
        (EntryKind::Note, _) => Tone::Info,
        _ => Tone::Warn,
    };
    let content = match e.html {
        // Rendered from markdown and sanitized by ammonia on the server.
        Some(html) => {
            view! { <div class="break-words text-sm" data-test="entry-note" inner_html=html></div> }
                .into_any()
        }
        None => {
            view! { <p class="break-words text-sm" data-test="entry-body">{e.body.clone()}</p> }
                .into_any()
        }
    };
    let link = e.link.map(|href| view! { <a class=format!("{LINK} text-xs") href=href.clone() data-test="entry-link">{href.clone()}</a> });
    let audit = e
        .audit_event_id
        .map(|id| view! { <span class="text-xs text-slate-500" data-test="entry-audit">{format!("audit #{id}")}</span> });
    view! {
        <li class="flex flex-col gap-1" data-test="entry" data-kind=e.kind.as_str() data-pinned=e.pinned.to_string()>
            <div class="flex flex-wrap items-center gap-2 text-xs text-slate-500">
                <span class="font-mono">{utc(e.at)}{written}</span>
                <Badge text=e.kind.as_str() tone=tone/>
                <span>{e.actor.trim_start_matches("user:").to_string()}</span>
                {link}
                {audit}
                {key}
                {toggle}
            </div>
            {content}
        </li>
    }
}
