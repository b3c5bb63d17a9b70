//! Static assets and caching: what a browser may keep, and for how long.
//!
//! The release build (`scripts/build`: `cargo leptos build --release
//! --precompress --split`, with `hash-files` on) names the wasm, JS and CSS after a hash of their content
//! and writes a `.br` and a `.gz` beside each (`strip-wasm` then drops the
//! wasm files' toolchain-only sections and rewrites their twins, the same
//! way every time, so a name still stands for one content); `leptos_axum`'s
//! file handler serves those to browsers that accept them. A hashed name never changes
//! content, so it is cached for a year as `immutable`: after the first visit a
//! page costs its HTML only. HTML is never stored (it is signed-in content, and
//! must name the current assets after an upgrade). Other static files get a
//! short cache so an upgrade reaches browsers within the hour.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::LeptosOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The name of cargo-leptos' file listing the content hashes.
const HASH_FILE: &str = "hash.txt";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=3600";
const NEVER: &str = "no-store";

/// Where cargo-leptos' hash list is: beside the binary (as the build leaves
/// it), else in the site folder (where an install may put it). `None` for a
/// build without hashed names (a debug build, the tests). Always absolute:
/// leptos' `HydrationScripts` joins it to the binary's folder, so a path
/// relative to the working directory (`LEPTOS_SITE_ROOT=target/site`)
/// would name a file that is not there and fail every hydrated page.
pub fn hash_file(site_root: &Path) -> Option<PathBuf> {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE)));
    beside_binary
        .into_iter()
        .chain([site_root.join(HASH_FILE)])
        .find(|p| p.is_file())
        .map(|p| std::path::absolute(&p).unwrap_or(p))
}

/// The content hashes the current build's asset names carry.
#[derive(Clone, Debug, Default)]
pub struct AssetHashes(Arc<Vec<String>>);

impl AssetHashes {
    /// Reads the hash list `options` point at, when file hashing is on.
    pub fn of(options: &LeptosOptions) -> Self {
        if !options.hash_files {
            return Self::default();
        }
        let text = std::fs::read_to_string(options.hash_file.as_ref()).unwrap_or_default();
        Self::parse(&text)
    }

    /// `js: 1a2b…` lines, one per kind of asset.
    fn parse(text: &str) -> Self {
        let hashes = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(_, hash)| hash.trim().to_string())
            .filter(|hash| !hash.is_empty())
            .collect();
        AssetHashes(Arc::new(hashes))
    }

    /// Whether `path` names a file of the build by its content hash: the
    /// main JS, wasm and CSS (their hashes are listed), and every other file
    /// cargo-leptos renamed after its content — the wasm chunks of the split
    /// build, their loader and manifest (`name.<22-character md5 in
    /// base64url>.ext`), which hash.txt does not list one by one, and the
    /// files of the islands bundle's hashed folder.
    fn names_hashed_file(&self, path: &str) -> bool {
        let Some(file) = path.strip_prefix("/pkg/") else {
            return false;
        };
        if self.0.is_empty() {
            return false;
        }
        // The islands bundle: one folder named after the content of all its
        // files (`opsdeck-islands.<hash>/chunk_7.wasm`), whose files find
        // each other by relative URLs.
        if let Some((folder, file)) = file.split_once('/') {
            return !file.is_empty()
                && !file.contains('/')
                && folder.split('.').nth(1).is_some_and(is_content_hash);
        }
        self.0
            .iter()
            .any(|hash| file.contains(&format!(".{hash}.")))
            || file.split('.').nth(1).is_some_and(is_content_hash)
    }
}

