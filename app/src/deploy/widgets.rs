//! Small pieces the deployment pages share: the state badge and the live tick.

use super::DeploymentState;
use crate::layout::{Badge, Tone};
use leptos::prelude::*;

/// A deployment's state as a coloured badge.
#[component]
pub fn StateBadge(state: DeploymentState) -> impl IntoView {
    view! { <Badge text=state.label() tone=state.tone() test="state"/> }
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

    fn tone(self) -> Tone {
        match self {
            DeploymentState::Running => Tone::Info,
            DeploymentState::Succeeded => Tone::Good,
            DeploymentState::RolledBack => Tone::Warn,
            DeploymentState::Failed | DeploymentState::Interrupted => Tone::Bad,
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
