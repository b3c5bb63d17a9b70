//! The runs of a runbook, on its page: "Start a run" (for an open
//! incident, if one is picked: `?incident=N` picks it when the page is
//! opened from an incident) and the runs so far, newest first.

use super::run_api::{list_runbook_runs, StartRunbookRun};
use super::RunSummary;
use crate::format::utc;
use crate::incident::api::list_incidents;
use crate::incident::Status;
use crate::layout::ui::*;
use crate::layout::{Post, PostForm};
use leptos::prelude::*;

/// What the runs panel shows besides the runbook: the open incidents a
/// run may be for (`(id, label)`), and the runs of `slug` so far.
pub async fn read_runs_panel(slug: String) -> (Vec<(i64, String)>, Vec<RunSummary>) {
    let open = list_incidents()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.status != Status::Resolved)
        .map(|i| {
            (
                i.id,
                format!("#{} {} ({})", i.id, i.title, i.severity.as_str()),
            )
        })
        .collect();
    (open, list_runbook_runs(slug).await.unwrap_or_default())
}

crate::island! {
    /// "Start a run" of version `version`, for one of the `open` incidents
    /// (`wanted` picked when the page was opened from it), and the runs so
    /// far; a started run is followed on its own page.
    pub fn RunsPanel(
        slug: String,
        version: i32,
        may: bool,
        wanted: String,
        open: Vec<(i64, String)>,
        runs: Vec<RunSummary>,
    ) -> impl IntoView {
        let start = Post::to::<StartRunbookRun>();
        Effect::new(move |_| {
            if let Some(Ok(run)) = start.value().get() {
                let _ = window().location().set_href(&run.url());
            }
        });
        let options = open
            .into_iter()
            .map(|(id, label)| {
                let id = id.to_string();
                let selected = id == wanted;
                view! { <option value=id selected=selected>{label}</option> }
            })
            .collect_view();
        let why = (!may).then(|| {
            view! { <span class="text-xs text-slate-500" data-test="start-run-reason">"Your roles do not allow running runbooks: a responder, deployer or admin can."</span> }
        });
        view! {
            <section class=CARD data-test="runs">
                <h2 class="mb-2 text-sm font-medium">"Runs"</h2>
                <PostForm action=start attr:class="mb-3 flex flex-col gap-2" attr:data-test="start-run-form">
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="version" value=version.to_string()/>
                    <label class=LABEL>"For incident"
                        <select name="incident" class=INPUT disabled=!may data-test="run-incident-pick">
                            <option value="">"none"</option>
                            {options}
                        </select>
                    </label>
                    <button type="submit" class=BUTTON_PRIMARY disabled=move || !may || start.pending().get() data-test="start-run">"Start a run"</button>
                    {why}
                </PostForm>
                <ActionError error=Signal::derive(move || start.value().get().and_then(Result::err))/>
                <RunList runs=runs/>
            </section>
        }
    }
}

#[component]
fn RunList(runs: Vec<RunSummary>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="text-xs text-slate-500">"No runs yet."</p> }.into_any();
    }
    let items = runs
        .into_iter()
        .map(|r| {
            let state = if r.ended.is_some() {
                "finished"
            } else {
                "in progress"
            };
            let incident = r
                .incident
                .as_ref()
                .map(|(id, _)| format!(", incident #{id}"))
                .unwrap_or_default();
            let line = format!(
                "#{} v{} by {}, {} ({state}{incident})",
                r.id,
                r.version,
                r.started_by.trim_start_matches("user:"),
                utc(r.started_at)
            );
            view! { <li data-test="run"><a class=LINK href=r.url()>{line}</a></li> }
        })
        .collect_view();
    view! { <ol class="flex flex-col gap-1 text-xs" data-test="run-list">{items}</ol> }.into_any()
}
