//! The dashboard's reads: the board, and the deployments behind a figure.

use super::*;
use crate::AppError;
use leptos::prelude::*;

/// Everything `/` shows, for the last `days` (7, 30 or 90) and `scope`:
/// empty for all services, an environment, or `environment/name`.
/// `window` is how many hours after going live a person's rollback makes a
/// deployment failed (1–720; empty or 0 for 24).
#[server(endpoint = "read_dashboard")]
pub async fn read_dashboard(
    #[server(default)] days: u32,
    #[server(default)] scope: String,
    #[server(default)] window: u32,
) -> Result<Dashboard, AppError> {
    let _reader = crate::auth::guard::require(crate::auth::Permission::Read).await?;
    let asked = Asked::check(days, &scope, window)?;
    let state = crate::state::app_state()?;
    Ok(crate::views::board(&state, &asked).await?.as_ref().clone())
}

/// The deployments behind one of the dashboard's figures (`show`: `all`,
/// `failed`, `lead-time` or `rework`), with the same `days`, `scope` and
/// `window` as the dashboard; newest first, at most 1,000.
#[server(endpoint = "read_dashboard_records")]
pub async fn read_dashboard_records(
    #[server(default)] days: u32,
    #[server(default)] scope: String,
    #[server(default)] window: u32,
    #[server(default)] show: String,
) -> Result<Records, AppError> {
    let _reader = crate::auth::guard::require(crate::auth::Permission::Read).await?;
    let asked = Asked::check(days, &scope, window)?;
    crate::error::check_length("show", &show, 20)?;
    let behind = match show.trim() {
        "" => Behind::All,
        s => Behind::parse(s)
            .ok_or_else(|| AppError::invalid("show", "one of all, failed, lead-time, rework"))?,
    };
    let state = crate::state::app_state()?;
    Ok(crate::views::records(&state, &asked, behind)
        .await?
        .as_ref()
        .clone())
}
