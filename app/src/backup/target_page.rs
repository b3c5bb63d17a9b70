//! `/backups/<target>`: the target's facts, "back up now", its backups
//! (time, size, duration, checksum, verified, kept by) and restores, live;
//! for administrators the schedule editor and the connection settings.

use super::api::ReadBackupTarget;
use super::api::{
    read_backup_target, RunBackup, SaveBackupSchedule, ScrubBackups, TestBackupTarget,
    UpdateBackupTarget,
};
use super::parts::*;
use super::schedule_form::{ScheduleEditor, ScheduleSummary};
use super::{BackupView, RestoreView, TargetDetail};
use crate::auth::api::CurrentUser;
use crate::auth::Permission;
use crate::format::{duration, utc};
use crate::layout::ask;
use crate::layout::ui::*;
use crate::layout::use_signed_in;
use crate::layout::{reload_on, Fact};
use crate::layout::{Post, PostForm, PostOf};
use crate::live::use_live_tick;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// An island page (`app::ISLAND_PAGES`): the server reads the target and
/// what the signed-in person may do, and hands both to [`TargetView`].
#[component]
pub fn TargetPage() -> impl IntoView {
    let params = use_params_map();
    let target = Memo::new(move |_| params.read().get("target").unwrap_or_default());
    let first = Resource::new(move || target.get(), read_backup_target);
    let me = use_signed_in();
    view! {
        <Title text=move || format!("Backups of {}", target.get())/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                view! { <TargetView name=target.get_untracked() user=me.user().await first=first.await/> }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The header's buttons, the facts and tables, followed live (progress
    /// included), and for administrators the forms, which come from a copy
    /// read again only when settings are saved, so that a running backup
    /// never wipes what someone is typing.
    fn TargetView(name: String, user: Option<CurrentUser>, first: Result<TargetDetail, AppError>) -> impl IntoView {
        let admin = user.as_ref().is_some_and(|u| u.can(Permission::Administer));
        let run = Post::to::<RunBackup>();
        let update = Post::to::<UpdateBackupTarget>();
        let schedule = Post::to::<SaveBackupSchedule>();
        let probe = Post::to::<TestBackupTarget>();
        let scrub = Post::to::<ScrubBackups>();
        let tick = use_live_tick({
            let name = name.clone();
            move || format!("/backup-events/{name}")
        });
        let saved = move || [update.version().get(), schedule.version().get()];
        let acted = move || [run.version().get(), probe.version().get(), scrub.version().get()];
        let live = RwSignal::new(first.clone());
        let settings = RwSignal::new(first);
        let read = {
            let name = name.clone();
            move || ask::<ReadBackupTarget>(&[("target", &name)])
        };
        reload_on(move || (tick.get(), acted(), saved()), live, read.clone());
        reload_on(saved, settings, read);
        let errors = Signal::derive(move || {
            first_error([
                run.value().get().map(|r| r.map(|_| ())),
                update.value().get(),
                schedule.value().get(),
            ])
        });
        view! {
            <TargetHeader name=name user=user actions=(run, probe) scrub=scrub/>
            <ActionError error=errors/>
            {move || match live.get() {
                Ok(d) => view! { <LiveTarget detail=d admin=admin/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            {move || settings.get().ok().filter(|_| admin).map(|detail| view! {
                <TargetSettings detail=detail update=update schedule=schedule/>
            })}
        }
    }
}

#[component]
fn TargetHeader(
    name: String,
    user: Option<CurrentUser>,
    actions: (PostOf<RunBackup>, PostOf<TestBackupTarget>),
    scrub: PostOf<ScrubBackups>,
) -> impl IntoView {
    let can = |p| user.as_ref().is_some_and(|u| u.can(p));
    let (run, probe) = actions;
    view! {
        <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div>
                <p class="text-sm text-slate-500"><a class="underline" href="/backups">"Backups"</a></p>
                <h1 class="text-2xl font-semibold tracking-tight" data-test="target-name">{name.clone()}</h1>
            </div>
            <div class="flex gap-2">
                {can(Permission::RunBackup).then(|| view! { <RunButton target=name.clone() run=run/> })}
                {can(Permission::RunBackup).then(|| view! { <ScrubButton target=name.clone() scrub=scrub/> })}
                {can(Permission::Administer).then(|| view! { <TestConnection target=name.clone() probe=probe/> })}
            </div>
        </div>
    }
}

#[component]
fn LiveTarget(detail: TargetDetail, admin: bool) -> impl IntoView {
    let s = detail.summary.clone();
    let age = s
        .last_good_age_secs
        .map(|a| format!("{} ago", duration(a)))
        .unwrap_or_else(|| "never".into());
    view! {
        <dl class="mb-6 grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <Fact label="Database" value=s.display.clone() test="target-display"/>
            <Fact label="Server version" value=s.server_version.clone().unwrap_or_else(|| "not yet known".into()) test="target-version"/>
            <Fact label="RPO" value=format!("{} h", s.rpo_hours) test="target-rpo"/>
            <Fact label="Newest good backup" value=age test="target-age"/>
        </dl>
        {s.stale.then(|| view! {
            <p class="mb-6 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200" data-test="rpo-breached">
                {format!("No good backup within the RPO of {} h: back up now, or check the schedule.", s.rpo_hours)}
            </p>
        })}
        <BackupsTable backups=detail.backups.clone() target=s.name.clone() admin=admin/>
        <RestoresTable restores=detail.restores.clone() target=s.name.clone()/>
        <ScheduleSummary detail=detail/>
    }
}

#[component]
fn TargetSettings(
    detail: TargetDetail,
    update: PostOf<UpdateBackupTarget>,
    schedule: PostOf<SaveBackupSchedule>,
) -> impl IntoView {
    let name = detail.summary.name.clone();
    view! {
        <ScheduleEditor target=name.clone() current=detail.schedule save=schedule/>
        <EditTarget target=name rpo=detail.summary.rpo_hours update=update/>
    }
}

#[component]
fn RunButton(target: String, run: PostOf<RunBackup>) -> impl IntoView {
    view! {
        <PostForm action=run>
            <input type="hidden" name="target" value=target/>
            <button type="submit" data-test="run-backup" class=BUTTON_PRIMARY>
                "Back up now"
            </button>
        </PostForm>
    }
}

/// Hashes every stored file again and says what it found.
#[component]
fn ScrubButton(target: String, scrub: PostOf<ScrubBackups>) -> impl IntoView {
    view! {
        <PostForm action=scrub attr:class="flex items-center gap-2">
            <input type="hidden" name="target" value=target/>
            <button type="submit" data-test="scrub" class=BUTTON title="Hash every stored file again and mark those that changed as corrupted">"Scrub now"</button>
            {move || scrub.value().get().map(|r| match r {
                Ok(r) if r.corrupted.is_empty() => view! { <span data-test="scrub-result" class="text-xs text-emerald-700 dark:text-emerald-300">{format!("{} file(s) checked: all intact", r.checked)}</span> }.into_any(),
                Ok(r) => view! { <span data-test="scrub-result" class="text-xs text-red-700 dark:text-red-300">{format!("{} file(s) checked; corrupted: {}", r.checked, r.corrupted.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", "))}</span> }.into_any(),
                Err(e) => view! { <span data-test="scrub-result" class="text-xs text-red-700 dark:text-red-300">{e.to_string()}</span> }.into_any(),
            })}
        </PostForm>
    }
}

#[component]
fn TestConnection(target: String, probe: PostOf<TestBackupTarget>) -> impl IntoView {
    view! {
        <PostForm action=probe attr:class="flex items-center gap-2">
            <input type="hidden" name="target" value=target/>
            <button type="submit" data-test="test-connection" class=BUTTON>"Test connection"</button>
            {move || probe.value().get().map(|r| match r {
                Ok(v) => view! { <span data-test="connection-result" class="text-xs text-emerald-700 dark:text-emerald-300">{format!("connected: PostgreSQL {v}")}</span> }.into_any(),
                Err(e) => view! { <span data-test="connection-result" class="text-xs text-red-700 dark:text-red-300">{e.to_string()}</span> }.into_any(),
            })}
        </PostForm>
    }
}

#[component]
fn BackupsTable(backups: Vec<BackupView>, target: String, admin: bool) -> impl IntoView {
    let rows = backups
        .into_iter()
        .map(|b| view! { <BackupRow backup=b target=target.clone() admin=admin/> })
        .collect_view();
    view! {
        <h2 class="mb-2 font-medium">"Backups"</h2>
        <DataTable test="backups-table" spaced=true headers=&["#", "Taken (UTC)", "Kind", "State", "Size", "Duration", "SHA-256", "Verified", "Kept by", ""]>{rows}</DataTable>
    }
}

#[component]
fn BackupRow(backup: BackupView, target: String, admin: bool) -> impl IntoView {
    let b = backup;
    let (verified, verified_tone) = verified_text(&b);
    let kept = if b.deleted_at.is_some() {
        deleted_text(&b)
    } else if b.next_pass_deletes {
        "nothing: the next pass deletes it".to_string()
    } else {
        b.kept_by.join(", ")
    };
    let sum = b.sha256.clone().unwrap_or_default();
    let short = sum
        .get(..12)
        .map(|s| format!("{s}…"))
        .unwrap_or_else(|| "—".into());
    let download = (admin && b.file.is_some() && b.deleted_at.is_none() && b.corrupted_at.is_none())
        .then(|| view! { <a class="underline" href=format!("/backup-files/{}", b.id) data-test="download">"Download"</a> });
    view! {
        <tr class=format!("{ROW} align-top") data-test=format!("backup-{}", b.id)>
            <td class=CELL><a class="underline" href=format!("/backups/{target}/{}", b.id)>{b.id}</a></td>
            <td class=format!("{CELL} whitespace-nowrap font-mono text-xs")>{b.started_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
            <td class=CELL>{b.kind.as_str()}</td>
            <td class=CELL title=b.error.clone().unwrap_or_default()><Badge text=b.state.as_str() tone=state_tone(b.state) test="backup-state"/></td>
            <td class=format!("{CELL} whitespace-nowrap") data-test="backup-size">{size_text(&b)}</td>
            <td class=format!("{CELL} whitespace-nowrap")>{duration_text(&b)}</td>
            <td class=format!("{CELL} font-mono text-xs") title=sum.clone()>{short}</td>
            <td class=CELL><Badge text=verified tone=verified_tone test="backup-verified"/></td>
            <td class=format!("{CELL} text-xs") data-test="kept-by">{kept}</td>
            <td class=format!("{CELL} text-xs")>{download}</td>
        </tr>
    }
}

#[component]
fn RestoresTable(restores: Vec<RestoreView>, target: String) -> impl IntoView {
    (!restores.is_empty()).then(|| {
        let rows = restores
            .into_iter()
            .map(|r| {
                let safety = r.safety_backup_id.map(|s| view! { <a class="underline" href=format!("/backups/{target}/{s}")>{format!("#{s}")}</a> });
                view! {
                    <tr class=format!("{ROW} align-top") data-test=format!("restore-{}", r.id)>
                        <td class=CELL>{r.id}</td>
                        <td class=format!("{CELL} font-mono text-xs")>{utc(r.started_at)}</td>
                        <td class=CELL><a class="underline" href=format!("/backups/{target}/{}", r.backup_id)>{format!("#{}", r.backup_id)}</a></td>
                        <td class=CELL><Badge text=r.state.as_str() tone=state_tone(r.state) test="restore-state"/></td>
                        <td class=format!("{CELL} text-xs") data-test="restore-progress">{restore_text(&r)}</td>
                        <td class=CELL>{safety}</td>
                        <td class=format!("{CELL} text-xs")>{r.actor.clone()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h2 class="mb-2 font-medium">"Restores"</h2>
            <DataTable test="restores-table" spaced=true headers=&["#", "Started", "Backup", "State", "Progress / outcome", "Undo with", "By"]>{rows}</DataTable>
        }
    })
}

#[component]
fn EditTarget(target: String, rpo: i32, update: PostOf<UpdateBackupTarget>) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mb-6")>
            <h2 class="mb-1 font-medium">"Connection and RPO"</h2>
            <p class="mb-3 text-xs text-slate-500">"The stored URL is never shown. Leave the URL empty to keep it."</p>
            <PostForm action=update attr:class="flex flex-wrap items-end gap-3" attr:data-test="edit-target">
                <input type="hidden" name="target" value=target/>
                <input name="url" type="password" placeholder="new postgres:// URL" autocomplete="off" class=format!("{INPUT} w-96")/>
                <label class="text-xs">"RPO (hours) " <input name="rpo_hours" type="number" min="1" max="8760" value=rpo.to_string() class=INPUT/></label>
                <button type="submit" class=BUTTON>"Save"</button>
            </PostForm>
        </section>
    }
}
