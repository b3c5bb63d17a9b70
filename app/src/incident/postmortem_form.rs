//! The postmortem on the incident's page: what was written (live, with its
//! action items and the markdown export) and, for those who manage
//! incidents, the form that writes it once the incident is resolved.

use super::api::{AddIncidentActionItem, SaveIncidentPostmortem, SetIncidentActionItemDone};
use super::{ActionItem, Postmortem, Severity};
use crate::format::duration;
use crate::format::utc;
use crate::layout::html_text;
use crate::layout::ui::*;
use crate::layout::{PostForm, PostOf};
use leptos::prelude::*;

/// The written postmortem, its action items (ticked off here by those who
/// may) and the link to its markdown export.
#[component]
pub fn PostmortemView(
    id: i64,
    postmortem: Postmortem,
    /// Seconds at each severity; empty while the incident is open.
    severities: Vec<(Severity, i64)>,
    may: bool,
    toggle: PostOf<SetIncidentActionItemDone>,
) -> impl IntoView {
    let p = postmortem;
    let sections = p
        .sections()
        .into_iter()
        .filter(|(_, text)| !text.is_empty())
        .map(|(heading, text)| {
            view! {
                <h3 class="mt-3 text-sm font-medium">{heading}</h3>
                <p class="whitespace-pre-wrap break-words text-sm" data-test="postmortem-section">{text.to_string()}</p>
            }
        })
        .collect_view();
    let updated = p.updated.clone().map(|(who, at)| {
        format!(
            "Last saved by {} at {}",
            who.trim_start_matches("user:"),
            utc(at)
        )
    });
    let spent = severities
        .into_iter()
        .map(|(s, secs)| format!("{}: {}", s.as_str(), duration(secs)))
        .collect::<Vec<_>>()
        .join(" · ");
    let items = p
        .action_items
        .into_iter()
        .map(|item| view! { <Item id=id item=item may=may toggle=toggle/> })
        .collect_view();
    view! {
        <section class=format!("{CARD} mt-6") data-test="postmortem">
            <div class="flex flex-wrap items-center gap-3">
                <h2 class="font-medium">"Postmortem"</h2>
                <a class=BUTTON href=format!("/incidents/{id}/postmortem.md") data-test="postmortem-export">"Export markdown"</a>
                <span class="text-xs text-slate-500">{updated.unwrap_or_else(|| "Not written yet.".into())}</span>
            </div>
            <p class="mt-2 text-xs text-slate-500" data-test="time-in-severity">{spent}</p>
            {sections}
            <h3 class="mt-3 text-sm font-medium">"Action items"</h3>
            <ul class="mt-1 space-y-1 text-sm" data-test="action-items">{items}</ul>
        </section>
    }
}

#[component]
fn Item(
    id: i64,
    item: ActionItem,
    may: bool,
    toggle: PostOf<SetIncidentActionItemDone>,
) -> impl IntoView {
    let owner = if item.owner.is_empty() {
        "nobody yet".to_string()
    } else {
        item.owner.clone()
    };
    let due = item
        .due
        .map(|d| d.to_string())
        .unwrap_or_else(|| "no date".into());
    let state = if item.done { "done" } else { "open" };
    let button = may.then(|| {
        let label = if item.done { "Reopen" } else { "Mark done" };
        view! {
            <PostForm action=toggle attr:class="inline">
                <input type="hidden" name="id" value=id.to_string()/>
                <input type="hidden" name="item" value=item.id.to_string()/>
                <input type="hidden" name="done" value=(!item.done).to_string()/>
                <button type="submit" class=BUTTON data-test="action-item-toggle">{label}</button>
            </PostForm>
        }
    });
    view! {
        <li class="flex flex-wrap items-center gap-2" data-test="action-item" data-done=item.done.to_string()>
            <Badge text=state tone=if item.done { Tone::Good } else { Tone::Warn }/>
            <span class="break-words">{item.text.clone()}</span>
            <span class="text-xs text-slate-500">{format!("owner: {owner}; due: {due}")}</span>
            {button}
        </li>
    }
}

/// The sections, prefilled with what was saved, and a new action item.
#[component]
pub fn PostmortemForm(
    id: i64,
    postmortem: Postmortem,
    save: PostOf<SaveIncidentPostmortem>,
    add: PostOf<AddIncidentActionItem>,
) -> impl IntoView {
    let p = postmortem;
    let fields = [
        ("summary", "Summary", p.summary.clone()),
        ("impact", "Impact", p.impact.clone()),
        ("contributing_factors", "Contributing factors", p.contributing_factors.clone()),
        ("went_well", "What went well", p.went_well.clone()),
        ("went_badly", "What went badly", p.went_badly.clone()),
    ]
    .into_iter()
    .map(|(name, label, text)| {
        // A textarea's text is raw: escaped here, or `</textarea>` ends it.
        view! { <label class=LABEL>{label} <textarea name=name rows="3" maxlength="20000" class=INPUT data-test=format!("postmortem-{name}")>{html_text(&text)}</textarea></label> }
    })
    .collect_view();
    view! {
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 font-medium">"Write the postmortem"</h2>
            <PostForm action=save attr:class="flex flex-col gap-3" attr:data-test="save-postmortem">
                <input type="hidden" name="id" value=id.to_string()/>
                {fields}
                <div><button type="submit" class=BUTTON_PRIMARY data-test="save-postmortem-submit">"Save postmortem"</button></div>
            </PostForm>
            <PostForm action=add attr:class="mt-4 flex flex-wrap items-end gap-2" attr:data-test="add-action-item">
                <input type="hidden" name="id" value=id.to_string()/>
                <label class=LABEL>"Action item" <input name="text" required maxlength="500" class=format!("{INPUT} w-80")/></label>
                <label class=LABEL>"Owner" <input name="owner" maxlength="100" class=INPUT/></label>
                <label class=LABEL>"Due" <input name="due" type="date" class=INPUT/></label>
                <button type="submit" class=BUTTON_SECONDARY data-test="add-action-item-submit">"Add action item"</button>
            </PostForm>
        </section>
    }
}
