//! `/backups/<target>/<id>`: one backup in full, its test restore (tables
//! and row counts), and the restore form with the outcome of each restore
//! and how to undo it.

use super::api::ReadBackupTarget;
use super::api::{read_backup_target, DeleteBackup, RestoreBackup, TestRestoreBackup};
use super::parts::*;
use super::{BackupView, RestoreView, RunState, TargetDetail, TestRestoreState, TestRestoreView};
use crate::auth::api::CurrentUser;
use crate::auth::Permission;
use crate::format::{size, utc};
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

/// An island page (`app::ISLAND_PAGES`): the server reads the target's
/// backups and the signed-in person, and hands them to [`OneBackup`].
#[component]
pub fn BackupPage() -> impl IntoView {
    let params = use_params_map();
    let target = Memo::new(move |_| params.read().get("target").unwrap_or_default());
    let id = Memo::new(move |_| {
        params
            .read()
            .get("backup")
            .and_then(|b| b.parse::<i64>().ok())
    });
    let first = Resource::new(move || target.get(), read_backup_target);
    let me = use_signed_in();
    view! {
        <Title text=move || format!("Backup #{} of {}", id.get().unwrap_or_default(), target.get())/>
        <div class="mb-6">
            <p class="text-sm text-slate-500"><a class="underline" href="/backups">"Backups"</a> " / " <a class="underline" href=move || format!("/backups/{}", target.get())>{target}</a></p>
            <h1 class="text-2xl font-semibold tracking-tight">{move || format!("Backup #{}", id.get().unwrap_or_default())}</h1>
        </div>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (user, first) = (me.user().await, first.await);
                view! { <OneBackup target=target.get_untracked() id=id.get_untracked() user=user first=first/> }
            })}
        </Suspense>
    }
}

