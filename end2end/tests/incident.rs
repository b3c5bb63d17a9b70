//! A whole SEV2 in the browser: declare it on a deployed service with its
//! latest deployment as suspected cause, roll the service back from the
//! incident page and see the rollback arrive on the timeline without a
//! reload, resolve, write the postmortem with an action item, export it.

use end2end::steps::*;
use end2end::{browser_and_server, eventually, scenario, Server};
use fantoccini::Client;

const SERVICE: &str = "e2esev2";

async fn create_service(c: &Client, server: &Server) {
    c.goto(&server.url("/services/new")).await.unwrap();
    wait_until_hydrated(c).await;
    set(c, "name", SERVICE).await;
    set(c, "image", "opsdeck-e2e/sev2").await;
    set(c, "replicas", "1").await;
    set(c, "health_interval_s", "1").await;
    set(c, "health_timeout_s", "1").await;
    set(c, "stop_timeout_s", "1").await;
    set(c, "port", "8080").await;
    click(c, "[data-test=service-save]").await;
    wait_for_path(c, &format!("/services/production/{SERVICE}")).await;
}

/// Deploys `tag` from the service page and waits for it to succeed.
async fn deploy(c: &Client, server: &Server, tag: &str) {
    c.goto(&server.url(&format!("/services/production/{SERVICE}")))
        .await
        .unwrap();
    wait_until_hydrated(c).await;
    set(c, "tag", tag).await;
    click(c, "[data-test=deploy-submit]").await;
    let state = wait_for_deployment_end(c).await;
    assert_eq!(state, "succeeded");
}

async fn declare(c: &Client, server: &Server) {
    c.goto(&server.url("/incidents")).await.unwrap();
    wait_until_hydrated(c).await;
    set(c, "title", "Checkout errors after v2").await;
    click(c, &format!("input[value='production/{SERVICE}']")).await;
    // Ticking the service offers its changes; the newest is the v2 deploy.
    let suspect = wait_for_text(c, "[data-test=suspect]").await;
    assert!(suspect.contains("release #2"), "{suspect}");
    click(c, "[data-test=suspect] input").await;
    end2end::diagnose::assert_only_islands_fetched(c, "the incidents page").await;
    click(c, "[data-test=declare-submit]").await;
    wait_for_path(c, "/incidents/1").await;
}

async fn roll_back_and_see_it_on_the_timeline(c: &Client) {
    wait_until_hydrated(c).await;
    let live = wait_for_text(c, "[data-test=affected-live]").await;
    assert!(live.starts_with("#2"), "{live}");
    let cause = wait_for_text(c, "[data-test=suspected-cause]").await;
    assert!(
        cause.contains("deploy of production/e2esev2 to release #2"),
        "{cause}"
    );
    mark_window(c).await;
    click(c, "[data-test=incident-rollback]").await;
    let timeline = eventually(
        "the rollback's end on the timeline",
        std::time::Duration::from_secs(120),
        || async {
            text_of(c, "[data-test=timeline]").await.filter(|t| {
                t.contains(&format!("rollback of production/{SERVICE} ended succeeded"))
            })
        },
    )
    .await;
    assert!(
        timeline.contains(&format!("rollback of production/{SERVICE} started")),
        "{timeline}"
    );
    assert!(window_still_marked(c).await, "the page reloaded");
    let live = eventually("the live release #1", WAIT, || async {
        text_of(c, "[data-test=affected-live]")
            .await
            .filter(|t| t.starts_with("#1"))
    })
    .await;
    assert!(live.contains("v1"), "{live}");
    keep_screenshot(c, "incident-rolled-back").await;
    end2end::diagnose::assert_only_islands_fetched(c, "the incident page").await;
}

async fn resolve_and_write_the_postmortem(c: &Client) {
    click(c, "[data-test=status-resolved]").await;
    eventually("resolved", WAIT, || async {
        text_of(c, "[data-test=incident-status]")
            .await
            .filter(|t| t == "resolved")
    })
    .await;
    let summary = element(c, "[data-test=postmortem-summary]").await;
    summary
        .send_keys("v2 broke checkout; rolled back to v1.")
        .await
        .unwrap();
    click(c, "[data-test=save-postmortem-submit]").await;
    eventually("the saved postmortem", WAIT, || async {
        text_of(c, "[data-test=postmortem]")
            .await
            .filter(|t| t.contains("v2 broke checkout"))
    })
    .await;
    let item = element(c, "[data-test=add-action-item] input[name=text]").await;
    item.send_keys("Add a canary stage").await.unwrap();
    click(c, "[data-test=add-action-item-submit]").await;
    eventually("the action item", WAIT, || async {
        text_of(c, "[data-test=action-items]")
            .await
            .filter(|t| t.contains("Add a canary stage"))
    })
    .await;
    keep_screenshot(c, "incident-postmortem").await;
}

