//! Sign-in under attack: many parallel guesses from one address, and more
//! password checks at once than the server has cores for.

use crate::support::{create_user, dead_docker_host, state, Client};
use app::auth::Role;
use app::state::AppState;
use axum::http::StatusCode;
use sqlx::PgPool;

/// `n` sign-ins as `username` at once, from one client address; their statuses.
async fn parallel_sign_ins(
    s: &AppState,
    n: usize,
    username: &str,
    password: &str,
) -> Vec<StatusCode> {
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
    let mut s = state(pool.clone(), &dead_docker_host());
    // Room for every check to wait its turn: only the address limit refuses here.
    s.auth.argon2 = app::auth::password::Argon2Limit::new(2, 100);
    let limit = s.auth.per_address_limit as usize;
    let statuses = parallel_sign_ins(&s, 60, "nobody", "wrong password here").await;
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED),
        limit,
        "{statuses:?}"
    );
    assert_eq!(
        count(&statuses, StatusCode::TOO_MANY_REQUESTS),
        60 - limit,
        "{statuses:?}"
    );
    let checked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'user.login' AND outcome = 'failure'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        checked as usize, limit,
        "one checked password per failure event"
    );

    create_user(&pool, "alice", &[Role::Viewer]).await;
    let mut elsewhere = Client::new(&s);
    elsewhere.set_client_addr("192.0.2.8:5000");
    assert!(
        elsewhere
            .login("alice", crate::support::PASSWORD)
            .await
            .ok(),
        "other addresses are not affected"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn successful_sign_ins_do_not_count_against_the_address(pool: PgPool) {
    let mut s = state(pool.clone(), &dead_docker_host());
    s.auth.per_address_limit = 2;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    for _ in 0..4 {
        let reply = Client::new(&s)
            .login("alice", crate::support::PASSWORD)
            .await;
        assert!(reply.ok(), "{} {}", reply.status, reply.body);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_ins_beyond_the_password_check_bound_are_refused_at_once_not_queued(pool: PgPool) {
    let mut s = state(pool.clone(), &dead_docker_host());
    s.auth.argon2 = app::auth::password::Argon2Limit::new(1, 2);
    create_user(&pool, "alice", &[Role::Viewer]).await;
    // Another check holds the only worker for three seconds.
    let worker = s.auth.argon2.clone();
    let busy = tokio::spawn(async move {
        worker
            .run(|| std::thread::sleep(std::time::Duration::from_secs(3)))
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let attempts: Vec<_> = (0..6)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                let reply = Client::new(&s)
                    .login("alice", crate::support::PASSWORD)
                    .await;
                (reply.status, started.elapsed(), reply.body)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for a in attempts {
        answers.push(a.await.unwrap());
    }
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _, _)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(
        refused.len(),
        4,
        "two wait, the rest are refused: {answers:?}"
    );
    for (_, elapsed, body) in &refused {
        assert!(
            *elapsed < std::time::Duration::from_secs(2),
            "refused at once, not after the busy worker: {elapsed:?}"
        );
        assert!(body.contains("busy"), "{body}");
    }
    let waited = answers
        .iter()
        .filter(|(status, _, _)| status.is_success() || status.is_redirection());
    assert_eq!(
        waited.count(),
        2,
        "the queued sign-ins succeed: {answers:?}"
    );
    busy.await.unwrap().unwrap();
    let failures: i64 = sqlx::query_scalar("SELECT count(*) FROM login_failure")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(failures, 0, "a refused sign-in is not counted as a failure");
}

/// The longest row in the audit log, in bytes.
async fn largest_audit_row(pool: &PgPool) -> i32 {
    sqlx::query_scalar("SELECT coalesce(max(octet_length(e::text)), 0) FROM audit_event e")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Far over every field's cap, under the 1 MiB body limit (which answers 413 first).
const MUCH_TOO_LONG: usize = 200_000;

#[sqlx::test(migrations = "../migrations")]
async fn a_huge_username_is_refused_by_name_and_never_fills_the_audit_log(pool: PgPool) {
    let mut s = state(pool.clone(), &dead_docker_host());
    s.auth.per_address_limit = 1;
    let huge = "a".repeat(MUCH_TOO_LONG);
    let fresh = Client::new(&s).login(&huge, "wrong password here").await;
    assert_eq!(
        fresh.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        &fresh.body[..200.min(fresh.body.len())]
    );
    assert!(fresh.body.contains("username"), "names the field");
    assert!(fresh.body.len() < 1000, "the answer does not echo the name");
    let first = Client::new(&s).login("nobody", "wrong password here").await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    let throttled = Client::new(&s).login(&huge, "wrong password here").await;
    assert_eq!(throttled.status, StatusCode::UNPROCESSABLE_ENTITY);
    let long_password = "p".repeat(MUCH_TOO_LONG);
    let reply = Client::new(&s).login("nobody", &long_password).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("password"), "{}", reply.body);
    assert!(largest_audit_row(&pool).await < 2000);
}

#[sqlx::test(migrations = "../migrations")]
async fn administrators_changes_and_token_names_are_capped_before_they_are_audited(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = crate::support::signed_in(&s, "ada", &[Role::Admin]).await;
    let huge = "b".repeat(MUCH_TOO_LONG);
    for (path, form) in [
        (
            "/api/set_user_disabled",
            format!("username={huge}&disabled=true"),
        ),
        ("/api/set_user_roles", format!("username={huge}&viewer=on")),
        ("/api/unlock_user", format!("username={huge}")),
        (
            "/api/reset_user_password",
            format!("username={huge}&password=a+long+new+password"),
        ),
        (
            "/api/create_user",
            format!("username=dev&display_name={huge}&password=a+long+dev+password&viewer=on"),
        ),
    ] {
        let reply = admin.post_form(path, &form).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(reply.body.len() < 1000, "{path} does not echo the field");
        assert!(
            reply.body.contains("username") || reply.body.contains("display_name"),
            "{path}: {}",
            reply.body
        );
    }
    let reply = admin
        .post_form(
            "/api/create_token",
            &format!("name={huge}&days=1&permissions[0]=read"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("name"), "{}", reply.body);
    assert!(largest_audit_row(&pool).await < 2000);
}
