//! Deploying from the browser: create a service, deploy a tag and watch its
//! steps arrive on the deployment page without reloading, then roll back
//! from the history with one click.

use end2end::steps::*;
use end2end::{browser_and_server, eventually, scenario, Server};
use fantoccini::{Client, Locator};

const SERVICE: &str = "e2eweb";

async fn step_count(c: &Client) -> usize {
    c.find_all(Locator::Css("[data-test=steps] [data-test=step]"))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

async fn create_service(c: &Client, server: &Server) {
    c.goto(&server.url("/services/new")).await.unwrap();
    wait_until_hydrated(c).await;
    set(c, "name", SERVICE).await;
    set(c, "image", "opsdeck-e2e/web").await;
    set(c, "replicas", "2").await;
    set(c, "health_interval_s", "1").await;
    set(c, "health_timeout_s", "1").await;
    set(c, "stop_timeout_s", "1").await;
    set(c, "port", "70000").await;
    click(c, "[data-test=service-save]").await;
    // A wrong field is named next to itself, and nothing typed is lost.
    let error = wait_for_text(c, "[data-test=field-error]").await;
    assert!(error.contains("between 1 and 65535"), "{error}");
    end2end::diagnose::assert_only_islands_fetched(c, "the new service page").await;
    set(c, "port", "8080").await;
    click(c, "[data-test=service-save]").await;
    wait_for_path(c, &format!("/services/production/{SERVICE}")).await;
}

/// On the services page (an island page, which fetched the islands bundle
/// alone), a service saved by someone else shows up without a reload.
async fn a_service_saved_elsewhere_appears_on_the_list(c: &Client) {
    wait_until_hydrated(c).await;
    end2end::diagnose::assert_only_islands_fetched(c, "the services page").await;
    mark_window(c).await;
    let save = "return fetch('/api/save_service', {method: 'POST', headers: {'Content-Type': \
        'application/x-www-form-urlencoded'}, body: 'environment=production&name=e2eother\
        &image=opsdeck-e2e%2Fweb&port=8080&health_kind=http&health_check=%2F&health_interval_s=1\
        &health_timeout_s=1&health_retries=2&health_start_period_s=0&replicas=1&stop_timeout_s=1'})\
        .then(r => r.status)";
    let status = c.execute(save, vec![]).await.unwrap();
    assert_eq!(status, serde_json::json!(200), "saving a service");
    let row = wait_for_text(c, "[data-test=service-production-e2eother]").await;
    assert!(row.contains("none yet"), "{row}");
    assert!(window_still_marked(c).await, "the page reloaded");
}

async fn deploy(c: &Client, tag: &str, expect_path: &str) {
    wait_until_hydrated(c).await;
    set(c, "tag", tag).await;
    click(c, "[data-test=deploy-submit]").await;
    wait_for_path(c, expect_path).await;
}

#[tokio::test]
async fn a_deploy_from_the_browser_streams_its_steps_and_history_rolls_back() {
    let test = "deploy_in_browser";
    let Some(docker) = testkit::docker_or_skip(test).await else {
        return;
    };
    let _replicas = ReplicasOf(SERVICE);
    let pages = [("v1", "hello from v1\n"), ("v2", "hello from v2\n")];
    build_healthy_images(&docker, "opsdeck-e2e/web", &pages).await;
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        create_service(&c, &server).await;
        deploy(&c, "v1", "/deployments/1").await;
        assert_eq!(wait_for_deployment_end(&c).await, "succeeded");

        click(&c, "[data-test=deployment-service]").await;
        wait_for_path(&c, &format!("/services/production/{SERVICE}")).await;
        wait_until_hydrated(&c).await;
        end2end::diagnose::assert_only_islands_fetched(&c, "the service page").await;
        deploy(&c, "v2", "/deployments/2").await;
        // The service page loads the deployment's page, which follows it.
        wait_until_hydrated(&c).await;
        mark_window(&c).await;
        let at_arrival = step_count(&c).await;
        assert_eq!(wait_for_deployment_end(&c).await, "succeeded");
        let steps = wait_for_text(&c, "[data-test=steps]").await;
        assert!(steps.contains("release #2 is live"), "{steps}");
        let at_end = step_count(&c).await;
        assert!(
            at_end > at_arrival,
            "steps arrived live: {at_arrival} then {at_end}"
        );
        assert!(window_still_marked(&c).await, "the page reloaded");
        keep_screenshot(&c, "deployment-page").await;

        click(&c, "[data-test=deployment-service]").await;
        wait_for_path(&c, &format!("/services/production/{SERVICE}")).await;
        wait_until_hydrated(&c).await;
        assert!(wait_for_text(&c, "[data-test=live-release]")
            .await
            .starts_with("#2"));
        click(&c, "[data-test=rollback-1]").await;
        wait_for_path(&c, "/deployments/3").await;
        assert_eq!(wait_for_deployment_end(&c).await, "succeeded");
        let release = wait_for_text(&c, "[data-test=deployment-release]").await;
        assert!(release.contains("release #1 v1"), "{release}");
        click(&c, "[data-test=deployment-service]").await;
        wait_for_path(&c, &format!("/services/production/{SERVICE}")).await;
        let live = wait_for_text(&c, "[data-test=live-release]").await;
        assert!(live.starts_with("#1 v1"), "{live}");
        // Each replica with its health and usage, pushed by the engine.
        let memory = replicas_measured(&c, 2).await;
        assert!(memory.iter().all(|m| m.contains("B of ")), "{memory:?}");
        let replicas = wait_for_text(&c, "[data-test=replica-table]").await;
        assert!(
            replicas.matches("#1").count() == 2 && replicas.matches("healthy").count() == 2,
            "{replicas}"
        );
        let history = wait_for_text(&c, "[data-test=deployments-table]").await;
        assert!(history.contains("rollback"), "{history}");
        keep_screenshot(&c, "service-page").await;
        c.goto(&server.url("/services")).await.unwrap();
        let row = wait_for_text(&c, &format!("[data-test=service-production-{SERVICE}]")).await;
        assert!(row.contains("#1 v1") && row.contains("2 / 2"), "{row}");
        keep_screenshot(&c, "services-page").await;
        a_service_saved_elsewhere_appears_on_the_list(&c).await;

        // The dashboard counts release #2, rolled back by a person right
        // after it went live, as a failed deployment — and leads to it.
        sign_out(&c).await;
        server.create_user("vera", "viewer", "a viewer's long password");
        sign_in(&c, &server, "vera", "a viewer's long password").await;
        c.goto(&server.url("/?days=7")).await.unwrap();
        let rate = wait_for_text(&c, "[data-test=change-failure-rate]").await;
        assert!(
            rate.contains("50 %") && rate.contains("1 failed deployments"),
            "{rate}"
        );
        let runs = wait_for_text(&c, "[data-test=services-by-environment]").await;
        assert!(runs.contains(SERVICE) && runs.contains("#1 v1"), "{runs}");
        keep_screenshot(&c, "dashboard").await;
        wait_until_hydrated(&c).await;
        end2end::diagnose::assert_only_islands_fetched(&c, "the dashboard").await;
        // The figure opens the records behind it, for the same period.
        click(&c, "[data-test=failed-link]").await;
        let records = wait_for_text(&c, "[data-test=records]").await;
        assert!(records.contains("rolled back by a person"), "{records}");
        click(&c, "[data-test=record] a").await;
        wait_for_path(&c, "/deployments/2").await;
        let release = wait_for_text(&c, "[data-test=deployment-release]").await;
        assert!(release.contains("release #2"), "{release}");
        sign_out(&c).await;
        sign_in(&c, &server, "root", ADMIN_PASSWORD).await;

        // Logs followed on the service page take in the replicas a restart
        // starts (requested from the page's own origin, so the page stays).
        c.goto(&server.url(&format!("/services/production/{SERVICE}")))
            .await
            .unwrap();
        wait_until_hydrated(&c).await;
        click(&c, "[data-test=logs-toggle]").await;
        wait_for_text(&c, "[data-test=logs]").await;
        let restart = format!(
            "fetch('/api/restart', {{method: 'POST', headers: {{'Content-Type': \
             'application/x-www-form-urlencoded'}}, body: 'service=production/{SERVICE}'}})"
        );
        c.execute(&restart, vec![]).await.unwrap();
        let logs = eventually("restarted replicas in the logs", WAIT, || async {
            text_of(&c, "[data-test=logs]").await.filter(|t| {
                t.matches("| — started").count() >= 2 && t.contains("| — stopped printing")
            })
        })
        .await;
        assert!(
            logs.contains(&format!("production-{SERVICE}-r1-")),
            "{logs}"
        );
        // The same restart shows up in the history without a reload.
        mark_window(&c).await;
        let history = eventually("the restart in the history", WAIT, || async {
            text_of(&c, "[data-test=deployments-table]")
                .await
                .filter(|t| t.contains("restart"))
        })
        .await;
        assert!(history.contains("restart"), "{history}");
        assert!(window_still_marked(&c).await, "the page reloaded");
        keep_screenshot(&c, "service-logs").await;
        settings_change_then_remove_the_service(&c, &server).await;
    })
    .await;
}

