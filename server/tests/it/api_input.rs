//! Server-function calls with bad or oversized input answer 4xx with an
//! error the caller can act on, never 500.

use crate::support::{dead_docker_host, signed_in, state, Client, ORIGIN};
use app::auth::Role;
use app::AppError;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use sqlx::PgPool;

fn post(path: &str, content_type: &str, body: Body) -> Request<Body> {
    Request::post(path)
        .header("origin", ORIGIN)
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn arguments_that_do_not_decode_answer_4xx_naming_the_field_for_anyone(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    for client in [&mut admin, &mut Client::new(&s)] {
        let wrong_type = client.post_form("/api/read_deployment", "id=abc").await;
        assert_eq!(
            wrong_type.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            wrong_type.body
        );
        let named: AppError = serde_json::from_str(&wrong_type.body).unwrap();
        assert!(
            matches!(&named, AppError::Validation { field, .. } if field == "id"),
            "names the field: {named:?}"
        );

        for (body, field) in [
            ("name=ci&days=soon", "days"),
            ("name=ci&days=3&permissions[0]=everything", "permissions[0]"),
        ] {
            let reply = client.post_form("/api/create_token", body).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            let named: AppError = serde_json::from_str(&reply.body).unwrap();
            assert!(
                matches!(&named, AppError::Validation { field: f, .. } if f == field),
                "{body} names {field}: {named:?}"
            );
        }

        let missing = client.post_form("/api/revoke_token", "").await;
        assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.body);
        assert!(
            missing.body.contains("`id`"),
            "names the field: {}",
            missing.body
        );

        let json = post(
            "/api/read_backup",
            "application/json",
            Body::from(r#"{"id": "#),
        );
        let malformed = client.send(json).await;
        assert_eq!(
            malformed.status,
            StatusCode::BAD_REQUEST,
            "{}",
            malformed.body
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn errors_raised_inside_a_server_fn_keep_their_own_status(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    let reply = admin.post_form("/api/read_deployment", "id=424242").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
}

/// No server fn sets its status itself: the response layer gives every
/// error the status it names, also in the functions that never had a call
/// site for it (the engine page, the deployment lists).
#[sqlx::test(migrations = "../migrations")]
async fn user_errors_answer_their_status_from_any_server_fn(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    let engine = admin.post_form("/api/read_engine", "").await;
    assert_eq!(
        engine.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        engine.body
    );
    assert!(engine.body.contains("Unavailable"), "{}", engine.body);

    let mut viewer = signed_in(&s, "vera", &[Role::Viewer]).await;
    let endpoints = viewer.post_form("/api/list_endpoints", "").await;
    assert_eq!(
        endpoints.status,
        StatusCode::FORBIDDEN,
        "{}",
        endpoints.body
    );

    let mut anonymous = Client::new(&s);
    for path in [
        "/api/list_services",
        "/api/list_environments",
        "/api/list_endpoints",
        "/api/read_engine",
        "/api/read_system_status",
    ] {
        let reply = anonymous.post_form(path, "").await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
    }
    let missing = admin
        .post_form("/api/read_service", "service=nowhere/nothing")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_body_over_one_mebibyte_answers_413_whether_or_not_its_length_is_declared(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    let big = format!("username={}&password=x", "a".repeat(3 * 1024 * 1024));
    let declared = post(
        "/api/login",
        "application/x-www-form-urlencoded",
        Body::from(big.clone()),
    );
    let mut declared = declared;
    declared
        .headers_mut()
        .insert("content-length", big.len().into());
    let reply = admin.send(declared).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("1024 KiB"), "{}", reply.body);

    let chunks = big
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
        .collect::<Vec<_>>();
    let streamed = post(
        "/api/login",
        "application/x-www-form-urlencoded",
        Body::from_stream(futures_util::stream::iter(chunks)),
    );
    let reply = admin.send(streamed).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );

    let within = admin
        .post_form(
            "/api/list_audit",
            &format!("filter[actor]={}", "a".repeat(500 * 1024)),
        )
        .await;
    assert_ne!(
        within.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        within.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn overlong_backup_and_audit_fields_answer_422_naming_the_field(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut admin = signed_in(&s, "root", &[Role::Admin]).await;
    let long_url = format!("postgres://u@db.example/{}", "d".repeat(3000));
    let calls = [
        (
            "/api/save_backup_schedule",
            format!("target=nope&cron={}", "*".repeat(300)),
            "cron",
        ),
        (
            "/api/create_backup_target",
            format!("name=big&url={long_url}"),
            "url",
        ),
        (
            "/api/restore_backup",
            format!("id=1&confirm={}", "x".repeat(1000)),
            "confirm",
        ),
        (
            "/api/list_audit",
            format!("filter[actor]={}", "a".repeat(400)),
            "actor",
        ),
    ];
    for (path, body, field) in calls {
        let reply = admin.post_form(path, &body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            reply.body
        );
        assert!(
            reply.body.contains(&format!(r#""field":"{field}""#)),
            "{path}: {}",
            reply.body
        );
    }
}
