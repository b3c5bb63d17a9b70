//! Runbooks in the browser: written in the editor beside its preview,
//! saved, changed, compared, reverted and found by search; read by a
//! viewer who gets no way to change them; hostile markdown inert.

use end2end::steps::*;
use end2end::{browser_and_server, eventually, scenario, Server};
use fantoccini::{Client, Locator};

const SLUG: &str = "roll-back-web";

/// The tests of this file run one after another: the step test builds
/// images and rolls a service out, and on two cores a page beside it
/// takes longer than the 30 s a test waits to hydrate.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ALONE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
const V1: &str = "# Roll back\n\nCheck the **error rate** first.\nPress rollback.\n";
const V2_STEP: &str = "Press Roll back on the service page.";
const VIEWER_PASSWORD: &str = "a viewer's long password";

/// Replaces the text of the input named `name` (`tags[0]` needs quotes).
async fn set_quoted(c: &Client, name: &str, value: &str) {
    let field = element(c, &format!("[name='{name}']")).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Replaces the editor's text, as typing does (the preview follows input).
async fn type_body(c: &Client, text: &str) {
    let body = element(c, "textarea[name=body]").await;
    body.clear().await.unwrap();
    body.send_keys(text).await.unwrap();
}

/// The version the runbook page shows; empty while none shows (a page
/// being loaded: saving and reverting load the runbook's page).
async fn shown_version(c: &Client) -> String {
    let version = c
        .execute(
            "const line = document.querySelector('[data-test=version-line]'); \
             return line ? line.dataset.version : ''",
            vec![],
        )
        .await
        .unwrap_or_default();
    version.as_str().unwrap_or_default().to_string()
}

async fn write_the_first_version(c: &Client, server: &Server) {
    c.goto(&server.url("/runbooks")).await.unwrap();
    wait_until_hydrated(c).await;
    click(c, "[data-test=new-runbook]").await;
    wait_for_path(c, "/runbooks/new").await;
    wait_until_hydrated(c).await;
    set(c, "slug", SLUG).await;
    set(c, "title", "Roll back web").await;
    set_quoted(c, "tags[0]", "deploy").await;
    set_quoted(c, "services[0]", "production/web").await;
    set(c, "message", "first version").await;
    type_body(c, V1).await;
    let bold = eventually("the preview's bold words", WAIT, || async {
        text_of(c, "[data-test=preview] strong")
            .await
            .filter(|t| t == "error rate")
    })
    .await;
    assert_eq!(bold, "error rate");
    assert_eq!(
        wait_for_text(c, "[data-test=preview] h1").await,
        "Roll back"
    );
    keep_screenshot(c, "runbook-editor").await;
    end2end::diagnose::assert_only_islands_fetched(c, "the new runbook page").await;
    click(c, "[data-test=runbook-save]").await;
    wait_for_path(c, &format!("/runbooks/{SLUG}")).await;
    assert_eq!(
        wait_for_text(c, "[data-test=runbook-body] strong").await,
        "error rate"
    );
    assert_eq!(
        wait_for_text(c, "[data-test=runbook-title]").await,
        "Roll back web"
    );
    assert_eq!(shown_version(c).await, "1");
    assert_eq!(wait_for_text(c, "[data-test=tag]").await, "deploy");
    assert_eq!(
        wait_for_text(c, "[data-test=service]").await,
        "production/web"
    );
}

async fn edit_with_a_message(c: &Client) {
    click(c, "[data-test=edit-runbook]").await;
    wait_for_path(c, &format!("/runbooks/{SLUG}/edit")).await;
    wait_until_hydrated(c).await;
    let before = element(c, "textarea[name=body]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(before, V1, "the editor starts from the current text");
    type_body(c, &V1.replace("Press rollback.", V2_STEP)).await;
    set(c, "message", "clearer rollback step").await;
    click(c, "[data-test=runbook-save]").await;
    wait_for_path(c, &format!("/runbooks/{SLUG}")).await;
    eventually("version 2", WAIT, || async {
        (shown_version(c).await == "2").then_some(())
    })
    .await;
    let line = wait_for_text(c, "[data-test=version-line]").await;
    assert!(
        line.contains("clearer rollback step") && line.contains("root"),
        "{line}"
    );
}

async fn compare_the_two_versions(c: &Client) {
    // The form offers the version shown and the one before it.
    click(c, "[data-test=compare]").await;
    eventually("the diff page", WAIT, || async {
        let url = c.current_url().await.ok()?;
        (url.path() == format!("/runbooks/{SLUG}/diff") && url.query() == Some("from=1&to=2"))
            .then_some(())
    })
    .await;
    let removed = wait_for_text(c, "[data-test=diff-line][data-kind=removed]").await;
    assert!(removed.contains("Press rollback."), "{removed}");
    let added = wait_for_text(c, "[data-test=diff-line][data-kind=added]").await;
    assert!(added.contains(V2_STEP), "{added}");
    // Numbered in each version: line 4 of v1 became line 4 of v2.
    assert_eq!(
        wait_for_text(c, "[data-kind=removed] [data-test=old-line]").await,
        "4"
    );
    assert_eq!(
        wait_for_text(c, "[data-kind=added] [data-test=new-line]").await,
        "4"
    );
    assert_eq!(
        wait_for_text(c, "[data-test=diff-count]").await,
        "lines: 1 added, 1 removed"
    );
    keep_screenshot(c, "runbook-diff").await;
}

async fn revert_to_the_first_version(c: &Client, server: &Server) {
    c.goto(&server.url(&format!("/runbooks/{SLUG}?version=1")))
        .await
        .unwrap();
    wait_until_hydrated(c).await;
    let state = wait_for_text(c, "[data-test=version-state]").await;
    assert!(state.contains("old version"), "{state}");
    click(c, "[data-test=revert]").await;
    eventually("version 3, current", WAIT, || async {
        (shown_version(c).await == "3").then_some(())
    })
    .await;
    let body = wait_for_text(c, "[data-test=runbook-body]").await;
    assert!(
        body.contains("Press rollback.") && !body.contains(V2_STEP),
        "{body}"
    );
    assert_eq!(
        wait_for_text(c, "[data-test=version-state]").await,
        "current version"
    );
    let versions = wait_for_text(c, "[data-test=versions]").await;
    assert_eq!(versions.lines().count(), 3, "{versions}");
}

async fn search_finds_it_with_the_words_marked(c: &Client, server: &Server) {
    c.goto(&server.url("/runbooks")).await.unwrap();
    wait_until_hydrated(c).await;
    let row = wait_for_text(c, &format!("[data-test=runbook-{SLUG}]")).await;
    assert!(row.contains("Roll back web") && row.contains("v3"), "{row}");
    // The page's own search form: the header has a `q` box too.
    let q = element(c, "[data-test=runbook-search] [name=q]").await;
    q.clear().await.unwrap();
    q.send_keys("error rate").await.unwrap();
    click(c, "[data-test=runbook-search-submit]").await;
    // The starter runbooks of a new installation speak of error rates too.
    let this = format!("[data-test=search-hit][data-slug={SLUG}]");
    let hit = wait_for_text(c, &this).await;
    assert!(hit.contains("Roll back web"), "{hit}");
    let marked = wait_for_text(c, &format!("{this} [data-test=search-snippet] mark")).await;
    assert!(["error", "rate"].contains(&marked.as_str()), "{marked}");
    assert_eq!(
        c.current_url().await.unwrap().query(),
        Some("q=error+rate"),
        "a search has its own address"
    );
    keep_screenshot(c, "runbook-search").await;
    // The header's box finds it from any page, without waiting for script.
    c.goto(&server.url("/incidents")).await.unwrap();
    let header = element(c, "[data-test=header-search]").await;
    // U+E007 is WebDriver's Enter key.
    header.send_keys("error rate\u{E007}").await.unwrap();
    let hit = wait_for_text(c, &this).await;
    assert!(hit.contains("Roll back web"), "{hit}");
}

/// The status of a POST from the page, with the page's own origin.
async fn post_status(c: &Client, url: &str, body: &str) -> u64 {
    let script = format!(
        "return fetch('{url}', {{method: 'POST', headers: {{'Content-Type': \
         'application/x-www-form-urlencoded'}}, body: '{body}'}}).then(r => r.status)"
    );
    c.execute(&script, vec![]).await.unwrap().as_u64().unwrap()
}

async fn a_viewer_reads_but_cannot_change(c: &Client, server: &Server) {
    server.create_user("vera", "viewer", VIEWER_PASSWORD);
    sign_out(c).await;
    sign_in(c, server, "vera", VIEWER_PASSWORD).await;
    c.goto(&server.url("/runbooks")).await.unwrap();
    wait_until_hydrated(c).await;
    wait_for_text(c, &format!("[data-test=runbook-{SLUG}]")).await;
    assert!(text_of(c, "[data-test=new-runbook]").await.is_none());

    c.goto(&server.url(&format!("/runbooks/{SLUG}?version=2")))
        .await
        .unwrap();
    wait_until_hydrated(c).await;
    assert!(wait_for_text(c, "[data-test=runbook-body]")
        .await
        .contains(V2_STEP));
    assert!(text_of(c, "[data-test=edit-runbook]").await.is_none());
    let revert = element(c, "[data-test=revert]").await;
    assert!(
        revert.attr("disabled").await.unwrap().is_some(),
        "revert is disabled"
    );
    let why = wait_for_text(c, "[data-test=revert-reason]").await;
    assert!(why.contains("do not allow"), "{why}");
    keep_screenshot(c, "runbook-viewer").await;
    // Not just hidden: the server refuses.
    let status = post_status(c, "/api/revert_runbook", &format!("slug={SLUG}&version=2")).await;
    assert_eq!(status, 403);
    let status = post_status(
        c,
        "/api/save_runbook",
        &format!("slug={SLUG}&title=Mine&body=x"),
    )
    .await;
    assert_eq!(status, 403);

    c.goto(&server.url(&format!("/runbooks/{SLUG}/edit")))
        .await
        .unwrap();
    let error = wait_for_text(c, "[data-test=error]").await;
    assert!(error.contains("do not allow editing runbooks"), "{error}");
    assert!(text_of(c, "textarea[name=body]").await.is_none());
    c.goto(&server.url(&format!("/runbooks/{SLUG}")))
        .await
        .unwrap();
    assert_eq!(shown_version(c).await, "3", "nothing changed");
}

#[tokio::test]
async fn an_editor_writes_changes_compares_reverts_and_finds_a_runbook_that_a_viewer_only_reads() {
    let _alone = one_at_a_time();
    let test = "runbook_versions";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        write_the_first_version(&c, &server).await;
        edit_with_a_message(&c).await;
        compare_the_two_versions(&c).await;
        revert_to_the_first_version(&c, &server).await;
        search_finds_it_with_the_words_marked(&c, &server).await;
        a_viewer_reads_but_cannot_change(&c, &server).await;
    })
    .await;
}

