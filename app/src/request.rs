//! Where a request came from (server only), for the audit log.
//!
//! Neutral ground below the guard, the audit writer and the features: they
//! all record it, and it uses none of them.

/// Request id and client address of one request.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

impl RequestMeta {
    /// Of the request a server function or page is answering (empty
    /// outside one).
    pub fn current() -> Self {
        let parts: Option<axum::http::request::Parts> = leptos::prelude::use_context();
        parts
            .map(|p| RequestMeta::of(&p.headers, &p.extensions))
            .unwrap_or_default()
    }

    /// From a request's headers and extensions (plain axum handlers too).
    pub fn of(headers: &axum::http::HeaderMap, extensions: &axum::http::Extensions) -> Self {
        RequestMeta {
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            client_addr: extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        }
    }
}
