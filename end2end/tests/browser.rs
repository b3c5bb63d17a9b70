//! The panel in a real headless Chromium, against the release binary.

use end2end::diagnose::{assert_only_islands_fetched, wasm_fetched, WASM_ENTRIES};
use end2end::steps::*;
use end2end::{browser_and_server, eventually, scenario, Server};
use fantoccini::{Client, Locator};

async fn nav_links(c: &Client) -> Vec<String> {
    let mut texts = Vec::new();
    for link in c
        .find_all(Locator::Css("nav[aria-label=Main] a"))
        .await
        .unwrap()
    {
        texts.push(link.text().await.unwrap());
    }
    texts
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
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        c.goto(&server.url("/engine")).await.unwrap();
        wait_until_hydrated(&c).await;
        assert_eq!(
            wait_for_text(&c, "[data-test=engine-version]").await,
            version
        );
        // An island page (`app::ISLAND_PAGES`): its Refresh button is the
        // islands bundle's work, not the app's.
        assert_only_islands_fetched(&c, "the engine page").await;
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

/// Every page is an island page or has no code: a link loads the next
/// page from the server, and its code comes from the browser's cache (the
/// islands bundle's files are immutable), so a move downloads no wasm the
/// browser already has — the main module never twice.
#[tokio::test]
async fn moving_between_pages_downloads_no_code_twice() {
    let test = "navigation";
    let Some(version) = docker_version(test).await else {
        return;
    };
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        wait_until_hydrated(&c).await;
        assert_eq!(wait_for_text(&c, "h1").await, "Dashboard");
        assert!(wait_for_text(&c, "[data-test=db-status]")
            .await
            .contains("PostgreSQL"));
        assert!(
            main_module_downloaded(&c).await,
            "the first page downloads the islands' main module"
        );

        click(&c, "nav a[href='/engine']").await;
        wait_for_path(&c, "/engine").await;
        wait_until_hydrated(&c).await;
        assert_eq!(wait_for_text(&c, "h1").await, "Docker engine");
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
        assert!(
            !main_module_downloaded(&c).await,
            "the engine page downloaded the main module again"
        );
        assert_only_islands_fetched(&c, "the engine page").await;

        c.back().await.unwrap();
        eventually("the overview again", WAIT, || async {
            (text_of(&c, "h1").await.as_deref() == Some("Dashboard")).then_some(())
        })
        .await;
    })
    .await;
}

/// Whether the current document downloaded the islands' main module (a
/// resource served from the HTTP cache transfers 0 bytes).
async fn main_module_downloaded(c: &Client) -> bool {
    let script = format!(
        "return {WASM_ENTRIES}.some(e => e.name.endsWith('/opsdeck-islands_bg.wasm') && e.transferSize > 0)"
    );
    c.execute(&script, vec![]).await.unwrap() == serde_json::json!(true)
}

