//! Health-gated rollouts against the real Docker engine: replacing a
//! release replica by replica, rolling back failed ones automatically, and
//! rolling back by hand to exactly the image a release recorded.

use crate::support::deploy::*;
use sqlx::PgPool;
use std::time::Duration;

/// What the replicas serve, sampled every 100 ms until deployment `id` ends.
async fn sample_until_done(stage: &Stage, id: i64) -> (String, Vec<Vec<String>>) {
    let mut samples = Vec::new();
    loop {
        let state: String = sqlx::query_scalar("SELECT state FROM deployment WHERE id = $1")
            .bind(id)
            .fetch_one(&stage.pool)
            .await
            .unwrap();
        samples.push(stage.pages().await);
        if state != "running" {
            return (state, samples);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn deploy_of_v2_replaces_v1_replica_by_replica_while_a_healthy_replica_serves(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "roll", 3, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    assert_eq!(stage.pages().await, vec!["hello from v1"; 3]);

    let second = started(&stage.deploy("v2").await);
    assert_eq!(second.release, 2);
    let (state, samples) = sample_until_done(&stage, second.deployment).await;
    assert_eq!(state, "succeeded");
    assert!(samples.len() >= 5, "sampled {} times", samples.len());
    assert!(
        samples.iter().all(|s| !s.is_empty()),
        "at every sample at least one replica served: {samples:?}"
    );
    let both = |s: &Vec<String>| {
        s.contains(&"hello from v1".to_string()) && s.contains(&"hello from v2".to_string())
    };
    assert!(
        samples.iter().any(both),
        "old and new served side by side during the rollout: {samples:?}"
    );
    assert_eq!(stage.pages().await, vec!["hello from v2"; 3]);
    let all = stage.containers().await;
    assert_eq!(all.len(), 3, "old replicas are removed: {all:?}");
    assert!(
        all.iter().all(|c| c.0.contains("-roll-r2-")),
        "names tell service and release: {all:?}"
    );
    let text = stage.steps(second.deployment).await;
    for expected in [
        "starting replica 2/3",
        "health 1/",
        "stopping old replica",
        "release #2 is live",
    ] {
        assert!(
            text.contains(expected),
            "step `{expected}` missing in:\n{text}"
        );
    }
    assert_eq!(live_release(&pool).await, Some(2));
}

#[sqlx::test(migrations = "../migrations")]
async fn failing_releases_roll_back_by_themselves_and_history_rolls_back_to_the_recorded_image(
    pool: PgPool,
) {
    let Some(mut stage) = Stage::new(&pool, "back", 2, "").await else {
        return;
    };
    for tag in ["v1", "v2"] {
        assert_eq!(stage.deploy_and_wait(tag).await.1 .0, "succeeded");
    }

    // v3 never passes its check: back to v2, with the reason and the check's answer.
    let (_, (state3, reason3, output3)) = stage.deploy_and_wait("v3").await;
    assert_eq!(state3, "rolled_back");
    let reason3 = reason3.unwrap_or_default();
    assert!(reason3.contains("did not become healthy"), "{reason3}");
    assert!(output3.unwrap_or_default().contains("HTTP 404"));
    assert_eq!(stage.pages().await, vec!["hello from v2"; 2]);

    // v4 exits at start: same, and its own output is in the step log.
    let (v4, (state4, reason4, _)) = stage.deploy_and_wait("v4").await;
    assert_eq!(state4, "rolled_back");
    let reason4 = reason4.unwrap_or_default();
    assert!(reason4.contains("exited with code 3"), "{reason4}");
    assert!(stage.steps(v4.deployment).await.contains("cannot start"));
    assert_eq!(stage.pages().await, vec!["hello from v2"; 2]);
    assert_eq!(stage.containers().await.len(), 2, "no leftovers of v3/v4");

    // Move the tag v1 to v2's image: release #1 still runs the image it recorded.
    let options = bollard::query_parameters::TagImageOptionsBuilder::default()
        .repo("opsdeck-test/back")
        .tag("v1")
        .build();
    stage
        .docker
        .tag_image(&stage.images[1], Some(options))
        .await
        .unwrap();
    let (back, (state, ..)) = stage.run("/api/rollback", "release=1").await;
    assert_eq!(state, "succeeded");
    assert_eq!(stage.pages().await, vec!["hello from v1"; 2]);
    let kind: String = sqlx::query_scalar("SELECT kind FROM deployment WHERE id = $1")
        .bind(back.deployment)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kind, "rollback");
    let image: String = sqlx::query_scalar("SELECT image_id FROM release WHERE number = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(image, stage.images[0]);
    let short = stage.images[0].trim_start_matches("sha256:")[..12].to_string();
    let steps = stage.steps(back.deployment).await;
    assert!(
        steps.contains(&format!(
            "release #1 runs its recorded image {short} (tag v1 is not looked up again)"
        )),
        "the step log says which image runs: {steps}"
    );

    // The audit log has intent and outcome for each of them.
    let states: Vec<String> = sqlx::query_scalar(
        "SELECT details->>'state' FROM audit_event WHERE action = 'deploy.finish' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected = [
        "succeeded",
        "succeeded",
        "rolled_back",
        "rolled_back",
        "succeeded",
    ];
    assert_eq!(states, expected);
    let intents: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE outcome = 'intent' AND action LIKE 'deploy.%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(intents, 5);
}

#[sqlx::test(migrations = "../migrations")]
async fn first_deploy_of_a_failing_image_fails_and_leaves_nothing_running(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "first", 1, "").await else {
        return;
    };
    let (d, (state, reason, _)) = stage.deploy_and_wait("v4").await;
    assert_eq!(state, "failed");
    let reason = reason.unwrap_or_default();
    assert!(
        reason.contains("exited with code 3"),
        "{reason}\n{}",
        stage.steps(d.deployment).await
    );
    assert!(stage.containers().await.is_empty());
    assert_eq!(live_release(&pool).await, None);
}
