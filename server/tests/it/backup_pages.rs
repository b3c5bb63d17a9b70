//! Backup pages as a browser without JavaScript gets them: complete HTML,
//! with the data and only the actions the reader's roles allow.

use crate::support::backup::*;
use crate::support::{dead_docker_host, signed_in, state};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn the_targets_list_shows_freshness_and_turns_red_past_the_rpo(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp { source, .. } = backed_up(&s, "list").await;
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
    assert!(
        !list.body.contains("data-test=\"create-target\""),
        "only admins add targets"
    );
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

#[sqlx::test(migrations = "../migrations")]
async fn target_and_backup_pages_show_the_schedule_backups_and_allowed_actions(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp {
        source, backup: id, ..
    } = backed_up(&s, "pages").await;
    let admin = system_admin(&s).await;
    app::backup::ssr::schedule::save(&s, &admin, "shop", "30 2 * * *", ["", "", "", ""])
        .await
        .unwrap();
    let mut viewer = signed_in(&s, "vera", &[Role::Viewer]).await;
    let page = viewer.get("/backups/shop").await;
    assert!(
        page.body.contains(&format!("data-test=\"backup-{id}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("02:30") && page.body.contains("data-test=\"next-runs\""));
    assert!(
        page.body.contains("newest verified"),
        "kept by: {}",
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

    let mut deployer = signed_in(&s, "dev", &[Role::Deployer]).await;
    let page = deployer.get("/backups/shop").await;
    assert!(page.body.contains("data-test=\"run-backup\""));
    assert!(
        !page.body.contains("data-test=\"schedule-form\""),
        "schedules are for admins"
    );
    let detail = deployer.get(&format!("/backups/shop/{id}")).await;
    assert!(detail.body.contains("data-test=\"run-test-restore\""));
    assert!(
        !detail.body.contains("data-test=\"restore-form\""),
        "deployers do not restore"
    );
    let missing = viewer.get("/backups/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.body.contains("backup target `nope` was not found"),
        "{}",
        missing.body
    );
    assert_eq!(
        viewer.get("/backups/shop/999").await.status,
        StatusCode::NOT_FOUND
    );
    source.drop_db().await;
    remove_store(&s);
}
