//! The service form: creating a service (`/services/new`) and changing one
//! (on its page). Every field is checked on the server; a refusal is shown
//! next to the field it names, and nothing typed is lost.

use super::api::{list_environments, SaveService};
use super::{cpus_text, EnvironmentView, ServiceConfig, DEFAULT_PIDS_LIMIT};
use crate::layout::ui::*;
use crate::layout::{ErrorNotice, PageHeader};
use crate::layout::{Post, PostForm, PostOf};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// An island page (`app::ISLAND_PAGES`): the server reads the
/// environments and backup targets the form offers and hands them to
/// [`NewServiceForm`].
#[component]
pub fn NewServicePage() -> impl IntoView {
    let environments = Resource::new(|| (), |_| list_environments());
    let targets = Resource::new(|| (), |_| backup_target_names());
    view! {
        <Title text="New service"/>
        <PageHeader title="New service" subtitle="Where it runs, which image repository, and how to tell that it is healthy."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let targets = targets.await;
                match environments.await {
                    Ok(envs) => view! { <NewServiceForm environments=envs targets=targets/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The empty service form; once saved, the browser goes on to the new
    /// service's page.
    fn NewServiceForm(environments: Vec<EnvironmentView>, targets: Vec<String>) -> impl IntoView {
        let action = Post::to::<SaveService>();
        Effect::new(move |_| {
            if let Some(Ok(saved)) = action.value().get() {
                let _ = window().location().set_href(&saved.url);
            }
        });
        view! { <ServiceFields config=None id=None editable=true action=action environments=environments targets=targets/> }
    }
}

/// The message for `field` when the last save was refused because of it.
fn error_for(action: PostOf<SaveService>, field: &'static str) -> impl Fn() -> Option<String> {
    move || match action.value().get() {
        Some(Err(AppError::Validation { field: f, message })) if f == field => Some(message),
        _ => None,
    }
}

#[component]
fn Field(
    label: &'static str,
    name: &'static str,
    value: String,
    editable: bool,
    action: PostOf<SaveService>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] kind: &'static str,
) -> impl IntoView {
    let kind = if kind.is_empty() { "text" } else { kind };
    view! {
        <label class=LABEL>
            {label}
            <input name=name type=kind value=value disabled=!editable class=INPUT data-test=format!("field-{name}")/>
            {(!hint.is_empty()).then(|| view! { <span class="font-normal text-slate-500">{hint}</span> })}
            <FieldError message=Signal::derive(error_for(action, name))/>
        </label>
    }
}

#[component]
fn FieldError(message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| view! { <span class="font-normal text-red-700 dark:text-red-300" data-test="field-error">{m}</span> })
    }
}

/// The form. `id` is set when changing an existing service: its
/// environment, name and replica count (see Scale) are fixed then.
#[component]
pub fn ServiceFields(
    config: Option<ServiceConfig>,
    id: Option<i64>,
    editable: bool,
    action: PostOf<SaveService>,
    environments: Vec<EnvironmentView>,
    /// Names of the backup targets a deploy can back up first.
    targets: Vec<String>,
) -> impl IntoView {
    let c = config.unwrap_or_else(defaults);
    let n = |v: i32| v.to_string();
    let other_error = move || match action.value().get() {
        Some(Err(AppError::Validation { .. })) | None | Some(Ok(_)) => None,
        Some(Err(e)) => Some(view! { <ErrorNotice error=e/> }),
    };
    let saved = move || {
        (id.is_some() && matches!(action.value().get(), Some(Ok(_))))
        .then(|| view! { <span class="text-xs text-emerald-700" data-test="saved">"Saved: the next deploy uses these settings."</span> })
    };
    let secrets_hint = if c.secret_names.is_empty() {
        "NAME=value per line; values are encrypted and never shown again".to_string()
    } else {
        format!(
            "set now: {} (values hidden). NAME=value sets or replaces, NAME= removes",
            c.secret_names.join(", ")
        )
    };
    view! {
        <PostForm action=action attr:class=format!("{CARD} grid grid-cols-1 gap-4 md:grid-cols-3") attr:data-test="service-form">
            {id.map(|id| view! { <input type="hidden" name="id" value=id.to_string()/> })}
            <Placement c=c.clone() fixed=id.is_some() editable=editable action=action environments=environments/>
            <Field label="Image repository" name="image" value=c.image.clone() editable=editable action=action hint="without a tag, e.g. registry.example.com/shop/web"/>
            <Field label="Container port" name="port" value=n(c.port) editable=editable action=action kind="number"/>
            <label class=LABEL>"Health check"
                <select name="health_kind" disabled=!editable class=INPUT>
                    <option value="http" selected=c.health_kind == "http">"HTTP path, probed by Opsdeck"</option>
                    <option value="command" selected=c.health_kind == "command">"command, run in the container"</option>
                </select>
                <FieldError message=Signal::derive(error_for(action, "health_kind"))/>
            </label>
            <Field label="Path or command" name="health_check" value=c.health_check.clone() editable=editable action=action hint="/healthz, or e.g. /bin/check --quick"/>
            <Field label="Interval (s)" name="health_interval_s" value=n(c.health_interval_s) editable=editable action=action kind="number"/>
            <Field label="Timeout (s)" name="health_timeout_s" value=n(c.health_timeout_s) editable=editable action=action kind="number"/>
            <Field label="Retries" name="health_retries" value=n(c.health_retries) editable=editable action=action kind="number"/>
            <Field label="Start period (s)" name="health_start_period_s" value=n(c.health_start_period_s) editable=editable action=action kind="number" hint="failures in this time do not count"/>
            <Field label="Stop timeout (s)" name="stop_timeout_s" value=n(c.stop_timeout_s) editable=editable action=action kind="number" hint="SIGTERM, then SIGKILL after this"/>
            <Field label="Memory limit (MiB)" name="memory_mb" value=c.memory_mb.map(n).unwrap_or_default() editable=editable action=action kind="number" hint="per replica; empty: no limit"/>
            <Field label="CPUs" name="cpus" value=c.cpu_millis.map(cpus_text).unwrap_or_default() editable=editable action=action hint="per replica, e.g. 0.5; empty: no limit"/>
            <Field label="Process limit" name="pids_limit" value=n(c.pids_limit) editable=editable action=action kind="number" hint="processes and threads per replica"/>
            <Field label="Published port" name="published_port" value=c.published_port.map(n).unwrap_or_default() editable=editable action=action kind="number" hint="Swarm only: this port on every node reaches the service; empty: none"/>
            <Field label="Drain (s)" name="drain_s" value=n(c.drain_s) editable=editable action=action kind="number" hint="out of the DNS name, then this long before SIGTERM"/>
            <label class=format!("{LABEL} md:col-span-3")>
                <span><input type="checkbox" name="repair_off" value="on" checked=!c.repair disabled=!editable data-test="field-repair_off"/>" Do not repair"</span>
                <span class="font-normal text-slate-500">"leave replicas that vanish or die missing; otherwise Opsdeck puts them back (at most 5 times in 10 minutes)"</span>
                <FieldError message=Signal::derive(error_for(action, "repair_off"))/>
            </label>
            <BackupChoice current=c.backup_target.clone() targets=targets editable=editable action=action/>
            <label class=format!("{LABEL} md:col-span-3")>"Environment variables"
                <textarea name="env" rows="4" disabled=!editable class=format!("{INPUT} font-mono") placeholder="LOG_LEVEL=info">{crate::layout::html_text(&c.env)}</textarea>
                <FieldError message=Signal::derive(error_for(action, "env"))/>
            </label>
            <label class=format!("{LABEL} md:col-span-3")>"Secret variables"
                <textarea name="secrets" rows="2" disabled=!editable class=format!("{INPUT} font-mono") autocomplete="off" placeholder="API_KEY=…" data-test="field-secrets"></textarea>
                <span class="font-normal text-slate-500">{secrets_hint}</span>
                <FieldError message=Signal::derive(error_for(action, "secrets"))/>
            </label>
            <div class="flex items-center gap-3 md:col-span-3">
                {editable.then(|| view! { <button type="submit" class=BUTTON_PRIMARY data-test="service-save">{if id.is_some() { "Save settings" } else { "Create service" }}</button> })}
                {saved}
                {other_error}
            </div>
        </PostForm>
    }
}

