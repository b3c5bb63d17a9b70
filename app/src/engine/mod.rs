//! The Docker engine page: what engine Opsdeck drives and what it holds.

use crate::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::EnginePage;

/// A snapshot of the engine, read live from its `/version` and `/info` endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    pub host: String,
    pub name: String,
    pub version: String,
    pub api_version: String,
    pub os: String,
    pub arch: String,
    pub kernel: String,
    pub containers_running: i64,
    pub containers_total: i64,
    pub images: i64,
    pub checked_at: DateTime<Utc>,
}

/// Reads the engine now; a clear `Unavailable` error when it cannot be reached.
#[server(endpoint = "read_engine")]
pub async fn read_engine() -> Result<EngineInfo, AppError> {
    let _actor = crate::auth::guard::require(crate::auth::Permission::Read).await?;
    let state = crate::state::app_state()?;
    ssr::engine_info(&state.docker).await
}