async fn export(c: &Client) -> String {
    let fetched = c
        .execute(
            "return fetch('/incidents/1/postmortem.md').then(r => r.text())",
            vec![],
        )
        .await
        .unwrap();
    fetched.as_str().unwrap().to_string()
}

/// Markdown with each backslash escape replaced by the character it escapes.
fn unescape(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(n)) if n.is_ascii_punctuation() => out.push(chars.next().unwrap()),
            _ => out.push(c),
        }
    }
    out
}

#[tokio::test]
async fn a_commander_runs_a_sev2_from_declare_to_the_exported_postmortem() {
    let test = "incident_sev2";
    let Some(docker) = testkit::docker_or_skip(test).await else {
        return;
    };
    let _replicas = ReplicasOf(SERVICE);
    build_healthy_images(
        &docker,
        "opsdeck-e2e/sev2",
        &[("v1", "v1\n"), ("v2", "v2\n")],
    )
    .await;
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        create_service(&c, &server).await;
        deploy(&c, &server, "v1").await;
        deploy(&c, &server, "v2").await;
        declare(&c, &server).await;
        roll_back_and_see_it_on_the_timeline(&c).await;
        resolve_and_write_the_postmortem(&c).await;
        let md = export(&c).await;
        // Typed text is escaped (`\\.`); read it back as text.
        let plain = unescape(&md);
        assert!(
            plain.starts_with("# Postmortem: incident #1 — Checkout errors after v2"),
            "{md}"
        );
        for part in [
            "- Severity: SEV2",
            "- Status: resolved",
            "## Suspected cause",
            "v2 broke checkout; rolled back to v1.",
            "open: Add a canary stage",
            &format!("rollback of production/{SERVICE} ended succeeded"),
        ] {
            assert!(plain.contains(part), "{part} in {md}");
        }
        let declared = plain.find("declared SEV2").unwrap();
        let rolled = plain.find("rollback of production").unwrap();
        let resolved = plain.find("→ resolved").unwrap();
        assert!(
            declared < rolled && rolled < resolved,
            "the timeline in order: {md}"
        );
    })
    .await;
}

/// Two people on one incident: the incident one declares appears on the
/// other's list, and a note written in one browser appears in the other's
/// timeline, without a reload.
#[tokio::test]
async fn a_note_written_in_one_browser_appears_in_another_without_reload() {
    let test = "incident_two_browsers";
    let Some((first, server)) = browser_and_server(test).await else {
        return;
    };
    let Some(second) = end2end::Browser::start(test).await else {
        return;
    };
    scenario(test, &first, |a| async move {
        set_up_admin(&a, &server).await;
        // The other person watches the list: the declared incident shows
        // up there without a reload.
        let b = second.client.clone();
        sign_in(&b, &server, "root", ADMIN_PASSWORD).await;
        b.goto(&server.url("/incidents")).await.unwrap();
        wait_until_hydrated(&b).await;
        mark_window(&b).await;

        a.goto(&server.url("/incidents")).await.unwrap();
        wait_until_hydrated(&a).await;
        set(&a, "title", "Login page slow").await;
        click(&a, "[data-test=declare-submit]").await;
        wait_for_path(&a, "/incidents/1").await;

        let row = wait_for_text(&b, "[data-test=incident-1]").await;
        assert!(row.contains("Login page slow"), "{row}");
        assert!(window_still_marked(&b).await, "the list reloaded");
        b.goto(&server.url("/incidents/1")).await.unwrap();
        wait_until_hydrated(&b).await;
        mark_window(&b).await;

        wait_until_hydrated(&a).await;
        set(&a, "text", "Cache hit rate fell to **zero** at 14:02.").await;
        click(&a, "[data-test=add-note-submit]").await;
        let seen = eventually("the note in the other browser", WAIT, || async {
            text_of(&b, "[data-test=timeline]")
                .await
                .filter(|t| t.contains("Cache hit rate fell to zero at 14:02."))
        })
        .await;
        assert!(seen.contains("zero"), "{seen}");
        assert!(window_still_marked(&b).await, "the other browser reloaded");
    })
    .await;
}
