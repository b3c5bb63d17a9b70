//! `/runbooks/<slug>` (`?version=N` for an old one): the runbook as its
//! readers follow it, who wrote which version, the versions to pick from
//! or compare, and for an old version the way back to its text.

use super::api::{read_runbook, RevertRunbook};
use super::runs_panel::{read_runs_panel, RunsPanel};
use super::step_form::{Allowed, InvalidStep, StepCard};
use super::widgets::{version_line, Services, Tags, PROSE};
use super::{Piece, RunSummary, RunbookRead, VersionEntry};
use crate::auth::Permission;
use crate::layout::ui::*;
use crate::layout::{use_signed_in, ErrorNotice};
use crate::layout::{Post, PostForm};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// An island page (`app::ISLAND_PAGES`): the server renders the runbook;
/// its steps, its runs panel and the revert form are islands.
#[component]
pub fn RunbookPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let version = Memo::new(move |_| {
        query
            .read()
            .get("version")
            .and_then(|v| v.parse::<i32>().ok())
    });
    let read = Resource::new(
        move || (slug.get(), version.get()),
        |(slug, version)| read_runbook(slug, version),
    );
    let panel = Resource::new(move || slug.get(), read_runs_panel);
    let me = use_signed_in();
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = me.user().await;
                let can = |p| user.as_ref().is_some_and(|u| u.can(p));
                let may = can(Permission::EditRunbooks);
                let respond = can(Permission::ManageIncidents);
                let allowed = Allowed { deploy: can(Permission::Deploy), backup: can(Permission::RunBackup) };
                let wanted = query.read_untracked().get("incident").unwrap_or_default();
                let (open, runs) = panel.await;
                let runs = Runs { may: respond, wanted, open, runs };
                match read.await {
                    Ok(r) => view! { <Runbook read=r may_edit=may runs=runs allowed=allowed/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What the runs panel is given besides the runbook.
struct Runs {
    /// The reader may start runs.
    may: bool,
    /// The incident asked for in the address (`?incident=N`).
    wanted: String,
    open: Vec<(i64, String)>,
    runs: Vec<RunSummary>,
}

#[component]
fn Runbook(read: RunbookRead, may_edit: bool, runs: Runs, allowed: Allowed) -> impl IntoView {
    let r = read.runbook;
    let body = body(&r.slug, r.version, read.pieces, allowed);
    let old = r.version != read.current;
    let state = if old {
        view! { <Badge text=format!("old version, v{} is current", read.current) tone=Tone::Warn test="version-state"/> }
    } else {
        view! { <Badge text="current version" tone=Tone::Good test="version-state"/> }
    };
    let edit = may_edit.then(|| {
        view! { <a class=BUTTON_SECONDARY href=format!("/runbooks/{}/edit", r.slug) data-test="edit-runbook">"Edit"</a> }
    });
    let line = version_line(r.version, &r.author, r.at, &r.message);
    view! {
        <Title text=r.title.clone()/>
        <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight" data-test="runbook-title">{r.title.clone()}</h1>
                <p class="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-500">
                    <span data-test="version-line" data-version=r.version.to_string()>{line}</span>
                    {state}
                </p>
                <p class="mt-1"><Tags tags=r.tags.clone()/> <Services services=r.services.clone()/></p>
            </div>
            <div class="flex gap-2">{edit}</div>
        </div>
        {old.then(|| view! { <RevertForm slug=r.slug.clone() version=r.version may=may_edit/> })}
        <div class="grid grid-cols-1 gap-6 md:grid-cols-3">
            <article class=format!("{CARD} {PROSE} md:col-span-2") data-test="runbook-body">{body}</article>
            <aside class="flex flex-col gap-4">
                <RunsPanel slug=r.slug.clone() version=r.version may=runs.may wanted=runs.wanted open=runs.open runs=runs.runs/>
                <Versions slug=r.slug.clone() shown=r.version current=read.current versions=read.versions.clone()/>
                <CompareForm slug=r.slug.clone() shown=r.version versions=read.versions/>
            </aside>
        </div>
    }
}

/// The body: markdown between the action blocks (rendered and sanitized
/// by ammonia on the server, the only markup inserted as such), each valid
/// block a step to run, each invalid one an error box.
fn body(slug: &str, version: i32, pieces: Vec<Piece>, allowed: Allowed) -> impl IntoView {
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Html(html) => view! { <div inner_html=html></div> }.into_any(),
            Piece::Step { index, step } => {
                view! { <StepCard slug=slug.to_string() version=version index=index step=step allowed=allowed run=None/> }.into_any()
            }
            Piece::Invalid { index, error } => view! { <InvalidStep index=index error=error/> }.into_any(),
        })
        .collect_view()
}

