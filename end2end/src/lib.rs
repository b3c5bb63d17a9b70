//! Browser tests: the release `opsdeck` binary (with its embedded
//! PostgreSQL) driven by Debian's headless Chromium through chromedriver.

mod browser;
pub mod container;
pub mod diagnose;
mod server;
pub mod steps;

pub use browser::{scenario, Browser};
pub use server::Server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The workspace's `target/` folder (screenshots and logs go there).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The `opsdeck` the tests run: `OPSDECK_BIN` (scripts/test points it at
/// the debug build its own compile makes), else the release build.
pub fn opsdeck_bin() -> PathBuf {
    std::env::var_os("OPSDECK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release/opsdeck"))
}

/// A browser test's two halves: headless Chromium and a fresh
/// `opsdeck` ([`opsdeck_bin`]) with its own database, both named after `test` (their logs and
/// screenshots). `None` when Chromium is missing: the test then skips, which
/// `CI=true` refuses.
pub async fn browser_and_server(test: &str) -> Option<(Browser, Server)> {
    let browser = Browser::start(test).await?;
    Some((browser, Server::start(test).await))
}

/// Polls `check` every 100 ms until it yields a value or `limit` passes.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    match within(limit, check).await {
        Some(v) => v,
        None => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Like [`eventually`], but `None` when `limit` passes, for a caller that
/// has more to say about the failure.
pub async fn within<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
