//! Open event streams end when their caller's access does: signing out,
//! disabling or revoking the token closes them at once (the database
//! announces it), and what nothing announces (a session outliving its
//! lifetime) within the recheck interval.

use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use sqlx::PgPool;
use std::time::Duration;

/// Whether `body` ends (or fails) within `time`.
async fn ends_within(body: &mut Body, time: Duration) -> bool {
    let drain = async {
        while let Some(frame) = body.frame().await {
            if frame.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(time, drain).await.is_ok()
}

/// A state whose streams re-check only when the database announces a
/// change: the timer alone would take an hour.
fn quick_rechecks(pool: &PgPool) -> app::state::AppState {
    let mut s = state(pool.clone(), &dead_docker_host());
    s.auth.stream_recheck = Duration::from_secs(3600);
    s
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stream_ends_by_its_timer_when_the_session_outlives_its_lifetime(pool: PgPool) {
    let mut s = state(pool.clone(), &dead_docker_host());
    s.auth.stream_recheck = Duration::from_millis(500);
    s.auth.absolute_lifetime = chrono::Duration::seconds(3);
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let (status, mut body) = vera.open_stream("/service-events").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        ends_within(&mut body, Duration::from_secs(8)).await,
        "the stream ended once the session's lifetime was over"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stream_ends_soon_after_its_user_signs_out(pool: PgPool) {
    let s = quick_rechecks(&pool);
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let (status, mut body) = vera.open_stream("/service-events").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !ends_within(&mut body, Duration::from_secs(2)).await,
        "the stream stays open while vera is signed in"
    );
    let out = vera.post_form("/api/logout", "").await;
    assert!(out.ok(), "{}", out.status);
    assert!(
        ends_within(&mut body, Duration::from_secs(5)).await,
        "the stream ended after sign-out"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stream_ends_soon_after_its_user_is_disabled(pool: PgPool) {
    let s = quick_rechecks(&pool);
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let (status, mut body) = vera.open_stream("/service-events").await;
    assert_eq!(status, StatusCode::OK);
    let off = admin
        .post_form("/api/set_user_disabled", "username=vera&disabled=true")
        .await;
    assert!(off.ok(), "{}", off.status);
    assert!(ends_within(&mut body, Duration::from_secs(5)).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stream_opened_with_a_token_ends_soon_after_the_token_is_revoked(pool: PgPool) {
    let s = quick_rechecks(&pool);
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let reply = admin
        .post_form("/api/create_token", "name=watch&days=1&permissions[0]=read")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let token: String = serde_json::from_str(&reply.body).unwrap();
    let mut script = Client::new(&s);
    let (status, mut body) = script
        .open_stream_with("/service-events", Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !ends_within(&mut body, Duration::from_secs(2)).await,
        "the stream stays open while the token is valid"
    );
    assert!(admin.post_form("/api/revoke_token", "id=1").await.ok());
    assert!(
        ends_within(&mut body, Duration::from_secs(5)).await,
        "the stream ended after revocation"
    );
}
