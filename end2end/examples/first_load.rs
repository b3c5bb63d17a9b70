//! First load of pages in a real browser, as someone opening the panel on a
//! slow network sees it: Chromium with an empty cache, the network throttled
//! by Chromium itself (DevTools' emulation: a minimum latency per request and
//! a bandwidth cap), signed in with the session cookie given. For each page
//! and network it prints, as tab-separated lines:
//!
//! `network  page  ms-to-interactive  ms-to-last-byte  requests  wasm-files  wasm-KiB-on-the-wire  all-KiB-on-the-wire`
//!
//! where interactive means `body[data-hydrated]` (set once the page's own
//! code has hydrated, see `frontend`) and the last byte is the end of the
//! last response the page had fetched by then. Medians of `RUNS` loads
//! (default 3); a page none of whose loads became interactive within two
//! minutes is printed as `never interactive`. Run by `bench/ssr.sh`, which seeds the data, starts the
//! release server and signs in.
//!
//! `cargo run -p end2end --example first_load -- BASE COOKIE PAGE...`

use end2end::diagnose::{SessionPost, WASM_ENTRIES};
use end2end::Browser;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::Client;
use serde_json::{json, Value};
use std::time::Duration;

/// A network: name, minimum latency per request (ms), download and upload
/// bandwidth (bytes/s; 0 = not capped).
struct Network {
    name: &'static str,
    latency_ms: u64,
    down: u64,
    up: u64,
}

/// Loopback as it is, and DevTools' "Slow 4G" preset (what a phone gets on
/// a poor hotel network: 150 ms, 1.6 Mbit/s down, 750 kbit/s up).
const NETWORKS: &[Network] = &[
    Network {
        name: "loopback",
        latency_ms: 0,
        down: 0,
        up: 0,
    },
    Network {
        name: "slow 4G (150 ms, 1.6 Mbit/s)",
        latency_ms: 150,
        down: 1_600_000 / 8,
        up: 750_000 / 8,
    },
];

