//! Correcting when the impact began (the first time kept, audited, on the
//! timeline) and pinning entries as key moments (audited, shown).

use crate::support::incident::audited;
use crate::support::refused;
use crate::support::{dead_docker_host, signed_in, state};
use app::auth::Role;
use app::incident::{EntryKind, IncidentDetail};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn a_corrected_start_keeps_the_first_and_pinned_entries_are_key_moments(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let reply = rita
        .post_form("/api/declare_incident", "title=x&severity=SEV3")
        .await;
    let id = serde_json::from_str::<serde_json::Value>(&reply.body).unwrap()["incident"]
        .as_i64()
        .unwrap();
    let read = |body: String| serde_json::from_str::<IncidentDetail>(&body).unwrap();
    let first = read(
        rita.post_form("/api/read_incident", &format!("id={id}"))
            .await
            .body,
    );

    let earlier = (Utc::now() - Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let later = (Utc::now() + Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let set = |t: &str| format!("id={id}&started_at={t}");
    for bad in [later.as_str(), "yesterday", ""] {
        refused(
            &rita
                .post_form("/api/set_incident_started_at", &set(bad))
                .await,
            "started_at",
        );
    }
    let ok = rita
        .post_form("/api/set_incident_started_at", &set(&earlier))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let d = read(
        rita.post_form("/api/read_incident", &format!("id={id}"))
            .await
            .body,
    );
    assert_eq!(
        d.incident.started_at.format("%Y-%m-%dT%H:%M").to_string(),
        earlier
    );
    assert_eq!(
        d.incident.original_started_at,
        Some(first.incident.started_at),
        "the first kept"
    );
    assert_eq!(d.incident.declared_at, first.incident.declared_at);
    let entry = d
        .timeline
        .iter()
        .find(|e| e.kind == EntryKind::Started)
        .expect("on the timeline");
    assert!(entry.body.starts_with("impact began: "), "{}", entry.body);
    assert_eq!(audited(&pool, id, "incident.started_at").await, 1);
    let page = rita.get(&format!("/incidents/{id}")).await.body;
    assert!(page.contains("(corrected; first recorded "), "{page}");

    let declared = d.timeline[0].id;
    let pin = |entry: i64, on: bool| format!("id={id}&entry={entry}&pinned={on}");
    let ok = rita
        .post_form("/api/pin_incident_entry", &pin(declared, true))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let d = read(
        rita.post_form("/api/read_incident", &format!("id={id}"))
            .await
            .body,
    );
    let pinned: Vec<bool> = d.timeline.iter().map(|e| e.pinned).collect();
    assert_eq!(pinned, [true, false]);
    let page = rita.get(&format!("/incidents/{id}")).await.body;
    assert_eq!(page.matches("data-test=\"entry-pinned\"").count(), 1);
    rita.post_form("/api/pin_incident_entry", &pin(declared, false))
        .await;
    let d = read(
        rita.post_form("/api/read_incident", &format!("id={id}"))
            .await
            .body,
    );
    assert!(d.timeline.iter().all(|e| !e.pinned));
    assert_eq!(audited(&pool, id, "incident.pin").await, 2);

    let other = rita
        .post_form("/api/declare_incident", "title=y&severity=SEV3")
        .await;
    let other = serde_json::from_str::<serde_json::Value>(&other.body).unwrap()["incident"]
        .as_i64()
        .unwrap();
    let wrong = format!("id={other}&entry={declared}&pinned=true");
    let missing = rita.post_form("/api/pin_incident_entry", &wrong).await;
    assert_eq!(
        missing.status,
        StatusCode::NOT_FOUND,
        "an entry of another incident"
    );
}
