//! `/`: the dashboard. The period and scope are a GET form, so every view
//! has a URL and works without JavaScript; services and incidents follow
//! their live streams. An island page: only [`LiveBoard`] is code.

use super::api::read_dashboard;
use super::charts::{BackupAges, MttrTrend, WeeklyDeploys};
use super::{
    view_query, BackupFreshness, Band, Behind, Dashboard, Dora, DEFAULT_WINDOW_HOURS, PERIODS,
};
use crate::deploy::ServiceSummary;
use crate::format::{ago, duration, utc};
use crate::incident::IncidentSummary;
use crate::layout::ui::*;
use crate::layout::{reload_on, PageHeader};
use crate::live::use_live_tick;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// An island page (`app::ISLAND_PAGES`): the server reads the view the
/// query asks for and hands it to [`LiveBoard`], which reads it again
/// whenever a service, a deployment or an incident changes.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        let q = query.read();
        let days = q.get("days").and_then(|d| d.parse().ok()).unwrap_or(30);
        let window = q.get("window").and_then(|d| d.parse().ok()).unwrap_or(0);
        (days, q.get("scope").unwrap_or_default(), window)
    });
    let board = Resource::new(
        move || asked.get(),
        |(days, scope, window)| read_dashboard(days, scope, window),
    );
    view! {
        <Title text="Dashboard"/>
        <PageHeader title="Dashboard" subtitle="What runs where, open incidents, backups against their RPO, and how deployments go."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let first = board.await;
                let (days, scope, window) = asked.get_untracked();
                view! { <LiveBoard days=days scope=scope window=window first=first/> }
            })}
        </Suspense>
        <h2 class=H2>"Connections"</h2>
        <crate::home::SystemCards/>
    }
}

