//! Runbook runs: a run records who followed which version, its ticks and
//! the steps it ran (through the same server fns, refused for viewers),
//! puts them on the attached incident's timeline, and runs a step that
//! needs approval only once a second person approved it, exactly once.

use crate::support::deploy::{finished, Stage};
use crate::support::{refused, signed_in, Client, Reply};
use app::auth::Role;
use app::incident::IncidentDetail;
use app::runbook::{ApprovalState, RunRead, RunSummary, RunbookSaved, StepRan};
use axum::http::StatusCode;
use sqlx::PgPool;

fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

async fn save(client: &mut Client, slug: &str, body: &str) -> RunbookSaved {
    let form = format!("slug={slug}&title=Runs&body={}&message=runs", enc(body));
    let reply = client.post_form("/api/save_runbook", &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

fn ok<T: serde::de::DeserializeOwned>(reply: &Reply) -> T {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn start_run(client: &mut Client, slug: &str, incident: &str) -> RunSummary {
    let form = format!("slug={slug}&incident={incident}");
    ok(&client.post_form("/api/start_runbook_run", &form).await)
}

async fn read_run(client: &mut Client, slug: &str, run: i64) -> RunRead {
    let form = format!("slug={slug}&run={run}");
    ok(&client.post_form("/api/read_runbook_run", &form).await)
}

async fn deployments(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM deployment")
        .fetch_one(pool)
        .await
        .unwrap()
}

const ROLL_BACK: &str = "# Roll back\n\n- [ ] Tell support a rollback is coming\n- [ ] Check the error rate after\n\n```opsdeck-action\ntitle: Roll back to the previous release\naction: rollback\nservice: ask\nrelease: previous\n```\n";

#[sqlx::test(migrations = "../migrations")]
async fn a_rollback_step_run_within_a_run_for_an_incident_rolls_back_and_lands_on_the_run_and_the_timeline(
    pool: PgPool,
) {
    let Some(mut stage) = Stage::new(&pool, "rbrun", 1, "").await else {
        return;
    };
    for tag in ["v1", "v2"] {
        assert_eq!(stage.deploy_and_wait(tag).await.1 .0, "succeeded");
    }
    save(&mut stage.ada, "roll-back-rbrun", ROLL_BACK).await;
    // An incident that does not list the service: the entries come from the run.
    let reply = stage
        .ada
        .post_form(
            "/api/declare_incident",
            "title=Checkout+errors&severity=SEV2&summary=5xx",
        )
        .await;
    let declared: serde_json::Value = ok(&reply);
    let incident = declared["incident"].as_i64().unwrap();

    let run = start_run(&mut stage.ada, "roll-back-rbrun", &incident.to_string()).await;
    assert_eq!(run.version, 1);
    assert_eq!(run.incident.as_ref().map(|i| i.0), Some(incident));
    let reply = stage
        .ada
        .post_form(
            "/api/tick_runbook_item",
            &format!("run={}&item=1&done=true", run.id),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = stage
        .ada
        .post_form(
            "/api/tick_runbook_item",
            &format!("run={}&item=3&done=true", run.id),
        )
        .await;
    refused(&reply, "item");

    // A viewer is refused by the server: the rollback's own permission check.
    let before = deployments(&pool).await;
    let mut vera = signed_in(&stage.state, "vera", &[Role::Viewer]).await;
    let step = format!("run={}&step=1&service=production/rbrun", run.id);
    let reply = vera.post_form("/api/run_runbook_step", &step).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let reply = stage
        .ada
        .post_form("/api/run_runbook_step", &format!("run={}&step=1", run.id))
        .await;
    refused(&reply, "service");
    assert_eq!(deployments(&pool).await, before, "nothing was started");

    // The deployer's step rolls back for real.
    let ran: StepRan = ok(&stage.ada.post_form("/api/run_runbook_step", &step).await);
    let url = ran.url.expect("a rollback is work to follow");
    let id: i64 = url.trim_start_matches("/deployments/").parse().unwrap();
    assert_eq!(finished(&pool, id).await.0, "succeeded");
    assert_eq!(stage.pages().await, vec!["hello from v1"]);
    let runbook: serde_json::Value = sqlx::query_scalar(
        "SELECT details->'runbook' FROM audit_event WHERE action = 'deploy.rollback' AND outcome = 'intent'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (
            runbook["run"].as_i64(),
            runbook["step"].as_i64(),
            runbook["version"].as_i64()
        ),
        (Some(run.id), Some(1), Some(1)),
        "{runbook}"
    );

    // The run shows the tick and the step, linked to its deployment.
    let read = read_run(&mut stage.ada, "roll-back-rbrun", run.id).await;
    let actions: Vec<&str> = read.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["runbook.run_start", "runbook.check", "deploy.rollback"]
    );
    assert_eq!(read.entries[2].link.as_deref(), Some(url.as_str()));
    assert_eq!(read.entries[2].step, Some(1));
    assert!(read.checklist[0].done.is_some() && read.checklist[1].done.is_none());
    assert_eq!(read.checklist[1].text, "Check the error rate after");

    // And so does the incident's timeline.
    let reply = stage
        .ada
        .post_form("/api/read_incident", &format!("id={incident}"))
        .await;
    let detail: IncidentDetail = ok(&reply);
    let lines: Vec<String> = detail.timeline.iter().map(|e| e.body.clone()).collect();
    let wanted = [
        "runbook roll-back-rbrun v1 started",
        "ticked “Tell support a rollback is coming”",
        "rollback of production/rbrun started",
    ];
    for words in wanted {
        assert!(
            lines.iter().any(|l| l.contains(words)),
            "{words} in {lines:#?}"
        );
    }
    let rollback = detail
        .timeline
        .iter()
        .find(|e| e.body.contains("rollback of"))
        .unwrap();
    assert!(rollback
        .body
        .contains("from runbook roll-back-rbrun v1, step 1"));
    assert_eq!(rollback.link.as_deref(), Some(url.as_str()));

    // A finished run takes no more steps.
    let reply = stage
        .ada
        .post_form("/api/finish_runbook_run", &format!("run={}", run.id))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = stage.ada.post_form("/api/run_runbook_step", &step).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
}

const GATED: &str = "# Restart, with a second pair of eyes\n\n```opsdeck-action\naction: restart\nservice: production/rbappr\napproval: required\n```\n";

#[sqlx::test(migrations = "../migrations")]
async fn a_step_that_needs_approval_runs_once_after_a_second_deployer_approves_it(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "rbappr", 1, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    save(&mut stage.ada, "restart-rbappr", GATED).await;
    let before = deployments(&pool).await;

    // Outside a run there is nobody to approve it.
    let direct =
        "service=production/rbappr&runbook=restart-rbappr&runbook_version=1&runbook_step=1";
    let reply = stage.ada.post_form("/api/restart", direct).await;
    refused(&reply, "runbook_run");

    let run = start_run(&mut stage.ada, "restart-rbappr", "").await;
    let step = format!("run={}&step=1", run.id);
    let asked: StepRan = ok(&stage.ada.post_form("/api/run_runbook_step", &step).await);
    let approval = asked.approval.expect("the step waits for approval");
    assert_eq!(asked.url, None);
    assert_eq!(deployments(&pool).await, before, "asking runs nothing");
    let reply = stage.ada.post_form("/api/run_runbook_step", &step).await;
    refused(&reply, "runbook_step");

    // Not by its requester, not by a viewer, not around the approval.
    let approve = format!("approval={approval}");
    let reply = stage
        .ada
        .post_form("/api/approve_runbook_step", &approve)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert!(reply.body.contains("another person"), "{}", reply.body);
    let mut vera = signed_in(&stage.state, "vera", &[Role::Viewer]).await;
    let reply = vera.post_form("/api/approve_runbook_step", &approve).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let with_run = format!("{direct}&runbook_run={}", run.id);
    let reply = stage.ada.post_form("/api/restart", &with_run).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(deployments(&pool).await, before, "nothing ran unapproved");

    // A second deployer approves it, and it runs.
    let mut bob = signed_in(&stage.state, "bob", &[Role::Deployer]).await;
    let ran: StepRan = ok(&bob.post_form("/api/approve_runbook_step", &approve).await);
    let url = ran.url.expect("a restart is work to follow");
    let id: i64 = url.trim_start_matches("/deployments/").parse().unwrap();
    assert_eq!(finished(&pool, id).await.0, "succeeded");
    let audited: serde_json::Value = sqlx::query_scalar(
        "SELECT details->'runbook' FROM audit_event WHERE action = 'deploy.restart' AND outcome = 'intent'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited["approval"].as_i64(), Some(approval), "{audited}");

    // Once: the approval is spent.
    let reply = bob.post_form("/api/approve_runbook_step", &approve).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    let reply = bob.post_form("/api/restart", &with_run).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(deployments(&pool).await, before + 1, "the step ran once");

    let read = read_run(&mut bob, "restart-rbappr", run.id).await;
    assert_eq!(read.approvals.len(), 1);
    assert_eq!(read.approvals[0].state, ApprovalState::Approved);
    assert_eq!(read.approvals[0].requested_by, "user:ada");
    assert_eq!(
        read.approvals[0].decided.as_ref().map(|d| d.0.as_str()),
        Some("user:bob")
    );
    assert!(read.approvals[0].used.is_some());
}
