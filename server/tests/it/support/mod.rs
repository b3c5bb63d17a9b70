//! What the integration tests share (zero2prod's `helpers.rs`): a test
//! state on a real database, the router driven in-process as a browser or
//! an API client would, users signed in by role, the CLI. Feature helpers
//! live beside it: `backup` (databases to back up, waiting for jobs),
//! `deploy` (test images, services, sampling replicas), `password_cluster`.

#![allow(dead_code)]

pub mod backup;
pub mod deploy;
pub mod incident;
pub mod password_cluster;
pub mod probe;
pub mod process;
pub mod sse;

use app::docker::DockerHandle;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use sqlx::PgPool;
use tower::ServiceExt;

/// The installation key of every test state and CLI run (`OPSDECK_SECRET_KEY`
/// of [`opsdeck`]): one key, so events written by either verify in both.
pub const SECRET_KEY: [u8; 32] = [42u8; 32];
pub const SECRET_KEY_BASE64: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

/// Installs the audit chain key of [`SECRET_KEY`] in this process, as the
/// server does at start; tests that write events without a state call it.
pub fn install_chain_key() {
    app::audit::ssr::use_chain_key(app::audit::chain::ChainKey::derive(&SECRET_KEY));
}

pub fn state(db: PgPool, docker_host: &str) -> AppState {
    install_chain_key();
    let leptos_options = LeptosOptions::builder()
        .output_name("opsdeck")
        .site_root("target/site")
        .build();
    AppState {
        leptos_options,
        db,
        docker: DockerHandle::new(docker_host),
        engines: Default::default(),
        auth: Default::default(),
        secrets: app::secrets::SecretBox::from_bytes(&SECRET_KEY).unwrap(),
        live: Default::default(),
        background: Default::default(),
        backups: app::backup::ssr::store::BackupStore::new(backup_dir()),
        engine_looks: Default::default(),
        engine_feeds: Default::default(),
        views: Default::default(),
    }
}

/// A backup store of its own for each test state: backup ids restart in
/// every test database, so a shared folder would mix their files.
pub fn backup_dir() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("opsdeck-it-backups-{}-{n}", std::process::id()))
}

/// The web settings of test routers: Opsdeck served as [`ORIGIN`].
pub fn web() -> opsdeck_server::web::WebConfig {
    opsdeck_server::web::WebConfig {
        public_origin: Some(ORIGIN.to_string()),
        ..Default::default()
    }
}

/// Sends a GET through the whole router and returns status and body text.
pub async fn get(state: &AppState, path: &str) -> (StatusCode, String) {
    let router = opsdeck_server::router(state.clone(), web());
    let response = router
        .oneshot(
            Request::get(path)
                .header("host", HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

pub async fn get_json(state: &AppState, path: &str) -> (StatusCode, serde_json::Value) {
    let (status, body) = get(state, path).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {body}")),
    )
}

/// A socket path nobody listens on.
pub fn dead_docker_host() -> String {
    format!("unix:///tmp/opsdeck-no-docker-{}.sock", std::process::id())
}

/// A `DATABASE_URL` for the database behind `pool` (a `#[sqlx::test]` database),
/// built from the suite's `DATABASE_URL` so that CLI runs can reach it.
pub async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    url_for(&name)
}

/// The suite's `DATABASE_URL` with another database name.
pub fn url_for(database: &str) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set for database tests");
    let (path, query) = base
        .split_once('?')
        .map(|(p, q)| (p, Some(q)))
        .unwrap_or((&base, None));
    let (server, _) = path.rsplit_once('/').unwrap();
    match query {
        Some(q) => format!("{server}/{database}?{q}"),
        None => format!("{server}/{database}"),
    }
}

