//! The runs of a runbook, on its page: "Start a run" (for an open
//! incident, if one is picked: `?incident=N` picks it when the page is
//! opened from an incident) and the runs so far, newest first.

use super::run_api::{list_runbook_runs, StartRunbookRun};
use super::RunSummary;
use crate::format::utc;
use crate::incident::api::list_incidents;
use crate::incident::Status;
use crate::layout::ui::*;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn RunsPanel(slug: String, version: i32, may: bool) -> impl IntoView {
    let start = ServerAction::<StartRunbookRun>::new();
    Effect::new(move |_| {
        if let Some(Ok(run)) = start.value().get() {
            use_navigate()(&run.url(), Default::default());
        }
    });
    let wanted = use_query_map()
        .get_untracked()
        .get("incident")
        .unwrap_or_default();
    let incidents = Resource::new(|| (), |_| list_incidents());
    let runs = {
        let slug = slug.clone();
        Resource::new(move || slug.clone(), list_runbook_runs)
    };
    let picker = move || {
        let wanted = wanted.clone();
        Suspend::new(async move {
            let open = incidents
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|i| i.status != Status::Resolved);
            let options = open
                .map(|i| {
                    let id = i.id.to_string();
                    let selected = id == wanted;
                    view! { <option value=id selected=selected>{format!("#{} {} ({})", i.id, i.title, i.severity.as_str())}</option> }
                })
                .collect_view();
            view! {
                <label class=LABEL>"For incident"
                    <select name="incident" class=INPUT disabled=!may data-test="run-incident-pick">
                        <option value="">"none"</option>
                        {options}
                    </select>
                </label>
            }
        })
    };
    let why = (!may).then(|| {
        view! { <span class="text-xs text-slate-500" data-test="start-run-reason">"Your roles do not allow running runbooks: a responder, deployer or admin can."</span> }
    });
    view! {
        <section class=CARD data-test="runs">
            <h2 class="mb-2 text-sm font-medium">"Runs"</h2>
            <ActionForm action=start attr:class="mb-3 flex flex-col gap-2" attr:data-test="start-run-form">
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="version" value=version.to_string()/>
                <Transition fallback=|| ()>{picker}</Transition>
                <button type="submit" class=BUTTON_PRIMARY disabled=move || !may || start.pending().get() data-test="start-run">"Start a run"</button>
                {why}
            </ActionForm>
            <ActionError error=Signal::derive(move || start.value().get().and_then(Result::err))/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    runs.await.ok().map(|list| view! { <RunList runs=list/> })
                })}
            </Transition>
        </section>
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
