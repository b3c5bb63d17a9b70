//! Headers and checks every response and request passes through: which
//! `Host` may reach Opsdeck (DNS rebinding), the browser's security headers,
//! and request ids short enough to audit.

use crate::web::WebConfig;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;

/// Refuses a request whose `Host` is not Opsdeck's own name.
///
/// A page on `evil.example`, re-pointed by DNS at Opsdeck's address, is the
/// same origin as Opsdeck in the victim's browser; only the `Host` it sends
/// (`evil.example`) gives it away. Without `OPSDECK_PUBLIC_URL` the names
/// that count as Opsdeck's are the listen address and the loopback names.
pub async fn known_host_only(State(web): State<WebConfig>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    if host.is_some_and(|h| web.host_allowed(h)) {
        return next.run(req).await;
    }
    tracing::warn!(
        host = host.map(|h| truncate(h, 100)),
        "refused a request for an unknown host"
    );
    (
        StatusCode::MISDIRECTED_REQUEST,
        "Unknown host: Opsdeck answers only to its own address. Behind a proxy or under \
         another name, set OPSDECK_PUBLIC_URL.",
    )
        .into_response()
}

impl WebConfig {
    /// Whether `host` (`name[:port]`, as in the `Host` header) names Opsdeck.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        if let Some(public) = &self.public_origin {
            let authority = public.split_once("://").map_or("", |(_, a)| a);
            if host == authority.to_ascii_lowercase() {
                return true;
            }
        }
        let name = strip_port(&host);
        if name == "localhost" {
            return true;
        }
        match name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            Ok(ip) => {
                ip.is_loopback() || (!self.listen.ip().is_unspecified() && ip == self.listen.ip())
            }
            Err(_) => false,
        }
    }
}

/// `name` of `name:port`, `[v6]` of `[v6]:port`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..h.len() + 1]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        _ => host,
    }
}

/// What a browser may do with Opsdeck's responses. Pages set their own
/// `Content-Security-Policy` (with the nonce of their scripts, see
/// `app::layout::content_security_policy`); everything else gets one that
/// allows nothing.
pub async fn security_headers(State(web): State<WebConfig>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if web
        .public_origin
        .as_deref()
        .is_some_and(|o| o.starts_with("https://"))
    {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

/// The longest request id kept from a client.
const MAX_REQUEST_ID: usize = 64;

/// Drops an `X-Request-Id` that is not a short token (letters, digits,
/// `-_.:`), so that a fresh one is generated: the id is written to the
/// append-only audit log with every event of the request.
pub async fn sane_request_id(mut req: Request, next: Next) -> Response {
    let keep = req
        .headers()
        .get("x-request-id")
        .map(|v| is_token_like(v.as_bytes()));
    if keep == Some(false) {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

fn is_token_like(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(public: Option<&str>, listen: &str) -> WebConfig {
        WebConfig {
            public_origin: public.map(str::to_string),
            listen: listen.parse().unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn loopback_names_and_the_listen_address_are_opsdecks_hosts() {
        let w = web(None, "10.1.2.3:3000");
        for host in [
            "localhost",
            "localhost:3000",
            "127.0.0.1:3000",
            "127.0.0.2",
            "[::1]:3000",
            "10.1.2.3:3000",
            "LOCALHOST:3000",
        ] {
            assert!(w.host_allowed(host), "{host} should be allowed");
        }
        for host in [
            "evil.example",
            "evil.example:3000",
            "10.1.2.4:3000",
            "localhost.evil.example",
            "",
            "[::2]:3000",
        ] {
            assert!(!w.host_allowed(host), "{host} should be refused");
        }
    }

    #[test]
    fn unspecified_listen_address_allows_only_loopback_without_public_url() {
        let w = web(None, "0.0.0.0:3000");
        assert!(w.host_allowed("127.0.0.1:3000"));
        assert!(!w.host_allowed("0.0.0.0:3000"));
        assert!(!w.host_allowed("192.168.1.5:3000"));
    }

    #[test]
    fn public_url_names_the_host_people_use() {
        let w = web(Some("https://ops.example.com"), "0.0.0.0:3000");
        assert!(w.host_allowed("ops.example.com"));
        assert!(w.host_allowed("OPS.example.com"));
        assert!(!w.host_allowed("ops.example.com:8443"));
        assert!(!w.host_allowed("evil.example"));
        assert!(
            w.host_allowed("localhost:3000"),
            "local health checks still work"
        );
    }

    #[test]
    fn request_ids_must_be_short_tokens() {
        assert!(is_token_like(b"3f2a-11ee_b.7:x"));
        assert!(!is_token_like(b""));
        assert!(!is_token_like(&[b'a'; 65]));
        assert!(!is_token_like(b"a b"));
        assert!(!is_token_like(b"<script>"));
    }
}
