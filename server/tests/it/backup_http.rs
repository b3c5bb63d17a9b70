//! Backups over HTTP: who may do what, input refused by field, the API
//! with tokens, and the streamed download.

use crate::support::backup::*;
use crate::support::{dead_docker_host, signed_in, state, web, Client, HOST};
use app::auth::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use sqlx::PgPool;

async fn bearer(client: &mut Client, token: &str, path: &str, form: &str) -> crate::support::Reply {
    client.post_with_token(token, path, form).await
}

/// Calls that must be refused for `client`, each with a well-formed body.
async fn assert_forbidden(client: &mut Client, calls: &[(&str, &str)]) {
    for (path, form) in calls {
        let reply = client.post_form(path, form).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.body
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn viewers_and_responders_read_backups_but_cannot_run_them(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    add_target(&s, "shop", &url_for("anything")).await;
    for (name, role) in [("vera", Role::Viewer), ("rita", Role::Responder)] {
        let mut c = signed_in(&s, name, &[role]).await;
        let reply = c.post_form("/api/run_backup", "target=shop").await;
        assert!(reply.body.contains("RunBackup"), "{name}: {}", reply.body);
        assert_forbidden(
            &mut c,
            &[
                ("/api/run_backup", "target=shop"),
                ("/api/test_restore_backup", "id=1"),
            ],
        )
        .await;
        assert_eq!(
            c.get("/backups").await.status,
            StatusCode::OK,
            "{name} may read the list"
        );
    }
    let started: i64 = sqlx::query_scalar("SELECT count(*) FROM backup")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(started, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn deployers_cannot_restore_download_or_manage_targets(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    add_target(&s, "shop", &url_for("anything")).await;
    let mut deployer = signed_in(&s, "dev", &[Role::Deployer]).await;
    let target_form = "target=shop&name=x&url=postgres://a@b/c";
    assert_forbidden(
        &mut deployer,
        &[
            ("/api/restore_backup", "id=1&confirm=shop"),
            ("/api/create_backup_target", target_form),
            ("/api/update_backup_target", target_form),
            ("/api/save_backup_schedule", target_form),
            ("/api/test_backup_target", target_form),
        ],
    )
    .await;
    assert_eq!(
        deployer.get("/backup-files/1").await.status,
        StatusCode::FORBIDDEN
    );
    let denied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'permission.denied' AND actor = 'user:dev'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(denied, 6, "every denial is audited");
}

/// (path, form, the field the refusal names).
const BAD_INPUT: &[(&str, &str, &str)] = &[
    (
        "/api/create_backup_target",
        "name=Shop!&url=postgres://a@b/c",
        "name",
    ),
    (
        "/api/create_backup_target",
        "name=shop&url=postgres://a@b/c",
        "name",
    ),
    (
        "/api/create_backup_target",
        "name=x&url=mysql://root:pw@db/x",
        "url",
    ),
    (
        "/api/create_backup_target",
        "name=x&url=postgres://a@b/c&rpo_hours=0",
        "rpo_hours",
    ),
    (
        "/api/save_backup_schedule",
        "target=shop&cron=61+*+*+*+*",
        "cron",
    ),
    (
        "/api/save_backup_schedule",
        "target=shop&cron=*+*+*",
        "cron",
    ),
    (
        "/api/save_backup_schedule",
        "target=shop&cron=0+2+*+*+*&keep_daily=lots",
        "keep_daily",
    ),
    ("/api/restore_backup", "id=1&confirm=shop", "backup"),
    ("/api/restore_backup", "id=1&confirm=SHOP", "confirm"),
];

#[sqlx::test(migrations = "../migrations")]
async fn bad_input_is_refused_naming_the_field(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let target_id = add_target(&s, "shop", &url_for("anything")).await;
    // Backup #1 failed: it has no file to restore.
    sqlx::query("INSERT INTO backup (target_id, kind, state, actor) VALUES ($1, 'manual', 'failed', 'user:x')")
        .bind(target_id)
        .execute(&pool)
        .await
        .unwrap();
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    for (path, form, field) in BAD_INPUT {
        let reply = admin.post_form(path, form).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form}: {}",
            reply.body
        );
        let named = format!("\"field\":\"{field}\"");
        assert!(reply.body.contains(&named), "{form}: {}", reply.body);
    }
    let missing = admin.post_form("/api/run_backup", "target=nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_script_with_a_token_triggers_a_backup_reads_its_state_and_lists_backups(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let source = SourceDb::with_data("api").await;
    add_target(&s, "shop", &source.url).await;
    let mut owner = signed_in(&s, "dev", &[Role::Deployer]).await;
    let reply = owner
        .post_form(
            "/api/create_token",
            "name=ci&days=1&permissions[0]=read&permissions[1]=run_backup",
        )
        .await;
    let token: String = serde_json::from_str(&reply.body).unwrap();
    let mut script = Client::new(&s);
    let reply = bearer(&mut script, &token, "/api/run_backup", "target=shop").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let started: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let id = started["backup"].as_i64().unwrap();
    backup_done(&pool, id).await;
    let reply = bearer(&mut script, &token, "/api/read_backup", &format!("id={id}")).await;
    let backup: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(backup["state"], "succeeded", "{backup}");
    assert_eq!(backup["verified"], true);
    assert_eq!(backup["sha256"].as_str().unwrap().len(), 64);
    let reply = bearer(&mut script, &token, "/api/list_backups", "target=shop").await;
    let list: Vec<serde_json::Value> = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(list.len(), 1);
    let actor: String = sqlx::query_scalar("SELECT actor FROM backup")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(actor, "token:1");
    let refused = bearer(
        &mut script,
        &token,
        "/api/restore_backup",
        &format!("id={id}&confirm=shop"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    source.drop_db().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_downloads_the_exact_file_and_the_download_is_audited(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp {
        source, backup: id, ..
    } = backed_up(&s, "download").await;
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let req = Request::get(format!("/backup-files/{id}"))
        .header("host", HOST)
        .body(Body::empty())
        .unwrap();
    let router = opsdeck_server::router(s.clone(), web());
    let mut req = req;
    req.headers_mut()
        .insert("cookie", admin.cookie().unwrap().parse().unwrap());
    req.headers_mut()
        .insert("accept-encoding", "gzip, br".parse().unwrap());
    let response = tower::ServiceExt::oneshot(router, req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-encoding"],
        "identity",
        "sent as stored"
    );
    let sum = response.headers()["x-backup-sha256"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".dump"));
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(
        body.as_ref(),
        std::fs::read(file_of(&s, id).await).unwrap().as_slice()
    );
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&body)), sum);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'backup.download' AND actor = 'user:ada'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    assert_eq!(
        admin.get("/backup-files/999").await.status,
        StatusCode::NOT_FOUND
    );
    source.drop_db().await;
    remove_store(&s);
}