/// From the service page to its settings page (an island page of its
/// own): a saved limit shows on the service page; removal refuses a wrong
/// name, then stops the replicas and leaves the service off the list.
async fn settings_change_then_remove_the_service(c: &Client, server: &Server) {
    // The restart above (deployment #4) holds the service until it ends,
    // and a removal meanwhile is refused with what holds it.
    c.goto(&server.url("/deployments/4")).await.unwrap();
    assert_eq!(wait_for_deployment_end(c).await, "succeeded");
    let page = format!("/services/production/{SERVICE}");
    c.goto(&server.url(&page)).await.unwrap();
    click(c, "[data-test=service-settings]").await;
    wait_for_path(c, &format!("{page}/settings")).await;
    wait_until_hydrated(c).await;
    end2end::diagnose::assert_only_islands_fetched(c, "the settings page").await;
    set(c, "memory_mb", "96").await;
    click(c, "[data-test=service-save]").await;
    let saved = wait_for_text(c, "[data-test=saved]").await;
    assert!(saved.contains("next deploy"), "{saved}");
    click(c, "[data-test=settings-service-link]").await;
    wait_for_path(c, &page).await;
    let limits = wait_for_text(c, "[data-test=service-limits]").await;
    assert!(limits.contains("memory 96 MiB"), "{limits}");

    click(c, "[data-test=service-settings]").await;
    wait_for_path(c, &format!("{page}/settings")).await;
    wait_until_hydrated(c).await;
    click(c, "[data-test=remove-service] summary").await;
    set_at(c, "[data-test=remove-confirm]", "production/someone-else").await;
    click(c, "[data-test=remove-submit]").await;
    let refused = wait_for_text(c, "[data-test=remove-service] [data-test=error]").await;
    assert!(refused.contains("confirm"), "{refused}");
    set_at(
        c,
        "[data-test=remove-confirm]",
        &format!("production/{SERVICE}"),
    )
    .await;
    click(c, "[data-test=remove-submit]").await;
    wait_for_path(c, "/services").await;
    wait_until_hydrated(c).await;
    eventually("the service off the list", WAIT, || async {
        let list = text_of(c, "main").await?;
        (!list.contains(SERVICE)).then_some(list)
    })
    .await;
}