#[tokio::test]
async fn setup_sign_in_role_navigation_and_sign_out_work_in_the_browser() {
    let test = "identity";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        assert_eq!(
            nav_links(&c).await,
            [
                "Dashboard",
                "Services",
                "Incidents",
                "Runbooks",
                "Backups",
                "Engine",
                "API tokens",
                "Users",
                "Endpoints",
                "Webhooks",
                "Audit"
            ]
        );
        c.goto(&server.url("/admin/users")).await.unwrap();
        assert!(wait_for_text(&c, "[data-test=users-table]")
            .await
            .contains("root"));

        // The audit page shows what just happened and proves the chain.
        c.goto(&server.url("/admin/audit")).await.unwrap();
        wait_until_hydrated(&c).await;
        assert!(wait_for_text(&c, "[data-test=audit-events]")
            .await
            .contains("user.create"));
        c.find(Locator::Css("[data-test=verify-chain]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let verdict = wait_for_text(&c, "[data-test=verify-result]").await;
        assert!(verdict.ends_with("events, chain intact"), "{verdict}");

        // A viewer made with the CLI beside the running server (same cluster).
        server.create_user("vera", "viewer", "a viewer's long password");
        sign_out(&c).await;
        fill(&c, "username", "vera").await;
        fill(&c, "password", "not her password").await;
        c.find(Locator::Css("[data-test=login-submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(
            wait_for_text(&c, "[data-test=form-error]").await,
            "Invalid username or password."
        );

        sign_in(&c, &server, "vera", "a viewer's long password").await;
        assert_eq!(
            nav_links(&c).await,
            [
                "Dashboard",
                "Services",
                "Incidents",
                "Runbooks",
                "Backups",
                "Engine",
                "API tokens"
            ]
        );
        c.goto(&server.url("/admin/users")).await.unwrap();
        assert!(wait_for_text(&c, "[data-test=error]")
            .await
            .contains("do not allow this"));
        sign_out(&c).await;
        c.goto(&server.url("/engine")).await.unwrap();
        wait_for_path(&c, "/login").await;
    })
    .await;
}

/// Signs in with a plain form post (no JavaScript) and keeps the cookie.
async fn no_js_session(server: &Server) -> reqwest::Client {
    server.create_user("nora", "viewer", "nora's long password");
    let (client, landed) = form_sign_in(server, "nora", "nora's long password", "/engine").await;
    assert_eq!(landed, "/engine", "the form post redirects to `next`");
    client
}

/// Posts the sign-in form as a browser without JavaScript does; the client
/// (holding the session cookie, if any) and the path the redirect ended on.
async fn form_sign_in(
    server: &Server,
    username: &str,
    password: &str,
    next: &str,
) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let form = [
        ("username", username),
        ("password", password),
        ("next", next),
    ];
    let reply = client
        .post(server.url("/api/login"))
        .header("accept", "text/html")
        .header("origin", &server.base)
        .form(&form)
        .send()
        .await
        .unwrap();
    let landed = reply.url().path().to_string();
    (client, landed)
}

#[tokio::test]
async fn pages_are_readable_without_javascript() {
    let test = "no_javascript";
    let Some(version) = docker_version(test).await else {
        return;
    };
    let server = Server::start(test).await;
    let client = no_js_session(&server).await;
    let html = client
        .get(server.url("/engine"))
        .send()
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
    let css = client
        .get(server.url(&stylesheet_href(&html)))
        .send()
        .await
        .unwrap();
    assert!(css.status().is_success());
    assert!(
        css.text().await.unwrap().contains(".grid"),
        "the generated stylesheet is served"
    );
}

/// The islands a wasm-bindgen JS module exports: `export function
/// Name_<digits>(` (leptos names an island's hydrate function after the
/// component and a hash).
fn island_exports(js: &str) -> Vec<String> {
    js.split("export function ")
        .skip(1)
        .filter_map(|rest| rest.split('(').next())
        .filter(|name| {
            name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .rsplit_once('_')
                    .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_string)
        .collect()
}

/// The `/pkg/` files other than CSS that the page links (its preloads).
fn preloaded_code(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("/pkg/") && !href.ends_with(".css"))
        .map(str::to_string)
        .collect()
}

/// The `href` of the page's stylesheet link.
fn stylesheet_href(html: &str) -> String {
    let link = html
        .split("<link")
        .find(|tag| tag.contains("rel=\"stylesheet\""))
        .expect("the page links a stylesheet");
    let href = link.split("href=\"").nth(1).expect("the link has an href");
    href.split('"').next().unwrap_or_default().to_string()
}

