//! Pre-deploy backups: a service that names a backup target is backed up
//! before each deploy and the rollout waits for it; a failed backup stops
//! the deploy before anything changes; skipping needs a reason, audited.

use crate::support::backup::{add_target, SourceDb};
use crate::support::deploy::*;
use crate::support::state;
use axum::http::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn each_deploy_waits_for_a_backup_and_a_failed_one_stops_it(pool: PgPool) {
    let source = SourceDb::with_data("predeploy").await;
    add_target(
        &state(pool.clone(), "unix:///unused"),
        "shopdb",
        &source.url,
    )
    .await;
    let Some(mut stage) = Stage::new(&pool, "predeploy", 1, "&backup_target=shopdb").await else {
        source.drop_db().await;
        return;
    };
    let (first, (state1, ..)) = stage.deploy_and_wait("v1").await;
    assert_eq!(state1, "succeeded");
    let (backup_id, kind, backup_state, verified): (i64, String, String, bool) = sqlx::query_as(
        "SELECT b.id, b.kind, b.state, b.verified_at IS NOT NULL FROM deployment d
         JOIN backup b ON b.id = d.backup_id WHERE d.id = $1",
    )
    .bind(first.deployment)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), backup_state.as_str(), verified),
        ("pre_deploy", "succeeded", true)
    );
    let text = stage.steps(first.deployment).await;
    let backed = text
        .find(&format!("pre-deploy backup #{backup_id}"))
        .expect(&text);
    assert!(
        backed < text.find("rolling out").unwrap(),
        "backup first:\n{text}"
    );
    let page = stage
        .ada
        .get(&format!("/deployments/{}", first.deployment))
        .await;
    assert!(
        page.body.contains(&format!("/backups/shopdb/{backup_id}")),
        "the page links it"
    );

    // The database is gone: the backup fails, and v1 keeps running untouched.
    source.drop_db().await;
    let (second, (state2, reason2, _)) = stage.deploy_and_wait("v2").await;
    assert_eq!(state2, "failed");
    let reason2 = reason2.unwrap_or_default();
    assert!(
        reason2.contains("pre-deploy backup of `shopdb` failed, so nothing was changed"),
        "{reason2}"
    );
    assert!(!stage
        .steps(second.deployment)
        .await
        .contains("starting replica"));
    assert_eq!(stage.pages().await, vec!["hello from v1"]);

    // Going without it takes a reason, which is kept and audited.
    let unexplained = stage.deploy_with("v2", "&skip_backup=on").await;
    assert_eq!(unexplained.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unexplained.body.contains("skip_reason"),
        "{}",
        unexplained.body
    );
    let reason = "the+database+is+being+moved";
    let skipped = started(
        &stage
            .deploy_with("v2", &format!("&skip_backup=on&skip_reason={reason}"))
            .await,
    );
    assert_eq!(finished(&pool, skipped.deployment).await.0, "succeeded");
    assert_eq!(stage.pages().await, vec!["hello from v2"]);
    let kept: Option<String> =
        sqlx::query_scalar("SELECT backup_skipped FROM deployment WHERE id = $1")
            .bind(skipped.deployment)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept.as_deref(), Some("the database is being moved"));
    let audited: String = sqlx::query_scalar(
        "SELECT details->'pre_deploy_backup'->>'skipped_because' FROM audit_event
         WHERE action = 'deploy.deploy' AND outcome = 'intent' AND details->>'deployment' = $1",
    )
    .bind(skipped.deployment.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, "the database is being moved");
    assert!(stage
        .steps(skipped.deployment)
        .await
        .contains("skipped by ada"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_service_names_only_a_backup_target_that_exists(pool: PgPool) {
    let s = state(pool.clone(), "unix:///unused");
    let mut ada = crate::support::signed_in(&s, "ada", &[app::auth::Role::Deployer]).await;
    let form = "environment=production&name=web&image=shop%2Fweb&port=8080&health_kind=http\
        &health_check=%2Fhealthz&health_interval_s=5&health_timeout_s=3&health_retries=3\
        &health_start_period_s=0&replicas=2&stop_timeout_s=10&backup_target=nowhere";
    let reply = ada.post_form("/api/save_service", form).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.body.contains("backup_target") && reply.body.contains("nowhere"),
        "{}",
        reply.body
    );
}
