//! What a browser can tell about a page that never became ready: its
//! console (a wasm panic, a failed chunk load) and its requests that failed.
//! Printed when a test gives up waiting, since a screenshot of a page that
//! looks fine says nothing about why its buttons are dead.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::Client;

/// The wasm files the current document fetched: a JavaScript expression
/// over its resource timings.
pub const WASM_ENTRIES: &str = "performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname.endsWith('.wasm'))";

/// How many wasm files the current document fetched.
pub async fn wasm_fetched(client: &Client) -> u64 {
    client
        .execute(&format!("return {WASM_ENTRIES}.length"), vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// The wasm files and islands' packs the current document fetched.
const CODE_ENTRIES: &str = "performance.getEntriesByType('resource').filter(e => /[.](wasm|pack)$/.test(new URL(e.name).pathname))";

/// Asserts that the current document (an island page, `app::ISLAND_PAGES`)
/// fetched the islands bundle and no other wasm: its main module and its
/// islands' packs (their chunks come out of them, never over the network),
/// every file preloaded by the page, and none downloaded twice.
pub async fn assert_only_islands_fetched(client: &Client, page: &str) {
    let fetched = client
        .execute(
            &format!(
                "const preloaded = [...document.querySelectorAll('link[rel=preload]')]
                   .map(l => new URL(l.href).pathname);
                 return {CODE_ENTRIES}.map(e => ({{
                   path: new URL(e.name).pathname,
                   downloaded: e.transferSize > 0,
                   preloaded: preloaded.includes(new URL(e.name).pathname),
                 }}));"
            ),
            vec![],
        )
        .await
        .unwrap();
    let fetched: Vec<serde_json::Value> = serde_json::from_value(fetched).unwrap();
    let path = |f: &serde_json::Value| f["path"].as_str().unwrap_or_default().to_string();
    let mut paths: Vec<String> = fetched.iter().map(path).collect();
    paths.sort();
    paths.dedup();
    assert!(
        paths.iter().all(|p| p.starts_with("/pkg/opsdeck-islands.")),
        "{page} fetched only the islands bundle: {paths:?}"
    );
    let named = |part: &str| paths.iter().filter(|p| p.contains(part)).count();
    assert_eq!(
        named("/opsdeck-islands_bg.wasm"),
        1,
        "{page}: the main module once: {paths:?}"
    );
    assert!(named(".pack") >= 1, "{page}: its islands' packs: {paths:?}");
    assert_eq!(
        named("/chunk_") + named("_loader_"),
        0,
        "{page}: a chunk came over the network, not out of a pack: {paths:?}"
    );
    for file in &fetched {
        assert!(
            file["preloaded"] == true,
            "{page} did not preload {}: {paths:?}",
            path(file)
        );
    }
    for file in &paths {
        let downloads = fetched
            .iter()
            .filter(|f| path(f) == *file && f["downloaded"] == true)
            .count();
        assert!(downloads <= 1, "{page} downloaded {file} {downloads} times");
    }
}

/// A chromedriver command outside the W3C set: a POST of `body` to
/// `session/<id>/<path>` (the console log, a DevTools Protocol call).
#[derive(Debug)]
pub struct SessionPost {
    pub path: &'static str,
    pub body: String,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.clone()))
    }
}

/// The page's address and readiness, the resources it loaded (and which of
/// them failed), then its console.
pub async fn page_report(client: &Client) -> String {
    let page = client
        .execute(
            &format!("const entries = performance.getEntriesByType('resource');
             const failed = entries
               .filter(e => e.responseStatus !== undefined && (e.responseStatus === 0 || e.responseStatus >= 400))
               .map(e => e.responseStatus + ' ' + e.name);
             return JSON.stringify({{
               url: location.href,
               readyState: document.readyState,
               hydrated: document.body && document.body.dataset.hydrated,
               resources: entries.length,
               wasm: {WASM_ENTRIES}.length,
               failed,
             }});"),
            vec![],
        )
        .await
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|e| format!("(page state unavailable: {e})"));
    // The console messages Chromium kept (`goog:loggingPrefs` asks it to
    // keep them all), through chromedriver's log endpoint.
    let log = SessionPost {
        path: "se/log",
        body: r#"{"type":"browser"}"#.into(),
    };
    let console = match client.issue_cmd(log).await {
        Ok(serde_json::Value::Array(entries)) => entries
            .iter()
            .map(|e| format!("  {} {}", e["level"], e["message"]))
            .collect::<Vec<_>>()
            .join("\n"),
        Ok(other) => format!("  {other}"),
        Err(e) => format!("  (console unavailable: {e})"),
    };
    format!("page: {page}\nconsole:\n{console}")
}
