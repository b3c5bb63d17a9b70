//! Sign-in, sessions, throttling, CSRF and the permission guard, over HTTP
//! against a real PostgreSQL.

use crate::support::{create_user, dead_docker_host, signed_in, state, Client, PASSWORD};
use app::auth::registry::{Access, SERVER_FNS};
use app::auth::{Permission, Role};
use axum::http::StatusCode;
use sqlx::PgPool;

async fn audit_actions(db: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as("SELECT action, outcome FROM audit_event ORDER BY id")
        .fetch_all(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn first_run_setup_creates_an_admin_and_then_is_gone(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut client = Client::new(&s);
    assert_eq!(
        client.get("/login").await.status,
        StatusCode::FOUND,
        "a new installation sends /login to /setup"
    );
    let page = client.get("/setup").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Create the first administrator"));

    let weak = client
        .post_form(
            "/api/setup",
            "username=root&display_name=Root&password=short&confirm=short",
        )
        .await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        weak.body
    );
    assert!(weak.body.contains("password"), "{}", weak.body);

    let form = format!(
        "username=root&display_name=Root&password={0}&confirm={0}",
        PASSWORD.replace(' ', "+")
    );
    let done = client.post_form("/api/setup", &form).await;
    assert!(done.ok(), "{} {}", done.status, done.body);
    assert_eq!(
        client.get("/").await.status,
        StatusCode::OK,
        "the new admin is signed in"
    );
    let admin = app::auth::users::find(&pool, "root")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.roles(), vec![Role::Admin]);

    assert_eq!(
        Client::new(&s).get("/setup").await.status,
        StatusCode::NOT_FOUND
    );
    let again = Client::new(&s)
        .post_form("/api/setup", &form.replace("root", "mallory"))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.body);
    assert_eq!(app::auth::users::count(&pool).await.unwrap(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn signing_in_issues_a_new_session_id_and_signing_out_ends_it_on_the_server(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let mut client = Client::new(&s);
    assert_eq!(client.get("/").await.location(), Some("/login?next=/"));
    client.set_cookie("opsdeck_session=fixated-by-an-attacker");
    client.login("alice", PASSWORD).await;
    let session = client.cookie().unwrap().to_string();
    assert!(!session.contains("fixated"), "{session}");
    assert_eq!(client.get("/").await.status, StatusCode::OK);

    let out = client.post_form("/api/logout", "").await;
    assert!(out.ok(), "{}", out.status);
    let mut replay = Client::new(&s);
    replay.set_cookie(&session);
    assert_eq!(
        replay.get("/").await.location(),
        Some("/login?next=/"),
        "the old cookie no longer works"
    );
    let actions = audit_actions(&pool).await;
    assert!(
        actions.contains(&("user.login".into(), "success".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("user.logout".into(), "success".into())),
        "{actions:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_user_and_wrong_password_get_the_same_answer(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let wrong = Client::new(&s)
        .login("alice", "not the password at all")
        .await;
    let unknown = Client::new(&s)
        .login("nobody", "not the password at all")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert!(
        wrong.body.contains("Invalid username or password."),
        "{}",
        wrong.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn five_failures_lock_the_account_until_the_interval_passes(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    create_user(&pool, "alice", &[Role::Viewer]).await;
    for _ in 0..5 {
        assert_eq!(
            Client::new(&s)
                .login("alice", "wrong password here")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = Client::new(&s).login("alice", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED, "{}", locked.body);
    let actions = audit_actions(&pool).await;
    assert!(
        actions.contains(&("user.lockout".into(), "success".into())),
        "{actions:?}"
    );

    sqlx::query("UPDATE app_user SET locked_until = now() - interval '1 second'")
        .execute(&pool)
        .await
        .unwrap();
    let mut client = Client::new(&s);
    assert!(
        client.login("alice", PASSWORD).await.ok(),
        "the lock expired"
    );
}

/// The answer, and the audit event's shape, of a sign-in as `username`.
async fn attempt(
    s: &app::state::AppState,
    username: &str,
    password: &str,
) -> (StatusCode, String, serde_json::Value) {
    let reply = Client::new(s).login(username, password).await;
    let event: serde_json::Value = sqlx::query_scalar(
        "SELECT jsonb_build_object('actor', actor, 'action', action, 'target', target, 'outcome', outcome, 'details', details)
         FROM audit_event WHERE action = 'user.login' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&s.db)
    .await
    .unwrap();
    (reply.status, reply.body, event)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_locked_account_answers_the_right_password_exactly_like_a_wrong_one(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let (_, _, unlocked_wrong) = attempt(&s, "alice", "wrong password here").await;
    sqlx::query("UPDATE app_user SET locked_until = now() + interval '10 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let (wrong_status, wrong_body, wrong_event) = attempt(&s, "alice", "wrong password here").await;
    let (right_status, right_body, mut right_event) = attempt(&s, "alice", PASSWORD).await;
    assert_eq!(right_status, StatusCode::UNAUTHORIZED, "{right_body}");
    assert_eq!((wrong_status, &wrong_body), (right_status, &right_body));
    assert!(
        right_body.contains("Invalid username or password."),
        "{right_body}"
    );
    assert!(!right_body.contains("locked"), "{right_body}");
    assert_eq!(
        right_event["details"]["reason"], "account locked",
        "{right_event}"
    );
    assert_eq!(
        wrong_event["details"]["reason"], "account locked",
        "{wrong_event}"
    );
    // Apart from the internal reason, the event is that of any wrong password.
    right_event["details"] = unlocked_wrong["details"].clone();
    assert_eq!(right_event, unlocked_wrong);
}

#[sqlx::test(migrations = "../migrations")]
async fn one_address_is_refused_after_too_many_failures(pool: PgPool) {
    let mut s = state(pool.clone(), &dead_docker_host());
    s.auth.per_address_limit = 3;
    for i in 0..3 {
        let r = Client::new(&s)
            .login(&format!("guess{i}"), "wrong password here")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let refused = Client::new(&s).login("alice", PASSWORD).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    let mut elsewhere = Client::new(&s);
    elsewhere.set_client_addr("192.0.2.77:4000");
    assert!(
        elsewhere.login("alice", PASSWORD).await.ok(),
        "another address is not affected"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn cross_origin_post_is_rejected_before_it_does_anything(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let mut client = Client::new(&s);
    let req = axum::http::Request::post("/api/login")
        .header("origin", "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "username=alice&password={}",
            PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    let reply = client.send(req).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(client.cookie().is_none(), "no session was created");
    assert!(audit_actions(&pool).await.is_empty(), "the login never ran");
}

#[sqlx::test(migrations = "../migrations")]
async fn every_server_fn_is_registered_and_enforces_its_permission_for_every_role(pool: PgPool) {
    let mut registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    registered.sort();
    let mut listed: Vec<String> = SERVER_FNS.iter().map(|(p, ..)| p.to_string()).collect();
    listed.sort();
    assert_eq!(
        registered, listed,
        "add every server fn to app::auth::registry with its permission"
    );

    let s = state(pool.clone(), &dead_docker_host());
    for (n, (path, access, sample, _)) in SERVER_FNS.iter().enumerate() {
        let Access::Requires(permission) = access else {
            continue;
        };
        let anonymous = Client::new(&s).post_form(path, sample).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{path} without a session"
        );
        for role in Role::ALL {
            // By position: a server fn's name may be longer than a username.
            let name = format!("{}-fn{n}", role.as_str());
            let mut client = signed_in(&s, &name, &[role]).await;
            let reply = client.post_form(path, sample).await;
            let allowed = permission.granted_by(&[role]);
            assert_eq!(
                reply.status == StatusCode::FORBIDDEN,
                !allowed,
                "{path} as {role:?}: {} {}",
                reply.status,
                reply.body
            );
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_denied_request_is_audited_and_the_page_answers_403(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut viewer = signed_in(&s, "vera", &[Role::Viewer]).await;
    let page = viewer.get("/admin/users").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("do not allow this"), "{}", page.body);
    assert!(
        !page.body.contains("href=\"/admin/users\""),
        "the viewer's navigation has no Users link"
    );
    let denied: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'permission.denied' AND outcome = 'denied' AND actor = 'user:vera'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(denied >= 1);

    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let page = admin.get("/admin/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("href=\"/admin/users\"") && page.body.contains(">vera<"),
        "{}",
        page.body
    );
    assert!(!Permission::Administer.granted_by(&[Role::Deployer]));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failed_sign_in_without_javascript_returns_to_the_form_with_the_reason(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let mut client = Client::new(&s);
    let req = axum::http::Request::post("/api/login")
        .header("origin", crate::support::ORIGIN)
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(
            "username=alice&password=wrong+password+here",
        ))
        .unwrap();
    let reply = client.send(req).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.location(), Some("/login?error=invalid"));
    let page = client.get("/login?error=invalid").await;
    assert!(
        page.body.contains("Invalid username or password."),
        "{}",
        page.body
    );

    sqlx::query("UPDATE app_user SET disabled = true WHERE username = 'alice'")
        .execute(&pool)
        .await
        .unwrap();
    let req = axum::http::Request::post("/api/login")
        .header("origin", crate::support::ORIGIN)
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "username=alice&password={}",
            crate::support::PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    let reply = client.send(req).await;
    assert_eq!(reply.location(), Some("/login?error=disabled"));
    let page = client.get("/login?error=disabled").await;
    assert!(
        page.body.contains("This account is disabled"),
        "{}",
        page.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_ends_after_its_absolute_lifetime_however_active(pool: PgPool) {
    let mut s = state(pool.clone(), &dead_docker_host());
    s.auth.absolute_lifetime = chrono::Duration::seconds(1);
    let mut client = signed_in(&s, "alice", &[Role::Viewer]).await;
    assert_eq!(client.get("/").await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(client.get("/").await.location(), Some("/login?next=/"));
}

/// A browser's sign-in form post with `next` (already form-encoded).
async fn sign_in_then_go(s: &app::state::AppState, next: &str) -> crate::support::Reply {
    let mut client = Client::new(s);
    let req = axum::http::Request::post("/api/login")
        .header("origin", crate::support::ORIGIN)
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "username=alice&password={}&next={next}",
            PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    client.send(req).await
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_in_redirects_only_to_a_same_site_path_and_never_panics(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let kept = sign_in_then_go(&s, "%2Fengine").await;
    assert_eq!(
        (kept.status, kept.location()),
        (StatusCode::FOUND, Some("/engine"))
    );
    // Tab, newline, CR/LF, backslash, `//`, a scheme, non-ASCII.
    for hostile in [
        "%2F%09%2Fevil.example%2F",
        "%2F%0Ax",
        "%2F%0D%0ASet-Cookie%3A+a%3Db",
        "%2F%5Cevil.example",
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example",
        "%2F%C3%A9",
    ] {
        let reply = sign_in_then_go(&s, hostile).await;
        assert_eq!(
            (reply.status, reply.location()),
            (StatusCode::FOUND, Some("/")),
            "{hostile}: {}",
            reply.body
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_signed_out_visit_to_any_path_is_sent_to_sign_in_without_panicking(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let mut client = Client::new(&s);
    let reply = client.get("/services/a%0Ab/%C3%A9%09").await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    // The path as requested, encoded once more for the query: the login
    // page decodes it back to `/services/a%0Ab/%C3%A9%09`.
    let target = "/login?next=/services/a%250Ab/%25C3%25A9%2509";
    assert_eq!(reply.location(), Some(target));
    assert_eq!(client.get(target).await.status, StatusCode::OK);
}
