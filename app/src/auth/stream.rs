//! Streams that end when their caller's access does (server only).
//!
//! A server-sent-event stream is authorized once, when it opens, and may
//! then run for hours: after sign-out, disabling, a password reset, a lost
//! role or a revoked token it would keep delivering. So every stream route
//! wraps its stream here, and the caller's credentials are checked again
//! whenever access may have ended (the database announces sign-outs,
//! disabled or changed users and revoked tokens on the live channel as
//! topic `access`), and at least every `AuthConfig::stream_recheck` (30 s)
//! in case an announcement was missed; the stream ends when they fail.

use super::bearer::bearer_token;
use super::guard::{actor_for, actor_for_token};
use super::Permission;
use crate::request::RequestMeta;
use crate::state::AppState;
use axum::http::HeaderMap;
use futures_util::{Stream, StreamExt};
use tower_sessions::Session;

/// What a stream was opened with, to ask again while it runs.
pub struct StreamCaller {
    session: Session,
    bearer: Option<String>,
    permission: Permission,
}

impl StreamCaller {
    /// The credentials of the request that opened the stream (its bearer
    /// token, else its session), and the permission the stream needs.
    pub fn of(session: &Session, headers: &HeaderMap, permission: Permission) -> Self {
        StreamCaller {
            session: session.clone(),
            bearer: bearer_token(headers),
            permission,
        }
    }

    /// Whether the credentials still hold the permission, read afresh from
    /// the database (the session store too: a signed-out session is gone).
    async fn still_allowed(&self, state: &AppState) -> bool {
        let actor = match &self.bearer {
            Some(token) => actor_for_token(state, token, RequestMeta::default()).await,
            None => match self.session.load().await {
                Ok(()) => actor_for(state, &self.session, RequestMeta::default()).await,
                Err(_) => return false,
            },
        };
        matches!(actor, Ok(Some(actor)) if actor.can(self.permission))
    }
}

/// `stream` for as long as `caller` may read it, and until shutdown.
pub fn while_allowed<S>(
    state: &AppState,
    caller: StreamCaller,
    stream: S,
) -> impl Stream<Item = S::Item> + Send
where
    S: Stream + Send,
{
    let every = state.auth.stream_recheck;
    let checking = state.clone();
    let mut changes = state.live.subscribe(&state.db);
    let lost = async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = changes.changed_any(crate::live::Topic::Access) => {}
            }
            if !caller.still_allowed(&checking).await {
                return;
            }
        }
    };
    stream
        .take_until(Box::pin(lost))
        .take_until(state.background.stopping())
}
