//! `/deployments/<id>`: one deployment's step log, live while it runs.

use super::api::read_deployment;
use super::widgets::StateBadge;
use super::{DeploymentDetail, DeploymentView, StepView};
use crate::format::{duration, utc};
use crate::layout::ui::*;
use crate::layout::ErrorNotice;
use crate::live::use_event_stream;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// An island page (`app::ISLAND_PAGES`): the server reads the deployment
/// with its steps so far and hands it to [`LiveDeployment`].
#[component]
pub fn DeploymentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => read_deployment(id).await,
            None => Err(AppError::NotFound("that deployment".into())),
        }
    });
    view! {
        <Title text=move || format!("Deployment #{}", id().unwrap_or_default())/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <LiveDeployment detail=d/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The deployment as the database has it, kept current by the step stream
    /// while it runs (no reloads, no polling).
    fn LiveDeployment(detail: DeploymentDetail) -> impl IntoView {
        let id = detail.deployment.id;
        let after = detail.steps.last().map(|s| s.id).unwrap_or(0);
        let running = !detail.deployment.state.is_finished();
        let deployment = RwSignal::new(detail.deployment);
        let steps = RwSignal::new(detail.steps);
        if running {
            use_event_stream(
                format!("/deployments/{id}/events?after={after}"),
                &["step", "state"],
                move |kind, data| match kind {
                    "step" => {
                        if let Ok(step) = serde_json::from_str::<StepView>(&data) {
                            steps.update(|v| {
                                if v.last().is_none_or(|l| l.id < step.id) {
                                    v.push(step)
                                }
                            });
                        }
                    }
                    _ => {
                        if let Ok(d) = serde_json::from_str::<DeploymentView>(&data) {
                            deployment.set(d);
                        }
                    }
                },
            );
        }
        view! {
            {move || view! { <Header d=deployment.get()/> }}
            <h2 class=H2>"Steps"</h2>
            <ol class=format!("{CARD} space-y-1 font-mono text-xs") data-test="steps">
                <For each=move || steps.get() key=|s| s.id let:step>
                    <Step step=step/>
                </For>
            </ol>
        }
    }
}

#[component]
fn Header(d: DeploymentView) -> impl IntoView {
    let service_href = format!("/services/{}", d.service);
    let took = duration(d.duration_secs());
    let previous = d
        .previous_release
        .map(|p| format!(" (was #{p})"))
        .unwrap_or_default();
    view! {
        <div class="mb-6 flex flex-wrap items-center gap-3">
            <h1 class="text-2xl font-semibold tracking-tight">{format!("Deployment #{}", d.id)}</h1>
            <StateBadge state=d.state/>
        </div>
        <dl class="grid grid-cols-1 gap-4 sm:grid-cols-4">
            <div class=CARD><dt class="text-xs uppercase text-slate-500">"Service"</dt>
                <dd class="mt-1 text-sm"><a class=LINK href=service_href data-test="deployment-service">{d.service.clone()}</a></dd></div>
            <div class=CARD><dt class="text-xs uppercase text-slate-500">{d.kind.clone()}</dt>
                <dd class="mt-1 text-sm" data-test="deployment-release">{format!("release {}{previous}", d.release_text())}</dd></div>
            <div class=CARD><dt class="text-xs uppercase text-slate-500">"By"</dt>
                <dd class="mt-1 text-sm">{d.actor.trim_start_matches("user:").to_string()}</dd></div>
            <div class=CARD><dt class="text-xs uppercase text-slate-500">"Started"</dt>
                <dd class="mt-1 text-sm" title=utc(d.started_at)>{format!("{} · {took}", utc(d.started_at))}</dd></div>
        </dl>
        <PreDeployNote backup=d.pre_deploy_backup.clone() skipped=d.backup_skipped.clone()/>
        <ChangeNote commit=d.commit_sha.clone() committed_at=d.committed_at fixes=d.fixes_incident/>
        {d.reason.map(|r| view! {
            <div class="mt-4 rounded-md border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-900 dark:bg-amber-950" data-test="deployment-reason">
                <p class="font-medium">{r}</p>
                {d.health_output.map(|o| view! { <p class="mt-2 font-mono text-xs">"Last health check: " {o}</p> })}
            </div>
        })}
    }
}

/// What became of the pre-deploy backup, when the service takes one.
#[component]
fn PreDeployNote(backup: Option<String>, skipped: Option<String>) -> impl IntoView {
    let backup = backup.map(|href| {
        let label = format!("backup #{}", href.rsplit('/').next().unwrap_or_default());
        view! { <p class="mt-3 text-sm" data-test="pre-deploy-backup">"Backed up first: " <a class=LINK href=href>{label}</a></p> }
    });
    let skipped = skipped.map(|why| {
        view! { <p class="mt-3 text-sm text-amber-700 dark:text-amber-300" data-test="backup-skipped">"Pre-deploy backup skipped: " {why}</p> }
    });
    view! { {backup} {skipped} }
}

/// The commit and the incident the deployer said this deploy ships and fixes.
#[component]
fn ChangeNote(
    commit: Option<String>,
    committed_at: Option<chrono::DateTime<chrono::Utc>>,
    fixes: Option<i64>,
) -> impl IntoView {
    let commit = commit.map(|sha| {
        let when = committed_at
            .map(|at| format!(", committed {}", utc(at)))
            .unwrap_or_default();
        view! { <p class="mt-3 text-sm" data-test="deployment-commit">"Commit " <span class="font-mono">{sha}</span>{when}</p> }
    });
    let fixes = fixes.map(|id| {
        view! { <p class="mt-3 text-sm" data-test="deployment-fixes">"Fixes " <a class=LINK href=format!("/incidents/{id}")>{format!("incident #{id}")}</a></p> }
    });
    view! { {commit} {fixes} }
}

#[component]
fn Step(step: StepView) -> impl IntoView {
    let colour = match step.level.as_str() {
        "error" => "text-red-700 dark:text-red-300",
        "warn" => "text-amber-700 dark:text-amber-300",
        _ => "text-slate-700 dark:text-slate-200",
    };
    view! {
        <li class=format!("flex gap-3 {colour}") data-test="step">
            <span class="shrink-0 text-slate-400">{step.at.format("%H:%M:%S%.3f").to_string()}</span>
            <span class="whitespace-pre-wrap break-words">{step.message}</span>
        </li>
    }
}
