//! Services on a Swarm endpoint, on the single-node swarm `scripts/test`
//! makes of the local engine: the engine rolls them out, Opsdeck asks and
//! follows. Judged from outside: a client container asking the service by
//! name on the environment network, the engine's own service spec, the
//! tasks it runs.

use crate::support::deploy::{build_images, finished, started, steps};
use crate::support::probe::Probe;
use crate::support::process::Opsdeck;
use crate::support::sse::measured_replicas;
use crate::support::{refused, signed_in, state, url_of, Client};
use app::auth::Role;
use axum::http::StatusCode;
use bollard::query_parameters::{ListServicesOptionsBuilder, ListTasksOptionsBuilder};
use bollard::Docker;
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;

const CHECK: &str = "%2Fbin%2Fbusybox+wget+-q+--spider+http%3A%2F%2F127.0.0.1%3A8080%2Fhealthz";

/// Removes the test's Swarm services, task containers and overlay network
/// when dropped, even after a panic.
struct SwarmLeftovers {
    installation: String,
    network: String,
}

impl Drop for SwarmLeftovers {
    fn drop(&mut self) {
        let label = format!("opsdeck.installation={}", self.installation);
        testkit::remove_swarm_services(&label, &[self.network.clone()]);
    }
}

/// An admin adds a Swarm endpoint on the local engine and environment
/// `env` on it; a deployer saves service `env/web` (`extra`: more fields).
async fn a_swarm_service(pool: &PgPool, env: &str, extra: &str) -> (Client, SwarmLeftovers) {
    let installation: String = sqlx::query_scalar("SELECT installation_id::text FROM instance")
        .fetch_one(pool)
        .await
        .unwrap();
    let leftovers = SwarmLeftovers {
        installation,
        network: format!("opsdeck-{env}"),
    };
    let s = state(pool.clone(), &testkit::docker_host());
    let mut root = signed_in(&s, "root", &[Role::Admin]).await;
    let reply = root
        .post_form("/api/create_endpoint", "name=swarm&mode=swarm")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = root
        .post_form(
            "/api/create_environment",
            &format!("name={env}&endpoint=swarm"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    let base = format!(
        "environment={env}&name=web&image=opsdeck-test%2F{env}&port=8080&health_interval_s=1\
         &health_timeout_s=1&health_retries=2&health_start_period_s=0&replicas=2&stop_timeout_s=2\
         {extra}"
    );
    // The engine gates tasks on the container's check: an HTTP path probed
    // by Opsdeck cannot hold a Swarm task back.
    let http = ada
        .post_form(
            "/api/save_service",
            &format!("{base}&health_kind=http&health_check=%2Fhealthz"),
        )
        .await;
    refused(&http, "health_kind");
    let saved = ada
        .post_form(
            "/api/save_service",
            &format!("{base}&health_kind=command&health_check={CHECK}"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    (ada, leftovers)
}

/// What `web` answers on the environment network now, as a one-request
/// probe sees it.
async fn answer(docker: &Docker, image: &str, env: &str) -> Vec<String> {
    let probe = Probe::start(docker, image, &format!("opsdeck-{env}"), "web").await;
    probe.stop().await.pages.into_keys().collect()
}

/// The engine's services of this test's installation.
async fn engine_services(docker: &Docker, installation: &str) -> Vec<bollard::models::Service> {
    let filters = HashMap::from([(
        "label",
        vec![format!("opsdeck.installation={installation}")],
    )]);
    let options = ListServicesOptionsBuilder::default()
        .filters(&filters)
        .build();
    docker.list_services(Some(options)).await.unwrap()
}

/// The engine's service of this test and its running tasks' images.
async fn engine_side(docker: &Docker, installation: &str) -> (String, Vec<String>) {
    let services = engine_services(docker, installation).await;
    assert_eq!(services.len(), 1, "one engine service: {services:?}");
    let service = &services[0];
    let image = service
        .spec
        .as_ref()
        .and_then(|s| s.task_template.as_ref())
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let filters = HashMap::from([
        ("service", vec![service.id.clone().unwrap()]),
        ("desired-state", vec!["running".to_string()]),
    ]);
    let tasks = docker
        .list_tasks(Some(
            ListTasksOptionsBuilder::default().filters(&filters).build(),
        ))
        .await
        .unwrap();
    let images = tasks
        .into_iter()
        .filter(|t| {
            t.status.as_ref().and_then(|s| s.state) == Some(bollard::models::TaskState::RUNNING)
        })
        .filter_map(|t| t.spec?.container_spec?.image)
        .collect();
    (image, images)
}

/// The service page's replica stream lists the engine's two tasks of
/// release 1 by slot, on this node, healthy, each measured.
async fn the_replica_stream_lists_both_tasks_with_slot_node_and_usage(
    docker: &Docker,
    reader: &mut Client,
) {
    let host = docker.info().await.unwrap().name.unwrap();
    let (set, ..) = measured_replicas(reader, "/services/swarmrun/web/replicas", 2).await;
    let rows = set.as_array().unwrap();
    let slots: Vec<_> = rows.iter().map(|r| r["slot"].as_i64()).collect();
    assert_eq!(slots, vec![Some(1), Some(2)], "{set}");
    for r in rows {
        assert_eq!(r["release"], 1, "{r}");
        assert_eq!(r["state"], "running", "{r}");
        assert_eq!(r["health"], "healthy", "{r}");
        assert_eq!(r["node"], host.as_str(), "{r}");
        let name = r["name"].as_str().unwrap();
        assert!(name.starts_with("swarmrun-web-"), "{r}");
        assert!(name.ends_with(&format!(".{}", r["slot"])), "{r}");
    }
}

async fn run(
    ada: &mut Client,
    pool: &PgPool,
    path: &str,
    form: &str,
) -> (i64, String, Option<String>) {
    let d = started(&ada.post_form(path, form).await);
    let (state, reason, _) = finished(pool, d.deployment).await;
    (d.deployment, state, reason)
}

#[sqlx::test(migrations = "../migrations")]
async fn the_engine_rolls_out_rolls_back_and_scales_a_swarm_service_and_its_clients_see_no_failure(
    pool: PgPool,
) {
    let test = "swarm_rollout";
    let Some(docker) = testkit::swarm_or_skip(test).await else {
        return;
    };
    let images = build_images(&docker, "opsdeck-test/swarmrun").await;
    let (mut ada, leftovers) = a_swarm_service(&pool, "swarmrun", "").await;
    let service = "service=swarmrun%2Fweb";

    // First deploy: the engine creates the service with two healthy tasks.
    let (d1, ended, reason) =
        run(&mut ada, &pool, "/api/deploy", &format!("{service}&tag=v1")).await;
    assert_eq!(ended, "succeeded", "{reason:?}\n{}", steps(&pool, d1).await);
    let (spec_image, running) = engine_side(&docker, &leftovers.installation).await;
    assert_eq!(spec_image, images[0], "pinned by image id");
    assert_eq!(running, vec![images[0].clone(), images[0].clone()]);
    assert_eq!(
        answer(&docker, &images[0], "swarmrun").await,
        vec!["hello from v1"]
    );
    the_replica_stream_lists_both_tasks_with_slot_node_and_usage(&docker, &mut ada).await;

    // v2 while a client on the environment network asks `web` every 100 ms.
    let probe = Probe::start(&docker, &images[0], "opsdeck-swarmrun", "web").await;
    let (d2, ended, reason) =
        run(&mut ada, &pool, "/api/deploy", &format!("{service}&tag=v2")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen = probe.stop().await;
    println!(
        "PROBE Swarm v1→v2 rollout, 2 tasks: {} requests, {} failed, {:.1} s, pages {:?}",
        seen.requests, seen.failures, seen.seconds, seen.pages
    );
    let log = steps(&pool, d2).await;
    assert_eq!(ended, "succeeded", "{reason:?}\n{log}");
    assert!(seen.requests >= 20, "{seen:?}");
    assert_eq!(seen.failures, 0, "{seen:?}\n{log}");
    assert!(seen.pages.contains_key("hello from v2"), "{seen:?}");
    assert!(log.contains("update completed"), "{log}");
    assert!(log.contains("(new,"), "each task's state is a step:\n{log}");

    // v3 fails its health check: the engine rolls back, and says so; no
    // client ever sees v3.
    let probe = Probe::start(&docker, &images[0], "opsdeck-swarmrun", "web").await;
    let (d3, ended, reason) =
        run(&mut ada, &pool, "/api/deploy", &format!("{service}&tag=v3")).await;
    let seen = probe.stop().await;
    let log = steps(&pool, d3).await;
    assert_eq!(ended, "rolled_back", "{reason:?}\n{log}");
    let reason = reason.unwrap_or_default();
    assert!(
        reason.contains("the engine rolled the update back: update rolled back due to failure"),
        "{reason}"
    );
    assert!(
        reason.contains("unhealthy container"),
        "the task's own error: {reason}"
    );
    assert!(!seen.pages.contains_key("hello from v3"), "{seen:?}");
    assert_eq!(seen.failures, 0, "{seen:?}\n{log}");
    assert_eq!(
        answer(&docker, &images[0], "swarmrun").await,
        vec!["hello from v2"]
    );

    // Rollback to release 1 runs exactly its image.
    let (d4, ended, reason) = run(
        &mut ada,
        &pool,
        "/api/rollback",
        &format!("{service}&release=1"),
    )
    .await;
    assert_eq!(ended, "succeeded", "{reason:?}\n{}", steps(&pool, d4).await);
    let (spec_image, running) = engine_side(&docker, &leftovers.installation).await;
    assert_eq!(spec_image, images[0]);
    assert_eq!(running, vec![images[0].clone(), images[0].clone()]);
    assert_eq!(
        answer(&docker, &images[0], "swarmrun").await,
        vec!["hello from v1"]
    );

    // Scale 2 → 1 (3 → 1 in the words: up, then down).
    for (n, expected) in [(3, 3), (1, 1)] {
        let (d, ended, reason) = run(
            &mut ada,
            &pool,
            "/api/scale",
            &format!("{service}&replicas={n}"),
        )
        .await;
        assert_eq!(ended, "succeeded", "{reason:?}\n{}", steps(&pool, d).await);
        let (_, running) = engine_side(&docker, &leftovers.installation).await;
        assert_eq!(running.len(), expected, "{running:?}");
    }

    // A second Opsdeck process on the same database sees the same service
    // (live release 1, one healthy task, from its own look at the engine)
    // and can act on it: it removes it, and the engine's service goes.
    let dir = tempfile::tempdir().unwrap();
    let other = Opsdeck::start(&url_of(&pool).await, dir.path(), &dir.path().join("o.log"));
    other.ready().await;
    let http = other.sign_in("ada").await;
    let mut seen = None;
    for _ in 0..40 {
        let body = other.post(&http, "/api/read_service", service).await;
        let detail: app::deploy::ServiceDetail = serde_json::from_str(&body).unwrap();
        let summary = &detail.summary;
        seen = Some((
            detail.swarm,
            summary.live.as_ref().map(|r| r.number),
            summary.desired,
            summary.healthy,
        ));
        if summary.healthy == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(seen, Some((true, Some(1), 1, Some(1))));
    let confirm = format!("{service}&confirm=swarmrun%2Fweb");
    other.post(&http, "/api/remove_service", &confirm).await;
    let left = engine_services(&docker, &leftovers.installation).await;
    assert!(left.is_empty(), "{left:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn endpoints_say_which_engine_can_run_swarm_services_and_only_swarm_services_publish_ports(
    pool: PgPool,
) {
    let test = "swarm_endpoints";
    let Some(_docker) = testkit::swarm_or_skip(test).await else {
        return;
    };
    let s = state(pool.clone(), &testkit::docker_host());
    let mut root = signed_in(&s, "root", &[Role::Admin]).await;
    // A Swarm endpoint on an engine that is no manager is refused, naming
    // the mode; an engine that does not answer too.
    let reply = root
        .post_form(
            "/api/create_endpoint",
            "name=far&mode=swarm&url=tcp%3A%2F%2F127.0.0.1%3A9",
        )
        .await;
    let why = refused(&reply, "mode");
    assert!(why.contains("cannot run Swarm services"), "{why}");
    let reply = root
        .post_form("/api/create_endpoint", "name=odd&mode=kubernetes")
        .await;
    refused(&reply, "mode");
    let reply = root
        .post_form("/api/create_endpoint", "name=swarm&mode=swarm")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let list = root.post_form("/api/list_endpoints", "").await;
    let endpoints: Vec<app::deploy::EndpointView> = serde_json::from_str(&list.body).unwrap();
    for e in &endpoints {
        // Both endpoints are the same engine, which is in a swarm.
        let swarm = e.swarm.as_ref().unwrap_or_else(|| panic!("{e:?}"));
        assert!(swarm.manager, "{e:?}");
        assert_eq!(swarm.nodes.len(), 1, "{e:?}");
        assert_eq!(swarm.nodes[0].state, "ready", "{e:?}");
        assert!(swarm.nodes[0].role.contains("leader"), "{e:?}");
    }
    let mode = |n: &str| endpoints.iter().find(|e| e.name == n).unwrap().mode.clone();
    assert_eq!(
        (mode("local"), mode("swarm")),
        ("standalone".into(), "swarm".into())
    );

    // `/ready` gives administrators the same, every endpoint asked now;
    // other readers get no endpoints.
    let ready: serde_json::Value = serde_json::from_str(&root.get("/ready").await.body).unwrap();
    let listed = ready["endpoints"]
        .as_array()
        .unwrap_or_else(|| panic!("{ready}"));
    assert_eq!(listed.len(), 2, "{ready}");
    assert!(listed.iter().all(|e| e["reachable"] == true), "{ready}");
    assert!(
        listed
            .iter()
            .all(|e| e["swarm"]["nodes"][0]["state"] == "ready"),
        "{ready}"
    );
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let ready: serde_json::Value = serde_json::from_str(&vera.get("/ready").await.body).unwrap();
    assert!(
        ready["database"].is_object() && ready.get("endpoints").is_none(),
        "{ready}"
    );

    // A standalone environment cannot publish a port.
    let mut ada = signed_in(&s, "ada", &[Role::Deployer]).await;
    let form = "environment=production&name=web&image=opsdeck-test%2Fx&port=8080&health_kind=http\
        &health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1&health_retries=2\
        &health_start_period_s=0&replicas=1&stop_timeout_s=1&published_port=18080";
    let why = refused(
        &ada.post_form("/api/save_service", form).await,
        "published_port",
    );
    assert!(why.contains("reverse proxy"), "{why}");
    // Two Swarm services cannot publish one port.
    let reply = root
        .post_form("/api/create_environment", "name=swarmed&endpoint=swarm")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for (name, field) in [("one", None), ("two", Some("published_port"))] {
        let form = format!(
            "environment=swarmed&name={name}&image=opsdeck-test%2Fx&port=8080&health_kind=command\
             &health_check={CHECK}&health_interval_s=1&health_timeout_s=1&health_retries=2\
             &health_start_period_s=0&replicas=1&stop_timeout_s=1&published_port=18080"
        );
        let reply = ada.post_form("/api/save_service", &form).await;
        match field {
            None => assert_eq!(reply.status, StatusCode::OK, "{}", reply.body),
            Some(f) => {
                let why = refused(&reply, f);
                assert!(why.contains("swarmed/one"), "{why}");
            }
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_published_port_goes_to_the_engine_as_an_ingress_port_of_the_service(pool: PgPool) {
    // Whether the port then answers is the routing mesh's work, balanced by
    // the kernel's IPVS; this machine's kernel has none (dockerd: "ipvs is
    // not enabled in your kernel"), so what is checked is what the engine
    // was asked for and accepted, and that the release runs.
    let Some(docker) = testkit::swarm_or_skip("swarm_published").await else {
        return;
    };
    build_images(&docker, "opsdeck-test/swarmpub").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (mut ada, leftovers) =
        a_swarm_service(&pool, "swarmpub", &format!("&published_port={port}")).await;
    let (d, ended, reason) = run(
        &mut ada,
        &pool,
        "/api/deploy",
        "service=swarmpub%2Fweb&tag=v1",
    )
    .await;
    assert_eq!(ended, "succeeded", "{reason:?}\n{}", steps(&pool, d).await);
    let services = engine_services(&docker, &leftovers.installation).await;
    let endpoint = services[0].endpoint.clone().unwrap_or_default();
    let ports = endpoint.ports.unwrap_or_default();
    assert_eq!(ports.len(), 1, "{ports:?}");
    assert_eq!(
        (ports[0].published_port, ports[0].target_port),
        (Some(i64::from(port)), Some(8080))
    );
    assert_eq!(
        ports[0].publish_mode,
        Some(bollard::models::EndpointPortConfigPublishModeEnum::INGRESS)
    );
    let page = app::deploy::ssr::read::read_service(
        &state(pool.clone(), &testkit::docker_host()),
        "swarmpub/web",
    )
    .await
    .unwrap();
    assert_eq!(page.config.published_port, Some(i32::from(port)));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_swarm_update_left_by_a_killed_opsdeck_is_put_back_on_the_live_release(pool: PgPool) {
    let Some(docker) = testkit::swarm_or_skip("swarm_kill_9").await else {
        return;
    };
    let images = build_images(&docker, "opsdeck-test/swarmkill").await;
    let (mut ada, leftovers) = a_swarm_service(&pool, "swarmkill", "").await;
    let service = "service=swarmkill%2Fweb";
    let (d1, ended, reason) =
        run(&mut ada, &pool, "/api/deploy", &format!("{service}&tag=v1")).await;
    assert_eq!(ended, "succeeded", "{reason:?}\n{}", steps(&pool, d1).await);

    // A real process asks the engine for v2 and dies while it follows.
    let dir = tempfile::tempdir().unwrap();
    let mut first = Opsdeck::start(&url_of(&pool).await, dir.path(), &dir.path().join("f.log"));
    first.ready().await;
    let http = first.sign_in("ada").await;
    let body = first
        .post(&http, "/api/deploy", &format!("{service}&tag=v2"))
        .await;
    let v2: app::deploy::DeploymentStarted = serde_json::from_str(&body).unwrap();
    for _ in 0..120 {
        if steps(&pool, v2.deployment)
            .await
            .contains("updating Swarm service")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.kill_9();

    // The reconciler finds the deployment abandoned and asks the engine for
    // the live release again.
    let s = state(pool.clone(), &testkit::docker_host());
    assert_eq!(
        app::deploy::ssr::reconcile::reconcile_once(&s)
            .await
            .unwrap(),
        1
    );
    let (state, reason, _) = finished(&pool, v2.deployment).await;
    assert_eq!(
        state,
        "interrupted",
        "{}",
        steps(&pool, v2.deployment).await
    );
    assert!(reason
        .unwrap_or_default()
        .contains("returned to its live release"));
    let (spec_image, running) = engine_side(&docker, &leftovers.installation).await;
    assert_eq!(spec_image, images[0]);
    assert_eq!(running, vec![images[0].clone(), images[0].clone()]);
    assert_eq!(
        answer(&docker, &images[0], "swarmkill").await,
        vec!["hello from v1"]
    );
}
