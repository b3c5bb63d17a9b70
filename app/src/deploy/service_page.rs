//! `/services/<environment>/<name>`: a service's state, its actions
//! (deploy, scale, restart, roll back), its history, replicas and logs.
//! Its settings have a page of their own (`service_settings.rs`).

use super::api::ReadService;
use super::api::{read_service, Deploy, Restart, Rollback, Scale};
use super::replica_panel::ReplicaPanel;
use super::service_history::SkipBackup;
use super::service_history::{DeploymentsTable, ReleasesTable};
use super::service_logs::LogPanel;
use super::services_page::replicas_cell;
use super::widgets::StateBadge;
use super::{limits_text, DeploymentStarted, ServiceDetail};
use crate::auth::Permission;
use crate::format::{ago, short_id};
use crate::layout::ask;
use crate::layout::ui::*;
use crate::layout::use_signed_in;
use crate::layout::{reload_on, ErrorNotice};
use crate::layout::{Post, PostForm, PostOf};
use crate::live::use_live_tick;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The page's actions; the service reloads after any of them.
#[derive(Clone, Copy)]
pub struct Actions {
    pub deploy: PostOf<Deploy>,
    pub rollback: PostOf<Rollback>,
    pub restart: PostOf<Restart>,
    pub scale: PostOf<Scale>,
}

impl Actions {
    fn new() -> Self {
        Actions {
            deploy: Post::to::<Deploy>(),
            rollback: Post::to::<Rollback>(),
            restart: Post::to::<Restart>(),
            scale: Post::to::<Scale>(),
        }
    }

    fn versions(&self) -> [usize; 4] {
        [
            self.deploy.version().get(),
            self.rollback.version().get(),
            self.restart.version().get(),
            self.scale.version().get(),
        ]
    }

    /// The deployment the latest action started, to follow it.
    fn started(&self) -> Option<DeploymentStarted> {
        let ok = |r: Option<Result<DeploymentStarted, AppError>>| r.and_then(Result::ok);
        ok(self.deploy.value().get())
            .or_else(|| ok(self.rollback.value().get()))
            .or_else(|| ok(self.restart.value().get()))
            .or_else(|| self.scale.value().get().and_then(Result::ok).flatten())
    }

    fn last_error(&self) -> Option<AppError> {
        let err = |r: Option<Result<DeploymentStarted, AppError>>| r.and_then(Result::err);
        err(self.deploy.value().get())
            .or_else(|| err(self.rollback.value().get()))
            .or_else(|| err(self.restart.value().get()))
            .or_else(|| self.scale.value().get().and_then(Result::err))
    }
}

/// An island page (`app::ISLAND_PAGES`): the server reads the service and
/// whether the signed-in person may deploy, and hands them to
/// [`ServiceView`].
#[component]
pub fn ServicePage() -> impl IntoView {
    let reference = reference_param();
    let first = Resource::new(move || reference.get(), read_service);
    let me = use_signed_in();
    view! {
        <Title text=move || reference.get()/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_deploy = me.user().await.is_some_and(|u| u.can(Permission::Deploy));
                let first = first.await;
                view! { <ServiceView reference=reference.get_untracked() can_deploy=can_deploy first=first/> }
            })}
        </Suspense>
    }
}

/// `environment/name` from the route's `{env}/{name}` (the service and
/// its settings page).
pub(super) fn reference_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| {
        let p = params.read();
        let part = |k: &str| p.get(k).unwrap_or_default();
        format!("{}/{}", part("env"), part("name"))
    })
}