/// What an injection would leave in the page: an element we marked, an
/// inline handler, a `javascript:` link, a frame.
const INJECTED: &str = "[data-xss], [onerror], [onload], [onclick], \
     a[href^='javascript:' i], iframe";

async fn injected(c: &Client) -> serde_json::Value {
    c.execute(
        &format!(
            "return Array.from(document.querySelectorAll({INJECTED:?})).map(e => e.outerHTML.slice(0, 200))"
        ),
        vec![],
    )
    .await
    .unwrap()
}

/// One block of every action kind (hostile text in its title and an
/// approval on one), and a block whose action is markup.
const EVERY_KIND: &str = "```opsdeck-action\naction: deploy\nservice: production/web\ntag: ask\n\
title: <img src=x onerror=alert(6) data-xss> deploy\n```\n\n\
```opsdeck-action\naction: rollback\nservice: ask\nrelease: previous\n```\n\n\
```opsdeck-action\naction: scale\nservice: production/web\nreplicas: ask\napproval: required\n```\n\n\
```opsdeck-action\naction: restart\nservice: production/web\n```\n\n\
```opsdeck-action\naction: backup\ntarget: ask\n```\n\n\
```opsdeck-action\naction: test-restore\ntarget: main\n```\n\n\
```opsdeck-action\naction: health-check\nservice: production/web\n```\n\n\
```opsdeck-action\naction: <svg onload=alert(7) data-xss>\n```\n";