/// What a browser on a slow network needs: the wasm (main module and the
/// page's chunks, or the islands bundle), JS and CSS come compressed (brotli, else gzip) under content-hashed names it may keep for
/// good, while pages themselves are never stored. The sign-in page has no
/// code to hydrate and names none.
#[tokio::test]
async fn assets_come_compressed_under_hashed_names_cached_for_good_and_pages_never() {
    let server = Server::start("asset_caching").await;
    let login = reqwest::get(server.url("/login")).await.unwrap();
    assert_eq!(header(&login, "cache-control"), "no-store");
    let login = login.text().await.unwrap();
    assert!(
        !login.contains(".wasm") && !login.contains("<script type=\"module\""),
        "the sign-in page names no code: {login}"
    );
    let client = no_js_session(&server).await;
    // Every page is an island page or server-only: the app's bundle comes
    // only with an address that is no page (the app renders its 404).
    let page = client
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&page, "cache-control"), "no-store");
    let html = page.text().await.unwrap();
    let css = stylesheet_href(&html);
    let mut scripts = preloaded_code(&html);
    assert!(
        scripts.iter().any(|h| h.ends_with(".wasm")) && scripts.iter().any(|h| h.ends_with(".js")),
        "the page preloads its wasm and JS: {scripts:?}"
    );
    // An island page preloads the islands bundle, and nothing of the app:
    // its main JS, the chunks' loader, its main module and the page's
    // island's chunks.
    let island_page = client.get(server.url("/engine")).send().await.unwrap();
    let island_html = island_page.text().await.unwrap();
    let islands = preloaded_code(&island_html);
    assert!(
        islands.len() > 3
            && islands
                .iter()
                .all(|h| h.starts_with("/pkg/opsdeck-islands.")),
        "the engine page preloads the islands bundle alone: {islands:?}"
    );
    assert!(
        islands.iter().any(|h| h.ends_with("/engine_view.pack")),
        "the engine page preloads its island's pack: {islands:?}"
    );
    // What an island page fetches before it works: #13's budget is 300 KiB
    // gzip (docs/wasm-budget.md). Each island's code is its own chunks, so
    // the bundle's main module is shared by all and must stay small.
    let mut gzipped = 0;
    for wasm in islands
        .iter()
        .filter(|h| h.ends_with(".wasm") || h.ends_with(".pack"))
    {
        gzipped += client
            .get(server.url(wasm))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len();
    }
    assert!(
        gzipped <= 300 * 1024,
        "the engine page fetches {} KiB of wasm gzip, over the 300 KiB budget",
        gzipped / 1024
    );
    // Islands are wasm exports only in the islands bundle (`app::island!`):
    // an export in the app's bundle stays in the main module, which every
    // hydrated page loads.
    let text = |href: String| {
        let client = client.clone();
        let url = server.url(&href);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let js_of = |list: &[String], islands: bool| {
        list.iter()
            .find(|h| {
                h.ends_with(".js")
                    && !h.contains("__wasm_split")
                    && h.starts_with("/pkg/opsdeck-islands.") == islands
            })
            .cloned()
            .unwrap()
    };
    let island_exports = island_exports(&text(js_of(&islands, true)).await);
    assert!(
        !island_exports.is_empty(),
        "the islands bundle exports islands"
    );
    let app_js = text(js_of(&scripts, false)).await;
    for export in &island_exports {
        assert!(
            !app_js.contains(export.as_str()),
            "the app's bundle exports the island {export}"
        );
    }
    scripts.extend(islands);
    for asset in scripts.iter().chain([&css]) {
        let name = asset.trim_start_matches("/pkg/");
        assert!(
            name.split('.').count() >= 3,
            "{asset} carries a content hash in its name"
        );
        for (accepted, encoding) in [("br", "br"), ("gzip", "gzip")] {
            let reply = client
                .get(server.url(asset))
                .header("accept-encoding", accepted)
                .send()
                .await
                .unwrap();
            assert!(reply.status().is_success(), "{asset}: {}", reply.status());
            assert_eq!(header(&reply, "content-encoding"), encoding, "{asset}");
            assert_eq!(
                header(&reply, "cache-control"),
                "public, max-age=31536000, immutable",
                "{asset}"
            );
        }
    }
}

