//! Every text field of the deployment server fns has a length limit,
//! refused by name before anything else happens.

use crate::support::{signed_in, state, Client};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

const SERVICE: &str = "environment=production&name=web&image=shop%2Fweb&port=8080\
                       &health_kind=http&health_check=%2Fhealthz&health_interval_s=5\
                       &health_timeout_s=3&health_retries=3&health_start_period_s=0\
                       &replicas=2&stop_timeout_s=10";

/// Posts `form` to `path` and asserts a 422 naming `field` as too long.
async fn refused(client: &mut Client, path: &str, form: &str, field: &str) {
    let reply = client.post_form(path, form).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{path} {field}: {}",
        &reply.body[..reply.body.len().min(300)]
    );
    let err: app::AppError = serde_json::from_str(&reply.body).unwrap();
    assert!(
        matches!(&err, app::AppError::Validation { field: f, message }
            if f == field && message.contains("too long")),
        "{path} {field}: {err:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn overlong_service_fields_are_refused_by_name_and_nothing_is_stored(pool: PgPool) {
    let s = state(pool.clone(), "unix:///nonexistent.sock");
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    let megabyte = "a".repeat(1_000_000);
    let save = "/api/save_service";
    refused(
        &mut ada,
        save,
        &format!("{SERVICE}&env=BIG%3D{megabyte}"),
        "env",
    )
    .await;
    let command = format!("%2Fbin%2Fcheck+{}", "a".repeat(200_000));
    let form = SERVICE
        .replace("health_kind=http", "health_kind=command")
        .replace(
            "health_check=%2Fhealthz",
            &format!("health_check={command}"),
        );
    refused(&mut ada, save, &form, "health_check").await;
    let key = "k".repeat(9 * 1024);
    refused(
        &mut ada,
        save,
        &format!("{SERVICE}&secrets=KEY%3D{key}"),
        "secrets",
    )
    .await;
    let long_target = "t".repeat(300);
    let form = format!("{SERVICE}&backup_target={long_target}");
    refused(&mut ada, save, &form, "backup_target").await;
    let services: i64 = sqlx::query_scalar("SELECT count(*) FROM service")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(services, 0);

    // Within the limits the same kind of values are taken.
    let key = "k".repeat(8 * 1024);
    let form = format!("{SERVICE}&env=A%3D1&secrets=KEY%3D{key}");
    assert!(ada.post_form(save, &form).await.ok());
}

#[sqlx::test(migrations = "../migrations")]
async fn overlong_deploy_action_fields_are_refused_by_name(pool: PgPool) {
    let s = state(pool.clone(), "unix:///nonexistent.sock");
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    let long = "r".repeat(100_000);
    // Unticked, the reason was ignored whatever its size; now it is refused.
    let form = format!("service=production%2Fweb&tag=v1&skip_reason={long}");
    refused(&mut ada, "/api/deploy", &form, "skip_reason").await;
    let form = format!("service=production%2Fweb&release=1&skip_reason={long}");
    refused(&mut ada, "/api/rollback", &form, "skip_reason").await;
    let form = format!("service={long}&replicas=1");
    refused(&mut ada, "/api/scale", &form, "service").await;
    let form = format!("service=production%2Fweb&replicas={long}");
    refused(&mut ada, "/api/scale", &form, "replicas").await;
    let form = format!("service=production%2Fweb&confirm={long}");
    refused(&mut ada, "/api/remove_service", &form, "confirm").await;
    refused(
        &mut ada,
        "/api/read_service",
        &format!("service={long}"),
        "service",
    )
    .await;

    let mut root = signed_in(&s, "root", &[Role::Admin]).await;
    let form = format!("name=edge&url=tcp%3A%2F%2Fedge%3A2376&tls_ca={long}");
    refused(&mut root, "/api/create_endpoint", &form, "tls_ca").await;
    let form = format!("name=staging&endpoint={long}");
    refused(&mut root, "/api/create_environment", &form, "endpoint").await;
}
