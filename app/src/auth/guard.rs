//! Who is asking, and the one permission guard every privileged server fn
//! calls first (server only).

use super::bearer::bearer_token;
use super::users::{self, User};
use super::{Permission, Role};
use crate::audit::ssr::{record_alone, Record};
use crate::audit::Outcome;
use crate::auth::actions;
use crate::request::RequestMeta;
use crate::state::{app_state, AppState};
use crate::AppError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// The session key holding who signed in, and when.
pub const SESSION_KEY: &str = "auth";

/// Stored in the session at sign-in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: i64,
    pub login_at: DateTime<Utc>,
    /// The user's `session_epoch` at sign-in (sessions from before the
    /// column existed hold 0, as every user did then).
    #[serde(default)]
    pub epoch: i32,
}

/// The signed-in user behind the current request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: User,
    pub roles: Vec<Role>,
    pub meta: RequestMeta,
    /// Set when the request came with an API token: its id and scope.
    pub token: Option<(i64, Vec<Permission>)>,
}

impl Actor {
    /// `user:<name>`, as the audit log names actors.
    pub fn audit_name(&self) -> String {
        match &self.token {
            Some((id, _)) => format!("token:{id}"),
            None => format!("user:{}", self.user.username),
        }
    }

    /// The owner's roles grant it and, for a token, the token's scope includes it.
    pub fn can(&self, p: Permission) -> bool {
        p.granted_by(&self.roles)
            && self
                .token
                .as_ref()
                .is_none_or(|(_, scope)| scope.contains(&p))
    }
}

/// The current request's session.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}

/// The signed-in, enabled user, or `None`. A session past its absolute
/// lifetime, or of a user since disabled, deleted or given a new password,
/// is ended here. Roles are read afresh on every request.
pub async fn current_actor() -> Result<Option<Actor>, AppError> {
    match leptos::prelude::use_context::<RequestActor>() {
        Some(memo) => memo.0.get_or_try_init(look_up_actor).await.cloned(),
        None => look_up_actor().await,
    }
}

/// Who the current request's actor is, looked up once per request: a page
/// renders several resources, and each server fn behind them asks. The
/// server provides a fresh one to each request's context.
#[derive(Clone, Default)]
pub struct RequestActor(std::sync::Arc<tokio::sync::OnceCell<Option<Actor>>>);

async fn look_up_actor() -> Result<Option<Actor>, AppError> {
    let state = app_state()?;
    let parts: Option<axum::http::request::Parts> = leptos::prelude::use_context();
    let bearer = parts.as_ref().and_then(|p| bearer_token(&p.headers));
    match bearer {
        Some(token) => actor_for_token(&state, &token, RequestMeta::current()).await,
        None => actor_for(&state, &session().await?, RequestMeta::current()).await,
    }
}

/// The owner of a valid token, acting within the token's scope.
pub async fn actor_for_token(
    state: &AppState,
    token: &str,
    meta: RequestMeta,
) -> Result<Option<Actor>, AppError> {
    let Some((id, user_id, scope)) = super::bearer::check(&state.db, token).await? else {
        return Ok(None);
    };
    let user = users::find_by_id(&state.db, user_id)
        .await?
        .filter(|u| !u.disabled);
    Ok(user.map(|user| Actor {
        roles: user.roles(),
        user,
        meta,
        token: Some((id, scope)),
    }))
}

/// [`current_actor`] for handlers outside Leptos (plain axum routes).
pub async fn actor_for(
    state: &AppState,
    session: &Session,
    meta: RequestMeta,
) -> Result<Option<Actor>, AppError> {
    let Some(auth) = session
        .get::<SessionAuth>(SESSION_KEY)
        .await
        .map_err(AppError::internal)?
    else {
        return Ok(None);
    };
    let user = users::find_by_id(&state.db, auth.user_id).await?;
    let expired = Utc::now() - auth.login_at > state.auth.absolute_lifetime;
    match user {
        Some(user) if !user.disabled && !expired && user.session_epoch == auth.epoch => {
            let roles = user.roles();
            Ok(Some(Actor {
                user,
                roles,
                meta,
                token: None,
            }))
        }
        _ => {
            session.flush().await.map_err(AppError::internal)?;
            Ok(None)
        }
    }
}

/// The guard: the signed-in actor when they hold `permission`; otherwise
/// 401 (not signed in) or 403 (audited as `denied`).
#[must_use = "the guard's result must be checked with `?`"]
pub async fn require(permission: Permission) -> Result<Actor, AppError> {
    let path = leptos::prelude::use_context::<axum::http::request::Parts>()
        .map(|p| p.uri.path().to_string());
    let actor = current_actor().await?;
    authorize(&app_state()?, actor, permission, &path.unwrap_or_default()).await
}

/// The decision behind [`require`] and plain routes' `Authorized`.
pub async fn authorize(
    state: &AppState,
    actor: Option<Actor>,
    permission: Permission,
    path: &str,
) -> Result<Actor, AppError> {
    let Some(actor) = actor else {
        return Err(AppError::Unauthorized(
            "Sign in first (or send a valid, unexpired API token).".into(),
        ));
    };
    if actor.can(permission) {
        return Ok(actor);
    }
    deny(state, &actor, permission, path).await?;
    if actor.token.is_some() && permission.granted_by(&actor.roles) {
        return Err(AppError::Forbidden(format!(
            "This API token's scope lacks the `{permission:?}` permission."
        )));
    }
    Err(AppError::Forbidden(format!(
        "Your roles ({}) do not allow this: it needs the `{permission:?}` permission.",
        actor
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

async fn deny(
    state: &AppState,
    actor: &Actor,
    permission: Permission,
    path: &str,
) -> Result<(), AppError> {
    let r = Record::new(
        actor.audit_name(),
        actions::PERMISSION_DENIED,
        path,
        Outcome::Denied,
    )
    .details(serde_json::json!({ "permission": permission }))
    .meta(&actor.meta);
    record_alone(&state.db, r).await?;
    Ok(())
}
