//! Server-function calls (`/api/*`) at the HTTP level: a bounded body, and
//! the status an error deserves.
//!
//! This layer is the one place that gives a failed server fn call its
//! status. server_fn answers every error with 500, whether the function
//! returned it (a validation error, a missing record) or its arguments never
//! decoded; the layer reads the `AppError` back and answers with the status
//! `AppError::status` names (422, 404, 400 for bad arguments, …). Server fns
//! just return their error. Form arguments that fail to decode are read
//! again through the registry, so the answer (422) names the field at fault.
//! It also answers an oversized body with 413 before anything reads it.

use app::AppError;
use axum::body::{Body, Bytes};
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
    let (req, args) = match form_arguments(req).await {
        Ok(kept) => kept,
        Err(response) => return response,
    };
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    with_deserved_status(&path, args.as_deref(), response).await
}

/// Keeps a copy of a form body (or a GET's query) so refused arguments can be
/// explained; the body is bounded already, and forms are small.
async fn form_arguments(req: Request) -> Result<(Request, Option<Bytes>), Response> {
    if req.method() == axum::http::Method::GET {
        let query = Bytes::copy_from_slice(req.uri().query().unwrap_or_default().as_bytes());
        return Ok((req, Some(query)));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return Err(too_large(&path));
    };
    // A second handle on the same buffer, not a copy.
    Ok((
        Request::from_parts(parts, Body::from(bytes.clone())),
        Some(bytes),
    ))
}

fn declared_length(req: &Request) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

async fn with_deserved_status(path: &str, args: Option<&[u8]>, response: Response) -> Response {
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
        Ok(AppError::ServerFn(leptos::prelude::ServerFnErrorErr::Args(_))) => {
            match args.and_then(|a| app::auth::registry::explain_refused_args(path, a)) {
                Some(named) => error_response(parts, named),
                None => {
                    parts.status = StatusCode::BAD_REQUEST;
                    Response::from_parts(parts, Body::from(bytes))
                }
            }
        }
        Ok(error) => {
            parts.status = error.status();
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// `error` as the JSON body of a failed call, with the status it deserves.
fn error_response(mut parts: axum::http::response::Parts, error: AppError) -> Response {
    parts.status = error.status();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::to_string(&error).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
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