crate::island! {
    /// The figures, tables and charts of the period and scope asked for,
    /// followed live.
    fn LiveBoard(days: u32, scope: String, window: u32, first: Result<Dashboard, AppError>) -> impl IntoView {
        let services = use_live_tick(|| "/service-events".to_string());
        let incidents = use_live_tick(|| "/incident-events".to_string());
        let board = RwSignal::new(first);
        reload_on(
            move || (services.get(), incidents.get()),
            board,
            move || crate::layout::ask::<super::api::ReadDashboard>(&[("days", &days.to_string()), ("scope", &scope), ("window", &window.to_string())]),
        );
        move || match board.get() {
            Ok(d) => view! { <Board board=d/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        }
    }
}

#[component]
fn Board(board: Dashboard) -> impl IntoView {
    let d = board;
    let query = view_query(d.days, &d.scope, d.dora.rollback_window_hours);
    view! {
        <ScopeForm days=d.days scope=d.scope.clone() scopes=d.scopes window=d.dora.rollback_window_hours/>
        <DoraCards dora=d.dora.clone() days=d.days query=query.clone()/>
        <section class=format!("{CARD} mb-6")>
            <h2 class="mb-2 text-sm font-semibold">"Deployments per week (failed in red)"</h2>
            <WeeklyDeploys weeks=d.weeks/>
        </section>
        <FailedList dora=d.dora query=query/>
        <h2 class=H2>"Open incidents"</h2>
        <OpenIncidents incidents=d.open_incidents/>
        <h3 class="mb-2 mt-4 text-sm font-semibold">"Time to acknowledge (MTTA) and to resolve (MTTR), median / p90"</h3>
        <crate::incident::MeasuresTable measures=d.incident_measures/>
        <section class=format!("{CARD} mt-4")>
            <h3 class="mb-2 text-sm font-semibold">"Time to resolve per week (median of the incidents resolved that week, all services)"</h3>
            <MttrTrend weeks=d.mttr_weeks/>
        </section>
        <h2 class=H2>"What runs where"</h2>
        <RunsWhere services=d.services/>
        <h2 class=H2>"Backups against their RPO"</h2>
        <Backups backups=d.backups/>
        <p class="mt-6 text-xs text-slate-500">
            "Bands are the performance clusters of the DORA "
            <a class=LINK href="https://dora.dev/research/2024/dora-report/">"Accelerate State of DevOps Report 2024"</a>
            ": deployment frequency elite on demand (several a day), high daily to weekly, medium weekly to monthly; change lead time elite under a day, high under a week, medium under a month; change failure rate elite 5 %, high 20 % (the report's medium cluster sits at 10 %), low 40 %; failed deployment recovery time elite under an hour, high under a day. The report introduced rework rate without clusters, so it has no band here. A deployment an incident names as suspected cause counts as failed. Lead time and rework come from what each deploy reported (commit_sha and committed_at, fixes_incident on /api/deploy or the deploy form); deployments that reported nothing are left out, never guessed."
        </p>
    }
}

#[component]
fn ScopeForm(days: u32, scope: String, scopes: Vec<String>, window: u32) -> impl IntoView {
    let periods = PERIODS
        .iter()
        .map(|p| view! { <option value=p.to_string() selected=*p == days>{format!("last {p} days")}</option> })
        .collect_view();
    let choices = scopes
        .into_iter()
        .map(|s| {
            let (chosen, shown) = (s == scope, s.clone());
            view! { <option value=s selected=chosen>{shown}</option> }
        })
        .collect_view();
    view! {
        <form method="get" action="/" class="mb-4 flex flex-wrap items-end gap-3" data-test="dashboard-scope">
            <label class=LABEL>"Period" <select name="days" class=INPUT>{periods}</select></label>
            <label class=LABEL>"Services"
                <select name="scope" class=INPUT>
                    <option value="" selected=scope.is_empty()>"all"</option>
                    {choices}
                </select>
            </label>
            <label class=LABEL>"A person's rollback within (hours) counts as a failure"
                <input name="window" type="number" min="1" max="720" value=window.to_string()
                    placeholder=DEFAULT_WINDOW_HOURS.to_string() class=format!("{INPUT} w-24") data-test="dashboard-window"/>
            </label>
            <button type="submit" class=BUTTON_SECONDARY>"Show"</button>
        </form>
    }
}

fn band(band: Option<Band>) -> impl IntoView {
    band.map(|b| {
        let tone = match b {
            Band::Elite | Band::High => Tone::Good,
            Band::Medium => Tone::Warn,
            Band::Low => Tone::Bad,
        };
        view! { <Badge text=format!("DORA {}", b.as_str()) tone=tone/> }
    })
}

#[component]
fn Figure(title: &'static str, test: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class=CARD data-test=test>
            <h2 class="mb-1 text-xs font-medium uppercase text-slate-500">{title}</h2>
            {children()}
        </section>
    }
}

/// A link to the deployments behind a figure.
fn records_link(query: &str, behind: Behind, text: String, test: &'static str) -> impl IntoView {
    let href = super::records_href(&query, behind);
    view! { <a class=LINK href=href data-test=test>{text}</a> }
}

fn spread_text(median: Option<i64>, p90: Option<i64>, none: &str) -> String {
    match (median, p90) {
        (Some(m), Some(p)) => format!("median {}, p90 {}", duration(m), duration(p)),
        _ => none.to_string(),
    }
}

