//! Server functions of user administration (the `Administer` permission).

use crate::auth::Role;
use crate::AppError;
use leptos::prelude::*;

/// Checkbox fields of a roles form (`on` when ticked) as roles.
pub fn ticked(
    viewer: Option<String>,
    responder: Option<String>,
    deployer: Option<String>,
    admin: Option<String>,
) -> Vec<Role> {
    [
        (viewer, Role::Viewer),
        (responder, Role::Responder),
        (deployer, Role::Deployer),
        (admin, Role::Admin),
    ]
    .into_iter()
    .filter_map(|(v, r)| v.filter(|v| !v.is_empty()).map(|_| r))
    .collect()
}

#[server(endpoint = "create_user")]
#[allow(clippy::too_many_arguments)]
pub async fn create_user(
    username: String,
    #[server(default)] display_name: String,
    password: String,
    #[server(default)] viewer: Option<String>,
    #[server(default)] responder: Option<String>,
    #[server(default)] deployer: Option<String>,
    #[server(default)] admin: Option<String>,
) -> Result<(), AppError> {
    let actor = crate::auth::guard::require(crate::auth::Permission::Administer).await?;
    let state = crate::state::app_state()?;
    let username = username.trim().to_lowercase();
    let display_name = if display_name.trim().is_empty() {
        username.clone()
    } else {
        display_name
    };
    let roles = ticked(viewer, responder, deployer, admin);
    let new = crate::auth::users::NewUser {
        username,
        display_name,
        password: password.into(),
        roles,
    };
    super::ssr::create(&state.db, &actor, new).await
}

#[server(endpoint = "set_user_roles")]
pub async fn set_user_roles(
    username: String,
    #[server(default)] viewer: Option<String>,
    #[server(default)] responder: Option<String>,
    #[server(default)] deployer: Option<String>,
    #[server(default)] admin: Option<String>,
) -> Result<(), AppError> {
    let actor = crate::auth::guard::require(crate::auth::Permission::Administer).await?;
    let state = crate::state::app_state()?;
    let username = crate::auth::named_user(&username)?;
    let change = super::ssr::Change::Roles(ticked(viewer, responder, deployer, admin));
    super::ssr::apply(&state.db, &actor, username, change).await
}

#[server(endpoint = "set_user_disabled")]
pub async fn set_user_disabled(username: String, disabled: bool) -> Result<(), AppError> {
    let actor = crate::auth::guard::require(crate::auth::Permission::Administer).await?;
    let state = crate::state::app_state()?;
    let username = crate::auth::named_user(&username)?;
    super::ssr::apply(
        &state.db,
        &actor,
        username,
        super::ssr::Change::Disabled(disabled),
    )
    .await
}

#[server(endpoint = "unlock_user")]
pub async fn unlock_user(username: String) -> Result<(), AppError> {
    let actor = crate::auth::guard::require(crate::auth::Permission::Administer).await?;
    let state = crate::state::app_state()?;
    let username = crate::auth::named_user(&username)?;
    super::ssr::apply(&state.db, &actor, username, super::ssr::Change::Unlock).await
}

#[server(endpoint = "reset_user_password")]
pub async fn reset_user_password(username: String, password: String) -> Result<(), AppError> {
    let actor = crate::auth::guard::require(crate::auth::Permission::Administer).await?;
    let state = crate::state::app_state()?;
    let username = crate::auth::named_user(&username)?;
    super::ssr::reset_password(&state.db, &actor, username, password.into()).await
}
