//! Backups over HTTP: who may do what, the API with tokens, the streamed
//! download, pages without JavaScript, and secrets that never leak.

use crate::backup_support::*;
use crate::common::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use sqlx::PgPool;
use std::sync::{Arc, Mutex};

async fn bearer(client: &mut Client, token: &str, path: &str, form: &str) -> crate::common::Reply {
    client.post_with_token(token, path, form).await
}

#[sqlx::test(migrations = "../migrations")]
async fn viewers_and_responders_cannot_back_up_and_deployers_cannot_restore(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    add_target(&s, "shop", &url_for("anything")).await;
    for (name, role) in [("vera", Role::Viewer), ("rita", Role::Responder)] {
        let mut c = signed_in(&s, name, &[role]).await;
        let reply = c.post_form("/api/run_backup", "target=shop").await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{name}: {}",
            reply.body
        );
        assert!(
            reply.body.contains("run_backup") || reply.body.contains("RunBackup"),
            "{}",
            reply.body
        );
        assert_eq!(
            c.post_form("/api/test_restore_backup", "id=1").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            c.get("/backups").await.status,
            StatusCode::OK,
            "{name} may read the list"
        );
    }
    let mut deployer = signed_in(&s, "dev", &[Role::Deployer]).await;
    let reply = deployer
        .post_form("/api/restore_backup", "id=1&confirm=shop")
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    for path in [
        "/api/create_backup_target",
        "/api/save_backup_schedule",
        "/api/test_backup_target",
    ] {
        let reply = deployer
            .post_form(path, "target=shop&name=x&url=postgres://a@b/c")
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        deployer.get("/backup-files/1").await.status,
        StatusCode::FORBIDDEN
    );
    let denied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'permission.denied'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(denied >= 9, "denials are audited ({denied})");
    let started: i64 = sqlx::query_scalar("SELECT count(*) FROM backup")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(started, 0);
}

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
    for (path, form, field) in [
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
    ] {
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
    assert_eq!(
        admin
            .post_form("/api/run_backup", "target=nope")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
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
        .body(Body::empty())
        .unwrap();
    let router = opsdeck_server::router(s.clone(), Default::default());
    let mut req = req;
    req.headers_mut()
        .insert("cookie", admin.cookie().unwrap().parse().unwrap());
    let response = tower::ServiceExt::oneshot(router, req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
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

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn connection_urls_and_passwords_never_reach_logs_audit_or_html(pool: PgPool) {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let s = state(pool.clone(), &dead_docker_host());
    let source = SourceDb::with_data("secret").await;
    let password = "Sup3r-Secret-Pa55";
    // The test cluster trusts local connections, so the password is carried but unused.
    let url = source
        .url
        .replacen("://opsdeck@", &format!("://opsdeck:{password}@"), 1);
    assert!(url.contains(password), "{url}");
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let form = format!("name=shop&url={}", urlencode(&url));
    assert!(admin
        .post_form("/api/create_backup_target", &form)
        .await
        .ok());
    let bad = format!(
        "name=bad&url={}",
        urlencode(&url.replace("postgres://", "mysql://"))
    );
    let refused = admin.post_form("/api/create_backup_target", &bad).await;
    let started = admin.post_form("/api/run_backup", "target=shop").await;
    let id = serde_json::from_str::<app::backup::BackupStarted>(&started.body)
        .unwrap()
        .backup;
    assert_eq!(backup_done(&pool, id).await, "succeeded");
    let test = admin
        .post_form("/api/test_backup_target", "target=shop")
        .await;
    assert!(test.ok(), "{}", test.body);

    let mut seen = vec![refused.body, test.body];
    for path in ["/backups", "/backups/shop", &format!("/backups/shop/{id}")] {
        seen.push(admin.get(path).await.body);
    }
    seen.push(
        admin
            .post_form("/api/read_backup_target", "target=shop")
            .await
            .body,
    );
    seen.push(
        sqlx::query_scalar("SELECT string_agg(details::text || target, ' ') FROM audit_event")
            .fetch_one(&pool)
            .await
            .unwrap(),
    );
    seen.push(
        sqlx::query_scalar("SELECT display || encode(sealed_url, 'escape') FROM backup_target")
            .fetch_one(&pool)
            .await
            .unwrap(),
    );
    seen.push(String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned());
    assert!(
        seen[2].contains("data-test=\"targets-table\""),
        "the list rendered"
    );
    for (i, text) in seen.iter().enumerate() {
        assert!(
            !text.contains(password),
            "text {i} holds the password: {text}"
        );
        assert!(!text.contains(&url), "text {i} holds the URL");
    }
    source.drop_db().await;
    remove_store(&s);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn backup_pages_are_complete_html_without_javascript(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp {
        source, backup: id, ..
    } = backed_up(&s, "pages").await;
    let admin = system_admin(&s).await;
    app::backup::ssr::schedule::save(&s, &admin, "shop", "30 2 * * *", ["", "", ""])
        .await
        .unwrap();
    let mut viewer = signed_in(&s, "vera", &[Role::Viewer]).await;
    let list = viewer.get("/backups").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("data-test=\"target-shop\"")
            && list.body.contains("data-stale=\"false\""),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("href=\"/backups\""),
        "the nav links to backups"
    );
    let page = viewer.get("/backups/shop").await;
    assert!(
        page.body.contains(&format!("data-test=\"backup-{id}\"")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("At 02:30") || page.body.contains("02:30"),
        "the schedule in words"
    );
    assert!(
        page.body.contains("data-test=\"next-runs\"") && page.body.contains("daily "),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("data-test=\"run-backup\""),
        "a viewer gets no backup button"
    );
    let detail = viewer.get(&format!("/backups/shop/{id}")).await;
    assert!(
        detail.body.contains("data-test=\"backup-sha256\""),
        "{}",
        detail.body
    );
    assert!(!detail.body.contains("data-test=\"restore-form\""));
    sqlx::query("UPDATE backup SET started_at = now() - interval '30 hours'")
        .execute(&pool)
        .await
        .unwrap();
    let stale = viewer.get("/backups").await;
    assert!(
        stale.body.contains("data-stale=\"true\""),
        "older than the 24 h RPO turns red"
    );
    source.drop_db().await;
    remove_store(&s);
}