#[component]
fn DoraCards(dora: Dora, days: u32, query: String) -> impl IntoView {
    let rate = dora
        .change_failure_rate
        .map(|r| format!("{:.0} %", r * 100.0))
        .unwrap_or_else(|| "no deployments".into());
    let rework = dora
        .rework_rate
        .map(|r| format!("{:.0} %", r * 100.0))
        .unwrap_or_else(|| "no deployments".into());
    let recovery = spread_text(
        dora.recovery_median_secs,
        dora.recovery_p90_secs,
        "nothing to recover from",
    );
    let lead = spread_text(
        dora.lead_time_median_secs,
        dora.lead_time_p90_secs,
        "not reported",
    );
    let q = query.as_str();
    // Built here: a component's children may not borrow `query`.
    let all_link = records_link(
        q,
        Behind::All,
        format!("{} deployments", dora.deployments),
        "all-link",
    );
    let failed_link = records_link(
        q,
        Behind::Failed,
        format!("{} failed deployments", dora.failed_total),
        "failed-link",
    );
    let lead_link = records_link(
        q,
        Behind::LeadTime,
        format!(
            "{} deployments that reported their commit",
            dora.lead_time_reported
        ),
        "lead-time-link",
    );
    let rework_link = records_link(
        q,
        Behind::Rework,
        format!("{} deployments fixing an incident", dora.rework),
        "rework-link",
    );
    view! {
        <div class="mb-6 grid grid-cols-1 gap-4 md:grid-cols-3">
            <Figure title="Deployment frequency" test="deploy-frequency">
                <p class="text-2xl font-semibold">{format!("{:.2}", dora.per_service_per_day)}<span class="text-sm font-normal">" per service per day"</span></p>
                <p class="text-xs text-slate-500">
                    {all_link}
                    {format!(" of {} services in {days} days ", dora.services)}{band(Some(dora.frequency_band))}
                </p>
            </Figure>
            <Figure title="Change failure rate" test="change-failure-rate">
                <p class="text-2xl font-semibold">{rate}</p>
                <p class="text-xs text-slate-500">
                    {failed_link}" "
                    {band(dora.failure_band)}
                </p>
            </Figure>
            <Figure title="Failed deployment recovery time" test="recovery-time">
                <p class="text-lg font-semibold">{recovery}</p>
                <p class="text-xs text-slate-500">{format!("a person's rollback within {} h counts as a failure ", dora.rollback_window_hours)}{band(dora.recovery_band)}</p>
            </Figure>
            <Figure title="Lead time for changes" test="lead-time">
                <p class="text-lg font-semibold">{lead}</p>
                <p class="text-xs text-slate-500">
                    "commit → live, of "
                    {lead_link}" "
                    {band(dora.lead_time_band)}
                </p>
            </Figure>
            <Figure title="Deployment rework rate" test="rework-rate">
                <p class="text-2xl font-semibold">{rework}</p>
                <p class="text-xs text-slate-500">
                    {rework_link}
                </p>
            </Figure>
        </div>
    }
}

#[component]
fn FailedList(dora: Dora, query: String) -> impl IntoView {
    let rows = dora
        .failed
        .into_iter()
        .map(|f| {
            let recovery = f.recovery_secs.map(duration).unwrap_or_else(|| "—".into());
            view! {
                <tr class=ROW data-test="failed-deployment">
                    <td class=CELL><a class=LINK href=format!("/deployments/{}", f.deployment)>{format!("#{}", f.deployment)}</a></td>
                    <td class=format!("{CELL} font-mono text-xs")>{f.service}</td>
                    <td class=format!("{CELL} text-xs")>{f.why}</td>
                    <td class=format!("{CELL} text-xs")>{recovery}</td>
                </tr>
            }
        })
        .collect_view();
    let shown = dora.failed_total.min(super::FAILED_SHOWN);
    let more = (dora.failed_total > shown).then(|| {
        records_link(
            &query,
            Behind::Failed,
            format!("all {} failed deployments", dora.failed_total),
            "failed-all-link",
        )
    });
    view! {
        <details id="failed-deployments" class="mb-6" open=true>
            <summary class="cursor-pointer text-sm font-medium">{format!("Failed deployments behind the figures (newest {shown})")}</summary>
            <DataTable test="failed-deployments" headers=&["Deployment", "Service", "Why it counts", "Recovered after"]>{rows}</DataTable>
            <p class="mt-2 text-xs">{more}</p>
        </details>
    }
}

