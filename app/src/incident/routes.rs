//! The live streams incident pages follow: a `change` event at once and
//! whenever the incident (or any incident, for the list) or its timeline
//! changes, wherever the change was made: a note in another browser, a
//! deploy of an affected service by another process or a token.

use crate::auth::authorized::Authorized;
use crate::auth::stream::while_allowed;
use crate::live::{Subscription, Topic};
use crate::state::AppState;
use crate::AppError;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use std::convert::Infallible;

/// `GET /incidents/{id}/events`.
pub async fn incident_events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Authorized,
) -> Result<Response, AppError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM incident WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db)
        .await?;
    found.ok_or_else(|| AppError::NotFound(format!("incident #{id}")))?;
    let changes = state.live.subscribe(&state.db);
    Ok(Sse::new(while_allowed(
        &state,
        reader.caller,
        follow(Some(id), changes),
    ))
    .keep_alive(KeepAlive::default())
    .into_response())
}

/// `GET /incident-events`: for the incidents list.
pub async fn all_incident_events(State(state): State<AppState>, reader: Authorized) -> Response {
    let changes = state.live.subscribe(&state.db);
    Sse::new(while_allowed(&state, reader.caller, follow(None, changes)))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `GET /incidents/{id}/postmortem.md`: the postmortem as CommonMark,
/// shown inline and saved under a name that says which incident it is.
pub async fn postmortem_markdown(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    _reader: Authorized,
) -> Result<Response, AppError> {
    let detail = super::ssr::read::read(&state.db, id).await?;
    let body = super::ssr::export::render(&detail, chrono::Utc::now());
    let disposition = format!("inline; filename=\"incident-{id}-postmortem.md\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

fn follow(id: Option<i64>, changes: Subscription) -> impl Stream<Item = Result<Event, Infallible>> {
    changes
        .changes(Topic::Incident, id)
        .map(|()| Ok(Event::default().event("change").data("changed")))
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            crate::auth::registry::plain_route("/incidents/{id}/events"),
            axum::routing::get(incident_events),
        )
        .route(
            crate::auth::registry::plain_route("/incidents/{id}/postmortem.md"),
            axum::routing::get(postmortem_markdown),
        )
        .route(
            crate::auth::registry::plain_route("/incident-events"),
            axum::routing::get(all_incident_events),
        )
}
