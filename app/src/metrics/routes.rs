//! The scrape endpoint.

use super::{exposition, facts};
use crate::auth::authorized::Authorized;
use crate::state::AppState;
use crate::AppError;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `GET /metrics`, for a caller holding `read` (token or session).
pub async fn metrics(
    State(state): State<AppState>,
    _reader: Authorized,
) -> Result<Response, AppError> {
    let facts = facts::gather(&state).await?;
    let body = exposition::render(&facts)?;
    Ok((
        [
            (header::CONTENT_TYPE, prometheus::TEXT_FORMAT),
            // Each scrape is a fresh reading; no cache may answer for it.
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        crate::auth::registry::plain_route("/metrics"),
        axum::routing::get(metrics),
    )
}
