//! The guard of plain axum routes (server only): what `require` is to a
//! server fn, [`Authorized`] is to a stream, a download or an export.
//!
//! A handler takes `Authorized` as an argument and is only called once
//! the caller (API token or session) holds the permission that the
//! route's [`PLAIN_ROUTES`] entry names: the route's path, matched by the
//! router, is looked up there, so the permission and the path written in
//! a denial's audit event come from the table that the every-role test
//! walks, never from a copy in the handler.

use super::guard::{actor_for, actor_for_token, authorize, Actor};
use super::registry::{Access, PLAIN_ROUTES};
use super::stream::StreamCaller;
use super::Permission;
use crate::request::RequestMeta;
use crate::state::AppState;
use crate::AppError;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use tower_sessions::Session;

/// The caller of a plain route, holding the route's permission.
pub struct Authorized {
    pub actor: Actor,
    /// The credentials the request came with, for a stream to check again
    /// while it runs.
    pub caller: StreamCaller,
}

impl FromRequestParts<AppState> for Authorized {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (path, permission) = route_permission(parts)?;
        holding(parts, state, permission, path).await
    }
}

/// For a public route whose answer tells more to some callers (`/ready`):
/// whether the caller holds `permission`. A refusal is audited like any.
pub async fn holds(parts: &mut Parts, state: &AppState, permission: Permission) -> bool {
    caller_holding(parts, state, permission).await.is_some()
}

/// As [`holds`], with the caller, to ask what more they may do
/// (`Actor::can`) without auditing a second refusal.
pub async fn caller_holding(
    parts: &mut Parts,
    state: &AppState,
    permission: Permission,
) -> Option<Actor> {
    let path = match parts.extensions.get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_string(),
        None => parts.uri.path().to_string(),
    };
    holding(parts, state, permission, &path)
        .await
        .ok()
        .map(|a| a.actor)
}

/// The caller, by API token or session, once they hold `permission`;
/// `path` names the route in a denial's audit event.
async fn holding(
    parts: &mut Parts,
    state: &AppState,
    permission: Permission,
    path: &str,
) -> Result<Authorized, AppError> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, e)| AppError::internal(e))?;
    let meta = RequestMeta::of(&parts.headers, &parts.extensions);
    let actor = match super::bearer::bearer_token(&parts.headers) {
        Some(token) => actor_for_token(state, &token, meta).await?,
        None => actor_for(state, &session, meta).await?,
    };
    let actor = authorize(state, actor, permission, path).await?;
    let caller = StreamCaller::of(&session, &parts.headers, permission);
    Ok(Authorized { actor, caller })
}

/// The matched route's entry in [`PLAIN_ROUTES`] and the permission it needs.
fn route_permission(parts: &Parts) -> Result<(&'static str, Permission), AppError> {
    let matched = parts
        .extensions
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or_default();
    match PLAIN_ROUTES.iter().find(|(path, ..)| *path == matched) {
        Some((path, Access::Requires(permission), _)) => Ok((path, *permission)),
        Some((path, Access::Public, _)) => Err(AppError::internal(format!(
            "{path} is public in PLAIN_ROUTES: its handler needs no Authorized"
        ))),
        None => Err(AppError::internal(format!(
            "route `{matched}` is missing from PLAIN_ROUTES"
        ))),
    }
}
