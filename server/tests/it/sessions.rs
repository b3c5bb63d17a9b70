//! Sessions end when an administrator's change says they should: a
//! password reset or disabling ends them, a removed role is gone at once.

use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn a_password_reset_ends_the_users_existing_sessions(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let mut bob = signed_in(&s, "bob", &[Role::Viewer]).await;
    assert_eq!(bob.get("/").await.status, StatusCode::OK);
    let reset = admin
        .post_form(
            "/api/reset_user_password",
            "username=bob&password=bob+new+passphrase",
        )
        .await;
    assert!(reset.ok(), "{} {}", reset.status, reset.body);
    assert_eq!(bob.get("/").await.location(), Some("/login?next=/"));

    let mut again = Client::new(&s);
    assert!(again.login("bob", "bob new passphrase").await.ok());
    assert_eq!(
        again.get("/").await.status,
        StatusCode::OK,
        "a session started after the reset lives on"
    );
    assert_eq!(
        admin.get("/").await.status,
        StatusCode::OK,
        "the admin's own session is untouched"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn disabling_ends_sessions_even_when_the_user_is_enabled_again_before_using_them(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let mut bob = signed_in(&s, "bob", &[Role::Viewer]).await;
    for disabled in ["true", "false"] {
        let form = format!("username=bob&disabled={disabled}");
        let reply = admin.post_form("/api/set_user_disabled", &form).await;
        assert!(reply.ok(), "{} {}", reply.status, reply.body);
    }
    assert_eq!(bob.get("/").await.location(), Some("/login?next=/"));
    assert!(Client::new(&s)
        .login("bob", crate::support::PASSWORD)
        .await
        .ok());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_removed_role_is_gone_from_the_users_next_request(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let mut bob = signed_in(&s, "bob", &[Role::Admin]).await;
    assert_eq!(bob.get("/admin/users").await.status, StatusCode::OK);
    let demote = admin
        .post_form("/api/set_user_roles", "username=bob&viewer=on")
        .await;
    assert!(demote.ok(), "{} {}", demote.status, demote.body);
    assert_eq!(bob.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    let denied = bob.post_form("/api/list_users", "").await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
    assert_eq!(
        bob.get("/").await.status,
        StatusCode::OK,
        "still signed in, as a viewer"
    );
}
