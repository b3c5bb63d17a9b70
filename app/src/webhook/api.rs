//! Server functions of webhooks (admin only), at fixed `/api/` URLs.

use super::*;
use crate::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth::guard::require;
#[cfg(feature = "ssr")]
use crate::auth::Permission;
#[cfg(feature = "ssr")]
use crate::state::app_state;

/// Every destination with its newest deliveries.
#[server(endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<Vec<WebhookView>, AppError> {
    require(Permission::Administer).await?;
    let state = app_state()?;
    ssr::store::list(&state.db).await
}

/// Adds a destination: `url` (http or https), `format` (`standard` or
/// `slack`), and the `events` it is told of (see [`EVENTS`]). Answers with
/// its signing secret, shown this once.
#[server(endpoint = "create_webhook")]
pub async fn create_webhook(
    #[server(default)] name: String,
    #[server(default)] url: String,
    #[server(default)] format: String,
    #[server(default)] events: Vec<String>,
) -> Result<WebhookCreated, AppError> {
    let actor = require(Permission::Administer).await?;
    let state = app_state()?;
    let new = ssr::store::NewWebhook::parse(&name, &url, &format, &events)?;
    ssr::store::create(&state, &actor, new).await
}

/// Removes a destination; what was still owed to it is dropped with it.
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    let actor = require(Permission::Administer).await?;
    let state = app_state()?;
    ssr::store::delete(&state.db, &actor, id).await
}

/// Owes the destination a `test` message, delivered like any other.
#[server(endpoint = "send_test_webhook")]
pub async fn send_test_webhook(id: i64) -> Result<(), AppError> {
    let actor = require(Permission::Administer).await?;
    let state = app_state()?;
    ssr::store::ask_test(&state.db, &actor, id).await
}
