//! Scrub: a stored file that changed (a flipped byte) or shrank (truncated)
//! is found, marked corrupted, audited, never used again, and its download
//! ends in an error rather than a clean 200.

use crate::support::backup::*;
use crate::support::{dead_docker_host, signed_in, state};
use app::auth::Role;
use app::backup::ScrubReport;
use app::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use sqlx::PgPool;

/// Downloads backup `id` as `cookie`'s owner: the status, and whether the
/// body arrived whole (`Ok`) or broke off (`Err`).
async fn download(s: &AppState, cookie: &str, id: i64) -> (StatusCode, Result<Vec<u8>, String>) {
    let mut req = Request::get(format!("/backup-files/{id}"))
        .header("host", crate::support::HOST)
        .body(Body::empty())
        .unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    let router = opsdeck_server::router(s.clone(), crate::support::web());
    let response = tower::ServiceExt::oneshot(router, req).await.unwrap();
    let status = response.status();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .map(|b| b.to_bytes().to_vec())
        .map_err(|e| e.to_string());
    (status, body)
}

fn flip_a_byte(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_flipped_byte_is_found_by_a_scrub_and_the_backup_is_never_used_again(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp {
        source,
        target_id,
        backup: older,
    } = backed_up(&s, "scrubflip").await;
    let newer = backup_of(&s, target_id).await;
    flip_a_byte(&file_of(&s, newer).await);

    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let cookie = admin.cookie().unwrap().to_string();
    let (status, body) = download(&s, &cookie, newer).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the headers went out before the end"
    );
    let broken = body.unwrap_err();
    assert!(broken.contains("corrupted"), "{broken}");
    assert!(
        download(&s, &cookie, older).await.1.is_ok(),
        "a good file downloads whole"
    );

    let mut deployer = signed_in(&s, "dora", &[Role::Deployer]).await;
    let reply = deployer
        .post_form("/api/scrub_backups", "target=shop")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let report: ScrubReport = serde_json::from_str(&reply.body).unwrap();
    // The download found it first (as the admin); the scrub checks the rest.
    assert_eq!(
        report,
        ScrubReport {
            checked: 1,
            corrupted: vec![]
        }
    );
    let actors: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, action FROM audit_event WHERE action IN ('backup.corrupted', 'backup.scrub') ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actors,
        [
            ("user:ada".to_string(), "backup.corrupted".to_string()),
            ("user:dora".to_string(), "backup.scrub".to_string())
        ]
    );
    let view = app::backup::ssr::read::read_backup(&s, newer)
        .await
        .unwrap();
    assert!(view.corrupted_at.is_some() && !view.verified, "{view:?}");
    assert!(view.corruption.unwrap().contains("was recorded"));

    for (path, form) in [
        ("/api/restore_backup", format!("id={newer}&confirm=shop")),
        ("/api/test_restore_backup", format!("id={newer}")),
    ] {
        let reply = admin.post_form(path, &form).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(
            reply.body.contains("is corrupted"),
            "{path}: {}",
            reply.body
        );
    }
    assert_eq!(
        download(&s, &cookie, newer).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let page = admin.get(&format!("/backups/shop/{newer}")).await;
    assert!(
        page.body.contains("data-test=\"backup-corrupted\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("data-test=\"restore-form\""));

    // Retention keeps the older good backup as the newest verified one.
    sqlx::query("UPDATE backup SET kind = 'scheduled', slot = started_at")
        .execute(&pool)
        .await
        .unwrap();
    let admin_actor = system_admin(&s).await;
    app::backup::ssr::schedule::save(&s, &admin_actor, "shop", "@daily", ["0", "0", "0", "0"])
        .await
        .unwrap();
    let target = app::backup::ssr::target::find(&s.db, "shop").await.unwrap();
    let deleted = app::backup::ssr::prune::apply(&s, &target).await.unwrap();
    assert_eq!(
        deleted,
        [newer],
        "the corrupted one goes, the older good one stays"
    );
    let targets = app::backup::ssr::read::list_targets(&s.db).await.unwrap();
    let older_at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT started_at FROM backup WHERE id = $1")
            .bind(older)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(targets[0].last_good_at, Some(older_at));
    source.drop_db().await;
    remove_store(&s);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_daily_scrub_marks_a_truncated_file_corrupted_as_system_once(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp { source, backup, .. } = backed_up(&s, "scrubcut").await;
    let path = file_of(&s, backup).await;
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 100)
        .unwrap();

    app::backup::ssr::scrub::scrub_due(s.clone()).await;
    let (corruption, actor): (Option<String>, String) = sqlx::query_as(
        "SELECT b.corruption, a.actor FROM backup b, audit_event a
         WHERE b.id = $1 AND a.action = 'backup.corrupted'",
    )
    .bind(backup)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(corruption.unwrap().contains("sha256"));
    assert_eq!(actor, "system");
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let cookie = admin.cookie().unwrap().to_string();
    assert_eq!(
        download(&s, &cookie, backup).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let page = admin.get("/backups/shop").await;
    assert!(page.body.contains(">corrupted<"), "{}", page.body);

    // A second pass the same day hashes nothing again.
    let meta = Default::default();
    let who = app::backup::ssr::scrub::Scrubber {
        actor: "system",
        meta: &meta,
    };
    let again = app::backup::ssr::scrub::scrub(&s, &who, None, true)
        .await
        .unwrap();
    assert_eq!(again, ScrubReport::default());
    source.drop_db().await;
    remove_store(&s);
}
