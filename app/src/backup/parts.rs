//! Small pieces the backup pages share: state tones and texts, and the
//! local-time display of schedule runs.

use super::{BackupView, RestoreView, RunState, TestRestoreState};
use crate::format::{duration_ms, size, utc};
use crate::layout::Tone;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// `running`, `succeeded`, `failed` with their colors.
pub fn state_tone(s: RunState) -> Tone {
    match s {
        RunState::Queued | RunState::Running => Tone::Warn,
        RunState::Succeeded => Tone::Good,
        RunState::Failed => Tone::Bad,
    }
}

/// The size column: the final size, or the bytes written so far.
pub fn size_text(b: &BackupView) -> String {
    match (b.state, b.size_bytes) {
        (_, Some(s)) => size(s),
        (RunState::Queued, None) => "waiting for the backup before it…".into(),
        (RunState::Running, None) => format!("{} so far…", size(b.bytes_written)),
        _ => "—".into(),
    }
}

pub fn duration_text(b: &BackupView) -> String {
    b.duration_ms.map(duration_ms).unwrap_or_else(|| "—".into())
}

/// `corrupted`, `verified`, `not verified` or the test restore's state.
pub fn verified_text(b: &BackupView) -> (String, Tone) {
    if b.corrupted_at.is_some() {
        return ("corrupted".into(), Tone::Bad);
    }
    match (&b.test, b.verified, b.state) {
        (_, _, RunState::Queued | RunState::Running) => ("—".into(), Tone::Warn),
        (Some(t), _, _) if t.state == TestRestoreState::Running => {
            ("test restore running".into(), Tone::Warn)
        }
        (Some(t), _, _) if t.state == TestRestoreState::Failed => {
            ("test restore failed".into(), Tone::Bad)
        }
        (Some(_), true, _) => ("verified + test restored".into(), Tone::Good),
        (None, true, _) => ("verified".into(), Tone::Good),
        _ => ("not verified".into(), Tone::Bad),
    }
}

/// Who deleted a backup: retention (`system`) or a person.
pub fn deleted_text(b: &BackupView) -> String {
    let when = b.deleted_at.map(utc).unwrap_or_default();
    match b.deleted_by.as_deref() {
        None | Some("system") => format!("deleted by retention at {when}"),
        Some(who) => format!("deleted by {who} at {when}"),
    }
}

/// A restore's progress or outcome in words.
pub fn restore_text(r: &RestoreView) -> String {
    match (r.state, r.phase.as_str()) {
        (RunState::Running, "safety_backup") => "taking the safety backup…".into(),
        (RunState::Queued | RunState::Running, _) => {
            let pct = (r.bytes_read * 100).checked_div(r.total_bytes).unwrap_or(0);
            format!(
                "restoring… {pct}% ({} of {})",
                size(r.bytes_read),
                size(r.total_bytes)
            )
        }
        (RunState::Succeeded, _) => "restored".into(),
        (RunState::Failed, _) => format!("failed: {}", r.error.clone().unwrap_or_default()),
    }
}

/// The next runs of a schedule in UTC and, once the page runs in the
/// browser, in the viewer's own time zone.
#[component]
pub fn RunTimes(times: Vec<DateTime<Utc>>) -> impl IntoView {
    let local = RwSignal::new(None::<(String, Vec<String>)>);
    let for_browser = times.clone();
    Effect::new(move |_| local.set(in_browser_zone(&for_browser)));
    let items = times
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let shown = move || local.get().and_then(|(zone, v)| v.get(i).map(|l| format!(" · {l} ({zone})")));
            view! {
                <li><span data-test="run-utc">{utc(t)}</span><span class="text-slate-500" data-test="run-local">{shown}</span></li>
            }
        })
        .collect_view();
    view! { <ul class="font-mono text-xs" data-test="next-runs">{items}</ul> }
}

/// The browser's zone name and each time in it (browser only).
#[cfg(feature = "hydrate")]
fn in_browser_zone(times: &[DateTime<Utc>]) -> Option<(String, Vec<String>)> {
    use wasm_bindgen::JsValue;
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let zone = js_sys::Reflect::get(&options, &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|z| z.as_string())
        .unwrap_or_else(|| "local time".into());
    let shown = times
        .iter()
        .map(|t| {
            let date = js_sys::Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
            // Minutes behind UTC at that very instant (daylight saving included).
            let behind = date.get_timezone_offset() as i64;
            (*t - chrono::Duration::minutes(behind))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .collect();
    Some((zone, shown))
}

#[cfg(not(feature = "hydrate"))]
fn in_browser_zone(_: &[DateTime<Utc>]) -> Option<(String, Vec<String>)> {
    None
}
