//! The panel in a real headless Chromium, against the release binary.

use end2end::{eventually, scenario, Browser, Server};
use fantoccini::{Client, Locator};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

async fn text_of(client: &Client, css: &str) -> Option<String> {
    client.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

async fn wait_for_text(client: &Client, css: &str) -> String {
    eventually(css, WAIT, || async {
        text_of(client, css).await.filter(|t| !t.is_empty())
    })
    .await
}

async fn wait_until_hydrated(client: &Client) {
    eventually("hydration", WAIT, || async {
        client
            .find(Locator::Css("body[data-hydrated='true']"))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
}

async fn docker_version(test: &str) -> Option<String> {
    let docker = testkit::docker_or_skip(test).await?;
    docker.version().await.unwrap().version
}

#[tokio::test]
async fn engine_page_shows_the_engine_version_and_refreshes_without_reloading() {
    let test = "engine_page_refresh";
    let Some(version) = docker_version(test).await else {
        return;
    };
    let Some(browser) = Browser::start(test).await else {
        return;
    };
    let server = Server::start(test).await;
    scenario(test, &browser, |c| async move {
        c.goto(&server.url("/engine")).await.unwrap();
        wait_until_hydrated(&c).await;
        assert_eq!(
            wait_for_text(&c, "[data-test=engine-version]").await,
            version
        );
        // A marker on window survives only if the refresh happens without a page load.
        c.execute("window.__opsdeck_marker = 42", vec![])
            .await
            .unwrap();
        let before = wait_for_text(&c, "[data-test=engine-checked-at]").await;
        c.find(Locator::Css("[data-test=engine-refresh]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let after = eventually("a newer check time", WAIT, || async {
            text_of(&c, "[data-test=engine-checked-at]")
                .await
                .filter(|t| !t.is_empty() && *t != before)
        })
        .await;
        assert!(after > before, "{after} should be later than {before}");
        let marker = c
            .execute("return window.__opsdeck_marker", vec![])
            .await
            .unwrap();
        assert_eq!(
            marker,
            serde_json::json!(42),
            "the page reloaded instead of refreshing in place"
        );
    })
    .await;
}

#[tokio::test]
async fn navigation_moves_between_pages_on_the_client() {
    let test = "navigation";
    let Some(version) = docker_version(test).await else {
        return;
    };
    let Some(browser) = Browser::start(test).await else {
        return;
    };
    let server = Server::start(test).await;
    scenario(test, &browser, |c| async move {
        c.goto(&server.url("/")).await.unwrap();
        wait_until_hydrated(&c).await;
        assert_eq!(wait_for_text(&c, "h1").await, "Overview");
        assert!(wait_for_text(&c, "[data-test=db-status]")
            .await
            .contains("PostgreSQL"));
        c.execute("window.__opsdeck_marker = 7", vec![])
            .await
            .unwrap();

        c.find(Locator::Css("nav a[href='/engine']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually("the engine page", WAIT, || async {
            (text_of(&c, "h1").await.as_deref() == Some("Docker engine")).then_some(())
        })
        .await;
        assert_eq!(c.current_url().await.unwrap().path(), "/engine");
        assert_eq!(
            wait_for_text(&c, "[data-test=engine-version]").await,
            version
        );
        let current = c
            .find(Locator::Css("nav a[aria-current=page]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(current, "Engine");
        let marker = c
            .execute("return window.__opsdeck_marker", vec![])
            .await
            .unwrap();
        assert_eq!(
            marker,
            serde_json::json!(7),
            "navigation reloaded the page instead of routing on the client"
        );

        c.back().await.unwrap();
        eventually("the overview again", WAIT, || async {
            (text_of(&c, "h1").await.as_deref() == Some("Overview")).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn pages_are_readable_without_javascript() {
    let test = "no_javascript";
    let Some(version) = docker_version(test).await else {
        return;
    };
    let server = Server::start(test).await;
    let html = reqwest::get(server.url("/engine"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html
        .find("data-test=\"engine-version\"")
        .expect("the engine version is in the HTML");
    let value = html[at..]
        .split_once('>')
        .map(|(_, rest)| rest.split('<').next().unwrap_or_default());
    assert_eq!(value, Some(version.as_str()));
    let css = reqwest::get(server.url("/pkg/opsdeck.css")).await.unwrap();
    assert!(css.status().is_success());
    assert!(
        css.text().await.unwrap().contains(".grid"),
        "the generated stylesheet is served"
    );
}
