//! XSS vectors through every page's URL parameters and every text field of
//! every form, in a real browser: no dialog may open and no injected
//! element may exist, on the page that echoes the input and on every page
//! that later shows what was stored.
//!
//! The pages come from `app/src/pages.rs`, which a server test keeps equal
//! to the router's pages: a new page is in this test from its first day.

use end2end::steps::*;
use end2end::{browser_and_server, eventually, scenario, Server};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use std::time::Duration;

mod pages {
    include!("../../app/src/pages.rs");
}

/// Script tags, event handlers, breaking out of attributes, titles and
/// textareas, `javascript:` URLs, SVG. Each leaves a `data-xss` mark (or an
/// `on…` attribute, or a `javascript:` link) if it ever becomes markup.
const VECTORS: &[&str] = &[
    "<script data-xss>alert(1)</script>",
    "\"><img src=x onerror=alert(2) data-xss>",
    "'><svg onload=alert(3) data-xss>",
    "</title><img src=x onerror=alert(4) data-xss>",
    "</textarea><img src=x onerror=alert(5) data-xss>",
    "javascript:alert(6)",
    "\" data-xss=\"7",
    "<a href=\"javascript:alert(8)\" data-xss>x</a>",
    "<iframe srcdoc=\"<script>parent.alert(9)</script>\" data-xss></iframe>",
];

/// What an injection leaves in the DOM. Opsdeck's own markup never has
/// inline handlers (Leptos attaches listeners from wasm) or such links.
const INJECTED: &str = "[data-xss], [onerror], [onload], [onclick], [onmouseover], [onfocus], \
     a[href^='javascript:' i], iframe, object, embed";

/// Fields a person types text into.
const TEXT_FIELDS: &str = "input:not([type]), input[type=text], input[type=search], \
     input[type=url], input[type=email], textarea";

const SERVICE: &str = "xss";
const RUNBOOK: &str = "xss";

/// What is wrong with the page now: an open dialog, or injected elements.
async fn injection(c: &Client) -> Option<String> {
    if let Ok(text) = c.get_alert_text().await {
        let _ = c.dismiss_alert().await;
        return Some(format!("a dialog opened: {text}"));
    }
    let found = c
        .execute(
            &format!(
                "return Array.from(document.querySelectorAll({INJECTED:?})).map(e => e.outerHTML.slice(0, 200))"
            ),
            vec![],
        )
        .await
        .unwrap();
    (found != serde_json::json!([])).then(|| format!("injected markup: {found}"))
}

/// Fails when the page has an open dialog or an injected element.
async fn assert_clean(c: &Client, context: &str) {
    if let Some(problem) = injection(c).await {
        panic!("{context}: {problem}");
    }
}

/// The checks themselves see an injection: a page that has one fails them.
async fn checks_see_injections(c: &Client) {
    c.goto("data:text/html,<p>x</p><img src=x data-xss>")
        .await
        .unwrap();
    assert!(
        injection(c).await.is_some(),
        "an injected element goes unnoticed"
    );
    c.goto("data:text/html,<p>x</p><script>alert(1)</script>")
        .await
        .unwrap();
    assert!(injection(c).await.is_some(), "a dialog goes unnoticed");
    c.goto("data:text/html,<p>x</p>").await.unwrap();
    assert!(injection(c).await.is_none(), "a clean page is not clean");
}