/// The saved page shows each kind as a step card, in order, its hostile
/// title as text, the approval said, and the bad block as an error box.
async fn every_kind_is_a_card_and_the_bad_block_an_error_box(c: &Client) {
    let cards = eventually("the step cards", WAIT, || async {
        let cards = c
            .find_all(Locator::Css("[data-test=runbook-step]"))
            .await
            .ok()?;
        (cards.len() == 7).then_some(cards)
    })
    .await;
    let mut kinds = Vec::new();
    for card in &cards {
        kinds.push(card.attr("data-action").await.unwrap().unwrap_or_default());
    }
    assert_eq!(
        kinds,
        [
            "deploy",
            "rollback",
            "scale",
            "restart",
            "backup",
            "test-restore",
            "health-check"
        ]
    );
    let title = wait_for_text(c, "[data-test=step-title]").await;
    assert_eq!(title, "<img src=x onerror=alert(6) data-xss> deploy");
    let approval = wait_for_text(c, "[data-test=step-approval]").await;
    assert!(approval.contains("Needs approval"), "{approval}");
    let bad = wait_for_text(c, "[data-test=step-invalid]").await;
    assert!(bad.contains("unknown action"), "{bad}");
}

#[tokio::test]
async fn scripts_javascript_links_event_handlers_and_raw_html_in_markdown_stay_inert() {
    let _alone = one_at_a_time();
    let test = "runbook_xss";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        c.goto(&server.url("/runbooks/new")).await.unwrap();
        wait_until_hydrated(&c).await;
        set(&c, "slug", "hostile").await;
        set(&c, "title", "Hostile <b data-xss>title</b>").await;
        let body = "# Hostile\n\n<script data-xss>alert(1)</script>\n\n\
                    [click me](javascript:alert(2))\n\n\
                    ![pic](x\" onerror=\"alert(3))\n\n\
                    <img src=x onerror=alert(4) data-xss>\n\n\
                    <div data-xss onclick=alert(5)>raw block</div>\n\n\
                    text with <b>inline</b> html\n";
        let body = format!("{body}\n{EVERY_KIND}");
        type_body(&c, &body).await;
        let preview = eventually("the preview", WAIT, || async {
            text_of(&c, "[data-test=preview]")
                .await
                .filter(|t| t.contains("raw block"))
        })
        .await;
        assert!(
            preview.contains("<script data-xss>alert(1)</script>"),
            "{preview}"
        );
        assert_eq!(injected(&c).await, serde_json::json!([]), "in the preview");
        click(&c, "[data-test=runbook-save]").await;
        wait_for_path(&c, "/runbooks/hostile").await;
        let shown = wait_for_text(&c, "[data-test=runbook-body]").await;
        for typed in [
            "<script data-xss>alert(1)</script>",
            "<img src=x onerror=alert(4) data-xss>",
            "<div data-xss onclick=alert(5)>raw block</div>",
            "<b>inline</b>",
        ] {
            assert!(
                shown.contains(typed),
                "raw HTML shown as typed: {typed} in {shown}"
            );
        }
        assert_eq!(
            wait_for_text(&c, "[data-test=runbook-title]").await,
            "Hostile <b data-xss>title</b>"
        );
        // The link stays a link, without its javascript: address.
        let link = element(&c, "[data-test=runbook-body] a").await;
        assert_eq!(link.text().await.unwrap(), "click me");
        let href = link.attr("href").await.unwrap().unwrap_or_default();
        assert!(!href.to_lowercase().contains("javascript"), "{href}");
        every_kind_is_a_card_and_the_bad_block_an_error_box(&c).await;
        assert_eq!(injected(&c).await, serde_json::json!([]), "on the page");
        assert!(c.get_alert_text().await.is_err(), "no dialog opened");
        // Reloaded: the server's HTML, before hydration touches it.
        c.refresh().await.unwrap();
        wait_until_hydrated(&c).await;
        assert_eq!(injected(&c).await, serde_json::json!([]), "after a reload");
        assert!(c.get_alert_text().await.is_err(), "no dialog opened");
    })
    .await;
}