/// cargo-leptos' content hash: an md5 digest in unpadded base64url.
fn is_content_hash(segment: &str) -> bool {
    segment.len() == 22
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Sets `Cache-Control` on every response that does not set its own.
pub async fn cache_policy(State(hashes): State<AssetHashes>, req: Request, next: Next) -> Response {
    let immutable = hashes.names_hashed_file(req.uri().path());
    let mut response = next.run(req).await;
    if response.headers().contains_key(header::CACHE_CONTROL) {
        return response;
    }
    let policy = if !response.status().is_success() {
        NEVER
    } else if immutable {
        IMMUTABLE
    } else if is_html_or_data(&response) {
        NEVER
    } else {
        SHORT
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

/// Pages, server-function answers and streams: content that changes, and is
/// often a signed-in person's.
fn is_html_or_data(response: &Response) -> bool {
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !(kind.starts_with("text/css")
        || kind.starts_with("text/javascript")
        || kind.starts_with("application/javascript")
        || kind.starts_with("application/wasm")
        || kind.starts_with("image/")
        || kind.starts_with("font/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_list_found_under_a_relative_site_root_is_named_absolutely() {
        let relative = PathBuf::from(format!(".hash-file-test-{}", std::process::id()));
        std::fs::create_dir_all(&relative).unwrap();
        std::fs::write(relative.join(HASH_FILE), "js: abc\n").unwrap();
        let found = hash_file(&relative);
        std::fs::remove_dir_all(&relative).unwrap();
        let found = found.expect("the hash list in the site folder");
        assert!(found.is_absolute(), "{}", found.display());
        assert!(
            found.ends_with(relative.join(HASH_FILE)),
            "{}",
            found.display()
        );
    }

    #[test]
    fn only_the_files_named_by_this_builds_hashes_count_as_hashed() {
        let hashes = AssetHashes::parse("js: abc123\nwasm: def456\ncss: 0f0f\n\n");
        assert!(hashes.names_hashed_file("/pkg/opsdeck.abc123.js"));
        assert!(hashes.names_hashed_file("/pkg/opsdeck.def456.wasm"));
        assert!(hashes.names_hashed_file("/pkg/opsdeck.0f0f.css"));
        assert!(!hashes.names_hashed_file("/pkg/opsdeck.css"));
        assert!(!hashes.names_hashed_file("/pkg/opsdeck.999999.js"));
        assert!(!hashes.names_hashed_file("/services/opsdeck.abc123.js"));
        assert!(!AssetHashes::default().names_hashed_file("/pkg/opsdeck.abc123.js"));
    }

    #[test]
    fn the_split_builds_chunks_loader_and_manifest_count_as_hashed() {
        let hashes = AssetHashes::parse("js: abc123\nwasm: def456\n");
        assert!(hashes.names_hashed_file("/pkg/chunk_100.ZVbmOcYQtcUYUBuX-F5eiw.wasm"));
        assert!(hashes.names_hashed_file("/pkg/__wasm_split.ccjJnNlEGZLyMNF-1tYMUA.js"));
        assert!(hashes.names_hashed_file("/pkg/__wasm_split_manifest.L7eEM2n0Fbrr4Ox9LyFGvA.json"));
        // Not 22 base64url characters, or outside /pkg/, or a build without
        // hashed names: kept for an hour only.
        assert!(!hashes.names_hashed_file("/pkg/chunk_100.wasm"));
        assert!(!hashes.names_hashed_file("/pkg/chunk_100.ZVbmOcYQtcUYUBuX-F5ei.wasm"));
        assert!(!hashes.names_hashed_file("/pkg/chunk_100.ZVbmOcYQtcUYUBuX+F5eiw.wasm"));
        assert!(!hashes.names_hashed_file("/pkg/snippets/x/chunk.ZVbmOcYQtcUYUBuX-F5eiw.js"));
        assert!(!hashes.names_hashed_file("/public/chunk_100.ZVbmOcYQtcUYUBuX-F5eiw.wasm"));
        assert!(
            !AssetHashes::default().names_hashed_file("/pkg/chunk_100.ZVbmOcYQtcUYUBuX-F5eiw.wasm")
        );
    }

    #[test]
    fn the_files_of_the_islands_bundles_hashed_folder_count_as_hashed() {
        let hashes = AssetHashes::parse("js: abc123\nwasm: def456\n");
        let folder = "/pkg/opsdeck-islands.lqrJe61FdF0Xu030eGf_iA";
        assert!(hashes.names_hashed_file(&format!("{folder}/chunk_7.wasm")));
        assert!(hashes.names_hashed_file(&format!("{folder}/__wasm_split.js")));
        assert!(hashes.names_hashed_file(&format!("{folder}/opsdeck-islands.js")));
        // The folder itself, deeper paths, folders without the hash.
        assert!(!hashes.names_hashed_file(&format!("{folder}/")));
        assert!(!hashes.names_hashed_file(&format!("{folder}/x/chunk_7.wasm")));
        assert!(!hashes.names_hashed_file("/pkg/opsdeck-islands/chunk_7.wasm"));
        assert!(!hashes.names_hashed_file("/pkg/snippets/chunk_7.wasm"));
    }
}