#[component]
fn OpenIncidents(incidents: Vec<IncidentSummary>) -> impl IntoView {
    if incidents.is_empty() {
        return view! { <p class="text-sm text-slate-500" data-test="no-open-incidents">"No open incidents."</p> }.into_any();
    }
    let rows = incidents
        .into_iter()
        .map(|i| {
            view! {
                <tr class=ROW data-test="open-incident">
                    <td class=CELL>{i.severity.as_str()}</td>
                    <td class=CELL><a class=LINK href=format!("/incidents/{}", i.id)>{i.title}</a></td>
                    <td class=format!("{CELL} text-xs")>{i.status.as_str()}</td>
                    <td class=format!("{CELL} text-xs")>{ago(i.started_at)}</td>
                    <td class=format!("{CELL} font-mono text-xs")>{i.commander}</td>
                </tr>
            }
        })
        .collect_view();
    view! { <DataTable test="open-incidents" headers=&["Severity", "Incident", "Status", "Impact since", "Commander"]>{rows}</DataTable> }.into_any()
}

#[component]
fn RunsWhere(services: Vec<ServiceSummary>) -> impl IntoView {
    if services.is_empty() {
        return view! { <p class="text-sm text-slate-500">"No services."</p> }.into_any();
    }
    let rows = services
        .into_iter()
        .map(|s| {
            let health = match s.healthy {
                Some(h) => format!("{h}/{}", s.desired),
                None => format!("?/{}", s.desired),
            };
            let tone = if s.healthy == Some(s.desired) { Tone::Good } else { Tone::Warn };
            let last = s.last.map(|l| format!("{} {} by {}, {}", l.kind, l.state.as_str(), l.actor, ago(l.started_at))).unwrap_or_default();
            let href = format!("/services/{}/{}", s.environment, s.name);
            view! {
                <tr class=ROW data-test="runs-where">
                    <td class=format!("{CELL} text-xs")>{s.environment}</td>
                    <td class=CELL><a class=LINK href=href>{s.name}</a></td>
                    <td class=format!("{CELL} font-mono text-xs")>{s.live.map(|r| format!("#{} {}", r.number, r.tag)).unwrap_or_else(|| "not deployed".into())}</td>
                    <td class=CELL><Badge text=health tone=tone/></td>
                    <td class=format!("{CELL} text-xs")>{last}</td>
                </tr>
            }
        })
        .collect_view();
    view! { <DataTable test="services-by-environment" headers=&["Environment", "Service", "Live release", "Healthy", "Last deployment"]>{rows}</DataTable> }.into_any()
}

#[component]
fn Backups(backups: Vec<BackupFreshness>) -> impl IntoView {
    if backups.is_empty() {
        return view! { <p class="text-sm text-slate-500">"No backup targets."</p> }.into_any();
    }
    let rows = backups
        .iter()
        .cloned()
        .map(|b| {
            let (text, tone) = match b.age_ratio {
                Some(r) if r <= 0.75 => ("fresh", Tone::Good),
                Some(r) if r <= 1.0 => ("ageing", Tone::Warn),
                Some(_) => ("past RPO", Tone::Bad),
                None => ("no good backup", Tone::Bad),
            };
            let tested = b.last_test_restore_at.map(ago).unwrap_or_else(|| "never".into());
            view! {
                <tr class=ROW data-test="backup-freshness" data-freshness=text>
                    <td class=CELL><a class=LINK href=format!("/backups/{}", b.target)>{b.target.clone()}</a></td>
                    <td class=CELL><Badge text=text tone=tone/></td>
                    <td class=format!("{CELL} text-xs")>{b.last_good_at.map(utc).unwrap_or_else(|| "—".into())}</td>
                    <td class=format!("{CELL} text-xs")>{format!("{} h", b.rpo_hours)}</td>
                    <td class=format!("{CELL} text-xs")>{tested}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable test="backups-freshness" spaced=true headers=&["Target", "Freshness", "Newest good backup", "RPO", "Last passing test restore"]>{rows}</DataTable>
        <BackupAges backups=backups/>
    }
    .into_any()
}