const STEP_SERVICE: &str = "e2erbk";

/// POSTs `body` to `url` from the page (its own origin) and answers the
/// reply's text.
async fn post_text(c: &Client, url: &str, body: &str) -> String {
    let script = format!(
        "return fetch('{url}', {{method: 'POST', headers: {{'Content-Type': \
         'application/x-www-form-urlencoded'}}, body: '{body}'}}).then(r => r.text())"
    );
    let reply = c.execute(&script, vec![]).await.unwrap();
    reply.as_str().unwrap_or_default().to_string()
}

/// Deploys `tag` of `production/<name>` through the API and waits on its
/// page (an island page, following the deployment live) for the end.
async fn deploy_and_wait(c: &Client, server: &Server, name: &str, tag: &str) {
    let form = format!("service=production/{name}&tag={tag}");
    let reply = post_text(c, "/api/deploy", &form).await;
    let started: serde_json::Value = serde_json::from_str(&reply).expect(&reply);
    let url = started["url"].as_str().expect(&reply).to_string();
    c.goto(&server.url(&url)).await.unwrap();
    assert_eq!(wait_for_deployment_end(c).await, "succeeded", "{tag}");
    end2end::diagnose::assert_only_islands_fetched(c, "the deployment page").await;
}

/// `production/<name>` of image `opsdeck-e2e/<image>`, saved and deployed
/// at v1 then v2, from a page of the panel (its origin signs the calls).
async fn a_service_on_its_second_release(c: &Client, server: &Server, name: &str, image: &str) {
    c.goto(&server.url("/runbooks")).await.unwrap();
    wait_until_hydrated(c).await;
    let service = format!(
        "environment=production&name={name}&image=opsdeck-e2e%2F{image}&port=8080&health_kind=http\
         &health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1&health_retries=2\
         &health_start_period_s=0&replicas=1&stop_timeout_s=1"
    );
    let reply = post_text(c, "/api/save_service", &service).await;
    assert!(reply.contains("\"id\""), "{reply}");
    deploy_and_wait(c, server, name, "v1").await;
    deploy_and_wait(c, server, name, "v2").await;
}