crate::island! {
    /// The backup's facts and restores, followed live, and the actions on
    /// it, which come from a copy read again only after actions taken here
    /// (a live redraw would wipe a half-typed confirmation).
    fn OneBackup(
        target: String,
        id: Option<i64>,
        user: Option<CurrentUser>,
        first: Result<TargetDetail, AppError>,
    ) -> impl IntoView {
        let test = Post::to::<TestRestoreBackup>();
        let restore = Post::to::<RestoreBackup>();
        let delete = Post::to::<DeleteBackup>();
        let tick = use_live_tick({
            let target = target.clone();
            move || format!("/backup-events/{target}")
        });
        let acted = move || [test.version().get(), restore.version().get(), delete.version().get()];
        let live = RwSignal::new(first.clone());
        let settled = RwSignal::new(first);
        let read = {
            let target = target.clone();
            move || ask::<ReadBackupTarget>(&[("target", &target)])
        };
        reload_on(move || (tick.get(), acted()), live, read.clone());
        reload_on(acted, settled, read);
        let errors = Signal::derive(move || {
            first_error([
                test.value().get(),
                restore.value().get().map(|r| r.map(|_| ())),
                delete.value().get(),
            ])
        });
        let target = StoredValue::new(target);
        let this_backup = move |d| target.with_value(|t| pick(d, id, t));
        view! {
            <ActionError error=errors/>
            {move || match this_backup(live.get()) {
                Ok((b, restores)) => view! { <LiveBackup backup=b restores=restores/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            {move || {
                let (b, _) = this_backup(settled.get()).ok()?;
                Some(view! { <BackupActions backup=b user=user.clone() actions=(test, restore) delete=delete/> })
            }}
        }
    }
}

/// Backup `id` of the target, with the restores that used it or produced
/// it as their safety backup.
fn pick(
    detail: Result<TargetDetail, AppError>,
    id: Option<i64>,
    target: &str,
) -> Result<(BackupView, Vec<RestoreView>), AppError> {
    let d = detail?;
    let restores = d
        .restores
        .into_iter()
        .filter(|r| Some(r.backup_id) == id || r.safety_backup_id == id)
        .collect();
    d.backups
        .into_iter()
        .find(|b| Some(b.id) == id)
        .map(|b| (b, restores))
        .ok_or_else(|| {
            AppError::NotFound(format!("backup #{} of `{target}`", id.unwrap_or_default()))
        })
}

#[component]
fn LiveBackup(backup: BackupView, restores: Vec<RestoreView>) -> impl IntoView {
    let b = backup;
    let (verified, verified_tone) = verified_text(&b);
    let target = b.target.clone();
    let outcomes = restores
        .into_iter()
        .map(|r| view! { <RestoreOutcome restore=r target=target.clone()/> })
        .collect_view();
    view! {
        <div class="mb-4 flex flex-wrap items-center gap-3">
            <Badge text=b.state.as_str() tone=state_tone(b.state) test="backup-state"/>
            <Badge text=verified tone=verified_tone test="backup-verified"/>
        </div>
        {b.error.clone().map(|e| view! { <pre class="mb-4 whitespace-pre-wrap rounded-md border border-red-300 bg-red-50 p-3 text-xs text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200" data-test="backup-error">{e}</pre> })}
        {b.corrupted_at.zip(b.corruption.clone()).map(|(at, what)| view! { <p class="mb-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200" data-test="backup-corrupted">{format!("Corrupted (found {}): {what}. It is not restored, tested or downloaded any more; retention keeps an older good backup.", utc(at))}</p> })}
        <BackupFacts backup=b.clone()/>
        <section class=format!("{CARD} mb-6") data-test="test-restore">
            <h2 class="mb-1 font-medium">"Test restore"</h2>
            <p class="mb-3 text-xs text-slate-500">"Restores this backup into a scratch database on the same server, counts every table's rows, then drops the scratch database."</p>
            {match b.test.clone() {
                Some(t) => view! { <TestResult test=t/> }.into_any(),
                None => view! { <p class="text-sm text-slate-500">"Not test-restored yet."</p> }.into_any(),
            }}
        </section>
        <section class=format!("{CARD} mb-6") data-test="restores">
            <h2 class="mb-1 font-medium">"Restores"</h2>
            <ul class="text-sm">{outcomes}</ul>
        </section>
    }
}

/// Download, test restore and restore, as the reader's roles allow. A
/// failed or deleted backup has no file, so it offers none of them.
#[component]
fn BackupActions(
    backup: BackupView,
    user: Option<CurrentUser>,
    actions: (PostOf<TestRestoreBackup>, PostOf<RestoreBackup>),
    delete: PostOf<DeleteBackup>,
) -> impl IntoView {
    let b = backup;
    let can = |p| user.as_ref().is_some_and(|u| u.can(p));
    let has_file = b.state == RunState::Succeeded && b.deleted_at.is_none();
    // A corrupted file is only good for deleting.
    let usable = has_file && b.corrupted_at.is_none();
    let test_running = b
        .test
        .as_ref()
        .is_some_and(|t| t.state == TestRestoreState::Running);
    view! {
        <section class=format!("{CARD} mb-6") data-test="backup-actions">
            <h2 class="mb-3 font-medium">"Actions"</h2>
            <div class="flex flex-wrap items-end gap-4">
                {(can(Permission::Administer) && usable).then(|| view! { <a class=BUTTON href=format!("/backup-files/{}", b.id) data-test="download">"Download"</a> })}
                {(can(Permission::RunBackup) && usable && !test_running).then(|| view! {
                    <PostForm action=actions.0>
                        <input type="hidden" name="id" value=b.id.to_string()/>
                        <button type="submit" class=BUTTON data-test="run-test-restore">"Test restore"</button>
                    </PostForm>
                })}
                {(can(Permission::Administer) && has_file).then(|| view! {
                    <PostForm action=delete>
                        <input type="hidden" name="id" value=b.id.to_string()/>
                        <button type="submit" class=BUTTON data-test="delete-backup">"Delete this backup"</button>
                    </PostForm>
                })}
            </div>
            {(can(Permission::RestoreBackup) && usable).then(|| view! { <RestoreForm backup=b.clone() action=actions.1/> })}
        </section>
    }
}

#[component]
fn BackupFacts(backup: BackupView) -> impl IntoView {
    let b = backup;
    let kind = match &b.reason {
        Some(r) => format!("{} ({r})", b.kind.as_str()),
        None => b.kind.as_str().to_string(),
    };
    let kept = match (b.deleted_at, b.next_pass_deletes) {
        (Some(_), _) => deleted_text(&b),
        (None, true) => "nothing: the next retention pass deletes it".into(),
        _ => b.kept_by.join(", "),
    };
    view! {
        <dl class="mb-6 grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
            <Fact label="Kind" value=kind test="backup-kind"/>
            <Fact label="Taken" value=utc(b.started_at) test="backup-taken"/>
            <Fact label="Duration" value=duration_text(&b) test="backup-duration"/>
            <Fact label="Size" value=size_text(&b) test="backup-size"/>
            <Fact label="SHA-256" value=b.sha256.clone().unwrap_or_else(|| "—".into()) test="backup-sha256"/>
            <Fact label="Server version" value=b.server_version.clone().unwrap_or_else(|| "—".into()) test="backup-server-version"/>
            <Fact label="Archive entries (pg_restore --list)" value=b.toc_entries.map(|n| n.to_string()).or(b.verify_error.clone()).unwrap_or_else(|| "—".into()) test="backup-toc"/>
            <Fact label="File" value=b.file.clone().unwrap_or_else(|| "—".into()) test="backup-file"/>
            <Fact label="Kept by" value=kept test="kept-by"/>
            <Fact label="By" value=b.actor.clone() test="backup-actor"/>
        </dl>
    }
}

#[component]
fn TestResult(test: TestRestoreView) -> impl IntoView {
    let tone = match test.state {
        TestRestoreState::Passed => Tone::Good,
        TestRestoreState::Failed => Tone::Bad,
        TestRestoreState::Running => Tone::Warn,
    };
    let took = test
        .finished_at
        .map(|f| {
            format!(
                "took {:.1} s",
                (f - test.started_at).num_milliseconds() as f64 / 1000.0
            )
        })
        .unwrap_or_else(|| "running…".into());
    let rows = test
        .tables
        .into_iter()
        .map(|t| view! { <tr class=format!("{ROW} align-top")><td class=format!("{CELL} font-mono text-xs")>{t.table}</td><td class=CELL>{t.rows}</td></tr> })
        .collect_view();
    view! {
        <p class="text-sm"><Badge text=test.state.as_str().to_string() tone=tone test="test-state"/> " " {format!("started {}, {took}", utc(test.started_at))}</p>
        {test.error.map(|e| view! { <pre class="mt-2 whitespace-pre-wrap text-xs text-red-700 dark:text-red-300" data-test="test-error">{e}</pre> })}
        <table class="mt-2 text-left text-sm" data-test="test-tables">
            <thead class="text-xs uppercase text-slate-500"><tr><th class=CELL>"Table"</th><th class=CELL>"Rows"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn RestoreForm(backup: BackupView, action: PostOf<RestoreBackup>) -> impl IntoView {
    let target = backup.target.clone();
    // A started restore empties the confirmation, so a second click cannot
    // run the same destructive restore again by accident.
    let confirm = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(input)) = (action.value().get(), confirm.get()) {
            input.set_value("");
        }
    });
    view! {
        <p class="mb-3 mt-4 text-xs text-slate-500">
            {format!("A safety backup of the current state of `{target}` is taken first; the restore runs in one transaction.")}
        </p>
        <PostForm action=action attr:class="flex flex-wrap items-end gap-3" attr:data-test="restore-form">
            <input type="hidden" name="id" value=backup.id.to_string()/>
            <fieldset class="text-xs" data-test="restore-mode">
                <label class="block"><input type="radio" name="mode" value="exact" checked/>
                    " Exact (default): the database becomes exactly as it was; tables, views, functions and types created after this backup are dropped"</label>
                <label class="block"><input type="radio" name="mode" value="merge"/>
                    " Merge: only this backup's objects are replaced; objects created after it are kept"</label>
            </fieldset>
            <label class="text-xs">{format!("Type `{target}` to confirm ")}
                <input node_ref=confirm name="confirm" required autocomplete="off" class=INPUT data-test="restore-confirm"/>
            </label>
            <button type="submit" data-test="restore-submit" class=BUTTON_DANGER>"Restore this backup"</button>
        </PostForm>
    }
}

#[component]
fn RestoreOutcome(restore: RestoreView, target: String) -> impl IntoView {
    let r = restore;
    let undo = match (r.state, r.safety_backup_id) {
        (RunState::Succeeded, Some(s)) => Some(format!(
            "To undo, restore safety backup #{s} (the state just before)."
        )),
        (RunState::Failed, Some(s)) => Some(format!(
            "Safety backup #{s} holds the state before the attempt."
        )),
        _ => None,
    };
    // "; safety copy first: #N", so the link does not read as what was restored.
    let safety = r.safety_backup_id.map(|s| view! { "; safety copy first: " <a class="underline" href=format!("/backups/{target}/{s}") data-test="safety-link">{format!("safety backup #{s}")}</a> });
    view! {
        <li class="border-t border-slate-200 py-2 dark:border-slate-800" data-test=format!("restore-{}", r.id)>
            <Badge text=r.state.as_str() tone=state_tone(r.state) test="restore-state"/>
            {format!(" {} restore #{} of backup #{} by {}, {} — ", r.mode, r.id, r.backup_id, r.actor, utc(r.started_at))}
            <span data-test="restore-progress">{restore_text(&r)}</span>
            {safety}
            {undo.map(|u| view! { <p class="text-xs text-slate-500" data-test="restore-undo">{u}</p> })}
            {(r.state == RunState::Running).then(|| view! { <p class="text-xs text-slate-500">{format!("{} of {}", size(r.bytes_read), size(r.total_bytes))}</p> })}
        </li>
    }
}
