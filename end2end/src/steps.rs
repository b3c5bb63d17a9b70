//! Steps every browser test takes: waiting for text, hydration and paths,
//! filling fields, setting up the first admin, signing in and out.

use crate::{eventually, Server};
use fantoccini::{Client, Locator};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(30);

/// Hydrating the biggest pages means fetching and compiling ~370 wasm
/// chunks; with up to four headless Chromiums, the server and a rollout on
/// two cores, a second browser opening /incidents/1 once took longer than
/// `WAIT` (2026-11-27; the page was fully rendered, only not yet
/// hydrated, and the same test passed at once on a rerun). A page that
/// never hydrates still fails, after a minute. Not a speed check: first-load
/// size is measured by bench/ssr.sh.
pub const HYDRATION_WAIT: Duration = Duration::from_secs(60);

pub async fn text_of(client: &Client, css: &str) -> Option<String> {
    client.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

pub async fn wait_for_text(client: &Client, css: &str) -> String {
    eventually(css, WAIT, || async {
        text_of(client, css).await.filter(|t| !t.is_empty())
    })
    .await
}

/// Waits for `body[data-hydrated]`; past [`HYDRATION_WAIT`] fails with what
/// the page can say about why (its console, its failed requests).
pub async fn wait_until_hydrated(client: &Client) {
    let hydrated = crate::within(HYDRATION_WAIT, || async {
        client
            .find(Locator::Css("body[data-hydrated='true']"))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    if hydrated.is_none() {
        let report = crate::diagnose::page_report(client).await;
        panic!("timed out after {HYDRATION_WAIT:?} waiting for hydration\n{report}");
    }
}

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// Types into the input named `name`, once it is there (pages render
/// parts after loading data, and a client-side move keeps the page
/// hydrated, so hydration alone does not say the field exists).
pub async fn fill(c: &Client, name: &str, value: &str) {
    let field = element(c, &format!("input[name={name}]")).await;
    field.send_keys(value).await.unwrap();
}

pub async fn wait_for_path(c: &Client, path: &str) {
    eventually(path, WAIT, || async {
        (c.current_url().await.ok()?.path() == path).then_some(())
    })
    .await;
}

/// Creates the first admin through `/setup`, which signs them in.
pub async fn set_up_admin(c: &Client, server: &Server) {
    c.goto(&server.url("/")).await.unwrap();
    wait_for_path(c, "/setup").await;
    fill(c, "username", "root").await;
    fill(c, "display_name", "Root Admin").await;
    fill(c, "password", ADMIN_PASSWORD).await;
    fill(c, "confirm", ADMIN_PASSWORD).await;
    c.find(Locator::Css("[data-test=setup-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, "/").await;
    assert_eq!(
        wait_for_text(c, "[data-test=signed-in-as]").await,
        "Root Admin"
    );
}

pub async fn sign_in(c: &Client, server: &Server, username: &str, password: &str) {
    c.goto(&server.url("/login")).await.unwrap();
    fill(c, "username", username).await;
    fill(c, "password", password).await;
    c.find(Locator::Css("[data-test=login-submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, "/").await;
}

pub async fn sign_out(c: &Client) {
    c.find(Locator::Css("[data-test=logout]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, "/login").await;
}

/// The element `css` finds, waiting for it: after a client-side
/// navigation a page's content arrives a moment later.
pub async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    eventually(css, WAIT, || async { c.find(Locator::Css(css)).await.ok() }).await
}

/// Clicks the element `css` finds.
pub async fn click(c: &Client, css: &str) {
    element(c, css).await.click().await.unwrap();
}

/// Replaces the value of the input named `name`.
pub async fn set(c: &Client, name: &str, value: &str) {
    set_at(c, &format!("[name={name}]"), value).await;
}

/// Replaces the value of the input `css` finds (where two forms on a page
/// share a field name).
pub async fn set_at(c: &Client, css: &str, value: &str) {
    let field = element(c, css).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Chooses the option of value `value` in the select named `name`.
pub async fn choose(c: &Client, name: &str, value: &str) {
    element(c, &format!("select[name={name}]"))
        .await
        .select_by_value(value)
        .await
        .unwrap();
}

/// Leaves a mark on `window` that only a full page load would erase.
pub async fn mark_window(c: &Client) {
    c.execute("window.__opsdeck_marker = 42", vec![])
        .await
        .unwrap();
}

/// Whether the mark left by [`mark_window`] is still there.
pub async fn window_still_marked(c: &Client) -> bool {
    let mark = c
        .execute("return window.__opsdeck_marker", vec![])
        .await
        .unwrap();
    mark == serde_json::json!(42)
}

/// Saves what the page shows now as `target/e2e/<name>.png`, for people
/// reviewing a run (the pages as a user saw them).
pub async fn keep_screenshot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let path = crate::target_dir().join("e2e").join(format!("{name}.png"));
        let _ = std::fs::create_dir_all(path.parent().unwrap());
        let _ = std::fs::write(path, png);
    }
}

/// On a deployment page: waits for its end and returns the final state.
pub async fn wait_for_deployment_end(c: &Client) -> String {
    eventually(
        "the deployment to end",
        Duration::from_secs(120),
        || async {
            text_of(c, "h1 ~ [data-test=state]")
                .await
                .filter(|s| s != "running" && !s.is_empty())
        },
    )
    .await
}

/// Builds `<repo>:<tag>` for each `(tag, page)`: healthy busybox images
/// serving `page` at `/`.
pub async fn build_healthy_images(docker: &bollard::Docker, repo: &str, pages: &[(&str, &str)]) {
    for (tag, content) in pages {
        let tag = format!("{repo}:{tag}");
        let image = testkit::images::WebImage {
            tag: &tag,
            content,
            healthy: true,
            exits_at_start: false,
        };
        image.build(docker).await.unwrap();
    }
}

/// Removes the replicas of service `production/<.0>` when dropped, however
/// the test ends.
pub struct ReplicasOf(pub &'static str);

impl Drop for ReplicasOf {
    fn drop(&mut self) {
        testkit::remove_containers("name", &format!("production-{}-r", self.0));
    }
}

/// The memory cells of the service page's replica table once `n` replicas
/// have a measured sample ("… of …"), pushed by the engine's stats.
pub async fn replicas_measured(c: &Client, n: usize) -> Vec<String> {
    eventually("the replicas measured", WAIT, || async {
        let mut texts = Vec::new();
        for cell in c
            .find_all(Locator::Css("[data-test=replica-memory]"))
            .await
            .ok()?
        {
            texts.push(cell.text().await.ok()?);
        }
        (texts.len() == n && texts.iter().all(|t| t.contains(" of "))).then_some(texts)
    })
    .await
}
