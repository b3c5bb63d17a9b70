//! The health of Opsdeck's dependencies: the database and the Docker engine.
//!
//! The types sit here, below the Docker client that reports its probe in
//! them; the server fn is in `api.rs`.

use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use api::{read_system_status, ReadSystemStatus};

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
