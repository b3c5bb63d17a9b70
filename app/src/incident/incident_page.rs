//! `/incidents/<id>`: status, severity, times, services and the timeline,
//! live; those with the permission write notes and move the status.

use super::api::{
    read_incident, AddIncidentActionItem, AddIncidentNote, AssignIncidentRole,
    LinkIncidentDeployment, PinIncidentEntry, ReadIncident, SaveIncidentPostmortem,
    SetIncidentActionItemDone, SetIncidentSeverity, SetIncidentStartedAt, SetIncidentStatus,
};
use super::postmortem_form::{PostmortemForm, PostmortemView};
use super::services_panel::{
    read_affected, Affected, AffectedServices, CauseForm, SuspectedCauses,
};
use super::timeline::{SeverityBadge, StatusBadge, Timeline};
use super::{IncidentDetail, Severity, Status};
use crate::auth::Permission;
use crate::deploy::api::Rollback;
use crate::format::minute_or_never;
use crate::layout::ui::*;
use crate::layout::{ask, reload_on, use_signed_in, Fact, Post, PostForm, PostOf};
use crate::live::use_live_tick;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// An island page (`app::ISLAND_PAGES`): the server reads the incident,
/// its affected services and what the signed-in person may do, and hands
/// them to [`IncidentView`].
#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()));
    let first = Resource::new(
        move || id.get(),
        |id| async move {
            let id = id.ok_or_else(|| AppError::NotFound("that incident".into()))?;
            let detail = read_incident(id).await?;
            let affected = read_affected(detail.incident.services.clone()).await;
            Ok::<_, AppError>((detail, affected))
        },
    );
    let me = use_signed_in();
    view! {
        <Title text=move || format!("Incident #{}", id.get().unwrap_or(0))/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = me.user().await;
                let can = |p| user.as_ref().is_some_and(|u: &crate::auth::api::CurrentUser| u.can(p));
                let may = (can(Permission::ManageIncidents), can(Permission::Deploy));
                match first.await {
                    Ok((detail, affected)) => view! { <IncidentView may=may first=detail affected=affected/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The incident, followed live, with its controls and forms for those
    /// who manage incidents (`may.0`) and the affected services' rollback
    /// for those who may deploy (`may.1`). The postmortem form is filled
    /// once per save and per status move, not on every live change: what
    /// someone is typing is not overwritten.
    fn IncidentView(may: (bool, bool), first: IncidentDetail, affected: Affected) -> impl IntoView {
        let (may, can_deploy) = may;
        let id = first.incident.id;
        let tick = use_live_tick(move || format!("/incidents/{id}/events"));
        let note = Post::to::<AddIncidentNote>();
        let status = Post::to::<SetIncidentStatus>();
        let severity = Post::to::<SetIncidentSeverity>();
        let save = Post::to::<SaveIncidentPostmortem>();
        let add = Post::to::<AddIncidentActionItem>();
        let toggle = Post::to::<SetIncidentActionItemDone>();
        let rollback = Post::to::<Rollback>();
        let link = Post::to::<LinkIncidentDeployment>();
        let assign = Post::to::<AssignIncidentRole>();
        let pin = Post::to::<PinIncidentEntry>();
        let started = Post::to::<SetIncidentStartedAt>();
        let acted = move || {
            [
                note.version().get(),
                status.version().get(),
                severity.version().get(),
                save.version().get(),
                add.version().get(),
                toggle.version().get(),
                link.version().get(),
                assign.version().get(),
                pin.version().get(),
                started.version().get(),
            ]
        };
        let written = RwSignal::new(Some(first.clone()));
        let detail = RwSignal::new(Ok::<_, AppError>(first));
        let affected = RwSignal::new(affected);
        let read = move || ask::<ReadIncident>(&[("id", &id.to_string())]);
        reload_on(move || (tick.get(), acted()), detail, read);
        reload_on(
            move || (status.version().get(), save.version().get()),
            written,
            move || async move { read().await.ok() },
        );
        reload_on(
            move || (tick.get(), rollback.version().get()),
            affected,
            move || read_affected(affected.with_untracked(|a| a.iter().map(|(s, _)| s.clone()).collect())),
        );
        let errors = Signal::derive(move || {
            first_error([
                note.value().get().map(|r| r.map(|_| ())),
                status.value().get(),
                severity.value().get(),
                save.value().get(),
                add.value().get().map(|r| r.map(|_| ())),
                toggle.value().get(),
                rollback.value().get().map(|r| r.map(|_| ())),
                link.value().get(),
                assign.value().get(),
                pin.value().get(),
                started.value().get(),
            ])
        });
        view! {
            <ActionError error=errors/>
            {move || match detail.get() {
                Ok(d) => view! {
                    <Incident detail=d may=may actions=(status, severity) toggle=toggle act=(affected, rollback, can_deploy) pin=pin/>
                }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            {may.then(|| view! { <StartedForm id=id started=started/> <RoleForm id=id assign=assign/> <CauseForm id=id link=link/> <NoteForm id=id note=note/> })}
            {move || {
                let d = written.get().filter(|d| may && !d.incident.status.is_open())?;
                Some(view! { <PostmortemForm id=d.incident.id postmortem=d.postmortem save=save add=add/> })
            }}
        }
    }
}

#[component]
fn Incident(
    detail: IncidentDetail,
    may: bool,
    actions: (PostOf<SetIncidentStatus>, PostOf<SetIncidentSeverity>),
    toggle: PostOf<SetIncidentActionItemDone>,
    /// The affected services as last read, the rollback, and whether the
    /// reader may deploy.
    act: (RwSignal<Affected>, PostOf<Rollback>, bool),
    pin: PostOf<PinIncidentEntry>,
) -> impl IntoView {
    let i = detail.incident.clone();
    let (affected, rollback, can_deploy) = act;
    // Only once resolved: an open incident's would depend on the clock,
    // and the server's and the browser's differ.
    let severities = i
        .resolved_at
        .map(|end| super::postmortem::time_in_severity(&detail, end))
        .unwrap_or_default();
    // Shown once there is something to review: after resolve, or written.
    let postmortem = (!i.status.is_open() || detail.postmortem.updated.is_some()).then(|| {
        view! { <PostmortemView id=i.id postmortem=detail.postmortem.clone() severities=severities may=may toggle=toggle/> }
    });
    let (status, severity) = actions;
    view! {
        <div class="mb-6 flex flex-wrap items-center gap-3">
            <p class="w-full text-sm text-slate-500"><a class="underline" href="/incidents">"Incidents"</a> {format!(" / #{}", i.id)}</p>
            <h1 class="text-2xl font-semibold tracking-tight" data-test="incident-title">{i.title.clone()}</h1>
            <SeverityBadge severity=i.severity/>
            <StatusBadge status=i.status/>
            {(i.status != Status::Resolved).then(|| view! {
                <a class=format!("{LINK} ml-auto text-sm") href=format!("/runbooks?incident={}", i.id) data-test="follow-runbook">"Follow a runbook…"</a>
            })}
        </div>
        {may.then(|| view! { <Controls id=i.id current=(i.status, i.severity) status=status severity=severity/> })}
        <dl class="mb-6 grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <Fact label="Declared" value=minute_or_never(Some(i.declared_at)) test="incident-declared"/>
            <Fact label="Impact began" value=started_text(i.started_at, i.original_started_at) test="incident-started"/>
            <Fact label="Acknowledged" value=minute_or_never(i.acknowledged_at) test="incident-acknowledged"/>
            <Fact label="Resolved" value=i.resolved_at.map(|t| minute_or_never(Some(t))).unwrap_or_else(|| "open".into()) test="incident-resolved"/>
            <Fact label="Commander" value=i.commander.trim_start_matches("user:").to_string() test="incident-commander"/>
            <Fact label="Scribe" value=detail.scribe.as_deref().map(|s| s.trim_start_matches("user:").to_string()).unwrap_or_else(|| "none".into()) test="incident-scribe"/>
            <Fact label="Responders" value=people(&detail.responders) test="incident-responders"/>
        </dl>
        <h2 class=H2>"Affected services"</h2>
        {if i.services.is_empty() {
            view! { <p class="text-sm text-slate-500" data-test="no-services">"None named."</p> }.into_any()
        } else {
            view! { {move || view! { <AffectedServices services=affected.get() rollback=rollback can_deploy=can_deploy/> }} }.into_any()
        }}
        <SuspectedCauses causes=detail.suspected.clone()/>
        {(!detail.summary.is_empty()).then(|| view! {
            <p class="mb-6 whitespace-pre-wrap text-sm" data-test="incident-summary">{detail.summary.clone()}</p>
        })}
        <h2 class=H2>"Timeline"</h2>
        <Timeline entries=detail.timeline pin=may.then_some((i.id, pin))/>
        {postmortem}
    }
}

/// A button for each status the incident may move to, and the severity.
#[component]
fn Controls(
    id: i64,
    current: (Status, Severity),
    status: PostOf<SetIncidentStatus>,
    severity: PostOf<SetIncidentSeverity>,
) -> impl IntoView {
    let (now, level) = current;
    let moves = now
        .next()
        .iter()
        .map(|to| {
            let label = match to {
                Status::Resolved => "Resolve".to_string(),
                Status::Investigating => "Reopen".to_string(),
                other => format!("Mark {}", other.as_str()),
            };
            view! {
                <PostForm action=status>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <input type="hidden" name="status" value=to.as_str()/>
                    <button type="submit" class=BUTTON_SECONDARY data-test=format!("status-{}", to.as_str())>{label}</button>
                </PostForm>
            }
        })
        .collect_view();
    let choices = Severity::ALL
        .into_iter()
        .map(|s| view! { <option value=s.as_str() selected=s == level>{format!("{} — {}", s.as_str(), s.meaning())}</option> })
        .collect_view();
    view! {
        <div class="mb-6 flex flex-wrap items-center gap-2">
            {moves}
            <PostForm action=severity attr:class="flex items-center gap-2" attr:data-test="set-severity">
                <input type="hidden" name="id" value=id.to_string()/>
                <select name="severity" class=INPUT aria-label="Severity">{choices}</select>
                <button type="submit" class=BUTTON>"Change severity"</button>
            </PostForm>
        </div>
    }
}

#[component]
fn NoteForm(id: i64, note: PostOf<AddIncidentNote>) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 font-medium">"Add to the timeline"</h2>
            <PostForm action=note attr:class="flex flex-col gap-3" attr:data-test="add-note">
                <input type="hidden" name="id" value=id.to_string()/>
                <label class=LABEL>"Note (markdown)" <textarea name="text" rows="3" required maxlength="20000" class=INPUT></textarea></label>
                <label class=LABEL>"Happened at (UTC, leave empty for now)" <input name="at" type="datetime-local" class=format!("{INPUT} w-64")/></label>
                <div><button type="submit" class=BUTTON_PRIMARY data-test="add-note-submit">"Add note"</button></div>
            </PostForm>
        </section>
    }
}

fn people(list: &[String]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(|p| p.trim_start_matches("user:"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Hands the command over, names the scribe, adds a responder.
#[component]
fn RoleForm(id: i64, assign: PostOf<AssignIncidentRole>) -> impl IntoView {
    let roles = super::IncidentRole::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
        .collect_view();
    view! {
        <PostForm action=assign attr:class="mt-6 flex flex-wrap items-end gap-2" attr:data-test="assign-role">
            <input type="hidden" name="id" value=id.to_string()/>
            <label class=LABEL>"Role" <select name="role" class=INPUT>{roles}</select></label>
            <label class=LABEL>"User" <input name="user" required maxlength="32" class=INPUT/></label>
            <button type="submit" class=BUTTON_SECONDARY data-test="assign-role-submit">"Assign"</button>
        </PostForm>
    }
}

/// When the impact began, and when it was first said to, once corrected.
fn started_text(
    started: chrono::DateTime<chrono::Utc>,
    original: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let now = minute_or_never(Some(started));
    match original {
        Some(first) => format!(
            "{now} (corrected; first recorded {})",
            minute_or_never(Some(first))
        ),
        None => now,
    }
}

/// Corrects when the impact began.
#[component]
fn StartedForm(id: i64, started: PostOf<SetIncidentStartedAt>) -> impl IntoView {
    view! {
        <PostForm action=started attr:class="mt-6 flex flex-wrap items-end gap-2" attr:data-test="set-started">
            <input type="hidden" name="id" value=id.to_string()/>
            <label class=LABEL>"Impact began (UTC)" <input name="started_at" type="datetime-local" required class=format!("{INPUT} w-64")/></label>
            <button type="submit" class=BUTTON_SECONDARY data-test="set-started-submit">"Correct"</button>
        </PostForm>
    }
}
