//! The schedule of a target: its cron expression in words, the next three
//! runs (UTC and the viewer's zone), the GFS policy with a preview of what
//! the next retention pass deletes; and the editor for administrators.

use super::api::SaveBackupSchedule;
use super::parts::RunTimes;
use super::retention::Policy;
use super::TargetDetail;
use crate::layout::ui::{BUTTON, CARD, INPUT};
use crate::layout::{PostForm, PostOf};
use leptos::prelude::*;

/// The schedule as it is, and what the next retention pass would delete.
#[component]
pub fn ScheduleSummary(detail: TargetDetail) -> impl IntoView {
    let doomed: Vec<String> = detail
        .backups
        .iter()
        .filter(|b| b.next_pass_deletes)
        .map(|b| format!("#{}", b.id))
        .collect();
    let current = detail.schedule.clone();
    let summary = match &current {
        Some(s) => view! {
            <p class="text-sm"><code class="font-mono" data-test="schedule-cron">{s.cron.clone()}</code>
                " — " <span data-test="schedule-words">{s.description.clone()}</span></p>
            <p class="mt-2 text-xs text-slate-500">"Next runs:"</p>
            <RunTimes times=s.next_runs.clone()/>
            <p class="mt-2 text-sm" data-test="schedule-policy">
                {format!("Scheduled backups: keeps the newest of each of the last {} days, {} weeks and {} months. Manual backups: kept until deleted. Safety and pre-deploy backups: kept at least {} days, and the one that undoes the newest restore always. The newest verified backup is always kept.", s.keep_daily, s.keep_weekly, s.keep_monthly, s.keep_safety_days)}
            </p>
            <p class="mt-1 text-sm" data-test="retention-preview">
                {if doomed.is_empty() { "Preview: the next retention pass deletes nothing.".to_string() }
                 else { format!("Preview: the next retention pass deletes {}.", doomed.join(", ")) }}
            </p>
        }
        .into_any(),
        None => view! { <p class="text-sm text-slate-500" data-test="schedule-cron">"No schedule: backups run only when someone starts one, and retention never deletes any."</p> }.into_any(),
    };
    view! {
        <section class=format!("{CARD} mb-6") data-test="schedule">
            <h2 class="mb-2 font-medium">"Schedule and retention"</h2>
            {summary}
        </section>
    }
}

/// The editor, for administrators.
#[component]
pub fn ScheduleEditor(
    target: String,
    current: Option<super::ScheduleView>,
    save: PostOf<SaveBackupSchedule>,
) -> impl IntoView {
    let defaults = Policy::default();
    let (cron, daily, weekly, monthly, safety) = match &current {
        Some(s) => (
            s.cron.clone(),
            s.keep_daily,
            s.keep_weekly,
            s.keep_monthly,
            s.keep_safety_days,
        ),
        None => (
            String::new(),
            defaults.daily as i32,
            defaults.weekly as i32,
            defaults.monthly as i32,
            defaults.safety_days as i32,
        ),
    };
    view! {
        <section class=format!("{CARD} mb-6")>
        <h2 class="mb-1 font-medium">"Change the schedule"</h2>
        <PostForm action=save attr:class="flex flex-wrap items-end gap-3" attr:data-test="schedule-form">
            <input type="hidden" name="target" value=target/>
            <label class="text-xs">"Cron (UTC) "
                <input name="cron" value=cron placeholder="30 2 * * *" class=format!("{INPUT} font-mono")/>
            </label>
            <label class="text-xs">"Daily " <input name="keep_daily" type="number" min="0" max="1000" value=daily.to_string() class=format!("{INPUT} w-20")/></label>
            <label class="text-xs">"Weekly " <input name="keep_weekly" type="number" min="0" max="1000" value=weekly.to_string() class=format!("{INPUT} w-20")/></label>
            <label class="text-xs">"Monthly " <input name="keep_monthly" type="number" min="0" max="1000" value=monthly.to_string() class=format!("{INPUT} w-20")/></label>
            <label class="text-xs">"Safety/pre-deploy days " <input name="keep_safety_days" type="number" min="0" max="3650" value=safety.to_string() class=format!("{INPUT} w-20")/></label>
            <button type="submit" class=BUTTON data-test="schedule-save">"Save schedule"</button>
        </PostForm>
        <p class="mt-2 text-xs text-slate-500">"Five fields: minute hour day-of-month month day-of-week, e.g. `30 2 * * *` daily at 02:30 UTC. Empty removes the schedule."</p>
        </section>
    }
}