/// A page's path with its parameters filled by `param`.
fn fill_path(page: &str, param: impl Fn(&str) -> String) -> String {
    page.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => param(name),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// The real value of each route parameter, for pages showing stored data.
fn real_param(name: &str) -> String {
    match name {
        "env" => "production".into(),
        "name" => SERVICE.into(),
        "id" => "1".into(),
        "target" => "self".into(),
        "backup" => "1".into(),
        "slug" => RUNBOOK.into(),
        "run" => "1".into(),
        other => panic!("give the XSS test a value for the route parameter {{{other}}}"),
    }
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn visit(c: &Client, server: &Server, path: &str) {
    c.goto(&server.url(path)).await.unwrap();
    // Pages that answer an error still hydrate; give a slow one a moment.
    let _ = tokio::time::timeout(Duration::from_secs(10), wait_until_hydrated(c)).await;
    assert_clean(c, path).await;
}

/// Every vector in every route parameter, and in the query parameters
/// pages read (all vectors at once: query parameters are independent).
async fn url_parameters(c: &Client, server: &Server) {
    let names = [
        "next", "actor", "action", "target", "q", "format", "kind", "state", "page",
    ];
    let query = names
        .iter()
        .zip(VECTORS.iter().cycle())
        .map(|(n, v)| format!("{n}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    for page in pages::PAGES {
        if !page.contains('{') {
            visit(c, server, &format!("{page}?{query}")).await;
            continue;
        }
        for v in VECTORS {
            let e = encode(v);
            visit(c, server, &fill_path(page, |_| e.clone())).await;
        }
    }
}

async fn forms_on(c: &Client) -> Vec<Element> {
    c.find_all(Locator::Css("form")).await.unwrap_or_default()
}

/// Fills every enabled text field of form `index` with vectors and submits it.
async fn submit_form(c: &Client, index: usize, round: usize) -> bool {
    let Some(form) = forms_on(c).await.into_iter().nth(index) else {
        return false;
    };
    let fields = form
        .find_all(Locator::Css(TEXT_FIELDS))
        .await
        .unwrap_or_default();
    let mut typed = 0;
    for (i, field) in fields.iter().enumerate() {
        if field.attr("disabled").await.ok().flatten().is_some() {
            continue;
        }
        let v = VECTORS[(round + i) % VECTORS.len()];
        if field.clear().await.is_ok() && field.send_keys(v).await.is_ok() {
            typed += 1;
        }
    }
    if typed == 0 {
        return false;
    }
    if let Ok(button) = form
        .find(Locator::Css("button[type=submit], button:not([type])"))
        .await
    {
        let _ = button.click().await;
    }
    true
}

/// Submits every form with text fields on `path`, checking the answer.
async fn forms(c: &Client, server: &Server, path: &str, round: &mut usize) {
    visit(c, server, path).await;
    let count = forms_on(c).await.len();
    for index in 0..count {
        visit(c, server, path).await;
        if submit_form(c, index, *round).await {
            *round += 1;
            tokio::time::sleep(Duration::from_millis(800)).await;
            assert_clean(c, &format!("{path}, form {index}")).await;
        }
    }
}

/// A runbook whose text holds every vector, and markdown's own ways in:
/// a `javascript:` link, an image whose address breaks out, raw HTML.
/// Saved twice, so that its diff page has lines to show.
async fn stored_runbook(c: &Client, server: &Server) {
    c.goto(&server.url("/runbooks/new")).await.unwrap();
    wait_until_hydrated(c).await;
    set(c, "slug", RUNBOOK).await;
    set(c, "title", VECTORS[3]).await;
    let mut body = VECTORS.join("\n\n");
    body.push_str(
        "\n\n[link](javascript:alert(10))\n\n![img](x\" onerror=\"alert(11))\n\n\
         <div data-xss onclick=alert(12)>raw</div>\n",
    );
    element(c, "textarea[name=body]")
        .await
        .send_keys(&body)
        .await
        .unwrap();
    click(c, "[data-test=runbook-save]").await;
    wait_for_path(c, &format!("/runbooks/{RUNBOOK}")).await;
    c.goto(&server.url(&format!("/runbooks/{RUNBOOK}/edit")))
        .await
        .unwrap();
    wait_until_hydrated(c).await;
    element(c, "textarea[name=body]")
        .await
        .send_keys(VECTORS[0])
        .await
        .unwrap();
    click(c, "[data-test=runbook-save]").await;
    wait_for_path(c, &format!("/runbooks/{RUNBOOK}")).await;
    // Run #1 of it, so that the run page shows the stored text.
    wait_until_hydrated(c).await;
    click(c, "[data-test=start-run]").await;
    wait_for_path(c, &format!("/runbooks/{RUNBOOK}/runs/1")).await;
}

/// A service whose stored settings hold vectors, and a backup target.
async fn stored_data(c: &Client, server: &Server) {
    c.goto(&server.url("/services/new")).await.unwrap();
    wait_until_hydrated(c).await;
    set(c, "name", SERVICE).await;
    set(c, "image", "opsdeck-e2e/xss").await;
    let env = VECTORS
        .iter()
        .enumerate()
        .map(|(i, v)| format!("V{i}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let field = element(c, "textarea[name=env]").await;
    field.send_keys(&env).await.unwrap();
    click(c, "[data-test=service-save]").await;
    wait_for_path(c, &format!("/services/production/{SERVICE}")).await;
    let own_db = server.cli(&["db", "start"], "").trim().to_string();
    c.goto(&server.url("/backups")).await.unwrap();
    wait_until_hydrated(c).await;
    fill(c, "name", "self").await;
    fill(c, "url", &own_db).await;
    click(c, "[data-test=create-target-submit]").await;
    wait_for_text(c, "[data-test=target-self]").await;
    c.goto(&server.url("/backups/self")).await.unwrap();
    wait_until_hydrated(c).await;
    click(c, "[data-test=run-backup]").await;
    eventually("a verified backup", WAIT, || async {
        text_of(c, "[data-test=backups-table] [data-test=backup-verified]")
            .await
            .filter(|t| t == "verified")
    })
    .await;
}

#[tokio::test]
async fn xss_vectors_in_every_url_parameter_and_form_field_stay_text() {
    let test = "xss_vectors";
    let Some((browser, server)) = browser_and_server(test).await else {
        return;
    };
    scenario(test, &browser, |c| async move {
        checks_see_injections(&c).await;
        set_up_admin(&c, &server).await;
        stored_data(&c, &server).await;
        stored_runbook(&c, &server).await;
        url_parameters(&c, &server).await;
        let real: Vec<String> = pages::PAGES
            .iter()
            .filter(|p| !matches!(**p, "/login" | "/setup"))
            .map(|p| fill_path(p, real_param))
            .collect();
        let mut round = 0;
        for path in &real {
            forms(&c, &server, path, &mut round).await;
        }
        assert!(
            round >= 10,
            "only {round} forms took vectors: the pages did not render their forms"
        );
        // What the forms stored is shown on these pages now.
        for path in &real {
            visit(&c, &server, path).await;
        }
        sign_out(&c).await;
        for v in VECTORS {
            visit(&c, &server, &format!("/login?next={}", encode(v))).await;
        }
    })
    .await;
}
