//! `/dashboard/deployments`: the deployments behind one of the dashboard's
//! figures, for the same period, scope and rollback window — so "3 failed
//! deployments" opens those three.

use super::api::read_dashboard_records;
use super::{view_query, Behind, RecordRow, Records};
use crate::format::{duration, utc};
use crate::layout::ui::*;
use crate::layout::PageHeader;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RecordsPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        let q = query.read();
        let number = |k: &str| q.get(k).and_then(|d| d.parse().ok()).unwrap_or(0);
        (
            number("days"),
            q.get("scope").unwrap_or_default(),
            number("window"),
            q.get("show").unwrap_or_default(),
        )
    });
    let records = Resource::new(
        move || asked.get(),
        |(days, scope, window, show)| read_dashboard_records(days, scope, window, show),
    );
    view! {
        <Title text="Deployments behind the dashboard"/>
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match records.await {
                    Ok(r) => view! { <RecordsView records=r/> }.into_any(),
                    Err(e) => view! {
                        <PageHeader title="Deployments behind the dashboard" subtitle=""/>
                        <ErrorNotice error=e/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RecordsView(records: Records) -> impl IntoView {
    let r = records;
    let query = view_query(r.days, &r.scope, r.window_hours);
    let scope = if r.scope.is_empty() {
        "all services".to_string()
    } else {
        r.scope.clone()
    };
    let subtitle = format!(
        "{} in the last {} days, {scope}; a person's rollback within {} h counts as a failure.",
        r.total, r.days, r.window_hours
    );
    let tabs = Behind::ALL
        .into_iter()
        .map(|b| {
            let href = super::records_href(&query, b);
            let class = if b == r.behind {
                "font-semibold underline"
            } else {
                LINK
            };
            view! { <a class=class href=href>{b.title()}</a> }
        })
        .collect_view();
    let shown = (r.total > r.rows.len())
        .then(|| format!("The newest {} of {} are shown.", r.rows.len(), r.total));
    let rows = r
        .rows
        .into_iter()
        .map(|row| view! { <Row row=row/> })
        .collect_view();
    view! {
        <PageHeader title=r.behind.title() subtitle="The records behind the dashboard's figure, newest first."/>
        <p class="mb-4 text-sm text-slate-600 dark:text-slate-300" data-test="records-summary">{subtitle}</p>
        <nav class="mb-4 flex flex-wrap gap-4 text-sm" data-test="records-tabs">
            <a class=LINK href=format!("/?{query}")>"← Dashboard"</a>
            {tabs}
        </nav>
        <DataTable test="records" headers=&["Deployment", "Service", "Outcome", "Live / ended", "Failed because", "Recovered after", "Lead time", "Fixes"]>{rows}</DataTable>
        <p class="mt-2 text-xs text-slate-500">{shown}</p>
    }
}

#[component]
fn Row(row: RecordRow) -> impl IntoView {
    let dash = || "—".to_string();
    view! {
        <tr class=ROW data-test="record">
            <td class=CELL><a class=LINK href=format!("/deployments/{}", row.deployment)>{format!("#{}", row.deployment)}</a></td>
            <td class=format!("{CELL} font-mono text-xs")>{row.service}</td>
            <td class=format!("{CELL} text-xs")>{row.state}</td>
            <td class=format!("{CELL} text-xs")>{row.finished_at.map(utc).unwrap_or_else(dash)}</td>
            <td class=format!("{CELL} text-xs")>{row.failed_because.unwrap_or_else(dash)}</td>
            <td class=format!("{CELL} text-xs")>{row.recovery_secs.map(duration).unwrap_or_else(dash)}</td>
            <td class=format!("{CELL} text-xs")>{row.lead_secs.map(duration).unwrap_or_else(dash)}</td>
            <td class=format!("{CELL} text-xs")>{row.fixes_incident.map(|i| view! { <a class=LINK href=format!("/incidents/{i}")>{format!("#{i}")}</a> })}</td>
        </tr>
    }
}
