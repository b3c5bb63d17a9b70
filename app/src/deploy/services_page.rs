//! `/services`: every service, where it runs and how it is doing.

use super::api::list_services;
use super::widgets::StateBadge;
use super::ServiceSummary;
use crate::auth::Permission;
use crate::format::ago;
use crate::layout::ui::*;
use crate::layout::use_signed_in;
use crate::layout::{reload_on, ErrorNotice, PageHeader};
use crate::live::use_live_tick;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// An island page (`app::ISLAND_PAGES`): the server reads the list and
/// hands it to [`ServicesList`], which follows it live.
#[component]
pub fn ServicesPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| list_services());
    let me = use_signed_in();
    view! {
        <Title text="Services"/>
        <PageHeader title="Services" subtitle="What runs where, how healthy it is, and how its last deployment went.">
            <Suspense>
                {move || Suspend::new(async move {
                    let can = me.user().await.is_some_and(|u| u.can(Permission::Deploy));
                    can.then(|| view! { <a href="/services/new" class=BUTTON_PRIMARY data-test="new-service">"New service"</a> })
                })}
            </Suspense>
        </PageHeader>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading services…"</p> }>
            {move || Suspend::new(async move {
                view! { <ServicesList first=first.await/> }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The services table, starting from the server's reading and read
    /// again whenever any service or deployment changes, anywhere.
    fn ServicesList(first: Result<Vec<ServiceSummary>, AppError>) -> impl IntoView {
        let tick = use_live_tick(|| "/service-events".to_string());
        let services = RwSignal::new(first);
        reload_on(move || tick.get(), services, || crate::layout::ask::<super::api::ListServices>(&[]));
        view! {
            {move || match services.get() {
                Ok(list) if list.is_empty() => view! {
                    <p class="text-slate-500" data-test="no-services">"No services yet. Create one, then deploy an image tag to it."</p>
                }.into_any(),
                Ok(list) => view! { <ServicesTable services=list/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
        }
    }
}

#[component]
fn ServicesTable(services: Vec<ServiceSummary>) -> impl IntoView {
    let rows = services
        .into_iter()
        .map(|s| view! { <ServiceRow s=s/> })
        .collect_view();
    view! {
        <DataTable test="services-table" headers=&["Service", "Image", "Live release", "Healthy / desired", "Last deployment"]>{rows}</DataTable>
    }
}

#[component]
fn ServiceRow(s: ServiceSummary) -> impl IntoView {
    let href = format!("/services/{}/{}", s.environment, s.name);
    let live = s
        .live
        .map(|r| format!("#{} {}", r.number, r.tag))
        .unwrap_or_else(|| "none yet".into());
    let replicas = replicas_cell(s.healthy, s.desired);
    let last = s.last.map(|d| {
        let href = format!("/deployments/{}", d.id);
        view! {
            <a href=href class="inline-flex items-center gap-2">
                <StateBadge state=d.state/>
                <span class="text-xs text-slate-500">{format!("{} {} · {}", d.kind, d.release_text(), ago(d.started_at))}</span>
            </a>
        }
    });
    view! {
        <tr class=ROW data-test=format!("service-{}-{}", s.environment, s.name)>
            <td class=CELL>
                <a href=href class=LINK>{s.name.clone()}</a>
                <span class="ml-2 text-xs text-slate-500">{s.environment.clone()}</span>
            </td>
            <td class=format!("{CELL} font-mono text-xs")>{s.image}</td>
            <td class=CELL data-test="live">{live}</td>
            <td class=CELL>{replicas}</td>
            <td class=CELL>{last}</td>
        </tr>
    }
}

/// `2 / 3` in red when fewer replicas are healthy than desired; `? / 3`
/// when the engine could not be asked.
pub fn replicas_cell(healthy: Option<i32>, desired: i32) -> impl IntoView {
    let (text, colour) = match healthy {
        Some(h) if h >= desired => (
            format!("{h} / {desired}"),
            "text-emerald-700 dark:text-emerald-300",
        ),
        Some(h) => (format!("{h} / {desired}"), "text-red-700 dark:text-red-300"),
        None => (format!("? / {desired}"), "text-slate-500"),
    };
    view! { <span class=format!("font-mono {colour}") data-test="replicas">{text}</span> }
}