/// The pages in `app::SERVER_ONLY` (sign-in, setup, the dashboard's
/// records, the runbook list and diffs, the audit log) come without the
/// wasm: a phone opening the sign-in page over a poor network downloads no
/// code, and every form and link on them works as plain HTML.
#[tokio::test]
async fn server_only_pages_fetch_no_code_and_still_work() {
    let test = "server_only";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        // /setup: the first administrator, by a plain form post.
        set_up_admin(&c, &server).await;
        wait_until_hydrated(&c).await;
        assert!(
            wasm_fetched(&c).await > 0,
            "the dashboard hydrates with its code"
        );

        c.goto(&server.url("/dashboard/deployments")).await.unwrap();
        assert!(!wait_for_text(&c, "[data-test=records-summary]")
            .await
            .is_empty());
        wait_until_hydrated(&c).await;
        assert_eq!(wasm_fetched(&c).await, 0, "the records page fetched code");

        // The chain check posts a form and comes back to the recorded check.
        c.goto(&server.url("/admin/audit?action=user."))
            .await
            .unwrap();
        wait_until_hydrated(&c).await;
        assert!(
            text_of(&c, "[data-test=verify-result]").await.is_none(),
            "no check yet"
        );
        click(&c, "[data-test=verify-chain]").await;
        let verdict = wait_for_text(&c, "[data-test=verify-result]").await;
        assert!(verdict.ends_with("events, chain intact"), "{verdict}");
        assert!(wait_for_text(&c, "[data-test=verify-when]")
            .await
            .contains("by user:root"));
        let url = c.current_url().await.unwrap();
        assert_eq!(
            (url.path(), url.query()),
            ("/admin/audit", Some("action=user.")),
            "back to the same filter"
        );
        assert_eq!(wasm_fetched(&c).await, 0, "the audit page fetched code");

        sign_out(&c).await;
        assert_eq!(wasm_fetched(&c).await, 0, "the sign-in page fetched code");
        fill(&c, "username", "root").await;
        fill(&c, "password", "not the password").await;
        click(&c, "[data-test=login-submit]").await;
        assert_eq!(
            wait_for_text(&c, "[data-test=form-error]").await,
            "Invalid username or password."
        );
        assert_eq!(wasm_fetched(&c).await, 0);

        sign_in(&c, &server, "root", ADMIN_PASSWORD).await;
        wait_until_hydrated(&c).await;
        assert!(
            wasm_fetched(&c).await > 0,
            "signed in, the dashboard hydrates"
        );
    })
    .await;
}

/// The tokens page is an island page: a token is created from its form,
/// shown once, works for a script, and is revoked from its row, all
/// without a page load and with only the islands bundle fetched.
#[tokio::test]
async fn a_token_made_on_the_island_page_works_until_revoked_there() {
    let test = "tokens_island";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        c.goto(&server.url("/tokens")).await.unwrap();
        wait_until_hydrated(&c).await;
        mark_page(&c).await;
        fill(&c, "name", "ci-deploy").await;
        click(&c, "[data-test=create-token] button[type=submit]").await;
        let token = wait_for_text(&c, "[data-test=new-token]").await;
        let row = "[data-test=tokens-table] tbody tr";
        assert!(wait_for_text(&c, row).await.contains("ci-deploy"));
        let script = reqwest::Client::new();
        let list = |token: String| {
            script
                .post(server.url("/api/list_tokens"))
                .bearer_auth(token)
                .header("content-type", "application/x-www-form-urlencoded")
                .send()
        };
        let reply = list(token.clone()).await.unwrap();
        assert_eq!(reply.status(), 200, "the new token works");
        assert!(reply.text().await.unwrap().contains("ci-deploy"));

        click(&c, &format!("{row} button[type=submit]")).await;
        eventually("the token shown revoked", WAIT, || async {
            text_of(&c, row).await.filter(|t| t.contains("revoked"))
        })
        .await;
        assert_eq!(list(token).await.unwrap().status(), 401, "revoked");
        worked_in_place_with_islands(&c, "the tokens page").await;
    })
    .await;
}

