//! Suspected causes: a deployment of an affected service linked to the
//! incident, when declaring or later; stored, audited, on the timeline and
//! on the page; the declare form's list of recent changes.

use crate::support::deploy::{create_service, Stage};
use crate::support::refused;
use app::incident::{EntryKind, IncidentDetail, RecentChange};
use axum::http::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn a_recent_deployment_is_linked_as_suspected_cause_when_declaring_and_later(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "incident-cause", 1, "").await else {
        return;
    };
    create_service(
        &mut stage.ada,
        "incident-other",
        "opsdeck-test/incident-cause",
        1,
        "",
    )
    .await;
    let (first, _) = stage.deploy_and_wait("v1").await;
    let (second, _) = stage.deploy_and_wait("v2").await;

    let reply = stage.ada.post_form("/api/list_recent_changes", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let recent: Vec<RecentChange> = serde_json::from_str(&reply.body).unwrap();
    let ids: Vec<i64> = recent.iter().map(|r| r.change.deployment).collect();
    assert_eq!(ids, [second.deployment, first.deployment], "newest first");
    assert_eq!(
        recent[0].change.describe(),
        format!(
            "deploy of production/incident-cause to release #2 (deployment #{})",
            second.deployment
        )
    );

    // Not a change of a chosen service: refused, nothing declared.
    let elsewhere = format!(
        "title=x&severity=SEV2&services[0]=production%2Fincident-other&suspected={}",
        second.deployment
    );
    let why = refused(
        &stage
            .ada
            .post_form("/api/declare_incident", &elsewhere)
            .await,
        "suspected",
    );
    assert!(why.contains("does not affect"), "{why}");
    refused(
        &stage
            .ada
            .post_form(
                "/api/declare_incident",
                "title=x&severity=SEV2&suspected=v2",
            )
            .await,
        "suspected",
    );
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM incident")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(none, 0);

    let form = format!(
        "title=errors&severity=SEV2&services[0]=production%2Fincident-cause&suspected={}",
        second.deployment
    );
    let reply = stage.ada.post_form("/api/declare_incident", &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let id = serde_json::from_str::<serde_json::Value>(&reply.body).unwrap()["incident"]
        .as_i64()
        .unwrap();
    let read = |body: &str| serde_json::from_str::<IncidentDetail>(body).unwrap();
    let detail = read(
        &stage
            .ada
            .post_form("/api/read_incident", &format!("id={id}"))
            .await
            .body,
    );
    assert_eq!(detail.suspected.len(), 1);
    assert_eq!(detail.suspected[0].change.deployment, second.deployment);
    assert_eq!(detail.suspected[0].linked_by, "user:ada");
    assert_eq!(
        detail.incident.acknowledged_at, None,
        "declaring is not acknowledging"
    );
    let cause = detail
        .timeline
        .iter()
        .find(|e| e.kind == EntryKind::Cause)
        .expect("on the timeline");
    assert_eq!(
        cause.link,
        Some(format!("/deployments/{}", second.deployment))
    );
    let action: String = sqlx::query_scalar("SELECT action FROM audit_event WHERE id = $1")
        .bind(cause.audit_event_id.unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(action, "incident.link_deployment");

    let link = |d: i64| format!("id={id}&deployment={d}");
    let again = stage
        .ada
        .post_form("/api/link_incident_deployment", &link(second.deployment))
        .await;
    assert!(refused(&again, "deployment").contains("already"));
    refused(
        &stage
            .ada
            .post_form("/api/link_incident_deployment", &link(999_999))
            .await,
        "deployment",
    );
    let ok = stage
        .ada
        .post_form("/api/link_incident_deployment", &link(first.deployment))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let detail = read(
        &stage
            .ada
            .post_form("/api/read_incident", &format!("id={id}"))
            .await
            .body,
    );
    let linked: Vec<i64> = detail
        .suspected
        .iter()
        .map(|c| c.change.deployment)
        .collect();
    assert_eq!(linked, [second.deployment, first.deployment]);
    assert!(
        detail.incident.acknowledged_at.is_some(),
        "linking later acknowledges"
    );
    let page = stage.ada.get(&format!("/incidents/{id}")).await.body;
    assert_eq!(
        page.matches("data-test=\"suspected-cause\"").count(),
        2,
        "{page}"
    );
}
