//! `/admin/users`: the people who can sign in, for administrators.

use crate::auth::Role;
use crate::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod actions;
pub mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use page::UsersPage;

/// One row of the users table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Every user, by username. Administrators only.
#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    let _actor = crate::auth::guard::require(crate::auth::Permission::Administer).await?;
    let state = crate::state::app_state()?;
    let users = crate::auth::users::all(&state.db).await?;
    Ok(users
        .into_iter()
        .map(|u| UserSummary {
            roles: u.roles(),
            username: u.username,
            display_name: u.display_name,
            disabled: u.disabled,
            locked_until: u.locked_until.filter(|t| *t > Utc::now()),
            last_login_at: u.last_login_at,
            created_at: u.created_at,
        })
        .collect())
}
