//! The health of Opsdeck's dependencies: the database and the Docker engine.

use crate::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

/// The result of checking one dependency: its version when up, the reason when down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub ok: bool,
    pub detail: String,
}

impl Probe {
    pub fn up(detail: impl Into<String>) -> Self {
        Probe {
            ok: true,
            detail: detail.into(),
        }
    }

    pub fn down(detail: impl Into<String>) -> Self {
        Probe {
            ok: false,
            detail: detail.into(),
        }
    }
}

/// What the layout's banner and the overview page show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub database: Probe,
    pub docker: Probe,
    pub opsdeck_version: String,
}

impl SystemStatus {
    pub fn degraded(&self) -> bool {
        !self.database.ok || !self.docker.ok
    }
}

/// Database and Docker engine status; the Docker part is the monitor's last probe.
#[server(endpoint = "read_system_status")]
pub async fn read_system_status() -> Result<SystemStatus, AppError> {
    let _actor = crate::auth::guard::require(crate::auth::Permission::Read).await?;
    let state = crate::state::app_state()?;
    Ok(ssr::system_status(&state).await)
}