crate::island! {
    /// The service's facts, actions, history, replicas and logs.
    /// Two copies of the service: `live` follows every change (anyone's
    /// deployment, another process) and redraws the facts and history;
    /// `settled` follows only this page's own actions and carries the
    /// action forms and the log stream, which a redraw would reset while
    /// in use.
    /// A started deployment is followed on its own page.
    fn ServiceView(
        reference: String,
        can_deploy: bool,
        first: Result<ServiceDetail, AppError>,
    ) -> impl IntoView {
        let actions = Actions::new();
        let tick = use_live_tick({
            let reference = reference.clone();
            move || format!("/services/{reference}/changes")
        });
        let live = RwSignal::new(first.clone());
        let settled = RwSignal::new(first);
        let read = move || ask::<ReadService>(&[("service", &reference)]);
        reload_on(move || (tick.get(), actions.versions()), live, read.clone());
        reload_on(move || actions.versions(), settled, read);
        let skip = (RwSignal::new(false), RwSignal::new(String::new()));
        Effect::new(move |_| {
            if let Some(started) = actions.started() {
                let _ = window().location().set_href(&started.url);
            }
        });
        view! {
            <ActionError error=Signal::derive(move || actions.last_error())/>
            {move || match live.get() {
                Ok(d) => view! { <ServiceTop d=d/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            {move || {
                let d = settled.get().ok().filter(|_| can_deploy)?;
                let skip = skip_backup(&d, skip);
                Some(view! { <ActionsBar service=full_name(&d) replicas=d.summary.desired tags=d.tags.clone() actions=actions skip_backup=skip/> })
            }}
            {move || {
                let d = live.get().ok()?;
                let skip = skip_backup(&d, skip);
                let live_number = d.summary.live.as_ref().map(|r| r.number);
                Some(view! {
                    <h2 class=H2>"Releases"</h2>
                    <ReleasesTable service=full_name(&d) releases=d.releases.clone() live=live_number can_deploy=can_deploy action=actions.rollback skip_backup=skip/>
                    <h2 class=H2>"Deployments"</h2>
                    <DeploymentsTable deployments=d.deployments.clone()/>
                })
            }}
            {move || {
                let d = settled.get().ok()?;
                Some(view! { <ServiceRest d=d/> })
            }}
        }
    }
}

fn full_name(d: &ServiceDetail) -> String {
    format!("{}/{}", d.summary.environment, d.summary.name)
}

/// The skip-backup choice, shared by the deploy form and the rollback
/// buttons (its signals outlive every redraw).
fn skip_backup(
    d: &ServiceDetail,
    (ticked, reason): (RwSignal<bool>, RwSignal<String>),
) -> SkipBackup {
    SkipBackup {
        target: d.config.backup_target.clone(),
        ticked,
        reason,
    }
}

#[component]
fn ServiceTop(d: ServiceDetail) -> impl IntoView {
    view! {
        <div class="mb-6">
            <a class=format!("{LINK} float-right text-sm") href=format!("/services/{}/settings", full_name(&d)) data-test="service-settings">"Settings"</a>
            <h1 class="text-2xl font-semibold tracking-tight" data-test="service-name">{full_name(&d)}</h1>
            <p class="mt-1 text-sm text-slate-500">
                <span class="font-mono">{d.summary.image.clone()}</span>
                {format!(" · endpoint {}{} · network {}", d.endpoint, if d.swarm { " (Swarm)" } else { "" }, d.network)}
                {d.config.published_port.map(|p| view! { <span data-test="published-port">{format!(" · published on port {p} → {}", d.config.port)}</span> })}
            </p>
            <p class="mt-1 text-sm text-slate-500" data-test="service-limits">
                {format!("Limits per replica: {}", limits_text(d.config.memory_mb, d.config.cpu_millis, d.config.pids_limit))}
            </p>
        </div>
        <Facts d=d/>
    }
}

#[component]
fn ServiceRest(d: ServiceDetail) -> impl IntoView {
    let full = full_name(&d);
    view! {
        <h2 class=H2>"Replicas"</h2>
        <ReplicaPanel service=full.clone()/>
        <h2 class=H2>"Logs"</h2>
        <LogPanel service=full/>
    }
}

#[component]
fn Facts(d: ServiceDetail) -> impl IntoView {
    let live = match d.summary.live.clone() {
        Some(r) => view! {
            <span data-test="live-release">{format!("#{} {}", r.number, r.tag)}</span>
            <span class="ml-2 font-mono text-xs text-slate-500">{short_id(&r.image_id)}</span>
        }
        .into_any(),
        None => view! { <span data-test="live-release">"none yet"</span> }.into_any(),
    };
    let last = d.summary.last.clone().map_or_else(|| view! { <span>"none yet"</span> }.into_any(), |l| {
        view! {
            <a href=format!("/deployments/{}", l.id) class="inline-flex items-center gap-2">
                <StateBadge state=l.state/>
                <span class="text-xs text-slate-500">{format!("{} by {} · {}", l.kind, l.actor.trim_start_matches("user:"), ago(l.started_at))}</span>
            </a>
        }
        .into_any()
    });
    view! {
        <dl class="grid grid-cols-1 gap-4 sm:grid-cols-3">
            <div class=CARD><dt class="text-xs font-medium uppercase text-slate-500">"Live release"</dt>
                <dd class="mt-1 text-sm">{live}</dd></div>
            <div class=CARD><dt class="text-xs font-medium uppercase text-slate-500">"Replicas healthy / desired"</dt>
                <dd class="mt-1 text-sm">{replicas_cell(d.summary.healthy, d.summary.desired)}</dd></div>
            <div class=CARD><dt class="text-xs font-medium uppercase text-slate-500">"Last deployment"</dt>
                <dd class="mt-1 text-sm">{last}</dd></div>
        </dl>
    }
}

#[component]
fn ActionsBar(
    service: String,
    replicas: i32,
    tags: Vec<String>,
    actions: Actions,
    skip_backup: SkipBackup,
) -> impl IntoView {
    let busy = move || {
        actions.deploy.pending().get()
            || actions.restart.pending().get()
            || actions.scale.pending().get()
    };
    let (for_deploy, for_scale) = (service.clone(), service.clone());
    view! {
        <div class=format!("{CARD} mt-4 flex flex-wrap items-end gap-6") data-test="service-actions">
            <PostForm action=actions.deploy attr:class="flex items-end gap-2" attr:data-test="deploy-form">
                <input type="hidden" name="service" value=for_deploy/>
                <label class=LABEL>"Image tag"
                    <input name="tag" required placeholder="e.g. v1.4.2" list="local-tags" autocomplete="off" class=INPUT data-test="deploy-tag"/>
                </label>
                <datalist id="local-tags">
                    {tags.into_iter().map(|t| view! { <option value=t/> }).collect_view()}
                </datalist>
                <SkipControls skip_backup=skip_backup/>
                <ChangeFields/>
                <button type="submit" class=BUTTON_PRIMARY disabled=busy data-test="deploy-submit">"Deploy"</button>
            </PostForm>
            <PostForm action=actions.scale attr:class="flex items-end gap-2" attr:data-test="scale-form">
                <input type="hidden" name="service" value=for_scale/>
                <label class=LABEL>"Replicas"
                    <input name="replicas" type="number" min="0" max="50" value=replicas.to_string() class=format!("{INPUT} w-20")/>
                </label>
                <button type="submit" class=BUTTON disabled=busy>"Scale"</button>
            </PostForm>
            <PostForm action=actions.restart attr:class="flex items-end" attr:data-test="restart-form">
                <input type="hidden" name="service" value=service/>
                <button type="submit" class=BUTTON disabled=busy>"Restart replicas"</button>
            </PostForm>
        </div>
    }
}

/// What the deploy ships, for the dashboard's lead time and rework rate:
/// optional, folded away, the same fields a pipeline sends to `/api/deploy`.
#[component]
fn ChangeFields() -> impl IntoView {
    view! {
        <details class="text-xs" data-test="deploy-change">
            <summary class="cursor-pointer text-slate-500">"Commit, fix"</summary>
            <div class="mt-1 flex flex-col gap-1">
                <input name="commit_sha" placeholder="commit id" autocomplete="off" class=format!("{INPUT} font-mono")/>
                <input name="committed_at" placeholder="committed at (git log --format=%cI)" autocomplete="off" class=INPUT/>
                <input name="fixes_incident" placeholder="fixes incident #" inputmode="numeric" autocomplete="off" class=INPUT/>
            </div>
        </details>
    }
}

/// "Skip the pre-deploy backup", shown when the service takes one; the
/// rollback buttons send the same choice.
#[component]
fn SkipControls(skip_backup: SkipBackup) -> impl IntoView {
    let target = skip_backup.target.clone()?;
    let (ticked, reason) = (skip_backup.ticked, skip_backup.reason);
    Some(view! {
        <div class="flex flex-col gap-1 text-xs" data-test="skip-backup">
            <span class="text-slate-500">{format!("Backs up `{target}` first.")}</span>
            <label class="inline-flex items-center gap-1">
                <input type="checkbox" name="skip_backup" prop:checked=move || ticked.get()
                    on:change=move |e| ticked.set(event_target_checked(&e))/>
                "skip it, because"
            </label>
            <input name="skip_reason" placeholder="reason (audited)" class=INPUT bind:value=reason/>
        </div>
    })
}
