use super::api::{list_audit, AuditPageData, VerifyAudit};
use super::filter::AuditFilter;
use super::AuditEvent;
use crate::format::utc;
use crate::layout::ui::{Badge, Tone, BUTTON_PRIMARY, BUTTON_SECONDARY, INPUT};
use crate::layout::{ErrorNotice, PageHeader};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/admin/audit`: filter, page through, inspect, export and verify the log.
/// The filter is a GET form and the check a POST form, so every view has a
/// URL and the page ships no code (`SERVER_ONLY`).
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        AuditFilter {
            actor: q.get("actor"),
            action: q.get("action"),
            target: q.get("target"),
            outcome: q.get("outcome"),
            since: q.get("since"),
            until: q.get("until"),
        }
    });
    let before = Memo::new(move |_| {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    });
    // Where a posted check failed, the form redirect says so in the query
    // (`__path`, `__err`). The error text is not shown: anyone can write
    // such a link, and this page is where admins decide whom to trust.
    let failed = {
        let q = query.read_untracked();
        q.get("__path").as_deref() == Some(VerifyAudit::PATH) && q.get("__err").is_some()
    };
    let page = Resource::new(
        move || (filter.get(), before.get()),
        |(f, b)| list_audit(f, b),
    );
    view! {
        <Title text="Audit log"/>
        <PageHeader title="Audit log" subtitle="Every action, append-only and hash-chained.">
            <Suspense>
                {move || Suspend::new(async move {
                    page.await.ok().map(|data| view! { <Verify last=data.last_check failed=failed/> })
                })}
            </Suspense>
        </PageHeader>
        <FilterForm filter=filter.get_untracked()/>
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(data) => view! { <Results data=data filter=filter.get_untracked()/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The chain check: a plain form posting to `verify_audit`, which records
/// the check and sends the browser back here, and the newest recorded check
/// (so the page needs no code, and shows when the chain was last proven).
#[component]
fn Verify(last: Option<AuditEvent>, failed: bool) -> impl IntoView {
    let last = last.map(|e| {
        let summary = e.details.get("result").and_then(|r| r.as_str()).unwrap_or_default().to_string();
        let class = if e.outcome == super::Outcome::Success {
            "text-emerald-700 dark:text-emerald-300"
        } else {
            "text-red-700 dark:text-red-300"
        };
        view! {
            <span class="text-xs text-slate-500" data-test="verify-when">{format!("Last checked {} by {}.", utc(e.at), e.actor)}</span>
            <span data-test="verify-result" class=format!("text-sm {class}")>{summary}</span>
        }
    });
    view! {
        <form method="post" action=VerifyAudit::url() class="flex flex-wrap items-center gap-3">
            {failed.then(|| view! {
                <span role="alert" data-test="verify-error" class="text-sm text-red-700 dark:text-red-300">
                    "The check could not be completed; see the server log."
                </span>
            })}
            {last}
            <button type="submit" data-test="verify-chain" class=BUTTON_SECONDARY>"Verify chain"</button>
        </form>
    }
}

#[component]
fn FilterForm(filter: AuditFilter) -> impl IntoView {
    let field =
        |label: &'static str, name: &'static str, value: Option<String>, hint: &'static str| {
            view! {
                <label class="block text-xs font-medium text-slate-500">
                    {label}
                    <input name=name value=value.unwrap_or_default() placeholder=hint
                        class=format!("{INPUT} mt-1 block w-full")/>
                </label>
            }
        };
    view! {
        <form method="get" action="/admin/audit" class="mb-4 grid grid-cols-2 gap-3 md:grid-cols-7 items-end">
            {field("Actor", "actor", filter.actor, "user:alice")}
            {field("Action", "action", filter.action, "user.")}
            {field("Target", "target", filter.target, "user:bob")}
            {field("Outcome", "outcome", filter.outcome, "denied")}
            {field("Since (UTC)", "since", filter.since, "2026-11-22T00:00")}
            {field("Until (UTC)", "until", filter.until, "2026-11-23T00:00")}
            <button type="submit" data-test="audit-filter" class=BUTTON_PRIMARY>"Filter"</button>
        </form>
    }
}

#[component]
fn Results(data: AuditPageData, filter: AuditFilter) -> impl IntoView {
    let q = filter.query();
    let sep = if q.is_empty() { "" } else { "&" };
    let older = data
        .older_than
        .map(|id| format!("/admin/audit?{q}{sep}before={id}"));
    let export = |format: &str| format!("/admin/audit/export?format={format}{sep}{q}");
    let empty = data.events.is_empty();
    view! {
        <div class="mb-2 flex flex-wrap gap-3 text-sm">
            <a class="underline" href=export("csv") data-test="export-csv">"Export CSV"</a>
            <a class="underline" href=export("json") data-test="export-json">"Export JSON"</a>
            <a class="underline" href=format!("/admin/audit?{q}")>"Newest"</a>
            {older.map(|href| view! { <a class="underline" href=href data-test="older">"Older events"</a> })}
        </div>
        {empty.then(|| view! { <p class="text-slate-500" data-test="audit-empty">"No events match this filter."</p> })}
        <ol class="divide-y divide-slate-200 rounded-md border border-slate-200 dark:divide-slate-800 dark:border-slate-800" data-test="audit-events">
            {data.events.into_iter().map(|e| view! { <EventRow event=e/> }).collect_view()}
        </ol>
    }
}

#[component]
fn EventRow(event: AuditEvent) -> impl IntoView {
    let tone = match event.outcome {
        super::Outcome::Success => Tone::Good,
        super::Outcome::Intent => Tone::Info,
        _ => Tone::Bad,
    };
    let details = serde_json::to_string_pretty(&event.details).unwrap_or_default();
    view! {
        <li class="px-4 py-2 text-sm">
            <details>
                <summary class="flex cursor-pointer flex-wrap items-center gap-x-4 gap-y-1">
                    <span class="font-mono text-xs text-slate-500">"#" {event.id}</span>
                    <span class="font-mono text-xs">{utc(event.at)}</span>
                    <span>{event.actor}</span>
                    <span class="font-medium">{event.action}</span>
                    <span class="text-slate-500">{event.target}</span>
                    <Badge text=event.outcome.as_str() tone=tone/>
                </summary>
                <dl class="mt-2 grid grid-cols-1 gap-1 text-xs md:grid-cols-2">
                    <div>"Request: " <span class="font-mono">{event.request_id.unwrap_or_else(|| "—".into())}</span></div>
                    <div>"Client: " <span class="font-mono">{event.client_addr.unwrap_or_else(|| "—".into())}</span></div>
                    <div class="break-all">"Hash: " <span class="font-mono">{event.hash}</span></div>
                    <div class="break-all">"Previous: " <span class="font-mono">{event.prev_hash}</span></div>
                </dl>
                <pre class="mt-2 overflow-x-auto rounded-md bg-slate-100 p-2 text-xs dark:bg-slate-900">{details}</pre>
            </details>
        </li>
    }
}