/// A runbook whose first step rolls the service back to the release
/// before the live one.
async fn a_service_on_its_second_release_and_a_runbook_to_roll_it_back(
    c: &Client,
    server: &Server,
) {
    a_service_on_its_second_release(c, server, STEP_SERVICE, "rbk").await;
    let body = format!(
        "# Roll back\n\nIf the error rate climbs:\n\n```opsdeck-action\naction: rollback\n\
         service: production/{STEP_SERVICE}\nrelease: previous\ntitle: Roll back to the previous release\n```\n"
    );
    let body: String = body
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let reply = post_text(
        c,
        "/api/save_runbook",
        &format!("slug=roll-back-rbk&title=Roll+back+rbk&body={body}&message=first"),
    )
    .await;
    assert!(reply.contains("\"version\":1"), "{reply}");
}

async fn a_deployer_confirms_the_step_and_the_service_rolls_back(c: &Client, server: &Server) {
    server.create_user("dora", "deployer", VIEWER_PASSWORD);
    sign_out(c).await;
    sign_in(c, server, "dora", VIEWER_PASSWORD).await;
    c.goto(&server.url("/runbooks/roll-back-rbk"))
        .await
        .unwrap();
    wait_until_hydrated(c).await;
    let title = wait_for_text(c, "[data-test=step-title]").await;
    assert_eq!(title, "Roll back to the previous release");
    click(c, "[data-test=step-start]").await;
    // The confirmation names the concrete release `previous` stands for.
    let panel = wait_for_text(c, "[data-test=step-confirm-panel]").await;
    assert!(
        panel.contains("#1 v1") && panel.contains("#2 v2"),
        "{panel}"
    );
    keep_screenshot(c, "runbook-step-confirm").await;
    click(c, "[data-test=step-confirm]").await;
    let follow = element(c, "[data-test=step-follow]").await;
    follow.click().await.unwrap();
    eventually("the deployment page", WAIT, || async {
        c.current_url()
            .await
            .ok()?
            .path()
            .starts_with("/deployments/")
            .then_some(())
    })
    .await;
    assert_eq!(wait_for_deployment_end(c).await, "succeeded");
    let release = wait_for_text(c, "[data-test=deployment-release]").await;
    assert!(release.contains("release #1 v1"), "{release}");
    c.goto(&server.url(&format!("/services/production/{STEP_SERVICE}")))
        .await
        .unwrap();
    let live = wait_for_text(c, "[data-test=live-release]").await;
    assert!(live.starts_with("#1 v1"), "{live}");
}

