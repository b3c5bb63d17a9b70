//! The affected services on the incident's page: each one's live release
//! and replica health, and "roll back to previous release" for those who
//! may deploy. The button is the service page's own: the same `rollback`
//! server fn with the same fields (and so the same pre-deploy backup, guard
//! and audit); its result reaches the timeline by the automatic path.

use crate::deploy::api::Rollback;
use crate::deploy::{replicas_cell, ServiceDetail};
use crate::layout::ui::*;
use crate::layout::{PostForm, PostOf};
use crate::AppError;
use leptos::prelude::*;

/// Each affected service (`environment/name`) as read now, or why it
/// could not be (removed since, or unreadable).
pub type Affected = Vec<(String, Result<ServiceDetail, AppError>)>;

/// Reads each of `services`, one after the other.
pub async fn read_affected(services: Vec<String>) -> Affected {
    let mut read = Vec::with_capacity(services.len());
    for service in services {
        let detail = read_one(&service).await;
        read.push((service, detail));
    }
    read
}

/// In the browser through the islands' client, on the server directly.
#[cfg(feature = "hydrate")]
async fn read_one(service: &str) -> Result<ServiceDetail, AppError> {
    crate::layout::ask::<crate::deploy::api::ReadService>(&[("service", service)]).await
}

#[cfg(not(feature = "hydrate"))]
async fn read_one(service: &str) -> Result<ServiceDetail, AppError> {
    crate::deploy::api::read_service(service.to_string()).await
}

/// Every affected service with its live release and health; the incident
/// page reads them again on each live change and after each rollback.
#[component]
pub fn AffectedServices(
    services: Affected,
    rollback: PostOf<Rollback>,
    can_deploy: bool,
) -> impl IntoView {
    if services.is_empty() {
        return None;
    }
    let rows = services
        .into_iter()
        .map(|(service, read)| match read {
            Ok(d) => view! { <Row detail=d rollback=rollback can_deploy=can_deploy/> }.into_any(),
            Err(e) => view! {
                <tr class=ROW data-test="affected-service" data-service=service.clone()>
                    <td class=CELL>{service.clone()}</td>
                    <td class=format!("{CELL} text-xs text-slate-500") colspan="3">{e.to_string()}</td>
                </tr>
            }
            .into_any(),
        })
        .collect_view();
    Some(view! {
        <DataTable test="affected-services" spaced=true headers=&["Service", "Live release", "Healthy", ""]>{rows}</DataTable>
    })
}

#[component]
fn Row(detail: ServiceDetail, rollback: PostOf<Rollback>, can_deploy: bool) -> impl IntoView {
    let s = &detail.summary;
    let name = format!("{}/{}", s.environment, s.name);
    let live = s.live.as_ref().map(|r| r.number);
    let release = s
        .live
        .as_ref()
        .map(|r| format!("#{} ({})", r.number, r.tag))
        .unwrap_or_else(|| "none".into());
    // The newest release older than the live one: what a rollback returns to.
    let previous = live.and_then(|l| {
        detail
            .releases
            .iter()
            .filter(|r| r.number < l)
            .map(|r| r.number)
            .max()
    });
    let reference = name.clone();
    let action = match (previous, can_deploy) {
        (None, _) => view! { <span class="text-xs text-slate-500">"no earlier release"</span> }.into_any(),
        (Some(n), false) => view! {
            <button type="button" class=BUTTON disabled=true title="Rolling back needs the deploy permission (deployer or admin)." data-test="incident-rollback">{format!("Roll back to #{n}")}</button>
            <span class="ml-2 text-xs text-slate-500" data-test="rollback-why">"needs the deploy permission"</span>
        }.into_any(),
        (Some(n), true) => view! {
            <PostForm action=rollback>
                <input type="hidden" name="service" value=reference/>
                <input type="hidden" name="release" value=n.to_string()/>
                <input type="hidden" name="skip_backup" value=""/>
                <input type="hidden" name="skip_reason" value=""/>
                <button type="submit" class=BUTTON data-test="incident-rollback">{format!("Roll back to #{n}")}</button>
            </PostForm>
            {detail.config.backup_target.clone().map(|t| view! { <span class="text-xs text-slate-500">{format!("Backs up `{t}` first.")}</span> })}
        }.into_any(),
    };
    view! {
        <tr class=ROW data-test="affected-service" data-service=name.clone()>
            <td class=CELL><a class=LINK href=format!("/services/{name}")>{name.clone()}</a></td>
            <td class=format!("{CELL} font-mono text-xs") data-test="affected-live">{release}</td>
            <td class=CELL>{replicas_cell(s.healthy, s.desired)}</td>
            <td class=CELL>{action}</td>
        </tr>
    }
}

/// The deployments the incident names as suspected causes.
#[component]
pub fn SuspectedCauses(causes: Vec<crate::incident::SuspectedCause>) -> impl IntoView {
    if causes.is_empty() {
        return None;
    }
    let items = causes
        .into_iter()
        .map(|c| {
            let href = format!("/deployments/{}", c.change.deployment);
            let by = format!(
                " — marked by {} at {}",
                c.linked_by.trim_start_matches("user:"),
                crate::format::utc(c.linked_at)
            );
            view! { <li data-test="suspected-cause"><a class=LINK href=href>{c.change.describe()}</a><span class="text-xs text-slate-500">{by}</span></li> }
        })
        .collect_view();
    Some(view! {
        <div class="mt-3 text-sm">
            <span class="font-medium">"Suspected cause"</span>
            <ul class="mt-1 space-y-1">{items}</ul>
        </div>
    })
}

/// Names a deployment of an affected service as a suspected cause.
#[component]
pub fn CauseForm(
    id: i64,
    link: PostOf<crate::incident::api::LinkIncidentDeployment>,
) -> impl IntoView {
    view! {
        <PostForm action=link attr:class="mt-3 flex flex-wrap items-end gap-2" attr:data-test="link-deployment">
            <input type="hidden" name="id" value=id.to_string()/>
            <label class=LABEL>"Deployment #" <input name="deployment" type="number" min="1" required class=format!("{INPUT} w-32")/></label>
            <button type="submit" class=BUTTON_SECONDARY data-test="link-deployment-submit">"Mark as suspected cause"</button>
        </PostForm>
    }
}
