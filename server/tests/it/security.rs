//! What every response promises a browser (headers, escaping), and which
//! requests Opsdeck refuses before any handler runs (foreign Host, odd
//! request ids).

use crate::support::deploy::create_service;
use crate::support::{dead_docker_host, signed_in, state, web, Client, HOST};
use app::auth::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use sqlx::PgPool;
use tower::ServiceExt;

/// The CSP directive `name` of a policy.
fn directive<'a>(policy: &'a str, name: &str) -> Option<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
}

fn header<'a>(reply: &'a crate::support::Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_allow_only_their_own_nonced_scripts(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    for path in ["/", "/services", "/no/such/page", "/login"] {
        let reply = admin.get(path).await;
        let policy = header(&reply, "content-security-policy");
        let scripts = directive(policy, "script-src").expect("a script-src directive");
        assert!(!scripts.contains("unsafe-inline"), "{path}: {policy}");
        assert!(scripts.contains("'wasm-unsafe-eval'"), "{path}: {policy}");
        let nonce = scripts
            .split_whitespace()
            .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"));
        assert!(nonce.len() >= 16, "{path}: a guessable nonce {nonce}");
        assert_eq!(
            directive(policy, "frame-ancestors"),
            Some("frame-ancestors 'none'")
        );
        let opening_tags = reply.body.matches("<script").count();
        let nonced = reply
            .body
            .matches(&format!("<script nonce=\"{nonce}\""))
            .count()
            + reply
                .body
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count();
        assert!(opening_tags > 0, "{path}: the page hydrates");
        assert_eq!(
            nonced, opening_tags,
            "{path}: every script carries the nonce"
        );
        assert_eq!(header(&reply, "x-content-type-options"), "nosniff");
        assert_eq!(header(&reply, "referrer-policy"), "same-origin");
    }
    let other = admin.get("/").await;
    assert_ne!(
        header(&other, "content-security-policy"),
        header(&admin.get("/").await, "content-security-policy"),
        "each response has a fresh nonce"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn data_responses_get_a_policy_that_allows_nothing_and_no_hsts_over_http(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut client = Client::new(&s);
    let reply = client.get("/live").await;
    assert_eq!(reply.status, StatusCode::OK);
    let policy = header(&reply, "content-security-policy");
    assert_eq!(directive(policy, "default-src"), Some("default-src 'none'"));
    assert_eq!(header(&reply, "x-content-type-options"), "nosniff");
    assert!(reply.headers.get("strict-transport-security").is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn https_public_url_turns_on_hsts(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let config = opsdeck_server::web::WebConfig {
        public_origin: Some("https://ops.example.com".into()),
        ..Default::default()
    };
    let response = opsdeck_server::router(s, config)
        .oneshot(
            Request::get("/live")
                .header("host", "ops.example.com")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let hsts = response.headers().get("strict-transport-security").unwrap();
    assert!(hsts.to_str().unwrap().starts_with("max-age="));
}

async fn request_with_host(s: &app::state::AppState, host: &str, req: Request<Body>) -> StatusCode {
    let mut req = req;
    req.headers_mut().insert("host", host.parse().unwrap());
    // No OPSDECK_PUBLIC_URL: the default settings, listening on 127.0.0.1:3000.
    opsdeck_server::router(s.clone(), Default::default())
        .oneshot(req)
        .await
        .unwrap()
        .status()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rebound_dns_name_cannot_reach_setup_or_sign_in(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let setup = |host: &str| {
        Request::post("/api/setup")
            .header("origin", format!("http://{host}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(
                "username=mallory&display_name=m&password=mallory+owns+this&confirm=mallory+owns+this",
            ))
            .unwrap()
    };
    let status = request_with_host(&s, "evil.example:3000", setup("evil.example:3000")).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    let page = Request::get("/login").body(Body::empty()).unwrap();
    assert_eq!(
        request_with_host(&s, "evil.example:3000", page).await,
        StatusCode::MISDIRECTED_REQUEST
    );
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM app_user")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        users, 0,
        "no administrator was created through the foreign host"
    );
    let page = Request::get("/login").body(Body::empty()).unwrap();
    assert_eq!(
        request_with_host(&s, "127.0.0.1:3000", page).await,
        StatusCode::OK
    );
    let page = Request::get("/login").body(Body::empty()).unwrap();
    assert_eq!(
        request_with_host(&s, "localhost:3000", page).await,
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_overlong_request_id_is_replaced_before_it_reaches_the_audit_log(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut client = Client::new(&s);
    let long_id = "x".repeat(60_000);
    let req = Request::post("/api/login")
        .header("origin", crate::support::ORIGIN)
        .header("x-request-id", &long_id)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("username=nobody&password=wrong+password"))
        .unwrap();
    let reply = client.send(req).await;
    let echoed = header(&reply, "x-request-id");
    assert!(echoed.len() <= 64 && echoed != long_id, "{}", echoed.len());
    let stored: Vec<Option<String>> =
        sqlx::query_scalar("SELECT request_id FROM audit_event WHERE action = 'user.login'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(!stored.is_empty(), "the failed sign-in is audited");
    for id in stored {
        assert!(id.is_some_and(|id| id.len() <= 64));
    }
    let req = Request::get("/live")
        .header("x-request-id", "deploy-42.run:7")
        .body(Body::empty())
        .unwrap();
    let reply = client.send(req).await;
    assert_eq!(
        header(&reply, "x-request-id"),
        "deploy-42.run:7",
        "a sane id is kept"
    );
}

/// Markup a route parameter could smuggle into the page.
const TITLE_BREAKOUT: &str = "%3C%2Ftitle%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E";

#[sqlx::test(migrations = "../migrations")]
async fn route_parameters_in_titles_are_text_not_markup(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    for path in [
        format!("/services/{TITLE_BREAKOUT}/x"),
        format!("/services/production/{TITLE_BREAKOUT}"),
        format!("/backups/{TITLE_BREAKOUT}"),
        format!("/backups/{TITLE_BREAKOUT}/1"),
    ] {
        let reply = admin.get(&path).await;
        assert!(!reply.body.contains("<img src=x"), "{path}: {}", reply.body);
        assert!(
            reply.body.contains("&lt;/title&gt;&lt;img"),
            "{path}: the text is shown escaped"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stored_environment_cannot_close_its_textarea(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut deployer = signed_in(&s, "dee", &[Role::Deployer]).await;
    let env = "X%3D%3C%2Ftextarea%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E";
    create_service(
        &mut deployer,
        "web",
        "opsdeck-test/web",
        1,
        &format!("&env={env}"),
    )
    .await;
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let page = admin.get("/services/production/web/settings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(page
        .body
        .contains("X=&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;</textarea>"));
}

#[test]
fn the_test_host_is_the_one_test_routers_answer_to() {
    assert!(web().host_allowed(HOST));
}

#[test]
fn every_page_of_the_router_is_in_the_xss_tested_list() {
    let mut routed = opsdeck_server::page_paths();
    routed.sort();
    routed.dedup();
    let mut listed: Vec<String> = app::PAGES.iter().map(|p| p.to_string()).collect();
    listed.sort();
    assert_eq!(
        routed, listed,
        "add every page to app/src/pages.rs (and give the browser XSS test its parameters)"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_plain_route_enforces_its_permission_for_every_role(pool: PgPool) {
    use app::auth::registry::{Access, PLAIN_ROUTES};
    let s = state(pool, &dead_docker_host());
    let mut clients = Vec::new();
    for role in app::auth::Role::ALL {
        let client = signed_in(&s, &format!("{}-user", role.as_str()), &[role]).await;
        clients.push((role, client));
    }
    for (route, access, sample) in PLAIN_ROUTES {
        let (anonymous, _) = Client::new(&s).open_stream(sample).await;
        let Access::Requires(permission) = access else {
            assert!(anonymous.is_success(), "{route} is public: {anonymous}");
            continue;
        };
        assert_eq!(
            anonymous,
            StatusCode::UNAUTHORIZED,
            "{route} without a session"
        );
        for (role, client) in clients.iter_mut() {
            let (status, _) = client.open_stream(sample).await;
            if permission.granted_by(&[*role]) {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{route} as {role:?}: {status}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{route} as {role:?}");
                let denials: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM audit_event
                     WHERE action = 'permission.denied' AND actor = $1 AND target = $2",
                )
                .bind(format!("user:{}-user", role.as_str()))
                .bind(route)
                .fetch_one(&s.db)
                .await
                .unwrap();
                assert_eq!(
                    denials, 1,
                    "{route} as {role:?}: the denial names the route"
                );
            }
        }
    }
}
