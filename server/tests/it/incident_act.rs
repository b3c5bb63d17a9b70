//! Acting from the incident's page: each affected service with its live
//! release and health, and the service page's own rollback (the `rollback`
//! server fn, the same fields) for those who may deploy; its result lands
//! on the timeline by the automatic path.

use crate::support::deploy::{finished, started, Stage};
use crate::support::signed_in;
use app::auth::Role;
use app::incident::{EntryKind, IncidentDetail};
use axum::http::StatusCode;
use sqlx::PgPool;

/// The `<form>` around the incident page's rollback button, as sent.
fn rollback_form(page: &str) -> &str {
    let button = page
        .find("data-test=\"incident-rollback\"")
        .expect("a rollback button");
    let start = page[..button].rfind("<form").expect("inside a form");
    &page[start..button]
}

/// The text of the first element marked `data-test="<test>"`.
fn text_of<'a>(page: &'a str, test: &str) -> &'a str {
    let at = page
        .find(&format!("data-test=\"{test}\""))
        .unwrap_or_else(|| panic!("{test} in {page}"));
    let open = at + page[at..].find('>').unwrap() + 1;
    &page[open..open + page[open..].find('<').unwrap()]
}

#[sqlx::test(migrations = "../migrations")]
async fn a_deployer_rolls_an_affected_service_back_from_the_incident_and_the_timeline_shows_it(
    pool: PgPool,
) {
    let Some(mut stage) = Stage::new(&pool, "incident-act", 1, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    assert_eq!(stage.deploy_and_wait("v2").await.1 .0, "succeeded");
    let declared = stage
        .ada
        .post_form(
            "/api/declare_incident",
            "title=errors&severity=SEV2&services[0]=production%2Fincident-act",
        )
        .await;
    assert_eq!(declared.status, StatusCode::OK, "{}", declared.body);
    let id = serde_json::from_str::<serde_json::Value>(&declared.body).unwrap()["incident"]
        .as_i64()
        .unwrap();

    let page = stage.ada.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert_eq!(text_of(body, "affected-live"), "#2 (v2)");
    assert_eq!(text_of(body, "replicas"), "1 / 1");
    let form = rollback_form(body);
    for field in [
        "action=\"/api/rollback\"",
        "name=\"service\" value=\"production/incident-act\"",
        "name=\"release\" value=\"1\"",
    ] {
        assert!(form.contains(field), "{field} in {form}");
    }

    // What that form sends, as the browser sends it.
    let reply = stage
        .ada
        .post_form(
            "/api/rollback",
            "service=production%2Fincident-act&release=1&skip_backup=&skip_reason=",
        )
        .await;
    let d = started(&reply);
    assert_eq!(finished(&pool, d.deployment).await.0, "succeeded");
    let read = stage
        .ada
        .post_form("/api/read_incident", &format!("id={id}"))
        .await;
    let detail: IncidentDetail = serde_json::from_str(&read.body).unwrap();
    let link = format!("/deployments/{}", d.deployment);
    let actions: Vec<&str> = detail
        .timeline
        .iter()
        .filter(|e| e.kind == EntryKind::Action && e.link.as_deref() == Some(link.as_str()))
        .map(|e| e.body.as_str())
        .collect();
    assert_eq!(actions.len(), 2, "{:#?}", detail.timeline);
    assert!(
        actions[0].starts_with("rollback of production/incident-act started"),
        "{}",
        actions[0]
    );
    assert!(actions[1].contains("ended succeeded"), "{}", actions[1]);

    let after = stage.ada.get(&format!("/incidents/{id}")).await.body;
    assert_eq!(text_of(&after, "affected-live"), "#1 (v1)");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_responder_sees_the_rollback_disabled_with_the_reason_and_cannot_call_it(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "incident-noact", 1, "").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    assert_eq!(stage.deploy_and_wait("v2").await.1 .0, "succeeded");
    let mut rita = signed_in(&stage.state, "rita", &[Role::Responder]).await;
    let declared = rita
        .post_form(
            "/api/declare_incident",
            "title=errors&severity=SEV2&services[0]=production%2Fincident-noact",
        )
        .await;
    let id = serde_json::from_str::<serde_json::Value>(&declared.body).unwrap()["incident"]
        .as_i64()
        .unwrap();
    let page = rita.get(&format!("/incidents/{id}")).await.body;
    assert!(page.contains("needs the deploy permission"), "{page}");
    assert!(!page.contains("action=\"/api/rollback\""), "{page}");
    let refused = rita
        .post_form(
            "/api/rollback",
            "service=production%2Fincident-noact&release=1",
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
