//! Small pieces the deployment pages share: state badges and times.

use super::DeploymentState;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// A deployment's state as a coloured badge.
#[component]
pub fn StateBadge(state: DeploymentState) -> impl IntoView {
    let colour = match state {
        DeploymentState::Running => "bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100",
        DeploymentState::Succeeded => {
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100"
        }
        DeploymentState::RolledBack => {
            "bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-100"
        }
        DeploymentState::Failed | DeploymentState::Interrupted => {
            "bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100"
        }
    };
    view! {
        <span class=format!("whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium {colour}") data-test="state">
            {state.label()}
        </span>
    }
}

impl DeploymentState {
    /// How people read the state.
    pub fn label(self) -> &'static str {
        match self {
            DeploymentState::Running => "running",
            DeploymentState::Succeeded => "succeeded",
            DeploymentState::RolledBack => "rolled back",
            DeploymentState::Failed => "failed",
            DeploymentState::Interrupted => "interrupted",
        }
    }
}

/// `2026-11-23 12:03:04 UTC`.
pub fn at(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `42 s`, `3 min 5 s`, `2 h 10 min`.
pub fn duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// How long ago `t` was, coarsely: `just now`, `5 min ago`, `3 h ago`, `2 d ago`.
pub fn ago(t: DateTime<Utc>) -> String {
    let secs = (Utc::now() - t).num_seconds().max(0);
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

/// The first 12 hex digits of an image id, as `docker images` shows it.
pub fn short_id(image_id: &str) -> String {
    let hex = image_id.trim_start_matches("sha256:");
    hex[..hex.len().min(12)].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(duration(42), "42 s");
        assert_eq!(duration(185), "3 min 5 s");
        assert_eq!(duration(7800), "2 h 10 min");
    }

    #[test]
    fn image_ids_are_shortened_like_docker_does() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}

/// Bumps `tick` on each `change` event from `url` (after hydration), so
/// that resources reading `tick` load again; re-created, closing the old
/// stream, when a page moves to another `url`.
#[component]
pub fn LiveTick(url: String, tick: RwSignal<u32>) -> impl IntoView {
    crate::live::use_event_stream(url, &["change"], move |_, _| tick.update(|n| *n += 1));
}
