//! Roles in an incident: a commander chosen at declare, handed over later,
//! a scribe replaced, responders added; each on the timeline and audited.

use crate::support::refused;
use crate::support::{create_user, dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use app::incident::{EntryKind, IncidentDetail};
use axum::http::StatusCode;
use sqlx::PgPool;

async fn assign(client: &mut Client, id: i64, role: &str, user: &str) -> crate::support::Reply {
    client
        .post_form(
            "/api/assign_incident_role",
            &format!("id={id}&role={role}&user={user}"),
        )
        .await
}

async fn read(client: &mut Client, id: i64) -> IncidentDetail {
    let reply = client
        .post_form("/api/read_incident", &format!("id={id}"))
        .await;
    serde_json::from_str(&reply.body).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_command_is_handed_over_a_scribe_replaced_and_responders_added_on_the_timeline(
    pool: PgPool,
) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    create_user(&pool, "dee", &[Role::Deployer]).await;
    create_user(&pool, "sam", &[Role::Responder]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;

    for (form, field) in [
        ("title=x&severity=SEV2&commander=vic", "commander"),
        ("title=x&severity=SEV2&commander=nobody", "commander"),
    ] {
        refused(&rita.post_form("/api/declare_incident", form).await, field);
    }
    let reply = rita
        .post_form(
            "/api/declare_incident",
            "title=x&severity=SEV2&commander=dee",
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let id = serde_json::from_str::<serde_json::Value>(&reply.body).unwrap()["incident"]
        .as_i64()
        .unwrap();
    let declared = read(&mut rita, id).await;
    assert_eq!(declared.incident.commander, "user:dee");
    assert_eq!(declared.declared_by, "user:rita");

    for (role, user) in [
        ("scribe", "rita"),
        ("scribe", "sam"),
        ("responder", "vic"),
        ("commander", "rita"),
    ] {
        let reply = assign(&mut rita, id, role, user).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{role} {user}: {}",
            reply.body
        );
    }
    refused(&assign(&mut rita, id, "responder", "vic").await, "user");
    refused(&assign(&mut rita, id, "commander", "rita").await, "user");
    refused(&assign(&mut rita, id, "scribe", "vic").await, "user");
    refused(&assign(&mut rita, id, "boss", "sam").await, "role");
    refused(&assign(&mut rita, id, "responder", "nobody").await, "user");

    let d = read(&mut rita, id).await;
    assert_eq!(d.incident.commander, "user:rita");
    assert_eq!(d.scribe.as_deref(), Some("user:sam"));
    assert_eq!(d.responders, ["user:vic"]);
    assert!(d.incident.acknowledged_at.is_some());
    let roles: Vec<&str> = d
        .timeline
        .iter()
        .filter(|e| e.kind == EntryKind::Role)
        .map(|e| e.body.as_str())
        .collect();
    assert_eq!(
        roles,
        [
            "scribe: rita",
            "scribe: rita → sam",
            "responder: vic",
            "commander: dee → rita"
        ]
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'incident.role' AND target = $1",
    )
    .bind(format!("incident:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 4, "only the accepted ones");
    let page = rita.get(&format!("/incidents/{id}")).await.body;
    assert!(page.contains("data-test=\"assign-role\""), "{page}");
}
