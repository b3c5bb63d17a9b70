//! API tokens: named, expiring, scoped to a subset of the owner's
//! permissions, stored hashed, shown once, revocable.

use crate::auth::Permission;
use crate::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod actions;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::TokensPage;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub permissions: Vec<Permission>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// Your tokens; an administrator sees everyone's.
#[server(endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    let actor = crate::auth::guard::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    ssr::list(&state.db, &actor).await
}

/// Creates a token with the ticked permissions (each must be one you hold)
/// and returns it in full: the only time it can be seen. Only a signed-in
/// person creates tokens: a token minting tokens could outlive its own
/// revocation through them.
#[server(endpoint = "create_token")]
pub async fn create_token(
    name: String,
    days: u32,
    #[server(default)] permissions: Vec<Permission>,
) -> Result<String, AppError> {
    let actor = crate::auth::guard::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    ssr::create(&state.db, &actor, &name, days, &permissions).await
}

/// Revokes one of your tokens (an administrator: anyone's).
#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    let actor = crate::auth::guard::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    ssr::revoke(&state.db, &actor, id).await
}
