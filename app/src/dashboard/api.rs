//! The dashboard's one read.

use super::*;
use crate::AppError;
use leptos::prelude::*;

/// Everything `/` shows, for the last `days` (7, 30 or 90) and `scope`:
/// empty for all services, an environment, or `environment/name`.
#[server(endpoint = "read_dashboard")]
pub async fn read_dashboard(
    #[server(default)] days: u32,
    #[server(default)] scope: String,
) -> Result<Dashboard, AppError> {
    let _reader = crate::auth::guard::require(crate::auth::Permission::Read).await?;
    crate::error::check_length("scope", &scope, 130)?;
    let days = match days {
        0 => 30,
        d if PERIODS.contains(&d) => d,
        _ => return Err(AppError::invalid("days", "7, 30 or 90")),
    };
    let state = crate::state::app_state()?;
    ssr::read(&state, days, scope.trim()).await
}
