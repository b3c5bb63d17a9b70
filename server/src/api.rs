//! Server-function calls (`/api/*`) at the HTTP level: a bounded body, and
//! the status an error deserves.
//!
//! A server function sets its error's status itself (`AppError::with_status`),
//! but arguments that fail to decode never reach its body: server_fn then
//! answers every error with 500. This layer reads such an error back and gives
//! it the status `AppError::status` names (400 for bad arguments), and answers
//! an oversized body with 413 before anything reads it.

use app::AppError;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// The largest request body a server function accepts (no server function
/// takes uploads).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Error bodies are small; a larger one is left as it is.
const ERROR_BODY_READ_LIMIT: usize = 64 * 1024;

/// What a body too large to read (chunked, without a length) fails with.
const LENGTH_LIMIT_MESSAGE: &str = "length limit exceeded";

/// The limit for bodies read without a declared length.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(BODY_LIMIT)
}

/// Refuses oversized server-function bodies with 413 and gives failed calls
/// the status their error deserves.
pub async fn bounded_calls(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    if declared_length(&req).is_some_and(|n| n > BODY_LIMIT) {
        return too_large(req.uri().path());
    }
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    with_deserved_status(&path, response).await
}

fn declared_length(req: &Request) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

async fn with_deserved_status(path: &str, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_READ_LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(AppError::ServerFn(leptos::prelude::ServerFnErrorErr::Deserialization(m)))
            if m.contains(LENGTH_LIMIT_MESSAGE) =>
        {
            too_large(path)
        }
        Ok(error) => {
            parts.status = error.status();
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// 413 as an `AppError` the calling page can show.
fn too_large(path: &str) -> Response {
    let error = AppError::Validation {
        field: "body".into(),
        message: format!(
            "the request body is larger than {} KiB, the limit for server functions",
            BODY_LIMIT / 1024
        ),
    };
    let mut response = (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&error).unwrap_or_default(),
    )
        .into_response();
    if let Ok(path) = HeaderValue::from_str(path) {
        response.headers_mut().insert(SERVER_FN_ERROR_HEADER, path);
    }
    response
}
