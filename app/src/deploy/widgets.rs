//! Small pieces the deployment pages share: the state badge.

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