async fn a_viewer_sees_the_step_disabled_with_the_reason(c: &Client, server: &Server) {
    server.create_user("vic", "viewer", VIEWER_PASSWORD);
    sign_out(c).await;
    sign_in(c, server, "vic", VIEWER_PASSWORD).await;
    c.goto(&server.url("/runbooks/roll-back-rbk"))
        .await
        .unwrap();
    wait_until_hydrated(c).await;
    let start = element(c, "[data-test=step-start]").await;
    assert!(
        start.attr("disabled").await.unwrap().is_some(),
        "the step is disabled"
    );
    let why = wait_for_text(c, "[data-test=step-reason]").await;
    assert!(why.contains("do not allow deploying"), "{why}");
    keep_screenshot(c, "runbook-step-viewer").await;
}

#[tokio::test]
async fn a_deployer_runs_a_rollback_step_from_a_runbook_that_a_viewer_sees_disabled() {
    let _alone = one_at_a_time();
    let test = "runbook_step";
    let Some(docker) = testkit::docker_or_skip(test).await else {
        return;
    };
    let _replicas = end2end::steps::ReplicasOf(STEP_SERVICE);
    let pages = [("v1", "hello from v1\n"), ("v2", "hello from v2\n")];
    build_healthy_images(&docker, "opsdeck-e2e/rbk", &pages).await;
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        a_service_on_its_second_release_and_a_runbook_to_roll_it_back(&c, &server).await;
        a_deployer_confirms_the_step_and_the_service_rolls_back(&c, &server).await;
        a_viewer_sees_the_step_disabled_with_the_reason(&c, &server).await;
    })
    .await;
}

const RUN_SERVICE: &str = "e2erun";

/// The service on its second release, and an open incident about it:
/// its number.
async fn an_incident_on_a_service_that_runs_its_second_release(c: &Client, server: &Server) -> i64 {
    a_service_on_its_second_release(c, server, RUN_SERVICE, "rrun").await;
    let form = format!(
        "title=Checkout+errors+after+v2&severity=SEV2&services[0]=production%2F{RUN_SERVICE}"
    );
    let reply = post_text(c, "/api/declare_incident", &form).await;
    let declared: serde_json::Value = serde_json::from_str(&reply).expect(&reply);
    declared["incident"].as_i64().expect(&reply)
}

