//! `/incidents`: every incident, open ones first, live; those who may
//! declare one do it here, choosing the severity by what it means.

use super::api::{list_incidents, list_recent_changes, read_incident_measures, DeclareIncident};
use super::api::{ListIncidents, ReadIncidentMeasures};
use super::measures::{Measure, Spread};
use super::timeline::{SeverityBadge, StatusBadge};
use super::RecentChange;
use super::{IncidentSummary, Severity};
use crate::auth::Permission;
use crate::deploy::api::list_services;
use crate::format::{duration, utc};
use crate::layout::ask;
use crate::layout::ui::*;
use crate::layout::use_signed_in;
use crate::layout::{reload_on, PageHeader};
use crate::layout::{Post, PostForm, PostOf};
use crate::live::use_live_tick;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// An island page (`app::ISLAND_PAGES`): the server reads the incidents,
/// the response times and, for those who may declare, the services and
/// their recent changes the declare form offers, and hands them to
/// [`IncidentsBoard`].
#[component]
pub fn IncidentsPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| list_incidents());
    let measures = Resource::new(|| (), |_| read_incident_measures());
    let me = use_signed_in();
    view! {
        <Title text="Incidents"/>
        <PageHeader title="Incidents" subtitle="Declared incidents, open ones first. Actions on an affected service appear on its timeline by themselves."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may = me.user().await.is_some_and(|u| u.can(Permission::ManageIncidents));
                let (services, recent) = if may { declare_choices().await } else { Default::default() };
                let measures = measures.await.unwrap_or_default();
                view! { <IncidentsBoard first=first.await measures=measures may_declare=may services=services recent=recent/> }
            })}
        </Suspense>
    }
}

/// What the declare form offers: every service (`environment/name`) and
/// the changes of the last 24 hours (a failed read offers none).
async fn declare_choices() -> (Vec<String>, Vec<RecentChange>) {
    let services = list_services()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| format!("{}/{}", s.environment, s.name))
        .collect();
    (services, list_recent_changes().await.unwrap_or_default())
}

