//! A Swarm endpoint from the browser: an admin adds it and an environment
//! on it, a deployer's service runs there as a Swarm service, and its page
//! shows the engine's tasks with live usage.

use end2end::steps::*;
use end2end::{browser_and_server, eventually, scenario, Server};
use fantoccini::Client;

const ENV: &str = "e2eswarm";

/// The test's Swarm services, their task containers and the overlay
/// network go when the test ends, even after a panic.
struct SwarmServices;

impl Drop for SwarmServices {
    fn drop(&mut self) {
        let label = format!("opsdeck.service.name={ENV}/web");
        testkit::remove_swarm_services(&label, &[format!("opsdeck-{ENV}")]);
    }
}

async fn add_swarm_endpoint_and_environment(c: &Client, server: &Server) {
    c.goto(&server.url("/admin/endpoints")).await.unwrap();
    wait_until_hydrated(c).await;
    let form = "[data-test=create-endpoint]";
    set_at(c, &format!("{form} input[name=name]"), "swarm").await;
    choose(c, "mode", "swarm").await;
    click(c, &format!("{form} button")).await;
    let swarm = eventually("the swarm endpoint listed", WAIT, || async {
        let row = text_of(c, "[data-test=endpoint-swarm]").await?;
        let all = text_of(c, "[data-test=endpoints-table]").await?;
        all.contains("Swarm services").then_some(row)
    })
    .await;
    assert!(
        swarm.contains("manager, 1 node(s)") && swarm.contains("ready"),
        "{swarm}"
    );
    let env_form = "[data-test=create-environment]";
    set_at(c, &format!("{env_form} input[name=name]"), ENV).await;
    choose(c, "endpoint", "swarm").await;
    click(c, &format!("{env_form} button")).await;
    let envs = eventually("the environment listed", WAIT, || async {
        let t = text_of(c, "[data-test=environments-table]").await?;
        t.contains(ENV).then_some(t)
    })
    .await;
    assert!(envs.contains("swarm (Swarm)"), "{envs}");
    // An island page (`app::ISLAND_PAGES`): both forms and tables are the
    // islands bundle's work.
    end2end::diagnose::assert_only_islands_fetched(c, "the endpoints page").await;
}

async fn create_service(c: &Client, server: &Server) {
    c.goto(&server.url("/services/new")).await.unwrap();
    wait_until_hydrated(c).await;
    choose(c, "environment", ENV).await;
    set(c, "name", "web").await;
    set(c, "image", "opsdeck-e2e/swarm").await;
    set(c, "replicas", "2").await;
    choose(c, "health_kind", "command").await;
    set(
        c,
        "health_check",
        "/bin/busybox wget -q --spider http://127.0.0.1:8080/healthz",
    )
    .await;
    set(c, "health_interval_s", "1").await;
    set(c, "health_timeout_s", "1").await;
    set(c, "stop_timeout_s", "1").await;
    click(c, "[data-test=service-save]").await;
    wait_for_path(c, &format!("/services/{ENV}/web")).await;
}

#[tokio::test]
async fn a_service_on_a_swarm_endpoint_deploys_from_the_browser_and_shows_its_tasks_live() {
    let test = "swarm_in_browser";
    let Some(docker) = testkit::swarm_or_skip(test).await else {
        return;
    };
    let _services = SwarmServices;
    build_healthy_images(&docker, "opsdeck-e2e/swarm", &[("v1", "hello from v1\n")]).await;
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        add_swarm_endpoint_and_environment(&c, &server).await;
        create_service(&c, &server).await;
        let top = wait_for_text(&c, "[data-test=service-name] + p").await;
        assert!(top.contains("endpoint swarm (Swarm)"), "{top}");
        wait_until_hydrated(&c).await;
        set(&c, "tag", "v1").await;
        click(&c, "[data-test=deploy-submit]").await;
        wait_for_path(&c, "/deployments/1").await;
        assert_eq!(wait_for_deployment_end(&c).await, "succeeded");
        let steps = wait_for_text(&c, "[data-test=steps]").await;
        assert!(steps.contains("creating Swarm service"), "{steps}");
        assert!(
            steps.contains("task(s) of the release running and healthy"),
            "{steps}"
        );

        click(&c, "[data-test=deployment-service]").await;
        wait_for_path(&c, &format!("/services/{ENV}/web")).await;
        wait_until_hydrated(&c).await;
        // The engine's two tasks, each with its health and usage, pushed.
        let memory = replicas_measured(&c, 2).await;
        assert!(memory.iter().all(|m| m.contains("B of ")), "{memory:?}");
        let tasks = wait_for_text(&c, "[data-test=replica-table]").await;
        assert!(
            tasks.matches("#1").count() == 2 && tasks.matches("healthy").count() == 2,
            "{tasks}"
        );
        // Tasks by slot, each with the node that runs it.
        assert!(tasks.to_lowercase().contains("node"), "{tasks}");
        assert!(
            tasks.contains("e2eswarm-web-") && tasks.contains(".1") && tasks.contains(".2"),
            "{tasks}"
        );
        let node = text_of(&c, "[data-test=replica-node]").await.unwrap();
        assert!(!node.trim().is_empty() && node.trim() != "—", "{node:?}");
        keep_screenshot(&c, "swarm-service-page").await;
    })
    .await;
}
