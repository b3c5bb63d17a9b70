//! `/runbooks`: every runbook at its current version, and full-text search
//! over them (`?q=`, a GET form, so a search has a URL and works without
//! JavaScript). Opened from an incident (`?incident=N`), every link
//! carries it on, so that a run started from the runbook is for it.

use super::api::{list_runbooks, search_runbooks};
use super::widgets::{Services, Tags};
use super::{RunbookSummary, SearchHit};
use crate::auth::Permission;
use crate::format::utc;
use crate::layout::ui::*;
use crate::layout::{use_signed_in, ErrorNotice, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// What the page shows: the whole list, or the hits of a search.
#[derive(Clone, Serialize, Deserialize)]
enum Listing {
    All(Vec<RunbookSummary>),
    Hits(String, Vec<SearchHit>),
}

#[component]
pub fn RunbooksPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let incident = query
        .read_untracked()
        .get("incident")
        .filter(|i| i.parse::<i64>().is_ok());
    let link = {
        let incident = incident.clone();
        move |slug: &str| match &incident {
            Some(i) => format!("/runbooks/{slug}?incident={i}"),
            None => format!("/runbooks/{slug}"),
        }
    };
    let listing = Resource::new(
        move || q.get(),
        |q| async move {
            if q.trim().is_empty() {
                list_runbooks().await.map(Listing::All)
            } else {
                search_runbooks(q.clone())
                    .await
                    .map(|h| Listing::Hits(q, h))
            }
        },
    );
    let me = use_signed_in();
    view! {
        <Title text="Runbooks"/>
        <PageHeader title="Runbooks" subtitle="Procedures to follow, kept in versions: every save is a new one, nothing is lost.">
            <Suspense>
                {move || Suspend::new(async move {
                    let may = me.user().await.is_some_and(|u| u.can(Permission::EditRunbooks));
                    may.then(|| view! { <a class=BUTTON_PRIMARY href="/runbooks/new" data-test="new-runbook">"New runbook"</a> })
                })}
            </Suspense>
        </PageHeader>
        <form method="get" action="/runbooks" class="mb-4 flex flex-wrap items-end gap-2" role="search" data-test="runbook-search">
            <label class=LABEL>"Search titles, tags and text"
                <input type="search" name="q" value=q.get_untracked() maxlength="200" placeholder="roll back \"health check\" -staging" class=format!("{INPUT} w-96")/>
            </label>
            {incident.clone().map(|i| view! { <input type="hidden" name="incident" value=i/> })}
            <button type="submit" class=BUTTON_SECONDARY data-test="runbook-search-submit">"Search"</button>
        </form>
        {incident.map(|i| view! {
            <p class="mb-4 text-sm" data-test="for-incident">{format!("Pick the runbook to follow for incident #{i}: its run will be on the incident's timeline.")}</p>
        })}
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || {
                let link = link.clone();
                Suspend::new(async move {
                match listing.await {
                    Ok(Listing::All(list)) => view! { <RunbooksTable runbooks=list link=link/> }.into_any(),
                    Ok(Listing::Hits(q, hits)) => view! { <Hits q=q hits=hits link=link/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}}
        </Transition>
    }
}

#[component]
fn RunbooksTable(
    runbooks: Vec<RunbookSummary>,
    link: impl Fn(&str) -> String + 'static,
) -> impl IntoView {
    if runbooks.is_empty() {
        return view! { <p class="text-sm text-slate-500" data-test="no-runbooks">"No runbooks yet."</p> }.into_any();
    }
    let rows = runbooks
        .into_iter()
        .map(|r| {
            view! {
                <tr class=format!("{ROW} align-top") data-test=format!("runbook-{}", r.slug)>
                    <td class=CELL><a class=LINK href=link(&r.slug)>{r.title.clone()}</a></td>
                    <td class=CELL><Tags tags=r.tags/></td>
                    <td class=CELL><Services services=r.services/></td>
                    <td class=format!("{CELL} font-mono text-xs")>{format!("v{}", r.version)}</td>
                    <td class=format!("{CELL} whitespace-nowrap font-mono text-xs")>{utc(r.updated_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable test="runbooks-table" headers=&["Title", "Tags", "Services", "Version", "Updated"]>{rows}</DataTable>
    }
    .into_any()
}

#[component]
fn Hits(q: String, hits: Vec<SearchHit>, link: impl Fn(&str) -> String + 'static) -> impl IntoView {
    let count = match hits.len() {
        0 => "No runbook matches".to_string(),
        1 => "1 runbook matches".to_string(),
        n => format!("{n} runbooks match"),
    };
    let items = hits
        .into_iter()
        .map(|h| {
            // The snippet is HTML made on the server: the runbook's text
            // escaped, only the <mark>s around the matches are markup.
            view! {
                <li class="py-3" data-test="search-hit" data-slug=h.slug.clone()>
                    <a class=LINK href=link(&h.slug)>{h.title.clone()}</a>
                    <span class="ml-2 font-mono text-xs text-slate-500">{format!("v{}", h.version)}</span>
                    <p class=format!("{} mt-1 text-slate-600 dark:text-slate-300", super::widgets::PROSE) data-test="search-snippet" inner_html=h.snippet></p>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="mb-2 text-sm text-slate-500" data-test="search-count">{count} " for “" {q} "”. " <a class=LINK href="/runbooks">"All runbooks"</a></p>
        <ul class="divide-y divide-slate-200 dark:divide-slate-800" data-test="search-hits">{items}</ul>
    }
}
