//! Administrators managing users over HTTP, against a real PostgreSQL.

use crate::support::{dead_docker_host, signed_in, state, Client, PASSWORD};
use app::auth::users;
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn admin_creates_a_user_who_can_then_sign_in(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let reply = admin
        .post_form(
            "/api/create_user",
            "username=dev&display_name=Dev&password=a+long+dev+password&deployer=on&responder=on",
        )
        .await;
    assert!(reply.ok(), "{} {}", reply.status, reply.body);
    let dev = users::find(&pool, "dev").await.unwrap().unwrap();
    assert_eq!(dev.roles(), vec![Role::Responder, Role::Deployer]);
    assert!(Client::new(&s)
        .login("dev", "a long dev password")
        .await
        .ok());

    let taken = admin
        .post_form(
            "/api/create_user",
            "username=dev&password=a+long+dev+password&viewer=on",
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.body.contains("already taken"), "{}", taken.body);
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor, action, details::text FROM audit_event WHERE action = 'user.create'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "user:ada");
    assert!(!events[0].2.contains("a long dev password"));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_last_enabled_admin_cannot_be_demoted_or_disabled(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    for (path, form) in [
        ("/api/set_user_roles", "username=ada&viewer=on"),
        ("/api/set_user_disabled", "username=ada&disabled=true"),
    ] {
        let reply = admin.post_form(path, form).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(reply.body.contains("last enabled admin"), "{}", reply.body);
    }
    crate::support::create_user(&pool, "bob", &[Role::Admin]).await;
    assert!(
        admin
            .post_form("/api/set_user_roles", "username=ada&viewer=on")
            .await
            .ok(),
        "another admin exists now"
    );
    assert_eq!(
        users::find(&pool, "ada").await.unwrap().unwrap().roles(),
        vec![Role::Viewer]
    );
    assert_eq!(
        admin.get("/admin/users").await.status,
        StatusCode::FORBIDDEN,
        "the change applies at once"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn disabling_a_user_ends_their_sessions_and_enabling_restores_sign_in(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    assert!(admin
        .post_form("/api/set_user_disabled", "username=vera&disabled=true")
        .await
        .ok());
    assert_eq!(vera.get("/").await.location(), Some("/login?next=/"));
    let refused = Client::new(&s).login("vera", PASSWORD).await;
    assert!(refused.body.contains("disabled"), "{}", refused.body);
    assert!(admin
        .post_form("/api/set_user_disabled", "username=vera&disabled=false")
        .await
        .ok());
    assert!(Client::new(&s).login("vera", PASSWORD).await.ok());
}

#[sqlx::test(migrations = "../migrations")]
async fn admin_unlocks_an_account_and_resets_a_password(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    crate::support::create_user(&pool, "carl", &[Role::Viewer]).await;
    for _ in 0..5 {
        Client::new(&s).login("carl", "wrong password here").await;
    }
    assert_eq!(
        Client::new(&s).login("carl", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "locked"
    );
    assert!(admin
        .post_form("/api/unlock_user", "username=carl")
        .await
        .ok());
    assert!(
        Client::new(&s).login("carl", PASSWORD).await.ok(),
        "unlocked by the admin"
    );

    let weak = admin
        .post_form("/api/reset_user_password", "username=carl&password=short")
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(admin
        .post_form(
            "/api/reset_user_password",
            "username=carl&password=carl+new+passphrase"
        )
        .await
        .ok());
    assert!(Client::new(&s)
        .login("carl", "carl new passphrase")
        .await
        .ok());
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_event WHERE actor = 'user:ada' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        actions.contains(&"user.unlock".to_string())
            && actions.contains(&"user.reset_password".to_string()),
        "{actions:?}"
    );
    let page = admin.get("/admin/users").await;
    assert!(
        page.body.contains("data-test=\"user-carl\""),
        "the page lists carl with actions"
    );
}
