//! Incidents: declaring, the status machine and its times, notes, bad
//! input, and the timeline that writes itself from the audit log.

use crate::support::deploy::{create_service, Stage};
use crate::support::refused;
use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use app::incident::{EntryKind, IncidentDetail, Status};
use axum::http::StatusCode;
use sqlx::PgPool;

async fn declare(client: &mut Client, form: &str) -> i64 {
    let reply = client.post_form("/api/declare_incident", form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let id = body["incident"].as_i64().unwrap();
    assert_eq!(body["url"], format!("/incidents/{id}"));
    id
}

async fn read(client: &mut Client, id: i64) -> IncidentDetail {
    let reply = client
        .post_form("/api/read_incident", &format!("id={id}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn set_status(client: &mut Client, id: i64, status: &str) -> crate::support::Reply {
    client
        .post_form(
            "/api/set_incident_status",
            &format!("id={id}&status={status}"),
        )
        .await
}

/// Services `production/a` and `production/b`, saved but never deployed.
async fn two_services(client: &mut Client) {
    for name in ["a", "b"] {
        create_service(client, name, "opsdeck-test/incident", 1, "").await;
    }
}

/// The timeline entries that record audit events on `target`.
async fn entries_of_target(db: &PgPool, incident: i64, target: &str) -> Vec<(i64, String)> {
    sqlx::query_as(
        "SELECT e.audit_event_id, a.action || ' ' || a.outcome
         FROM incident_entry e JOIN audit_event a ON a.id = e.audit_event_id
         WHERE e.incident_id = $1 AND e.kind = 'action' AND a.target = $2 ORDER BY e.id",
    )
    .bind(incident)
    .bind(target)
    .fetch_all(db)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_incident_moves_through_its_statuses_each_change_timed_and_on_its_timeline(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let id = declare(&mut rita, "title=Checkout+down&severity=SEV1&summary=500s").await;
    let declared = read(&mut rita, id).await;
    assert_eq!(declared.incident.status, Status::Investigating);
    assert_eq!(declared.incident.commander, "user:rita");
    assert_eq!(declared.incident.started_at, declared.incident.declared_at);
    assert_eq!(
        declared.incident.acknowledged_at, None,
        "declaring is not acknowledging"
    );

    for status in ["identified", "monitoring", "resolved", "investigating"] {
        let reply = set_status(&mut rita, id, status).await;
        assert_eq!(reply.status, StatusCode::OK, "{status}: {}", reply.body);
        let now = read(&mut rita, id).await.incident;
        assert_eq!(now.status.as_str(), status);
        assert!(
            now.acknowledged_at.is_some(),
            "the first change acknowledges"
        );
        assert_eq!(now.resolved_at.is_some(), status == "resolved");
    }
    let detail = read(&mut rita, id).await;
    assert_eq!(
        detail.incident.acknowledged_at.unwrap(),
        detail.timeline[1].at,
        "acknowledged by the first change, and only then"
    );
    let changes: Vec<&str> = detail
        .timeline
        .iter()
        .filter(|e| e.kind == EntryKind::Status)
        .map(|e| e.body.as_str())
        .collect();
    assert_eq!(
        changes,
        [
            "declared SEV1, investigating",
            "investigating → identified",
            "identified → monitoring",
            "monitoring → resolved",
            "resolved → investigating",
        ]
    );
    assert!(detail.timeline.windows(2).all(|w| w[0].at <= w[1].at));
    for entry in &detail.timeline {
        let action: String = sqlx::query_scalar("SELECT action FROM audit_event WHERE id = $1")
            .bind(entry.audit_event_id.expect("every change is audited"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(action.starts_with("incident."), "{action}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn moves_the_status_machine_does_not_allow_answer_422_naming_status_and_change_nothing(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let id = declare(&mut rita, "title=x&severity=SEV3").await;
    let why = refused(&set_status(&mut rita, id, "monitoring").await, "status");
    assert!(
        why.contains(
            "investigating cannot become monitoring; it may become identified or resolved"
        ),
        "{why}"
    );
    refused(&set_status(&mut rita, id, "investigating").await, "status");
    refused(&set_status(&mut rita, id, "closed").await, "status");
    assert_eq!(
        set_status(&mut rita, id, "identified").await.status,
        StatusCode::OK
    );
    refused(&set_status(&mut rita, id, "investigating").await, "status");
    assert_eq!(
        set_status(&mut rita, id, "resolved").await.status,
        StatusCode::OK
    );
    refused(&set_status(&mut rita, id, "monitoring").await, "status");
    refused(&set_status(&mut rita, id, "identified").await, "status");
    let detail = read(&mut rita, id).await;
    assert_eq!(detail.incident.status, Status::Resolved);
    assert_eq!(
        detail.timeline.len(),
        3,
        "only the allowed moves are recorded"
    );
    let missing = set_status(&mut rita, 999, "resolved").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_input_answers_422_naming_the_field_and_stores_nothing(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut dee = signed_in(&s, "dee", &[Role::Deployer]).await;
    two_services(&mut dee).await;
    let long = "x".repeat(201);
    for (form, field) in [
        ("title=&severity=SEV1".to_string(), "title"),
        (format!("title={long}&severity=SEV1"), "title"),
        ("title=x&severity=SEV4".to_string(), "severity"),
        ("title=x".to_string(), "severity"),
        (
            "title=x&severity=SEV2&services[0]=production%2Fa&services[1]=production%2Fnope".into(),
            "services[1]",
        ),
        ("title=x&severity=SEV2&services[0]=a".into(), "services[0]"),
        (
            format!("title=x&severity=SEV2&summary={}", "s".repeat(10_001)),
            "summary",
        ),
    ] {
        refused(&dee.post_form("/api/declare_incident", &form).await, field);
    }
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM incident")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(none, 0);

    let id = declare(&mut dee, "title=x&severity=SEV2&services[0]=production%2Fa").await;
    let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    for (form, field) in [
        (format!("id={id}&text=+"), "text"),
        (format!("id={id}&text={}", "n".repeat(20_001)), "text"),
        (format!("id={id}&text=x&at=soon"), "at"),
        (format!("id={id}&text=x&at={in_an_hour}"), "at"),
    ] {
        refused(&dee.post_form("/api/add_incident_note", &form).await, field);
    }
    for (form, field) in [
        (format!("id={id}&severity=SEV2"), "severity"),
        (format!("id={id}&severity=high"), "severity"),
    ] {
        refused(
            &dee.post_form("/api/set_incident_severity", &form).await,
            field,
        );
    }
    let detail = read(&mut dee, id).await;
    assert_eq!(detail.timeline.len(), 1, "only the declaration");
    assert_eq!(detail.incident.acknowledged_at, None);
    assert_eq!(detail.incident.services, ["production/a"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_note_keeps_its_event_time_and_its_written_time_and_shows_sanitized_markdown(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let id = declare(&mut rita, "title=x&severity=SEV2").await;
    let earlier = (chrono::Utc::now() - chrono::Duration::minutes(30))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let text = "**db** failed over <script>alert(1)</script> [x](javascript:alert(2))";
    let form = format!(
        "id={id}&text={}&at={earlier}",
        text.replace(' ', "+")
            .replace('<', "%3C")
            .replace('>', "%3E")
            .replace('*', "%2A")
    );
    let reply = rita.post_form("/api/add_incident_note", &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let detail = read(&mut rita, id).await;
    let note = detail
        .timeline
        .iter()
        .find(|e| e.kind == EntryKind::Note)
        .unwrap();
    assert_eq!(note.body, text, "the source is kept as written");
    assert_eq!(note.at.format("%Y-%m-%dT%H:%M").to_string(), earlier);
    assert!(note.written_at - note.at >= chrono::Duration::minutes(29));
    assert_eq!(
        detail.timeline[0].kind,
        EntryKind::Note,
        "ordered by event time"
    );
    let html = note.html.as_deref().unwrap();
    assert!(html.contains("<strong>db</strong>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(detail.incident.acknowledged_at.is_some());

    let page = rita.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<strong>db</strong>"),
        "the note is markup"
    );
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn titles_and_summaries_are_text_on_both_pages(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let vector = "%3Cimg+src%3Dx+onerror%3Dalert(1)%3E";
    let id = declare(
        &mut rita,
        &format!("title={vector}&severity=SEV3&summary={vector}"),
    )
    .await;
    for path in ["/incidents".to_string(), format!("/incidents/{id}")] {
        let page = rita.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("<img src=x"), "{path}: {}", page.body);
        assert!(
            page.body.contains("&lt;img src=x"),
            "{path} shows it as text"
        );
    }
    let missing = rita.get("/incidents/424242").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_shows_open_incidents_first_and_a_change_is_announced_live(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let old = declare(&mut rita, "title=old&severity=SEV3").await;
    let resolved = declare(&mut rita, "title=over&severity=SEV3").await;
    set_status(&mut rita, resolved, "resolved").await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
        .await
        .unwrap();
    listener.listen("opsdeck_live").await.unwrap();
    let new = declare(&mut rita, "title=new&severity=SEV1").await;
    let reply = rita.post_form("/api/list_incidents", "").await;
    let list: Vec<app::incident::IncidentSummary> = serde_json::from_str(&reply.body).unwrap();
    let order: Vec<i64> = list.iter().map(|i| i.id).collect();
    assert_eq!(order, [new, old, resolved]);
    let note = rita
        .post_form("/api/add_incident_note", &format!("id={old}&text=hi"))
        .await;
    assert_eq!(note.status, StatusCode::OK);
    let mut seen = Vec::new();
    while seen.len() < 10 && !seen.contains(&format!("incident:{old}")) {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
            .await
            .expect("a notification")
            .unwrap();
        seen.push(n.payload().to_string());
    }
    assert!(seen.contains(&format!("incident:{new}")), "{seen:?}");
    assert!(seen.contains(&format!("incident:{old}")), "{seen:?}");
}

/// Without an engine: scaling a service that runs nothing yet is an
/// audited action on it all the same.
#[sqlx::test(migrations = "../migrations")]
async fn an_audited_action_on_an_affected_service_lands_on_its_timeline_only_while_open(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut dee = signed_in(&s, "dee", &[Role::Deployer]).await;
    two_services(&mut dee).await;
    // Ticked boxes of the declare form send sparse indexes.
    let id = declare(&mut dee, "title=x&severity=SEV2&services[2]=production%2Fa").await;
    for service in ["production/a", "production/b"] {
        let reply = dee
            .post_form("/api/scale", &format!("service={service}&replicas=3"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let on_a = entries_of_target(&pool, id, "service:production/a").await;
    assert_eq!(on_a.len(), 1, "{on_a:?}");
    assert_eq!(on_a[0].1, "deploy.scale success");
    assert!(entries_of_target(&pool, id, "service:production/b")
        .await
        .is_empty());
    let b_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM incident_entry e JOIN audit_event a ON a.id = e.audit_event_id
         WHERE a.target = 'service:production/b'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(b_events, 0, "B is on no timeline");

    let detail = read(&mut dee, id).await;
    let entry = detail
        .timeline
        .iter()
        .find(|e| e.kind == EntryKind::Action)
        .unwrap();
    assert_eq!(entry.audit_event_id, Some(on_a[0].0));
    assert_eq!(entry.actor, "user:dee");
    assert_eq!(entry.outcome.as_deref(), Some("success"));
    assert_eq!(entry.body, "production/a scaled from 1 to 3 replicas");

    assert_eq!(
        set_status(&mut dee, id, "resolved").await.status,
        StatusCode::OK
    );
    dee.post_form("/api/scale", "service=production/a&replicas=2")
        .await;
    assert_eq!(
        entries_of_target(&pool, id, "service:production/a")
            .await
            .len(),
        1,
        "nothing is added after resolve"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn real_deploys_rollbacks_and_removals_of_an_affected_service_are_on_its_timeline_while_open(
    pool: PgPool,
) {
    let Some(mut stage) = Stage::new(&pool, "incident-a", 1, "").await else {
        return;
    };
    let repo = "opsdeck-test/incident-a";
    create_service(&mut stage.ada, "incident-b", repo, 1, "").await;
    let id = declare(
        &mut stage.ada,
        "title=slow&severity=SEV2&services[0]=production%2Fincident-a",
    )
    .await;
    let (started, ended) = stage.deploy_and_wait("v1").await;
    assert_eq!(ended.0, "succeeded");
    stage
        .ada
        .post_form("/api/scale", "service=production/incident-b&replicas=2")
        .await;
    let on_a = entries_of_target(&pool, id, "service:production/incident-a").await;
    let kinds: Vec<&str> = on_a.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(kinds, ["deploy.deploy intent", "deploy.finish success"]);
    assert!(
        entries_of_target(&pool, id, "service:production/incident-b")
            .await
            .is_empty()
    );
    let detail = read(&mut stage.ada, id).await;
    let actions: Vec<_> = detail
        .timeline
        .iter()
        .filter(|e| e.kind == EntryKind::Action)
        .collect();
    let link = format!("/deployments/{}", started.deployment);
    for (entry, (event, _)) in actions.iter().zip(&on_a) {
        assert_eq!(entry.audit_event_id, Some(*event));
        assert_eq!(entry.link.as_deref(), Some(link.as_str()));
        assert_eq!(entry.actor, "user:ada");
    }
    assert!(
        actions[1].body.contains("ended succeeded"),
        "{}",
        actions[1].body
    );

    set_status(&mut stage.ada, id, "resolved").await;
    let (_, ended) = stage.deploy_and_wait("v2").await;
    assert_eq!(ended.0, "succeeded");
    assert_eq!(
        entries_of_target(&pool, id, "service:production/incident-a")
            .await
            .len(),
        2,
        "nothing is added after resolve"
    );

    // Reopened, the timeline takes actions again: a rollback, a removal.
    assert_eq!(
        set_status(&mut stage.ada, id, "investigating").await.status,
        StatusCode::OK
    );
    let (_, ended) = stage.run("/api/rollback", "release=1").await;
    assert_eq!(ended.0, "succeeded");
    let removed = stage
        .ada
        .post_form(
            "/api/remove_service",
            "service=production/incident-a&confirm=production/incident-a",
        )
        .await;
    assert!(removed.ok(), "{}", removed.body);
    let on_a = entries_of_target(&pool, id, "service:production/incident-a").await;
    let kinds: Vec<&str> = on_a.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "deploy.deploy intent",
            "deploy.finish success",
            "deploy.rollback intent",
            "deploy.finish success",
            "service.remove intent",
            "service.remove success",
        ]
    );
    let detail = read(&mut stage.ada, id).await;
    let last = detail.timeline.last().unwrap();
    assert_eq!(last.body, "production/incident-a removed");
    assert_eq!(detail.incident.services, ["production/incident-a"]);
}

/// Appends what `body` sends to `text` until `until` is in the new part,
/// or `time` passes.
async fn read_more(body: &mut axum::body::Body, text: &mut String, until: &str, time: u64) {
    use http_body_util::BodyExt;
    let from = text.len();
    let read = async {
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
                if !until.is_empty() && text[from..].contains(until) {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(time), read).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_note_written_by_one_person_reaches_the_open_stream_of_another(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let id = declare(&mut rita, "title=x&severity=SEV3").await;
    for path in [format!("/incidents/{id}/events"), "/incident-events".into()] {
        let (status, mut body) = vera.open_stream(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let mut text = String::new();
        read_more(&mut body, &mut text, "event: change", 10).await;
        assert!(
            text.contains("event: change"),
            "{path}: a first event at once"
        );
        // Whatever the listener's start announces, before the note.
        read_more(&mut body, &mut text, "", 1).await;
        let seen = text.len();
        let note = rita
            .post_form("/api/add_incident_note", &format!("id={id}&text=hi"))
            .await;
        assert_eq!(note.status, StatusCode::OK);
        read_more(&mut body, &mut text, "event: change", 10).await;
        assert!(
            text[seen..].contains("event: change"),
            "{path}: the note is announced"
        );
    }
    let (missing, _) = vera.open_stream("/incidents/999/events").await;
    assert_eq!(missing, StatusCode::NOT_FOUND);
}

/// Random sequences of requested moves (a fixed seed, so a failure
/// repeats): each is accepted exactly when the status machine allows it,
/// and after each the times agree with the status.
#[sqlx::test(migrations = "../migrations")]
async fn random_status_requests_are_accepted_exactly_when_the_machine_allows_them(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let id = declare(&mut rita, "title=x&severity=SEV2").await;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let (mut model, mut accepted) = (Status::Investigating, 0);
    for step in 0..60 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wanted = Status::ALL[(seed % 4) as usize];
        let reply = set_status(&mut rita, id, wanted.as_str()).await;
        if model.may_become(wanted) {
            assert_eq!(reply.status, StatusCode::OK, "step {step}: {}", reply.body);
            model = wanted;
            accepted += 1;
        } else {
            refused(&reply, "status");
        }
        let now = read(&mut rita, id).await;
        assert_eq!(now.incident.status, model, "step {step}");
        assert_eq!(
            now.incident.resolved_at.is_some(),
            model == Status::Resolved
        );
        assert_eq!(now.incident.acknowledged_at.is_some(), accepted > 0);
        assert_eq!(now.timeline.len(), 1 + accepted, "step {step}");
    }
    assert!(
        accepted >= 10,
        "the sequence moved the incident: {accepted}"
    );
}