crate::island! {
    /// The incidents table and the response times, followed live, and the
    /// declare form; once declared, the commander goes on on the
    /// incident's own page.
    fn IncidentsBoard(
        first: Result<Vec<IncidentSummary>, AppError>,
        measures: Vec<Measure>,
        may_declare: bool,
        services: Vec<String>,
        recent: Vec<RecentChange>,
    ) -> impl IntoView {
        let declare = Post::to::<DeclareIncident>();
        let tick = use_live_tick(|| "/incident-events".to_string());
        let incidents = RwSignal::new(first);
        let measures = RwSignal::new(measures);
        let changed = move || (tick.get(), declare.version().get());
        reload_on(changed, incidents, || ask::<ListIncidents>(&[]));
        reload_on(changed, measures, || async { ask::<ReadIncidentMeasures>(&[]).await.unwrap_or_default() });
        Effect::new(move |_| {
            if let Some(Ok(declared)) = declare.value().get() {
                let _ = window().location().set_href(&declared.url);
            }
        });
        view! {
            <ActionError error=Signal::derive(move || declare.value().get().and_then(Result::err))/>
            {move || match incidents.get() {
                Ok(list) => view! { <IncidentsTable incidents=list/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            {move || view! { <MeasuresTable measures=measures.get()/> }}
            {may_declare.then(|| view! { <DeclareForm action=declare services=services recent=recent/> })}
        }
    }
}

#[component]
fn IncidentsTable(incidents: Vec<IncidentSummary>) -> impl IntoView {
    if incidents.is_empty() {
        return view! {
            <p class="mb-6 text-sm text-slate-500" data-test="no-incidents">"No incidents declared."</p>
        }
        .into_any();
    }
    let rows = incidents
        .into_iter()
        .map(|i| view! { <IncidentRow incident=i/> })
        .collect_view();
    view! {
        <DataTable test="incidents-table" spaced=true headers=&["#", "Title", "Severity", "Status", "Services", "Declared", "Commander"]>{rows}</DataTable>
    }
    .into_any()
}

#[component]
fn IncidentRow(incident: IncidentSummary) -> impl IntoView {
    let i = incident;
    let href = format!("/incidents/{}", i.id);
    view! {
        <tr class=format!("{ROW} align-top") data-test=format!("incident-{}", i.id) data-status=i.status.as_str()>
            <td class=CELL>{i.id}</td>
            <td class=CELL><a class=LINK href=href>{i.title.clone()}</a></td>
            <td class=CELL><SeverityBadge severity=i.severity/></td>
            <td class=CELL><StatusBadge status=i.status/></td>
            <td class=format!("{CELL} text-xs")>{i.services.join(", ")}</td>
            <td class=format!("{CELL} whitespace-nowrap font-mono text-xs")>{utc(i.declared_at)}</td>
            <td class=format!("{CELL} text-xs")>{i.commander.trim_start_matches("user:").to_string()}</td>
        </tr>
    }
}

#[component]
fn DeclareForm(
    action: PostOf<DeclareIncident>,
    services: Vec<String>,
    recent: Vec<RecentChange>,
) -> impl IntoView {
    // The ticked services: their recent changes are offered as the cause.
    let chosen = RwSignal::new(Vec::<String>::new());
    let severities = Severity::ALL
        .into_iter()
        .map(|s| {
            view! {
                <label class="flex items-start gap-2 text-sm">
                    <input type="radio" name="severity" value=s.as_str() required checked=s == Severity::Sev2/>
                    <span><span class="font-medium">{s.as_str()}</span> " — " {s.meaning()}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <section class=format!("{CARD} mb-6")>
            <h2 class="mb-3 font-medium">"Declare an incident"</h2>
            <PostForm action=action attr:class="flex flex-col gap-4" attr:data-test="declare-incident">
                <label class=LABEL>"Title" <input name="title" required maxlength="200" class=INPUT/></label>
                <fieldset class="flex flex-col gap-1">
                    <legend class="mb-1 text-xs font-medium text-slate-600 dark:text-slate-300">"Severity"</legend>
                    {severities}
                </fieldset>
                <fieldset class="flex flex-col gap-1">
                    <legend class="mb-1 text-xs font-medium text-slate-600 dark:text-slate-300">"Affected services"</legend>
                    <ServiceChoice services=services chosen=chosen/>
                </fieldset>
                <SuspectChoice recent=recent chosen=chosen/>
                <label class=LABEL>"Commander (a username; empty: you)" <input name="commander" maxlength="32" class=format!("{INPUT} w-64")/></label>
                <label class=LABEL>"Summary" <textarea name="summary" rows="3" maxlength="10000" class=INPUT></textarea></label>
                <div><button type="submit" class=BUTTON_PRIMARY data-test="declare-submit">"Declare"</button></div>
            </PostForm>
        </section>
    }
}

/// A box per service; ticking one offers its recent changes as the cause.
#[component]
fn ServiceChoice(services: Vec<String>, chosen: RwSignal<Vec<String>>) -> impl IntoView {
    if services.is_empty() {
        return view! { <p class="text-xs text-slate-500">"No services yet."</p> }.into_any();
    }
    services
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let on_change = {
                let name = name.clone();
                move |e| {
                    let on = event_target_checked(&e);
                    chosen.update(|c| {
                        c.retain(|n| n != &name);
                        if on {
                            c.push(name.clone());
                        }
                    });
                }
            };
            view! {
                <label class="inline-flex items-center gap-1 text-sm">
                    <input type="checkbox" name=format!("services[{i}]") value=name.clone() on:change=on_change/>
                    {name.clone()}
                </label>
            }
        })
        .collect_view()
        .into_any()
}

/// The deployments, rollbacks, scales and restarts of the ticked services
/// in the last 24 hours, one of which may be marked as the suspected cause.
#[component]
fn SuspectChoice(recent: Vec<RecentChange>, chosen: RwSignal<Vec<String>>) -> impl IntoView {
    view! {
        <fieldset class="flex flex-col gap-1" data-test="suspect-choice">
            <legend class="mb-1 text-xs font-medium text-slate-600 dark:text-slate-300">"Suspected cause (changes of the ticked services, last 24 hours)"</legend>
            <label class="inline-flex items-center gap-1 text-sm">
                <input type="radio" name="suspected" value="" checked=true/>
                "none known"
            </label>
            {move || suspects(&recent, &chosen.get())}
        </fieldset>
    }
}

fn suspects(all: &[RecentChange], chosen: &[String]) -> impl IntoView {
    all.iter()
        .filter(|r| chosen.contains(&r.change.service))
        .map(|r| {
            let text = format!(
                "{} — {}, by {}, {}",
                r.change.describe(),
                r.state,
                r.actor.trim_start_matches("user:"),
                utc(r.change.started_at)
            );
            view! {
                <label class="inline-flex items-center gap-1 text-sm" data-test="suspect">
                    <input type="radio" name="suspected" value=r.change.deployment.to_string()/>
                    {text}
                </label>
            }
        })
        .collect_view()
}

/// MTTA and MTTR per severity, median and p90, over 30 and 90 days.
#[component]
pub fn MeasuresTable(measures: Vec<Measure>) -> impl IntoView {
    let cell = |s: Spread| match (s.median, s.p90) {
        (Some(m), Some(p)) => format!("{} / {} (n={})", duration(m), duration(p), s.count),
        _ => "—".to_string(),
    };
    let rows = Severity::ALL
        .into_iter()
        .map(|severity| {
            let of = |days: i64| {
                measures
                    .iter()
                    .find(|m| m.severity == severity && m.days == days)
                    .cloned()
            };
            let spans = [30, 90].map(|d| {
                of(d)
                    .map(|m| (cell(m.mtta), cell(m.mttr)))
                    .unwrap_or_default()
            });
            let [(a30, r30), (a90, r90)] = spans;
            view! {
                <tr class=ROW data-test=format!("measures-{}", severity.as_str())>
                    <td class=CELL><SeverityBadge severity=severity/></td>
                    <td class=format!("{CELL} text-xs") data-test="mtta-30">{a30}</td>
                    <td class=format!("{CELL} text-xs") data-test="mttr-30">{r30}</td>
                    <td class=format!("{CELL} text-xs") data-test="mtta-90">{a90}</td>
                    <td class=format!("{CELL} text-xs") data-test="mttr-90">{r90}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2 class=H2>"Response times"</h2>
        <p class="mb-2 text-xs text-slate-500">"Median / 90th percentile of incidents declared in the window. MTTA: declared → acknowledged; MTTR: impact began → resolved."</p>
        <DataTable test="incident-measures" spaced=true headers=&["Severity", "MTTA 30 d", "MTTR 30 d", "MTTA 90 d", "MTTR 90 d"]>{rows}</DataTable>
    }
}