/// Records when `data-hydrated` appears, from the first script of every
/// document on; `performance.now()` counts from the navigation's start.
/// A server-only page (`app::SERVER_ONLY`) arrives with the mark set and
/// has no code to wait for: it counts as interactive once parsed
/// (DOMContentLoaded). Chromium keeps 250 resource timings unless told
/// otherwise, fewer than a page's wasm files.
const MARK_HYDRATION: &str = "performance.setResourceTimingBufferSize(100000);
  new MutationObserver((_, observer) => {
    if (document.body && document.body.dataset.hydrated === 'true') {
      window.__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  document.addEventListener('DOMContentLoaded', () => {
    if (window.__hydratedAt === undefined && document.body.dataset.hydrated === 'true') {
      window.__hydratedAt = performance.now();
    }
  });";

/// What one load measured.
struct Load {
    interactive_ms: f64,
    fetched_ms: f64,
    requests: u64,
    wasm_files: u64,
    wasm_bytes: u64,
    all_bytes: u64,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, cookie, pages @ ..] = args.as_slice() else {
        eprintln!("usage: first_load BASE COOKIE PAGE...");
        std::process::exit(2);
    };
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let browser = Browser::start("first-load")
        .await
        .expect("chromium and chromedriver are needed");
    let c = &browser.client;
    c.update_timeouts(TimeoutConfiguration::new(
        Some(Duration::from_secs(30)),
        Some(GIVE_UP),
        Some(Duration::ZERO),
    ))
    .await
    .expect("set the page load timeout");
    cdp(c, "Network.enable", json!({})).await;
    sign_in_with(c, base, cookie).await;
    cdp(
        c,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": MARK_HYDRATION }),
    )
    .await;
    for network in NETWORKS {
        throttle(c, network).await;
        for page in pages {
            let mut loads = Vec::new();
            for run in 1..=runs {
                eprintln!(
                    "first_load: {page} on {}, load {run} of {runs}",
                    network.name
                );
                match load(c, &format!("{base}{page}")).await {
                    Ok(one) => loads.push(one),
                    Err(why) => eprintln!("first_load: {page}: {why}"),
                }
            }
            print_median(network.name, page, &mut loads);
        }
    }
}

/// Sets the session cookie for the server's origin.
async fn sign_in_with(c: &Client, base: &str, cookie: &str) {
    let (name, value) = cookie.split_once('=').expect("COOKIE is name=value");
    cdp(
        c,
        "Network.setCookie",
        json!({ "name": name, "value": value, "url": base, "httpOnly": true }),
    )
    .await;
}

async fn throttle(c: &Client, network: &Network) {
    let capped = |bytes: u64| if bytes == 0 { -1 } else { bytes as i64 };
    cdp(
        c,
        "Network.emulateNetworkConditions",
        json!({
            "offline": false,
            "latency": network.latency_ms,
            "downloadThroughput": capped(network.down),
            "uploadThroughput": capped(network.up),
        }),
    )
    .await;
}

/// How long a load may take before it counts as failed.
const GIVE_UP: Duration = Duration::from_secs(120);

/// One load of `url` with an empty cache, until the page is interactive;
/// an error saying why when it does not get there within [`GIVE_UP`].
async fn load(c: &Client, url: &str) -> Result<Load, String> {
    // A blank page first: the previous page's event streams close, and
    // do not share the throttled link with this load.
    c.goto("about:blank").await.map_err(|e| e.to_string())?;
    cdp(c, "Network.clearBrowserCache", json!({})).await;
    c.goto(url).await.map_err(|e| format!("not loaded: {e}"))?;
    let measured = end2end::within(GIVE_UP, || async {
        // Polled until the page is interactive; an error ends the wait.
        timings(c).await.transpose()
    })
    .await;
    match measured {
        Some(result) => result,
        None => Err(format!(
            "not interactive after {GIVE_UP:?}\n{}",
            end2end::diagnose::page_report(c).await
        )),
    }
}

/// The page's timings once it is interactive; `None` before.
async fn timings(c: &Client) -> Result<Option<Load>, String> {
    let measured = c
        .execute(
            &format!(
                "if (window.__hydratedAt === undefined) return null;
             const entries = performance.getEntriesByType('resource');
             const nav = performance.getEntriesByType('navigation')[0];
             const wasm = {WASM_ENTRIES};
             const sum = list => list.reduce((n, e) => n + e.transferSize, 0);
             return {{
               interactive_ms: window.__hydratedAt,
               requests: entries.length + 1,
               wasm_files: wasm.length,
               wasm_bytes: sum(wasm),
               fetched_ms: Math.max(0, ...entries.map(e => e.responseEnd)),
               all_bytes: sum(entries) + (nav ? nav.transferSize : 0),
             }};"
            ),
            vec![],
        )
        .await
        .map_err(|e| format!("timings unreadable: {e}"))?;
    if measured.is_null() {
        return Ok(None);
    }
    let n = |k: &str| measured[k].as_f64().unwrap_or(0.0);
    Ok(Some(Load {
        interactive_ms: n("interactive_ms"),
        fetched_ms: n("fetched_ms"),
        requests: n("requests") as u64,
        wasm_files: n("wasm_files") as u64,
        wasm_bytes: n("wasm_bytes") as u64,
        all_bytes: n("all_bytes") as u64,
    }))
}

/// Prints the load with the median time to interactive, or that none of
/// the loads got there.
fn print_median(network: &str, page: &str, loads: &mut [Load]) {
    if loads.is_empty() {
        println!("{network}\t{page}\tnever interactive\t-\t-\t-\t-\t-");
        return;
    }
    loads.sort_by(|a, b| a.interactive_ms.total_cmp(&b.interactive_ms));
    let m = &loads[loads.len() / 2];
    println!(
        "{network}\t{page}\t{:.0}\t{:.0}\t{}\t{}\t{}\t{}",
        m.interactive_ms,
        m.fetched_ms,
        m.requests,
        m.wasm_files,
        m.wasm_bytes / 1024,
        m.all_bytes / 1024
    );
}

/// A Chrome DevTools Protocol command, through chromedriver.
async fn cdp(c: &Client, cmd: &str, params: Value) {
    let call = SessionPost {
        path: "goog/cdp/execute",
        body: json!({ "cmd": cmd, "params": params }).to_string(),
    };
    c.issue_cmd(call)
        .await
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
}
