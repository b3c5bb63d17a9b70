//! A service's releases (with their rollback buttons) and deployments.

use super::api::Rollback;
use super::widgets::StateBadge;
use super::{DeploymentView, ReleaseView};
use crate::format::{ago, duration, short_id, utc};
use crate::layout::ui::*;
use crate::layout::{PostForm, PostOf};
use leptos::prelude::*;

/// The deployer's choice to go without the pre-deploy backup, shared by
/// the deploy form and the rollback buttons (browser only; without
/// JavaScript a rollback always backs up first).
#[derive(Clone)]
pub struct SkipBackup {
    /// The service's backup target; `None` when it takes no backup.
    pub target: Option<String>,
    pub ticked: RwSignal<bool>,
    pub reason: RwSignal<String>,
}

/// Every release, newest first; any release but the live one can be
/// deployed again with one click.
#[component]
pub fn ReleasesTable(
    service: String,
    releases: Vec<ReleaseView>,
    live: Option<i32>,
    can_deploy: bool,
    action: PostOf<Rollback>,
    skip_backup: SkipBackup,
) -> impl IntoView {
    if releases.is_empty() {
        return view! { <p class="text-sm text-slate-500">"No releases yet: deploy a tag to record the first."</p> }.into_any();
    }
    let rows = releases
        .into_iter()
        .map(|r| {
            let service = service.clone();
            let button = (can_deploy && !r.live).then(|| {
                let label = match live {
                    Some(l) if r.number < l => format!("Roll back to #{}", r.number),
                    _ => format!("Deploy #{}", r.number),
                };
                view! {
                    <PostForm action=action>
                        <input type="hidden" name="service" value=service/>
                        <input type="hidden" name="release" value=r.number.to_string()/>
                        <input type="hidden" name="skip_backup" value=move || if skip_backup.ticked.get() { "on" } else { "" }/>
                        <input type="hidden" name="skip_reason" value=move || skip_backup.reason.get()/>
                        <button type="submit" class=BUTTON data-test=format!("rollback-{}", r.number)>{label}</button>
                    </PostForm>
                }
            });
            view! {
                <tr class=ROW data-test=format!("release-{}", r.number)>
                    <td class=CELL>{format!("#{}", r.number)}</td>
                    <td class=format!("{CELL} font-mono")>{r.tag}</td>
                    <td class=format!("{CELL} font-mono text-xs") title=r.image_id.clone()>{short_id(&r.image_id)}</td>
                    <td class=format!("{CELL} text-xs")>{r.created_by.trim_start_matches("user:").to_string()}</td>
                    <td class=format!("{CELL} text-xs") title=utc(r.created_at)>{ago(r.created_at)}</td>
                    <td class=CELL>{r.live.then(|| view! { <Badge text="live" tone=Tone::Good test="live-badge"/> })}</td>
                    <td class=CELL>{button}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable test="releases-table" headers=&["Release", "Tag", "Image", "By", "Recorded", "", ""]>{rows}</DataTable>
    }
    .into_any()
}

/// The most recent deployments, newest first, each linking to its step log.
#[component]
pub fn DeploymentsTable(deployments: Vec<DeploymentView>) -> impl IntoView {
    if deployments.is_empty() {
        return view! { <p class="text-sm text-slate-500">"No deployments yet."</p> }.into_any();
    }
    let rows = deployments
        .into_iter()
        .map(|d| {
            let took = d.duration_secs();
            view! {
                <tr class=ROW data-test=format!("deployment-{}", d.id)>
                    <td class=CELL><a class=LINK href=format!("/deployments/{}", d.id)>{format!("#{}", d.id)}</a></td>
                    <td class=CELL>{d.kind.clone()}</td>
                    <td class=CELL>{d.release_text()}</td>
                    <td class=format!("{CELL} text-xs")>{d.actor.trim_start_matches("user:").to_string()}</td>
                    <td class=format!("{CELL} text-xs") title=utc(d.started_at)>{ago(d.started_at)}</td>
                    <td class=format!("{CELL} text-xs")>{duration(took)}</td>
                    <td class=CELL><StateBadge state=d.state/></td>
                    <td class=format!("{CELL} max-w-xs text-xs text-slate-600 dark:text-slate-300")>{d.reason.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable test="deployments-table" headers=&["#", "Kind", "Release", "By", "Started", "Took", "Result", "Reason"]>{rows}</DataTable>
    }
    .into_any()
}