/// In the "roll back" starter runbook, opened from the incident, a run is
/// started for it; its rollback step (service named by the reader) runs.
async fn the_responder_follows_the_roll_back_runbook(c: &Client, server: &Server, incident: i64) {
    server.create_user("rhea", "deployer", VIEWER_PASSWORD);
    sign_out(c).await;
    sign_in(c, server, "rhea", VIEWER_PASSWORD).await;
    c.goto(&server.url(&format!("/runbooks/roll-back?incident={incident}")))
        .await
        .unwrap();
    wait_until_hydrated(c).await;
    let picked = element(c, "[data-test=run-incident-pick]").await;
    eventually("the incident picked", WAIT, || async {
        let value = picked.prop("value").await.ok()??;
        (value == incident.to_string()).then_some(())
    })
    .await;
    click(c, "[data-test=start-run]").await;
    eventually("the run's page", WAIT, || async {
        let path = c.current_url().await.ok()?.path().to_string();
        path.starts_with("/runbooks/roll-back/runs/").then_some(())
    })
    .await;
    let incident_link = wait_for_text(c, "[data-test=run-incident]").await;
    assert!(
        incident_link.contains(&format!("#{incident}")),
        "{incident_link}"
    );
    wait_until_hydrated(c).await;

    // Tick the first checklist item.
    click(c, "[data-test=checklist-box]").await;
    eventually("the item ticked", WAIT, || async {
        let item = c
            .find(Locator::Css("[data-test=checklist-item]"))
            .await
            .ok()?;
        (item.attr("data-done").await.ok()?? == "true").then_some(())
    })
    .await;

    // The rollback step: name the service, see the preview, confirm.
    let card = element(c, "[data-test=runbook-step][data-action=rollback]").await;
    let ask = card
        .find(Locator::Css("[data-test=step-ask-subject]"))
        .await
        .unwrap();
    ask.send_keys(&format!("production/{RUN_SERVICE}"))
        .await
        .unwrap();
    card.find(Locator::Css("[data-test=step-start]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let panel = wait_for_text(c, "[data-test=step-confirm-panel]").await;
    assert!(
        panel.contains("#1 v1") && panel.contains("#2 v2"),
        "the preview names both releases: {panel}"
    );
    keep_screenshot(c, "runbook-run-confirm").await;
    click(c, "[data-test=step-confirm]").await;
    let follow = element(c, "[data-test=step-follow]").await;
    let activity = wait_for_text(c, "[data-test=run-entries]").await;
    assert!(
        activity.contains("started the run for incident"),
        "{activity}"
    );
    keep_screenshot(c, "runbook-run").await;
    follow.click().await.unwrap();
    assert_eq!(wait_for_deployment_end(c).await, "succeeded");
    let release = wait_for_text(c, "[data-test=deployment-release]").await;
    assert!(release.contains("release #1 v1"), "{release}");
}

/// The incident's timeline shows the run, the tick and the rollback, the
/// rollback naming the runbook version its audit event records.
async fn the_incident_timeline_shows_the_run(c: &Client, server: &Server, incident: i64) {
    c.goto(&server.url(&format!("/incidents/{incident}")))
        .await
        .unwrap();
    let wanted = [
        "runbook roll-back v1 started",
        "ticked “",
        "rollback of production/e2erun started",
        "(from runbook roll-back v1, step",
    ];
    eventually("the run on the timeline", WAIT, || async {
        let text = c.find(Locator::Css("main")).await.ok()?.text().await.ok()?;
        wanted.iter().all(|w| text.contains(w)).then_some(())
    })
    .await;
    keep_screenshot(c, "runbook-run-incident").await;
}

#[tokio::test]
async fn a_responder_follows_the_roll_back_starter_runbook_during_an_incident() {
    let _alone = one_at_a_time();
    let test = "runbook_run";
    let Some(docker) = testkit::docker_or_skip(test).await else {
        return;
    };
    let _replicas = end2end::steps::ReplicasOf(RUN_SERVICE);
    let pages = [("v1", "hello from v1\n"), ("v2", "hello from v2\n")];
    build_healthy_images(&docker, "opsdeck-e2e/rrun", &pages).await;
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        let incident = an_incident_on_a_service_that_runs_its_second_release(&c, &server).await;
        the_responder_follows_the_roll_back_runbook(&c, &server, incident).await;
        the_incident_timeline_shows_the_run(&c, &server, incident).await;
    })
    .await;
}
