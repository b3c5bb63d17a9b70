//! A page's code while the network changes under the browser. Alone in
//! its test binary: the network changes it makes cut the requests of any
//! browser test running beside it (test binaries run one after another,
//! tests within one binary side by side).

use end2end::steps::*;
use end2end::{browser_and_server, scenario, within};
use fantoccini::Client;

/// Creates and removes bridge networks on the engine until dropped: each
/// new bridge is a network change to the browser, which then cuts the
/// requests it has in flight (`ERR_NETWORK_CHANGED`).
struct NetworkChurn {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<u32>,
}

impl NetworkChurn {
    fn start(docker: bollard::Docker) -> Self {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            // What an earlier run cut off between create and remove.
            let left = docker
                .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
                .await
                .unwrap_or_default();
            for n in left {
                if n.name.is_some_and(|n| n.starts_with("opsdeck-e2e-churn-")) {
                    let _ = docker.remove_network(&n.id.unwrap_or_default()).await;
                }
            }
            let mut made = 0;
            while !*stopping.borrow() {
                let name = format!("opsdeck-e2e-churn-{}-{made}", std::process::id());
                let request = bollard::models::NetworkCreateRequest {
                    name: name.clone(),
                    driver: Some("bridge".into()),
                    ..Default::default()
                };
                if docker.create_network(request).await.is_ok() {
                    made += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                    let _ = docker.remove_network(&name).await;
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
            }
            made
        });
        NetworkChurn { stop, task }
    }

    /// Stops, and says how many networks came and went.
    async fn stop(self) -> u32 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or(0)
    }
}

/// A page's code comes in chunks fetched while it hydrates; a network
/// change cuts those fetches, and without a retry the page stayed dead
/// (seen in CI while another test created Docker networks).
#[tokio::test]
async fn pages_hydrate_while_the_network_changes_under_the_browser() {
    let test = "network_churn";
    let Some(docker) = testkit::docker_or_skip(test).await else {
        return;
    };
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        // No wait for the dashboard here: its JS modules (the entry and
        // the chunk loader) are imported during the churn, as on a first
        // visit from a phone changing networks. A cut `import()` is not
        // retried by the browser; FetchRetry reloads the page for it (this
        // test failed 3 of 3 runs without that).
        let churn = NetworkChurn::start(docker);
        for page in [
            "/services",
            "/incidents",
            "/runbooks",
            "/backups",
            "/admin/audit",
            "/admin/users",
            "/tokens",
            "/",
        ] {
            open_until_hydrated(&c, &server.url(page)).await;
        }
        let changes = churn.stop().await;
        assert!(
            changes > 0,
            "no network was created: the test proved nothing"
        );
    })
    .await;
}

/// Opens `url` and waits until the page hydrated. A document whose own
/// load a network change cut is Chrome's error page, where no code of the
/// panel runs and a person presses reload: it is opened again, up to three
/// times. Cut loads of the page's code are the panel's to survive, and
/// [`wait_until_hydrated`] fails on them with the page's report.
async fn open_until_hydrated(c: &Client, url: &str) {
    for _ in 0..3 {
        let _ = c.goto(url).await;
        let error_page = within(std::time::Duration::from_secs(60), || async {
            let state = c
                .execute(
                    "return location.href.startsWith('chrome-error:') ? 'cut'
                       : (document.body && document.body.dataset.hydrated ? 'ready' : null)",
                    vec![],
                )
                .await
                .ok()?;
            state.as_str().map(|s| s == "cut")
        })
        .await;
        if error_page != Some(true) {
            break;
        }
    }
    wait_until_hydrated(c).await;
}