/// Runs the `opsdeck` binary against `database_url` with `stdin`; returns (exit code, stdout, stderr).
pub fn opsdeck(database_url: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(args)
        .env("DATABASE_URL", database_url)
        .env("OPSDECK_SECRET_KEY", SECRET_KEY_BASE64)
        .env("OPSDECK_LOG", "warn");
    let out = testkit::run_with_stdin(cmd, stdin);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The origin test requests claim, and the matching Host.
pub const HOST: &str = "opsdeck.test";
pub const ORIGIN: &str = "http://opsdeck.test";

/// A cookie-keeping client of the in-process router, like a browser.
pub struct Client {
    router: axum::Router,
    cookie: Option<String>,
    client_addr: std::net::SocketAddr,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    /// Success as a server-fn client sees it (200, or a redirect for a browser).
    pub fn ok(&self) -> bool {
        self.status.is_success() || self.status.is_redirection()
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }
}

impl Client {
    pub fn new(state: &AppState) -> Self {
        Client {
            router: opsdeck_server::router(state.clone(), web()),
            cookie: None,
            client_addr: "127.0.0.1:40000".parse().unwrap(),
        }
    }

    pub fn set_cookie(&mut self, cookie: &str) {
        self.cookie = Some(cookie.to_string());
    }

    pub fn set_client_addr(&mut self, addr: &str) {
        self.client_addr = addr.parse().unwrap();
    }

    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> Reply {
        req.headers_mut().insert("host", HOST.parse().unwrap());
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(self.client_addr));
        if let Some(c) = &self.cookie {
            req.headers_mut().insert("cookie", c.parse().unwrap());
        }
        let response = self.router.clone().oneshot(req).await.unwrap();
        if let Some(set) = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or_default().to_string();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Opens a streamed response (server-sent events) and returns its status
    /// and body, to be read frame by frame.
    pub async fn open_stream(&mut self, path: &str) -> (StatusCode, Body) {
        self.open_stream_with(path, None).await
    }

    /// [`open_stream`](Self::open_stream) as a script would, with an API token.
    pub async fn open_stream_with(
        &mut self,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, Body) {
        let mut req = Request::get(path)
            .header("accept", "text/event-stream")
            .header("host", HOST)
            .body(Body::empty())
            .unwrap();
        if let Some(token) = token {
            let bearer = format!("Bearer {token}").parse().unwrap();
            req.headers_mut().insert("authorization", bearer);
        }
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(self.client_addr));
        if let Some(c) = &self.cookie {
            req.headers_mut().insert("cookie", c.parse().unwrap());
        }
        let response = self.router.clone().oneshot(req).await.unwrap();
        (response.status(), response.into_body())
    }

    /// A page load, as a browser asks for it.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(
            Request::get(path)
                .header("accept", "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A same-origin form post, as Opsdeck's own pages send.
    pub async fn post_form(&mut self, path: &str, form: &str) -> Reply {
        let req = Request::post(path)
            .header("origin", ORIGIN)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// A server-fn call from a script: bearer token, no cookie, no Origin.
    pub async fn post_with_token(&mut self, token: &str, path: &str, form: &str) -> Reply {
        let req = Request::post(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .unwrap();
        self.send(req).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Reply {
        self.post_form(
            "/api/login",
            &format!(
                "username={username}&password={}",
                password.replace(' ', "+")
            ),
        )
        .await
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Creates a user holding `roles` (password [`PASSWORD`]).
pub async fn create_user(db: &PgPool, username: &str, roles: &[app::auth::Role]) {
    let new = app::auth::users::NewUser {
        username: username.into(),
        display_name: username.into(),
        password: PASSWORD.to_string().into(),
        roles: roles.to_vec(),
    };
    let mut tx = db.begin().await.unwrap();
    app::auth::users::create(&mut tx, &new).await.unwrap();
    tx.commit().await.unwrap();
}

/// A client signed in as a new user holding `roles`.
pub async fn signed_in(state: &AppState, username: &str, roles: &[app::auth::Role]) -> Client {
    create_user(&state.db, username, roles).await;
    let mut client = Client::new(state);
    let reply = client.login(username, PASSWORD).await;
    assert!(reply.ok(), "login: {} {}", reply.status, reply.body);
    assert!(client.cookie().is_some(), "login sets the session cookie");
    client
}

/// Asserts a 422 naming `field`; returns its message.
pub fn refused(reply: &Reply, field: &str) -> String {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {}",
        reply.body
    );
    match serde_json::from_str(&reply.body).unwrap() {
        app::AppError::Validation { field: f, message } => {
            assert_eq!(f, field, "{message}");
            message
        }
        other => panic!("{field}: {other:?}"),
    }
}
