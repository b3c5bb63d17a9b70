//! The services list as a viewer reads it: each row's live release, last
//! deployment and healthy replicas belong to that service (they are read
//! for all services at once), and the healthy count follows the engine.

use crate::support::deploy::*;
use crate::support::{signed_in, Client};
use app::auth::Role;
use app::deploy::{DeploymentState, ServiceSummary};
use sqlx::PgPool;
use std::time::{Duration, Instant};

async fn listed(vera: &mut Client) -> Vec<ServiceSummary> {
    let reply = vera.post_form("/api/list_services", "").await;
    assert_eq!(reply.status, axum::http::StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

fn row<'a>(list: &'a [ServiceSummary], name: &str) -> &'a ServiceSummary {
    list.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} not listed: {list:?}"))
}

#[sqlx::test(migrations = "../migrations")]
async fn each_row_shows_its_own_live_release_last_deployment_and_healthy_replicas(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "listed", 2, "&drain_s=0").await else {
        return;
    };
    let image = stage.images[0].rsplit_once(':').unwrap().0.to_string();
    create_service(&mut stage.ada, "idle", &image, 1, "&drain_s=0").await;
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let (v2, ended) = stage.deploy_and_wait("v2").await;
    assert_eq!(ended.0, "succeeded");

    let mut vera = signed_in(&stage.state, "vera", &[Role::Viewer]).await;
    let list = listed(&mut vera).await;
    let (listed_one, idle) = (row(&list, "listed"), row(&list, "idle"));
    assert_eq!(listed_one.live.as_ref().map(|r| r.tag.as_str()), Some("v2"));
    let last = listed_one.last.as_ref().expect("a last deployment");
    assert_eq!(
        (last.id, last.state),
        (v2.deployment, DeploymentState::Succeeded)
    );
    assert_eq!(listed_one.healthy, Some(2));
    assert_eq!(
        (idle.live.is_none(), idle.last.is_none()),
        (true, true),
        "{idle:?}"
    );
    assert_eq!(idle.healthy, Some(0));

    // A replica dies: the list says so within a few look periods.
    let (name, ..) = stage
        .containers()
        .await
        .into_iter()
        .find(|(_, _, running, _)| *running)
        .expect("a running replica");
    stage
        .docker
        .kill_container(
            name.trim_start_matches('/'),
            None::<bollard::query_parameters::KillContainerOptions>,
        )
        .await
        .unwrap();
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let healthy = row(&listed(&mut vera).await, "listed").healthy;
        if healthy == Some(1) {
            break;
        }
        assert!(
            Instant::now() < end,
            "still {healthy:?} healthy after a kill"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