/// The users page is an island page: an administrator creates a person
/// from its form and disables them from their row, without a page load;
/// the person can sign in until then, and not after.
#[tokio::test]
async fn a_user_made_on_the_island_page_signs_in_until_disabled_there() {
    let test = "users_island";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        c.goto(&server.url("/admin/users")).await.unwrap();
        wait_until_hydrated(&c).await;
        mark_page(&c).await;
        fill(&c, "username", "dora").await;
        fill(&c, "password", "dora's long password").await;
        click(&c, "[data-test=create-user] button[type=submit]").await;
        let state = "[data-test=user-dora] [data-test=user-state]";
        assert_eq!(wait_for_text(&c, state).await, "active");
        let signs_in = || async {
            let (_, landed) = form_sign_in(&server, "dora", "dora's long password", "/").await;
            landed != "/login"
        };
        assert!(signs_in().await, "the new user signs in");

        let disable = element(
            &c,
            "[data-test=user-dora] [data-test=user-state] + div button",
        )
        .await;
        assert_eq!(disable.text().await.unwrap(), "Disable");
        disable.click().await.unwrap();
        eventually("dora shown disabled", WAIT, || async {
            text_of(&c, state).await.filter(|t| t == "disabled")
        })
        .await;
        assert!(!signs_in().await, "a disabled user is refused");
        worked_in_place_with_islands(&c, "the users page").await;
    })
    .await;
}

fn header(reply: &reqwest::Response, name: &str) -> String {
    reply
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Adds a backup target through the form on `/backups`, an island page.
async fn add_target(c: &Client, server: &Server, name: &str, url: &str) {
    c.goto(&server.url("/backups")).await.unwrap();
    wait_until_hydrated(c).await;
    fill(c, "name", name).await;
    fill(c, "url", url).await;
    click(c, "[data-test=create-target-submit]").await;
    assert!(wait_for_text(c, &format!("[data-test=target-{name}]"))
        .await
        .contains("never"));
    assert_only_islands_fetched(c, "the backups page").await;
}

/// The URL of Opsdeck's own database (`db start` beside the running
/// server names its cluster without touching it).
fn own_database_url(server: &Server) -> String {
    server.cli(&["db", "start"], "").trim().to_string()
}

/// Adds a target for Opsdeck's own database.
async fn add_self_target(c: &Client, server: &Server) {
    add_target(c, server, "self", &own_database_url(server)).await;
}

/// Runs SQL with psql against `url` and returns what it prints.
fn psql(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// After [`mark_page`]: the page was not reloaded, and it is an island page
/// that fetched the islands bundle alone.
async fn worked_in_place_with_islands(c: &Client, page: &str) {
    let marker = c
        .execute("return window.__opsdeck_marker", vec![])
        .await
        .unwrap();
    assert_eq!(marker, serde_json::json!(5), "{page} reloaded");
    assert_only_islands_fetched(c, page).await;
}

/// The webhooks page, an island page: a destination added from the form
/// shows its signing secret once; its Send test reaches a receiver on
/// loopback, signed, and the delivery appears in the page's log by itself
/// (the server's stream); Delete removes the destination. All without a
/// page load, and with only the islands bundle fetched.
#[tokio::test]
async fn a_webhook_added_on_the_island_page_is_tested_and_its_delivery_shows_live() {
    let test = "webhooks_island";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    let (url, mut received) = webhook_receiver().await;
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        c.goto(&server.url("/admin/webhooks")).await.unwrap();
        wait_until_hydrated(&c).await;
        mark_page(&c).await;
        fill(&c, "name", "ops-alerts").await;
        fill(&c, "url", &url).await;
        click(&c, "[data-test=create-webhook] input[type=checkbox]").await;
        click(&c, "[data-test=create-webhook] button[type=submit]").await;
        let secret = wait_for_text(&c, "[data-test=webhook-secret]").await;
        assert!(
            secret.starts_with("whsec_"),
            "the secret is shown: {secret}"
        );
        let hook = "section[data-test^=webhook-]";
        assert!(wait_for_text(&c, hook).await.contains("ops-alerts"));

        click(&c, &format!("{hook} [data-test=send-test]")).await;
        let request = tokio::time::timeout(WAIT, received.recv())
            .await
            .expect("the receiver got the test message")
            .unwrap();
        assert!(
            request.starts_with("POST /hook ")
                && request
                    .to_ascii_lowercase()
                    .contains("\r\nwebhook-signature: v1,"),
            "a signed POST: {request}"
        );
        eventually("the delivery shown delivered", WAIT, || async {
            text_of(
                &c,
                &format!("{hook} [data-test=delivery][data-state=delivered]"),
            )
            .await
        })
        .await;

        click(&c, &format!("{hook} [data-test=delete-webhook]")).await;
        wait_for_text(&c, "[data-test=no-webhooks]").await;
        worked_in_place_with_islands(&c, "the webhooks page").await;
    })
    .await;
}

