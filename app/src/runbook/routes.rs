//! The live stream a run's page follows: a `change` event at once and
//! whenever the run changes, wherever the change was made (a tick or an
//! approval in another browser, a step started with an API token).

use crate::auth::authorized::Authorized;
use crate::auth::stream::while_allowed;
use crate::live::Topic;
use crate::state::AppState;
use crate::AppError;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

/// `GET /runbook-runs/{id}/events`.
pub async fn run_events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Authorized,
) -> Result<Response, AppError> {
    super::ssr::runs::find(&state.db, id).await?;
    let changes = state
        .live
        .subscribe(&state.db)
        .changes(Topic::RunbookRun, Some(id))
        .map(|()| {
            Ok::<_, std::convert::Infallible>(Event::default().event("change").data("changed"))
        });
    Ok(Sse::new(while_allowed(&state, reader.caller, changes))
        .keep_alive(KeepAlive::default())
        .into_response())
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        crate::auth::registry::plain_route("/runbook-runs/{id}/events"),
        axum::routing::get(run_events),
    )
}
