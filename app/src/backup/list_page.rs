//! `/backups`: every target with the age and state of its newest backup,
//! red when older than the target's RPO; administrators add targets here.

use super::api::{list_backup_targets, CreateBackupTarget};
use super::parts::state_tone;
use super::TargetSummary;
use crate::auth::Permission;
use crate::format::duration;
use crate::layout::ui::*;
use crate::layout::use_signed_in;
use crate::layout::{reload_on, PageHeader};
use crate::layout::{Post, PostForm, PostOf};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// An island page (`app::ISLAND_PAGES`): the server reads the targets and
/// whether the signed-in person administers, and hands both to
/// [`BackupTargets`], which holds the form and the table it changes.
#[component]
pub fn BackupsPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| list_backup_targets());
    let me = use_signed_in();
    view! {
        <Title text="Backups"/>
        <PageHeader title="Backups" subtitle="PostgreSQL databases Opsdeck backs up, and how fresh their newest good backup is."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let admin = me.user().await.is_some_and(|u| u.can(Permission::Administer));
                view! { <BackupTargets first=first.await admin=admin/> }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The targets table and, for administrators, the form that adds one;
    /// the table is read again after each addition.
    fn BackupTargets(first: Result<Vec<TargetSummary>, AppError>, admin: bool) -> impl IntoView {
        let create = Post::to::<CreateBackupTarget>();
        let targets = RwSignal::new(first);
        reload_on(move || create.version().get(), targets, || crate::layout::ask::<super::api::ListBackupTargets>(&[]));
        view! {
            <ActionError error=Signal::derive(move || create.value().get().and_then(Result::err))/>
            {move || match targets.get() {
                Ok(list) => view! { <TargetsTable targets=list/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            {admin.then(|| view! { <CreateTargetForm action=create/> })}
        }
    }
}

#[component]
fn TargetsTable(targets: Vec<TargetSummary>) -> impl IntoView {
    if targets.is_empty() {
        return view! {
            <p class="mb-6 text-sm text-slate-500" data-test="no-targets">"No backup targets yet. An administrator adds one below."</p>
        }
        .into_any();
    }
    view! {
        <DataTable test="targets-table" spaced=true headers=&["Target", "Database", "Newest good backup", "Last run", "RPO", "Schedule (UTC)"]>{targets.into_iter().map(|t| view! { <TargetRow target=t/> }).collect_view()}</DataTable>
    }
    .into_any()
}

#[component]
fn TargetRow(target: TargetSummary) -> impl IntoView {
    let age = match target.last_good_age_secs {
        Some(s) => format!("{} ago", duration(s)),
        None => "never".into(),
    };
    let age_class = if target.stale {
        "font-medium text-red-700 dark:text-red-300"
    } else {
        "text-emerald-700 dark:text-emerald-300"
    };
    let href = format!("/backups/{}", target.name);
    view! {
        <tr class=format!("{ROW} align-top") data-test=format!("target-{}", target.name) data-stale=target.stale.to_string()>
            <td class=CELL><a class="font-medium underline" href=href>{target.name.clone()}</a></td>
            <td class=format!("{CELL} font-mono text-xs")>{target.display}</td>
            <td class=CELL><span class=age_class data-test="target-age">{age}</span></td>
            <td class=CELL>
                {match target.last_state {
                    Some(s) => view! { <Badge text=s.as_str() tone=state_tone(s) test="target-last-state"/> }.into_any(),
                    None => view! { <span class="text-slate-500">"—"</span> }.into_any(),
                }}
            </td>
            <td class=CELL>{format!("{} h", target.rpo_hours)}</td>
            <td class=format!("{CELL} font-mono text-xs")>{target.cron.unwrap_or_else(|| "none".into())}</td>
        </tr>
    }
}

#[component]
fn CreateTargetForm(action: PostOf<CreateBackupTarget>) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mb-6")>
            <h2 class="mb-1 font-medium">"Add a target"</h2>
            <p class="mb-3 text-xs text-slate-500">
                "The connection URL is encrypted at rest and never shown again. Its user needs to read every table; test restores also need CREATEDB."
            </p>
            <PostForm action=action attr:class="flex flex-wrap items-end gap-3" attr:data-test="create-target">
                <input name="name" placeholder="name, e.g. shop" required class=INPUT/>
                <input name="url" type="password" placeholder="postgres://user:password@host:5432/database" required autocomplete="off" class=format!("{INPUT} w-96")/>
                <label class="text-xs">"RPO (hours) " <input name="rpo_hours" type="number" min="1" max="8760" value="24" class=INPUT/></label>
                <button type="submit" class=BUTTON data-test="create-target-submit">"Add target"</button>
            </PostForm>
        </section>
    }
}