/// A webhook receiver on loopback: answers 200 to every request and sends
/// on what it got (head and body, as text). Its URL and the requests.
async fn webhook_receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let request = read_request(&mut stream).await;
                let answer = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = tx.send(request);
            });
        }
    });
    (url, rx)
}

/// One HTTP/1.1 request: its head, then the body its `content-length`
/// announces (or what came within 5 s).
async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let complete = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        let Some(end) = text.find("\r\n\r\n") else {
            return false;
        };
        let length = text[..end]
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        bytes.len() >= end + 4 + length
    };
    while !complete(&bytes) {
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf)).await;
        match read {
            Ok(Ok(n)) if n > 0 => bytes.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Marks the loaded page, so that a reload (which drops the mark) shows.
async fn mark_page(c: &Client) {
    c.execute("window.__opsdeck_marker = 5", vec![])
        .await
        .unwrap();
}

/// Waits until the target page's newest backup reads `verified`, then
/// checks that the page marked by [`mark_page`] was never reloaded.
async fn backup_turns_verified_without_reload(c: &Client) {
    let verified = eventually("a verified backup", WAIT, || async {
        text_of(c, "[data-test=backups-table] [data-test=backup-verified]")
            .await
            .filter(|t| t == "verified")
    })
    .await;
    assert_eq!(verified, "verified");
    let marker = c
        .execute("return window.__opsdeck_marker", vec![])
        .await
        .unwrap();
    assert_eq!(marker, serde_json::json!(5), "the page was not reloaded");
}

#[tokio::test]
async fn a_backup_started_in_the_browser_is_seen_verified_without_reloading() {
    let test = "backup_in_browser";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        add_self_target(&c, &server).await;
        click(&c, "[data-test=target-self] a").await;
        wait_for_path(&c, "/backups/self").await;
        wait_until_hydrated(&c).await;
        mark_page(&c).await;
        click(&c, "[data-test=run-backup]").await;
        // The row appears and turns verified through the live stream alone.
        backup_turns_verified_without_reload(&c).await;
        assert_eq!(
            wait_for_text(&c, "[data-test=backup-state]").await,
            "succeeded"
        );
        assert_only_islands_fetched(&c, "the target page").await;

        fill(&c, "cron", "30 2 * * *").await;
        click(&c, "[data-test=schedule-save]").await;
        assert!(wait_for_text(&c, "[data-test=schedule-words]")
            .await
            .contains("02:30"));
        let local = wait_for_text(&c, "[data-test=run-local]").await;
        assert!(
            local.contains("02:30") || local.contains('('),
            "the viewer's zone: {local}"
        );
    })
    .await;
}