crate::island! {
    /// "Revert to this version", or for those who may not, the same button
    /// disabled and why. A revert makes a new current version: the browser
    /// goes on to it.
    fn RevertForm(slug: String, version: i32, may: bool) -> impl IntoView {
        let action = Post::to::<RevertRunbook>();
        Effect::new(move |_| {
            if let Some(Ok(saved)) = action.value().get() {
                let _ = window().location().set_href(&saved.url);
            }
        });
        let why = (!may).then(|| {
            view! { <span class="text-xs text-slate-500" data-test="revert-reason">"Your roles do not allow editing runbooks: a responder, deployer or admin can revert."</span> }
        });
        view! {
            <ActionError error=Signal::derive(move || action.value().get().and_then(Result::err))/>
            <PostForm action=action attr:class=format!("{CARD} mb-6 flex flex-wrap items-center gap-3") attr:data-test="revert-form">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="version" value=version.to_string()/>
                <span class="text-sm">{format!("You are reading version {version}. Reverting saves its text as a new version; the versions since stay.")}</span>
                <button type="submit" class=BUTTON_SECONDARY disabled=!may data-test="revert">"Revert to this version"</button>
                {why}
            </PostForm>
        }
    }
}

/// Every version, newest first, each a link; the one shown is marked.
#[component]
fn Versions(slug: String, shown: i32, current: i32, versions: Vec<VersionEntry>) -> impl IntoView {
    let items = versions
        .into_iter()
        .map(|v| {
            let href = if v.version == current {
                format!("/runbooks/{slug}")
            } else {
                format!("/runbooks/{slug}?version={}", v.version)
            };
            let class = if v.version == shown { "font-semibold" } else { "" };
            let line = version_line(v.version, &v.author, v.at, &v.message);
            view! {
                <li class=class data-test="version" data-version=v.version.to_string()>
                    <a class=LINK href=href aria-current=(v.version == shown).then_some("page")>{line}</a>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class=CARD>
            <h2 class="mb-2 text-sm font-medium">"Versions"</h2>
            <ol class="flex flex-col gap-1 text-xs" data-test="versions">{items}</ol>
        </section>
    }
}

/// Two versions to compare, the one shown and the one before by default.
#[component]
fn CompareForm(slug: String, shown: i32, versions: Vec<VersionEntry>) -> impl IntoView {
    if versions.len() < 2 {
        return None;
    }
    let newest = versions.first().map_or(shown, |v| v.version);
    let (from, to) = if shown > 1 {
        (shown - 1, shown)
    } else {
        (1, newest)
    };
    let options = move |selected: i32| {
        versions
            .iter()
            .map(|v| view! { <option value=v.version.to_string() selected=v.version == selected>{format!("v{}", v.version)}</option> })
            .collect_view()
    };
    Some(view! {
        <form method="get" action=format!("/runbooks/{slug}/diff") class=format!("{CARD} flex flex-wrap items-end gap-2") data-test="compare-form">
            <label class=LABEL>"From" <select name="from" class=INPUT data-test="compare-from">{options(from)}</select></label>
            <label class=LABEL>"To" <select name="to" class=INPUT data-test="compare-to">{options(to)}</select></label>
            <button type="submit" class=BUTTON_SECONDARY data-test="compare">"Compare"</button>
        </form>
    })
}
