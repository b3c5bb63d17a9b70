//! Runbook action steps: a step runs through the same server fn as the
//! service page, checked by the server against the stored version (never
//! the browser's copy), refused for viewers, and audited with the runbook
//! version; invalid blocks and hostile values render as inert text.

use crate::support::deploy::{finished, started, Stage};
use crate::support::{dead_docker_host, refused, signed_in, state, Client};
use app::auth::Role;
use app::runbook::{RunbookSaved, StepPlan};
use axum::http::StatusCode;
use sqlx::PgPool;

fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

async fn save(client: &mut Client, slug: &str, body: &str) -> RunbookSaved {
    let form = format!("slug={slug}&title=Steps&body={}&message=steps", enc(body));
    let reply = client.post_form("/api/save_runbook", &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn deployments(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM deployment")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The `runbook` details of the newest intent event of `action`.
async fn audited_runbook(pool: &PgPool, action: &str) -> serde_json::Value {
    let found: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT details->'runbook' FROM audit_event
         WHERE action = $1 AND outcome = 'intent' ORDER BY id DESC LIMIT 1",
    )
    .bind(action)
    .fetch_one(pool)
    .await
    .unwrap();
    found.unwrap_or_default()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rollback_step_run_by_a_deployer_rolls_back_to_the_previous_release_and_is_audited_with_the_runbook_version(
    pool: PgPool,
) {
    let Some(mut stage) = Stage::new(&pool, "rbstep", 1, "").await else {
        return;
    };
    for tag in ["v1", "v2"] {
        assert_eq!(stage.deploy_and_wait(tag).await.1 .0, "succeeded");
    }
    let other = crate::support::deploy::create_service(
        &mut stage.ada,
        "rbother",
        "opsdeck-test/rbstep",
        1,
        "",
    )
    .await;
    assert!(other > 0);
    let body = "# Roll back\n\n```opsdeck-action\naction: rollback\nservice: production/rbstep\nrelease: previous\n```\n\nThen:\n\n```opsdeck-action\naction: scale\nservice: production/rbstep\nreplicas: 2\n```\n";
    let saved = save(&mut stage.ada, "roll-back-rbstep", body).await;
    let hash: String =
        sqlx::query_scalar("SELECT content_hash FROM runbook_version WHERE version = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let step1 = format!(
        "runbook={}&runbook_version={}&runbook_step=1",
        "roll-back-rbstep", saved.version
    );

    // The confirmation shows the concrete release `previous` stands for.
    let reply = stage
        .ada
        .post_form(
            "/api/prepare_runbook_step",
            "slug=roll-back-rbstep&version=1&step=1",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let plan: StepPlan = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(plan.release, Some(1), "{plan:?}");
    assert!(
        plan.facts
            .iter()
            .any(|(what, value)| what == "rolls back to" && value.starts_with("#1 v1")),
        "{plan:?}"
    );

    // Anything but what the stored step says is refused, naming the field.
    let before = deployments(&pool).await;
    let tampered = [
        ("/api/rollback", format!("service=production/rbstep&release=2&{step1}"), "release"),
        ("/api/rollback", format!("service=production/rbother&release=1&{step1}"), "service"),
        ("/api/restart", format!("service=production/rbstep&{step1}"), "runbook_step"),
        ("/api/rollback", format!("service=production/rbstep&release=1&runbook=roll-back-rbstep&runbook_version=1&runbook_step=3"), "runbook_step"),
        ("/api/rollback", format!("service=production/rbstep&release=1&runbook=roll-back-rbstep&runbook_version=9&runbook_step=1"), "runbook_version"),
        ("/api/rollback", format!("service=production/rbstep&release=1&skip_backup=on&skip_reason=x&{step1}"), "skip_backup"),
    ];
    for (path, form, field) in tampered {
        let reply = stage.ada.post_form(path, &form).await;
        let message = refused(&reply, field);
        assert!(!message.is_empty(), "{form}");
    }

    // A viewer is refused by the server, not just shown a disabled button.
    let mut vera = signed_in(&stage.state, "vera", &[Role::Viewer]).await;
    let reply = vera
        .post_form(
            "/api/rollback",
            &format!("service=production/rbstep&release=1&{step1}"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(deployments(&pool).await, before, "nothing was started");

    // As stored, it rolls back for real, and the audit event says from where.
    let reply = stage
        .ada
        .post_form(
            "/api/rollback",
            &format!("service=production/rbstep&release=1&{step1}"),
        )
        .await;
    let back = started(&reply);
    assert_eq!(finished(&pool, back.deployment).await.0, "succeeded");
    assert_eq!(stage.pages().await, vec!["hello from v1"]);
    let runbook = audited_runbook(&pool, "deploy.rollback").await;
    assert_eq!(runbook["slug"], "roll-back-rbstep", "{runbook}");
    assert_eq!(runbook["version"], 1, "{runbook}");
    assert_eq!(runbook["step"], 1, "{runbook}");
    assert_eq!(runbook["content_hash"], hash.as_str(), "{runbook}");
    assert!(runbook["id"].as_i64().is_some(), "{runbook}");

    // The scale step runs only with its own count.
    let step2 = "runbook=roll-back-rbstep&runbook_version=1&runbook_step=2";
    let reply = stage
        .ada
        .post_form(
            "/api/scale",
            &format!("service=production/rbstep&replicas=3&{step2}"),
        )
        .await;
    refused(&reply, "replicas");
    let reply = stage
        .ada
        .post_form(
            "/api/scale",
            &format!("service=production/rbstep&replicas=2&{step2}"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let scaled: Option<app::deploy::DeploymentStarted> = serde_json::from_str(&reply.body).unwrap();
    let scaled = scaled.expect("a live release is scaled by a deployment");
    assert_eq!(finished(&pool, scaled.deployment).await.0, "succeeded");
    assert_eq!(stage.pages().await, vec!["hello from v1"; 2]);
    let runbook = audited_runbook(&pool, "deploy.scale").await;
    assert_eq!(
        (runbook["step"].clone(), runbook["version"].clone()),
        (2.into(), 1.into()),
        "{runbook}"
    );

    // Actions from the service page carry no runbook.
    let (_, ended) = stage.run("/api/restart", "").await;
    assert_eq!(ended.0, "succeeded");
    assert!(audited_runbook(&pool, "deploy.restart").await.is_null());
}

const HOSTILE: &str = "Before the steps.\n\n\
```opsdeck-action\n\
action: restart\n\
service: production/web\n\
title: <script>alert(1)</script> restart\n\
```\n\n\
```opsdeck-action\n\
action: <img src=x onerror=alert(2)>\n\
```\n\n\
```opsdeck-action\n\
action: scale\n\
service: production/web\n\
replicas: 2\n\
replicas: 3\n\
```\n\n\
```opsdeck-action\n\
action: health-check\n\
service: production/web\n\
```\n\n\
After the steps: [x](javascript:alert(3))\n";

#[sqlx::test(migrations = "../migrations")]
async fn invalid_blocks_render_as_error_boxes_naming_the_line_and_block_text_stays_inert(
    pool: PgPool,
) {
    let s = state(pool, &dead_docker_host());
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    save(&mut ada, "hostile", HOSTILE).await;

    let page = ada.get("/runbooks/hostile").await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "a missing service does not make the page a 404"
    );
    let html = &page.body;
    assert!(html.contains("Before the steps."), "{html}");
    assert!(
        html.contains("After the steps:"),
        "the rest of the document renders: {html}"
    );
    assert_eq!(
        html.matches("data-test=\"runbook-step\"").count(),
        2,
        "{html}"
    );
    assert_eq!(
        html.matches("data-test=\"step-invalid\"").count(),
        2,
        "{html}"
    );
    assert!(
        html.contains("data-line=\"10\""),
        "the unknown action is on line 10: {html}"
    );
    assert!(
        html.contains("unknown action `&lt;img src=x onerror=alert(2)&gt;`"),
        "{html}"
    );
    assert!(
        html.contains("data-line=\"17\""),
        "the repeated key is on line 17: {html}"
    );
    assert!(
        html.contains("`replicas` is given twice (first on line 16)"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; restart"),
        "{html}"
    );
    for live in ["<script>alert(1)", "<img src=x", "href=\"javascript:"] {
        assert!(!html.contains(live), "{live} in {html}");
    }

    // A viewer sees the step, disabled, and why.
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let page = vera.get("/runbooks/hostile").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Your roles do not allow deploying: a deployer or admin can run this step."),
        "{}",
        page.body
    );
    assert!(!ada
        .get("/runbooks/hostile")
        .await
        .body
        .contains("data-test=\"step-reason\""));
}

async fn backups(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM backup")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn backup_and_test_restore_steps_take_a_backup_that_restores_and_are_audited_with_the_runbook_version(
    pool: PgPool,
) {
    use crate::support::backup::{add_target, backup_done, test_restore_done, SourceDb};
    let s = state(pool.clone(), &dead_docker_host());
    let source = SourceDb::with_data("rbbackup").await;
    add_target(&s, "shop", &source.url).await;
    add_target(&s, "other", &source.url).await;
    let mut dev = signed_in(&s, "dev", &[Role::Deployer]).await;
    let body = "# Back up the shop\n\n```opsdeck-action\naction: backup\ntarget: shop\n```\n\nThen prove it restores:\n\n```opsdeck-action\naction: test-restore\ntarget: shop\nbackup: newest\n```\n";
    let saved = save(&mut dev, "back-up-shop", body).await;
    let step = |n: i32| {
        format!(
            "runbook=back-up-shop&runbook_version={}&runbook_step={n}",
            saved.version
        )
    };

    // Another target than the stored step's, or a viewer: nothing starts.
    let reply = dev
        .post_form("/api/run_backup", &format!("target=other&{}", step(1)))
        .await;
    refused(&reply, "target");
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let reply = vera
        .post_form("/api/run_backup", &format!("target=shop&{}", step(1)))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(backups(&pool).await, 0, "nothing was started");

    // Step 1 as stored: a real backup of the shop, audited with the runbook.
    let reply = dev
        .post_form("/api/run_backup", &format!("target=shop&{}", step(1)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let started: app::backup::BackupStarted = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(backup_done(&pool, started.backup).await, "succeeded");
    let runbook = audited_runbook(&pool, "backup.run").await;
    assert_eq!(runbook["slug"], "back-up-shop", "{runbook}");
    assert_eq!(runbook["version"], saved.version, "{runbook}");
    assert_eq!(runbook["step"], 1, "{runbook}");

    // Step 2 must test the newest backup, then restores it into a scratch
    // database: the backup the step took is judged by restoring it.
    let reply = dev
        .post_form(
            "/api/test_restore_backup",
            &format!("id={}&{}", started.backup + 1000, step(2)),
        )
        .await;
    refused(&reply, "id");
    let reply = dev
        .post_form(
            "/api/test_restore_backup",
            &format!("id={}&{}", started.backup, step(2)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(test_restore_done(&pool, started.backup).await, "passed");
    let view = app::backup::ssr::read::read_backup(&s, started.backup)
        .await
        .unwrap();
    let rows: i64 = view.test.unwrap().tables.iter().map(|t| t.rows).sum();
    assert_eq!(rows, 1500, "every row of the source came back");
    let runbook = audited_runbook(&pool, "backup.test_restore").await;
    assert_eq!(runbook["slug"], "back-up-shop", "{runbook}");
    assert_eq!(runbook["step"], 2, "{runbook}");
    source.drop_db().await;
}
