//! `GET /webhook-events`: a `change` event at once and whenever a delivery
//! is owed or tried, for the webhooks page's log.

use crate::auth::authorized::Authorized;
use crate::auth::stream::while_allowed;
use crate::live::Topic;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::convert::Infallible;

pub async fn webhook_events(State(state): State<AppState>, admin: Authorized) -> Response {
    let changes = state
        .live
        .subscribe(&state.db)
        .changes(Topic::Webhook, None)
        .map(|()| Ok::<_, Infallible>(Event::default().event("change").data("changed")));
    Sse::new(while_allowed(&state, admin.caller, changes))
        .keep_alive(KeepAlive::default())
        .into_response()
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        crate::auth::registry::plain_route("/webhook-events"),
        axum::routing::get(webhook_events),
    )
}
