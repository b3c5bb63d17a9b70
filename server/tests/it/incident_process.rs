//! The timeline is written by the database, not by the process that acted:
//! a deploy made through a second Opsdeck process on the same database
//! lands on the incident declared through this one.

use crate::support::deploy::{build_images, finished, Containers};
use crate::support::process::Opsdeck;
use crate::support::{create_user, signed_in, state, url_of};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn a_deploy_by_a_second_opsdeck_process_lands_on_the_incident_timeline(pool: PgPool) {
    let Some(docker) = testkit::docker_or_skip("incident_second_process").await else {
        return;
    };
    let _guard = Containers::of(&pool).await;
    build_images(&docker, "opsdeck-test/elsewhere").await;
    create_user(&pool, "ada", &[Role::Deployer]).await;
    let dir = tempfile::tempdir().unwrap();
    let other = Opsdeck::start(
        &url_of(&pool).await,
        dir.path(),
        &dir.path().join("other.log"),
    );
    other.ready().await;
    let http = other.sign_in("ada").await;
    let service = "environment=production&name=elsewhere&image=opsdeck-test%2Felsewhere&port=8080\
        &health_kind=http&health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1\
        &health_retries=2&health_start_period_s=0&stop_timeout_s=1&replicas=1&drain_s=0";
    other.post(&http, "/api/save_service", service).await;

    // Declared here, in this test's own process.
    let s = state(pool.clone(), &testkit::docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let declared = rita
        .post_form(
            "/api/declare_incident",
            "title=Elsewhere+down&severity=SEV2&services[0]=production%2Felsewhere&summary=x",
        )
        .await;
    assert_eq!(declared.status, StatusCode::OK, "{}", declared.body);
    let incident: app::incident::IncidentDeclared = serde_json::from_str(&declared.body).unwrap();

    let started: app::deploy::DeploymentStarted = serde_json::from_str(
        &other
            .post(&http, "/api/deploy", "service=production/elsewhere&tag=v1")
            .await,
    )
    .unwrap();
    assert_eq!(finished(&pool, started.deployment).await.0, "succeeded");

    let entries: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT details->>'action', details->>'outcome', actor FROM incident_entry
         WHERE incident_id = $1 AND kind = 'action' ORDER BY id",
    )
    .bind(incident.incident)
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected = [("deploy.deploy", "intent"), ("deploy.finish", "success")];
    let found: Vec<(&str, &str)> = entries
        .iter()
        .map(|(a, o, _)| (a.as_str(), o.as_str()))
        .collect();
    assert_eq!(found, expected, "{entries:?}");
    assert!(
        entries.iter().all(|(.., actor)| actor == "user:ada"),
        "{entries:?}"
    );
}
