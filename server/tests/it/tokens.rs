//! API tokens over HTTP: scoped, hashed, expiring, revocable, usable by CI
//! without a browser session or an Origin header.

use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

async fn call(client: &mut Client, token: &str, path: &str, form: &str) -> crate::support::Reply {
    client.post_with_token(token, path, form).await
}

async fn new_token(client: &mut Client, form: &str) -> String {
    let reply = client.post_form("/api/create_token", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str::<String>(&reply.body).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_acts_as_its_owner_within_its_scope_and_is_stored_hashed(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let token = new_token(&mut admin, "name=ci&days=30&permissions[0]=read").await;
    assert!(token.starts_with("odk_"), "{token}");

    let mut script = Client::new(&s);
    let allowed = call(&mut script, &token, "/api/list_tokens", "").await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    assert!(allowed.body.contains("\"name\":\"ci\""), "{}", allowed.body);
    let beyond_scope = call(&mut script, &token, "/api/list_users", "").await;
    assert_eq!(beyond_scope.status, StatusCode::FORBIDDEN);
    assert!(
        beyond_scope.body.contains("token's scope"),
        "{}",
        beyond_scope.body
    );

    let secret = token.rsplit('_').next().unwrap();
    let stored: String = sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM api_token t")
        .fetch_one(&pool)
        .await
        .unwrap();
    let audit: String =
        sqlx::query_scalar("SELECT string_agg(details::text || actor, ' ') FROM audit_event")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        !stored.contains(secret) && !audit.contains(secret),
        "the secret is stored nowhere"
    );
    assert!(
        audit.contains("token:1"),
        "the denied call is audited as the token: {audit}"
    );
    let used: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM api_token")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(used.is_some());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_cannot_hold_more_than_its_owner_and_bad_fields_are_named(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut viewer = signed_in(&s, "vera", &[Role::Viewer]).await;
    let reply = viewer
        .post_form("/api/create_token", "name=x&days=30&permissions[0]=deploy")
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("permissions"), "{}", reply.body);
    let reply = viewer
        .post_form("/api/create_token", "name=x&days=0&permissions[0]=read")
        .await;
    assert!(reply.body.contains("days"), "{}", reply.body);
    let reply = viewer
        .post_form("/api/create_token", "name=&days=5&permissions[0]=read")
        .await;
    assert!(reply.body.contains("name"), "{}", reply.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn revoked_expired_and_forged_tokens_are_refused_alike(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut owner = signed_in(&s, "dev", &[Role::Deployer]).await;
    let revoked = new_token(&mut owner, "name=one&days=30&permissions[0]=read").await;
    let expired = new_token(&mut owner, "name=two&days=30&permissions[0]=read").await;
    assert!(owner.post_form("/api/revoke_token", "id=1").await.ok());
    sqlx::query("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = 2")
        .execute(&pool)
        .await
        .unwrap();
    let forged = format!("{}0", &expired[..expired.len() - 1]);
    let mut script = Client::new(&s);
    for token in [
        revoked.as_str(),
        expired.as_str(),
        forged.as_str(),
        "odk_x_y",
        "garbage",
    ] {
        let reply = call(&mut script, token, "/api/list_tokens", "").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token}");
    }
    let mut other = signed_in(&s, "eve", &[Role::Deployer]).await;
    assert_eq!(
        other.post_form("/api/revoke_token", "id=2").await.status,
        StatusCode::NOT_FOUND,
        "not eve's token"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_script_reads_the_filtered_audit_log_as_documented(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let token = new_token(&mut admin, "name=auditor&days=1&permissions[0]=read_audit").await;
    let mut viewer = signed_in(&s, "vera", &[Role::Viewer]).await;
    assert_eq!(
        viewer.get("/admin/users").await.status,
        StatusCode::FORBIDDEN
    );

    let mut script = Client::new(&s);
    let reply = call(
        &mut script,
        &token,
        "/api/list_audit",
        "filter[outcome]=denied",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let page: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{page}");
    assert_eq!(events[0]["actor"], "user:vera");
    assert_eq!(events[0]["action"], "permission.denied");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_cannot_create_tokens_only_a_signed_in_person_can(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let token = new_token(&mut admin, "name=ci&days=1&permissions[0]=read").await;
    let mut script = Client::new(&s);
    let reply = call(
        &mut script,
        &token,
        "/api/create_token",
        "name=child&days=365&permissions[0]=read",
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert!(
        reply.body.contains("cannot create tokens"),
        "{}",
        reply.body
    );
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM api_token")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tokens, 1, "no token was minted");
}
