//! Backups on incident timelines: a service names its backup target, so a
//! backup of that target is on the timeline of every open incident that
//! affects the service, once per incident, and of no other.

use crate::support::backup::{add_target, backup_of, SourceDb};
use crate::support::deploy::create_service;
use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use app::incident::{EntryKind, IncidentDetail};
use sqlx::PgPool;

async fn declare(client: &mut Client, form: &str) -> i64 {
    let reply = client.post_form("/api/declare_incident", form).await;
    assert!(reply.ok(), "{}", reply.body);
    serde_json::from_str::<serde_json::Value>(&reply.body).unwrap()["incident"]
        .as_i64()
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_backup_of_an_affected_services_target_is_on_the_timeline_once(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let source = SourceDb::with_data("incident").await;
    let target = add_target(&s, "shop", &source.url).await;
    let mut dee = signed_in(&s, "dee", &[Role::Deployer]).await;
    for name in ["web", "worker"] {
        create_service(
            &mut dee,
            name,
            "opsdeck-test/incident",
            1,
            "&backup_target=shop",
        )
        .await;
    }
    create_service(&mut dee, "other", "opsdeck-test/incident", 1, "").await;
    let both = declare(
        &mut dee,
        "title=a&severity=SEV2&services[0]=production%2Fweb&services[1]=production%2Fworker",
    )
    .await;
    let unrelated = declare(
        &mut dee,
        "title=b&severity=SEV3&services[0]=production%2Fother",
    )
    .await;

    let backup = backup_of(&s, target).await;

    let read = |body: String| serde_json::from_str::<IncidentDetail>(&body).unwrap();
    let d = read(
        dee.post_form("/api/read_incident", &format!("id={both}"))
            .await
            .body,
    );
    let entries: Vec<_> = d
        .timeline
        .iter()
        .filter(|e| e.kind == EntryKind::Action)
        .collect();
    let bodies: Vec<&str> = entries.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "backup of backup target shop started".to_string(),
            format!("backup of backup target shop: success (backup #{backup})"),
        ],
        "start and outcome, once though two of its services share the target"
    );
    assert_eq!(entries[1].link, Some(format!("/backups/shop/{backup}")));
    assert!(entries.iter().all(|e| e.audit_event_id.is_some()));
    let none = read(
        dee.post_form("/api/read_incident", &format!("id={unrelated}"))
            .await
            .body,
    );
    assert!(none.timeline.iter().all(|e| e.kind != EntryKind::Action));
}
