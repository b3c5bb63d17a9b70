//! `/runbooks/<slug>/runs/<id>`: a run being followed. The version's text
//! with its steps, which run within the run; beside it the checklist to
//! tick, the steps waiting for approval, and everything done so far,
//! following the run live (another browser's tick or approval shows here).

use super::run_api::ReadRunbookRun;
use super::run_api::{
    read_runbook_run, ApproveRunbookStep, DeclineRunbookStep, FinishRunbookRun, TickRunbookItem,
};
use super::step_form::{Allowed, InvalidStep, StepCard};
use super::widgets::PROSE;
use super::{Approval, ApprovalState, ChecklistItem, Piece, RunEntry, RunRead, RunSummary};
use crate::auth::Permission;
use crate::format::utc;
use crate::layout::ask;
use crate::layout::ui::*;
use crate::layout::{reload_on, use_signed_in, ErrorNotice};
use crate::layout::{Post, PostForm, PostOf};
use crate::live::use_live_tick;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// What the reader's roles allow on a run.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct May {
    /// Tick, finish (responders and up).
    respond: bool,
    steps: Allowed,
    /// The reader, as approvals name people (`user:<name>`).
    me: Option<String>,
}

/// An island page (`app::ISLAND_PAGES`): the server renders the run's
/// text; its steps, the finish button and the side panel (checklist,
/// approvals, activity, following the run live) are islands. The text and
/// its steps are read once: a step's confirmation and outcome must not
/// vanish when the run changes (finishing it loads the page again).
#[component]
pub fn RunbookRunPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let run = Memo::new(move |_| {
        params
            .read()
            .get("run")
            .and_then(|r| r.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let text = Resource::new(
        move || (slug.get(), run.get()),
        |(slug, run)| read_runbook_run(slug, run),
    );
    let me = use_signed_in();
    view! {
        <Title text=move || format!("Run #{} of {}", run.get(), slug.get())/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = me.user().await;
                let can = |p| user.as_ref().is_some_and(|u| u.can(p));
                let may = May {
                    respond: can(Permission::ManageIncidents),
                    steps: Allowed { deploy: can(Permission::Deploy), backup: can(Permission::RunBackup) },
                    me: user.as_ref().map(|u| format!("user:{}", u.username)),
                };
                match text.await {
                    Ok(r) => view! { <Run read=r may=may/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Run(read: RunRead, may: May) -> impl IntoView {
    let r = read.run.clone();
    let open = r.ended.is_none();
    let steps = Allowed {
        deploy: may.steps.deploy && open,
        backup: may.steps.backup && open,
    };
    let body = body(&r, read.pieces.clone(), steps);
    let respond = may.respond;
    view! {
        <Header run=r.clone() may=respond/>
        <div class="grid grid-cols-1 gap-6 md:grid-cols-3">
            <article class=format!("{CARD} {PROSE} md:col-span-2") data-test="runbook-body">{body}</article>
            <aside class="flex flex-col gap-4">
                <RunPanel may=may first=read/>
            </aside>
        </div>
    }
}

crate::island! {
    /// The checklist, the steps waiting for approval and everything done
    /// so far, following the run live (another browser's tick or approval
    /// shows here).
    fn RunPanel(may: May, first: RunRead) -> impl IntoView {
        let (slug, id) = (first.run.slug.clone(), first.run.id);
        let tick = use_live_tick(move || format!("/runbook-runs/{id}/events"));
        let item = Post::to::<TickRunbookItem>();
        let approve = Post::to::<ApproveRunbookStep>();
        let decline = Post::to::<DeclineRunbookStep>();
        let live = RwSignal::new(Ok::<_, AppError>(first));
        reload_on(
            move || (tick.get(), item.version().get(), approve.version().get(), decline.version().get()),
            live,
            move || ask::<ReadRunbookRun>(&[("slug", &slug), ("run", &id.to_string())]),
        );
        let errors = Signal::derive(move || {
            item.value()
                .get()
                .and_then(Result::err)
                .or_else(|| decline.value().get().and_then(Result::err))
        });
        let respond = may.respond;
        view! {
            <ActionError error=errors/>
            {move || match live.get() {
                Ok(now) => {
                    let open = now.run.ended.is_none();
                    view! {
                        <Checklist items=now.checklist run=now.run.id may=respond && open action=item/>
                        <Approvals approvals=now.approvals may=may.clone() open=open approve=approve decline=decline/>
                        <Activity entries=now.entries/>
                    }.into_any()
                }
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
        }
    }
}

/// Which run of which version, for which incident, and whether it is over.
#[component]
fn Header(run: RunSummary, may: bool) -> impl IntoView {
    let who = run.started_by.trim_start_matches("user:").to_string();
    let incident = run.incident.clone().map(|(id, title)| {
        view! { " · for " <a class=LINK href=format!("/incidents/{id}") data-test="run-incident">{format!("incident #{id}: {title}")}</a> }
    });
    let state = match &run.ended {
        Some((by, at)) => view! { <Badge text=format!("finished by {} {}", by.trim_start_matches("user:"), utc(*at)) tone=Tone::Good test="run-state"/> }.into_any(),
        None => view! { <Badge text="in progress" tone=Tone::Info test="run-state"/> }.into_any(),
    };
    let end = (run.ended.is_none() && may).then(|| view! { <FinishButton run=run.id/> });
    view! {
        <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div>
                <p class="text-sm text-slate-500">
                    <a class=LINK href=format!("/runbooks/{}?version={}", run.slug, run.version)>{run.title.clone()}</a>
                    {format!(" · v{}", run.version)}
                </p>
                <h1 class="text-2xl font-semibold tracking-tight" data-test="run-title">{format!("Run #{}", run.id)}</h1>
                <p class="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-500">
                    <span>{format!("started by {who}, {}", utc(run.started_at))}{incident}</span>
                    {state}
                </p>
            </div>
            {end}
        </div>
    }
}

crate::island! {
    /// "Finish the run"; the page loads again, its steps closed.
    fn FinishButton(run: i64) -> impl IntoView {
        let finish = Post::to::<FinishRunbookRun>();
        Effect::new(move |_| {
            if let Some(Ok(())) = finish.value().get() {
                let _ = window().location().reload();
            }
        });
        view! {
            <div>
                <PostForm action=finish>
                    <input type="hidden" name="run" value=run.to_string()/>
                    <button type="submit" class=BUTTON_SECONDARY data-test="finish-run">"Finish the run"</button>
                </PostForm>
                <ActionError error=Signal::derive(move || finish.value().get().and_then(Result::err))/>
            </div>
        }
    }
}

/// The version's text: markdown, and each step running within the run.
fn body(run: &RunSummary, pieces: Vec<Piece>, allowed: Allowed) -> impl IntoView {
    let (slug, version, id) = (run.slug.clone(), run.version, run.id);
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Html(html) => view! { <div inner_html=html></div> }.into_any(),
            Piece::Step { index, step } => view! {
                <StepCard slug=slug.clone() version=version index=index step=step allowed=allowed run=Some(id)/>
            }
            .into_any(),
            Piece::Invalid { index, error } => view! { <InvalidStep index=index error=error/> }.into_any(),
        })
        .collect_view()
}

/// The version's `- [ ]` items, each ticked or not in this run.
#[component]
fn Checklist(
    items: Vec<ChecklistItem>,
    run: i64,
    may: bool,
    action: PostOf<TickRunbookItem>,
) -> impl IntoView {
    if items.is_empty() {
        return None;
    }
    let rows = items
        .into_iter()
        .map(|i| {
            let done = i.done.is_some();
            let look = if done { "line-through text-slate-500" } else { "" };
            let who = i
                .done
                .map(|(by, at)| format!("{} {}", by.trim_start_matches("user:"), utc(at)))
                .unwrap_or_default();
            view! {
                <li class="flex items-start gap-2" data-test="checklist-item" data-item=i.index.to_string() data-done=done.to_string()>
                    <input type="checkbox" class="mt-1" checked=done disabled=!may data-test="checklist-box"
                        on:change=move |_| { action.dispatch(&[("run", &run.to_string()), ("item", &i.index.to_string()), ("done", &(!done).to_string())]); }/>
                    <span>
                        <span class=look>{i.text}</span>
                        <span class="block text-xs text-slate-500">{who}</span>
                    </span>
                </li>
            }
        })
        .collect_view();
    Some(view! {
        <section class=CARD>
            <h2 class="mb-2 text-sm font-medium">"Checklist"</h2>
            <ul class="flex flex-col gap-2 text-sm" data-test="checklist">{rows}</ul>
        </section>
    })
}

/// Steps asked for and who decided them; pending ones can be approved
/// (and so run) or declined by someone else holding the permission.
#[component]
fn Approvals(
    approvals: Vec<Approval>,
    may: May,
    open: bool,
    approve: PostOf<ApproveRunbookStep>,
    decline: PostOf<DeclineRunbookStep>,
) -> impl IntoView {
    if approvals.is_empty() {
        return None;
    }
    let outcome = move || {
        approve.value().get().map(|r| match r {
            Ok(ran) => {
                let url = ran.url.unwrap_or_default();
                view! { <p class="text-sm" data-test="approval-ran">"Approved and started: " <a class=LINK href=url.clone()>{url.clone()}</a></p> }.into_any()
            }
            Err(e) => view! { <p class="text-sm text-red-700 dark:text-red-300" data-test="approval-error">{e.to_string()}</p> }.into_any(),
        })
    };
    let rows = approvals
        .into_iter()
        .map(|a| approval_row(a, &may, open, approve, decline))
        .collect_view();
    Some(view! {
        <section class=CARD data-test="approvals">
            <h2 class="mb-2 text-sm font-medium">"Approvals"</h2>
            <ul class="flex flex-col gap-3 text-sm">{rows}</ul>
            <div class="mt-2">{outcome}</div>
        </section>
    })
}

fn approval_row(
    a: Approval,
    may: &May,
    open: bool,
    approve: PostOf<ApproveRunbookStep>,
    decline: PostOf<DeclineRunbookStep>,
) -> impl IntoView {
    let typed = a
        .typed
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let asked = format!(
        "Step {} asked by {} {}{}",
        a.step,
        a.requested_by.trim_start_matches("user:"),
        utc(a.requested_at),
        if typed.is_empty() {
            String::new()
        } else {
            format!(" ({typed})")
        }
    );
    let (text, tone) = match (a.state, &a.decided, a.used) {
        (ApprovalState::Pending, ..) => ("waiting for approval".to_string(), Tone::Warn),
        (ApprovalState::Approved, Some((by, _)), Some(_)) => (
            format!("approved by {}, ran", by.trim_start_matches("user:")),
            Tone::Good,
        ),
        (ApprovalState::Approved, Some((by, _)), None) => (
            format!(
                "approved by {}, not run yet",
                by.trim_start_matches("user:")
            ),
            Tone::Warn,
        ),
        (_, Some((by, _)), _) => (
            format!("declined by {}", by.trim_start_matches("user:")),
            Tone::Bad,
        ),
        _ => ("declined".to_string(), Tone::Bad),
    };
    let mine = may.me.as_deref() == Some(a.requested_by.as_str());
    let waiting = a.state == ApprovalState::Pending
        || (a.state == ApprovalState::Approved && a.used.is_none());
    let holds = may.steps.deploy || may.steps.backup;
    let buttons = (waiting && open).then(|| {
        let why = if mine {
            Some("You asked for this step: another person holding the permission approves it.")
        } else if !holds {
            Some("Your roles do not allow this step: a deployer or admin can approve it.")
        } else {
            None
        };
        view! {
            <div class="mt-1 flex flex-wrap items-center gap-2">
                <button type="button" class=BUTTON_DANGER disabled=move || why.is_some() || approve.pending().get()
                    on:click=move |_| { approve.dispatch(&[("approval", &a.id.to_string())]); } data-test="approve">"Approve and run"</button>
                <button type="button" class=BUTTON_SECONDARY disabled=move || !holds || decline.pending().get()
                    on:click=move |_| { decline.dispatch(&[("approval", &a.id.to_string())]); } data-test="decline">{if mine { "Withdraw" } else { "Decline" }}</button>
                {why.map(|w| view! { <span class="text-xs text-slate-500" data-test="approve-reason">{w}</span> })}
            </div>
        }
    });
    view! {
        <li data-test="approval" data-step=a.step.to_string() data-id=a.id.to_string()>
            <p>{asked}</p>
            <Badge text=text tone=tone test="approval-state"/>
            {buttons}
        </li>
    }
}

/// Everything done within the run, oldest first, linked to the work.
#[component]
fn Activity(entries: Vec<RunEntry>) -> impl IntoView {
    let rows = entries
        .into_iter()
        .map(|e| {
            let link = e.link.clone().map(|url| {
                let state = e.state.clone().map(|s| format!(" ({s})")).unwrap_or_default();
                view! { " " <a class=LINK href=url.clone() data-test="entry-link">{format!("{url}{state}")}</a> }
            });
            view! {
                <li data-test="run-entry" data-action=e.action.clone()>
                    <span class="text-xs text-slate-500">{format!("{} · {}", utc(e.at), e.actor.trim_start_matches("user:"))}</span>
                    <span class="block">{e.summary.clone()}{link}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class=CARD>
            <h2 class="mb-2 text-sm font-medium">"Activity"</h2>
            <ol class="flex flex-col gap-2 text-sm" data-test="run-entries">{rows}</ol>
        </section>
    }
}
