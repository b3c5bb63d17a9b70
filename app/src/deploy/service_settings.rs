//! `/services/<environment>/<name>/settings`: the service's settings form
//! and, behind its typed name, removing the service. A page of its own:
//! the settings are changed rarely and their form is the biggest code the
//! service page would carry (docs/wasm-budget.md), while the service page
//! is the one opened during an incident.

use super::api::{read_service, RemoveService, SaveService};
use super::service_form::{backup_target_names, ServiceFields};
use super::ServiceConfig;
use crate::auth::Permission;
use crate::layout::ui::*;
use crate::layout::{use_signed_in, ErrorNotice, Post, PostForm};
use leptos::prelude::*;
use leptos_meta::Title;

/// An island page (`app::ISLAND_PAGES`): the server reads the service's
/// settings, the backup targets the form offers and whether the signed-in
/// person may change them, and hands them to [`ServiceSettings`].
#[component]
pub fn ServiceSettingsPage() -> impl IntoView {
    let reference = super::service_page::reference_param();
    let service = Resource::new(move || reference.get(), read_service);
    let targets = Resource::new(|| (), |_| backup_target_names());
    let me = use_signed_in();
    view! {
        <Title text=move || format!("Settings of {}", reference.get())/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may = me.user().await.is_some_and(|u| u.can(Permission::Deploy));
                let targets = targets.await;
                match service.await {
                    Ok(d) => view! {
                        <Header reference=reference.get_untracked()/>
                        <ServiceSettings reference=reference.get_untracked() id=d.summary.id config=d.config may=may targets=targets/>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Header(reference: String) -> impl IntoView {
    view! {
        <div class="mb-6">
            <p class="text-sm text-slate-500">
                <a class="underline" href="/services">"Services"</a>
                " / "
                <a class="underline" href=format!("/services/{reference}") data-test="settings-service-link">{reference.clone()}</a>
            </p>
            <h1 class="text-2xl font-semibold tracking-tight">"Settings"</h1>
            <p class="mt-1 text-sm text-slate-500">"The next deploy, restart or scale uses them; running replicas keep theirs until then."</p>
        </div>
    }
}

crate::island! {
    /// The settings form (read-only without the deploy permission) and
    /// the removal of the service.
    fn ServiceSettings(
        reference: String,
        id: i64,
        config: ServiceConfig,
        may: bool,
        targets: Vec<String>,
    ) -> impl IntoView {
        let edit = Post::to::<SaveService>();
        view! {
            <ServiceFields config=Some(config) id=Some(id) editable=may action=edit environments=vec![] targets=targets/>
            {may.then(|| view! { <RemoveForm service=reference/> })}
        }
    }
}

/// Removing the service, behind its typed name; the server sends the
/// browser to the services list once it is gone.
#[component]
fn RemoveForm(service: String) -> impl IntoView {
    let remove = Post::to::<RemoveService>();
    let error = move || {
        remove
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorNotice error=e/> })
    };
    let hint = format!("Stops and removes every replica, then forgets the service and its releases (the audit log keeps them). Type {service} to confirm.");
    view! {
        <details class="mt-6 rounded-md border border-red-200 p-4 dark:border-red-900" data-test="remove-service">
            <summary class="cursor-pointer text-sm font-medium text-red-700 dark:text-red-300">"Remove this service"</summary>
            <PostForm action=remove attr:class="mt-3 flex flex-wrap items-end gap-3">
                <input type="hidden" name="service" value=service.clone()/>
                <label class=LABEL>{hint}
                    <input name="confirm" required autocomplete="off" placeholder=service data-test="remove-confirm" class=INPUT/>
                </label>
                <button type="submit" class=BUTTON_DANGER data-test="remove-submit">"Remove service"</button>
            </PostForm>
            <div class="mt-3">{error}</div>
        </details>
    }
}
