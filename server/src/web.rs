//! HTTP-level protections: browser sessions and same-origin checks.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use tower_sessions::cookie::time;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

/// Settings of the web layer, from `Settings`.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// `OPSDECK_PUBLIC_URL`'s origin (`https://ops.example.com`), when set.
    pub public_origin: Option<String>,
    /// A session ends after this long without a request.
    pub session_idle: std::time::Duration,
    /// `OPSDECK_ADDR`: its IP is one of the names Opsdeck answers to.
    pub listen: std::net::SocketAddr,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_origin: None,
            session_idle: std::time::Duration::from_secs(60 * 60),
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 3000)),
        }
    }
}

impl WebConfig {
    /// Cookies are `Secure` when Opsdeck is served over https.
    fn secure_cookies(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"))
    }
}

/// Session cookies: HttpOnly, SameSite=Lax, Secure behind https, stored in PostgreSQL.
pub fn session_layer(db: PgPool, web: &WebConfig) -> SessionManagerLayer<PostgresStore> {
    let idle = time::Duration::seconds(web.session_idle.as_secs() as i64);
    SessionManagerLayer::new(PostgresStore::new(db))
        .with_name("opsdeck_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(web.secure_cookies())
        .with_expiry(Expiry::OnInactivity(idle))
}

/// Refuses state-changing requests from another origin (CSRF). Browsers
/// send `Origin` (or at least `Referer`) with every POST; a request with
/// neither is accepted only with a bearer token, which no other site can
/// make a browser send on its own.
pub async fn same_origin_only(State(web): State<WebConfig>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_same_origin(&web, &req)
    {
        return next.run(req).await;
    }
    tracing::warn!(method = %req.method(), path = %req.uri().path(), "refused a cross-origin request");
    (
        StatusCode::FORBIDDEN,
        "Cross-origin request refused: state changes must come from Opsdeck's own pages.",
    )
        .into_response()
}

fn is_same_origin(web: &WebConfig, req: &Request) -> bool {
    let headers = req.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    if text("sec-fetch-site") == Some("cross-site") {
        return false;
    }
    let host = text(header::HOST.as_str());
    let allowed = |origin: &str| match &web.public_origin {
        Some(public) => origin == public,
        None => authority(origin).is_some_and(|a| Some(a) == host),
    };
    if let Some(origin) = text(header::ORIGIN.as_str()) {
        return allowed(origin);
    }
    if let Some(referer) = text(header::REFERER.as_str()) {
        return origin_of(referer).is_some_and(|o| allowed(&o));
    }
    text(header::AUTHORIZATION.as_str()).is_some_and(|a| a.starts_with("Bearer "))
}

/// `host:port` of `scheme://host:port[/…]`.
fn authority(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// `scheme://host:port` of a full URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once("://")?;
    Some(format!("{scheme}://{}", authority(url)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut b = axum::http::Request::post("/api/logout");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn same_host_origin_is_accepted_and_other_origins_are_not() {
        let web = WebConfig::default();
        assert!(is_same_origin(
            &web,
            &post(&[("host", "ops:3000"), ("origin", "http://ops:3000")])
        ));
        assert!(!is_same_origin(
            &web,
            &post(&[("host", "ops:3000"), ("origin", "http://evil.example")])
        ));
        assert!(is_same_origin(
            &web,
            &post(&[
                ("host", "ops:3000"),
                ("referer", "http://ops:3000/login?next=/")
            ])
        ));
        assert!(!is_same_origin(
            &web,
            &post(&[
                ("host", "ops:3000"),
                ("referer", "http://evil.example/ops:3000")
            ])
        ));
        assert!(
            !is_same_origin(&web, &post(&[("host", "ops:3000")])),
            "no origin, no referer, no token"
        );
        assert!(is_same_origin(
            &web,
            &post(&[("host", "ops:3000"), ("authorization", "Bearer abc")])
        ));
        assert!(!is_same_origin(
            &web,
            &post(&[
                ("host", "ops:3000"),
                ("origin", "http://ops:3000"),
                ("sec-fetch-site", "cross-site")
            ])
        ));
    }

    #[test]
    fn public_url_decides_the_allowed_origin() {
        let web = WebConfig {
            public_origin: Some("https://ops.example.com".into()),
            ..Default::default()
        };
        assert!(is_same_origin(
            &web,
            &post(&[
                ("host", "10.0.0.1:3000"),
                ("origin", "https://ops.example.com")
            ])
        ));
        assert!(!is_same_origin(
            &web,
            &post(&[
                ("host", "10.0.0.1:3000"),
                ("origin", "http://10.0.0.1:3000")
            ])
        ));
        assert!(web.secure_cookies());
    }
}
