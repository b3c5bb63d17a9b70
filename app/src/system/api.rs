//! The server fn of the system status.

use super::SystemStatus;
use crate::AppError;
use leptos::prelude::*;

/// Database and Docker engine status; the Docker part is the monitor's last probe.
#[server(endpoint = "read_system_status")]
pub async fn read_system_status() -> Result<SystemStatus, AppError> {
    let _actor = crate::auth::guard::require(crate::auth::Permission::Read).await?;
    let state = crate::state::app_state()?;
    Ok(super::ssr::system_status(&state).await)
}
