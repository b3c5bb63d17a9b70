//! Sign-in under attack: many parallel guesses from one address, and more
//! password checks at once than the server has cores for.

use crate::common::{create_user, dead_docker_host, state, Client};
use app::auth::Role;
use app::state::AppState;
use axum::http::StatusCode;
use sqlx::PgPool;

/// `n` sign-ins as `username` at once, from one client address; their statuses.
async fn parallel_sign_ins(s: &AppState, n: usize, username: &str, password: &str) -> Vec<StatusCode> {
    let attempts: Vec<_> = (0..n)
        .map(|_| {
            let (s, username, password) = (s.clone(), username.to_string(), password.to_string());
            tokio::spawn(async move { Client::new(&s).login(&username, &password).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for a in attempts {
        statuses.push(a.await.unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[sqlx::test(migrations = "../migrations")]
async fn parallel_wrong_sign_ins_from_one_address_get_at_most_the_limit_checked(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let limit = s.auth.per_address_limit as usize;
    let statuses = parallel_sign_ins(&s, 60, "nobody", "wrong password here").await;
    assert_eq!(count(&statuses, StatusCode::UNAUTHORIZED), limit, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 60 - limit, "{statuses:?}");
    let checked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'user.login' AND outcome = 'failure'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(checked as usize, limit, "one checked password per failure event");

    create_user(&pool, "alice", &[Role::Viewer]).await;
    let mut elsewhere = Client::new(&s);
    elsewhere.set_client_addr("192.0.2.8:5000");
    assert!(
        elsewhere.login("alice", crate::common::PASSWORD).await.ok(),
        "other addresses are not affected"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn successful_sign_ins_do_not_count_against_the_address(pool: PgPool) {
    let mut s = state(pool.clone(), &dead_docker_host());
    s.auth.per_address_limit = 2;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    for _ in 0..4 {
        let reply = Client::new(&s).login("alice", crate::common::PASSWORD).await;
        assert!(reply.ok(), "{} {}", reply.status, reply.body);
    }
}