/// Follows a link to `path` added to the page.
async fn move_to(c: &Client, path: &str) {
    let add = format!(
        "const a = document.createElement('a'); a.href = '{path}'; \
         a.dataset.test = 'move'; a.textContent = 'move'; document.body.append(a);"
    );
    c.execute(&add, vec![]).await.unwrap();
    click(c, "[data-test=move]:last-of-type").await;
    wait_for_path(c, path).await;
}

#[tokio::test]
async fn a_target_page_reached_from_another_target_follows_the_new_one_live() {
    let test = "backup_live_after_move";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        add_self_target(&c, &server).await;
        add_target(&c, &server, "other", &own_database_url(&server)).await;
        // A link from one target's page to another's loads that page, which
        // follows the other target's stream, not the first one's.
        c.goto(&server.url("/backups/self")).await.unwrap();
        wait_until_hydrated(&c).await;
        assert_eq!(wait_for_text(&c, "[data-test=target-name]").await, "self");
        move_to(&c, "/backups/other").await;
        wait_until_hydrated(&c).await;
        mark_page(&c).await;
        assert_eq!(wait_for_text(&c, "[data-test=target-name]").await, "other");
        click(&c, "[data-test=run-backup]").await;
        // Only `other`'s stream says when its backup is verified.
        backup_turns_verified_without_reload(&c).await;
    })
    .await;
}

#[tokio::test]
async fn a_restore_confirmed_in_the_browser_brings_the_rows_back_and_offers_its_undo() {
    let test = "restore_in_browser";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    let own = own_database_url(&server);
    psql(&own, "CREATE DATABASE shop");
    let shop = own.replacen("/opsdeck?", "/shop?", 1);
    assert_ne!(shop, own, "the URL names the database: {own}");
    psql(
        &shop,
        "CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)",
    );
    scenario(test, &browser, |c| async move {
        set_up_admin(&c, &server).await;
        add_target(&c, &server, "shop", &shop).await;
        click(&c, "[data-test=target-shop] a").await;
        wait_for_path(&c, "/backups/shop").await;
        wait_until_hydrated(&c).await;
        click(&c, "[data-test=run-backup]").await;
        eventually("a verified backup", WAIT, || async {
            text_of(&c, "[data-test=backups-table] [data-test=backup-verified]")
                .await
                .filter(|t| t == "verified")
        })
        .await;
        psql(&shop, "INSERT INTO orders VALUES (2)");

        // The backup's page, an island page like the target's: the link
        // loads it.
        click(&c, "[data-test=backups-table] td a").await;
        eventually("the backup's page", WAIT, || async {
            let url = c.current_url().await.ok()?;
            url.path().starts_with("/backups/shop/").then_some(())
        })
        .await;
        wait_until_hydrated(&c).await;
        let confirm = element(&c, "[data-test=restore-confirm]").await;
        confirm.send_keys("shop").await.unwrap();
        click(&c, "[data-test=restore-submit]").await;
        let state = eventually("the restore's outcome", WAIT, || async {
            text_of(&c, "[data-test^=restore-] [data-test=restore-state]")
                .await
                .filter(|t| t != "running")
        })
        .await;
        assert_eq!(state, "succeeded");
        assert!(
            wait_for_text(&c, "[data-test=restore-undo]")
                .await
                .contains("To undo, restore safety backup"),
            "the page says how to undo it"
        );
        let confirm = element(&c, "[data-test=restore-confirm]").await;
        assert_eq!(
            confirm.prop("value").await.unwrap().unwrap_or_default(),
            "",
            "a started restore empties the confirmation"
        );
        assert_eq!(
            psql(
                &shop,
                "SELECT string_agg(id::text, ',' ORDER BY id) FROM orders"
            ),
            "1"
        );
        keep_screenshot(&c, "restore-outcome").await;
        assert_only_islands_fetched(&c, "the backup's page").await;
    })
    .await;
}