/// The database backed up before each deploy (and rollback).
#[component]
fn BackupChoice(
    current: Option<String>,
    targets: Vec<String>,
    editable: bool,
    action: PostOf<SaveService>,
) -> impl IntoView {
    let options = targets
        .into_iter()
        .map(|t| {
            let selected = current.as_deref() == Some(t.as_str());
            let label = t.clone();
            view! { <option value=t selected=selected>{label}</option> }
        })
        .collect_view();
    view! {
        <label class=LABEL>"Back up before each deploy"
            <select name="backup_target" disabled=!editable class=INPUT data-test="field-backup_target">
                <option value="" selected=current.is_none()>"no backup"</option>
                {options}
            </select>
            <span class="font-normal text-slate-500">"a backup target; the deploy waits for its backup"</span>
            <FieldError message=Signal::derive(error_for(action, "backup_target"))/>
        </label>
    }
}

/// The backup target names for the form's choice. A list that cannot be
/// read leaves only "no backup" (the save checks the name anyway).
pub async fn backup_target_names() -> Vec<String> {
    crate::backup::api::list_backup_targets()
        .await
        .map(|list| list.into_iter().map(|t| t.name).collect())
        .unwrap_or_default()
}

/// Environment, name and replica count: chosen once, when creating.
#[component]
fn Placement(
    c: ServiceConfig,
    fixed: bool,
    editable: bool,
    action: PostOf<SaveService>,
    environments: Vec<EnvironmentView>,
) -> impl IntoView {
    if fixed {
        return view! {
            <input type="hidden" name="environment" value=c.environment.clone()/>
            <input type="hidden" name="name" value=c.name.clone()/>
            <input type="hidden" name="replicas" value=c.replicas.to_string()/>
        }
        .into_any();
    }
    let options = environments
        .into_iter()
        .map(|e| view! { <option value=e.name.clone()>{format!("{} (endpoint {})", e.name, e.endpoint)}</option> })
        .collect_view();
    view! {
        <label class=LABEL>"Environment"
            <select name="environment" class=INPUT data-test="field-environment">{options}</select>
            <FieldError message=Signal::derive(error_for(action, "environment"))/>
        </label>
        <Field label="Name" name="name" value=String::new() editable=editable action=action hint="a DNS label: web, billing-api"/>
        <Field label="Replicas" name="replicas" value=c.replicas.to_string() editable=editable action=action kind="number"/>
    }
    .into_any()
}

/// What a new service starts from.
fn defaults() -> ServiceConfig {
    ServiceConfig {
        environment: String::new(),
        name: String::new(),
        image: String::new(),
        port: 8080,
        health_kind: "http".into(),
        health_check: "/healthz".into(),
        health_interval_s: 5,
        health_timeout_s: 3,
        health_retries: 3,
        health_start_period_s: 0,
        replicas: 2,
        stop_timeout_s: 10,
        drain_s: 3,
        repair: true,
        env: String::new(),
        secret_names: vec![],
        backup_target: None,
        memory_mb: None,
        cpu_millis: None,
        pids_limit: DEFAULT_PIDS_LIMIT,
        published_port: None,
    }
}
