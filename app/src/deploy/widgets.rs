//! Small pieces the deployment pages share: the state badge and the live tick.

use super::DeploymentState;
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

/// Bumps `tick` on each `change` event from `url` (after hydration), so
/// that resources reading `tick` load again; re-created, closing the old
/// stream, when a page moves to another `url`.
#[component]
pub fn LiveTick(url: String, tick: RwSignal<u32>) -> impl IntoView {
    crate::live::use_event_stream(url, &["change"], move |_, _| tick.update(|n| *n += 1));
}
