//! What code each page is sent with (`shell` in root.rs asks): none, the
//! islands bundle, or the hydrated app. See docs/wasm-budget.md.

/// The code a page comes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageCode {
    /// [`SERVER_ONLY`]: no script at all.
    None,
    /// [`ISLAND_PAGES`]: the islands bundle (`islands/`), which hydrates
    /// the page's `#[island]` components and nothing else.
    Islands,
    /// Every other page: the app hydrates, with the page's lazy chunks.
    Hydrated,
}

/// Pages with nothing to hydrate: read-only views whose links and forms are
/// plain HTML (a GET form, a POST to a server fn). A browser that opens one
/// of these downloads no wasm at all: the server leaves the hydration
/// scripts out (`shell` in root.rs) and sends `<body data-hydrated>` already
/// set. Reached by client-side navigation from a hydrated page, they render
/// in the browser like any other page. A page that gains an event handler,
/// a signal, a server action or a live update leaves this list: the browser
/// test `server_only_pages_fetch_no_code_and_still_work` signs in and out
/// and checks the audit log on them, and that none fetches a wasm file.
pub const SERVER_ONLY: &[&str] = &[
    "/login",
    "/setup",
    "/dashboard/deployments",
    "/runbooks",
    "/runbooks/{slug}/diff",
    "/admin/audit",
];

/// Pages whose interactive parts are `#[island]` components taking their
/// data as props; the rest of the page is the server's HTML. They load
/// the islands bundle (`islands/`, every page's islands in one module)
/// instead of the app. An island cannot read the router or a context from
/// outside it, and holds no `Resource` (its id could differ from the
/// server's): the page reads the data and hands it over; the island reads
/// again through `layout::reload_on`. Each page's browser test checks that
/// it works and fetched only the islands bundle (`wasm_files`): the engine
/// page, tokens, users, and the Swarm test for endpoints.
///
/// Every page here makes the bundle bigger for all of them (283 KiB gzip
/// with these four, the budget 300): see docs/wasm-budget.md before adding
/// one.
pub const ISLAND_PAGES: &[&str] = &["/engine", "/tokens", "/admin/users", "/admin/endpoints"];

/// The code the page at `path` (no query) is sent with.
pub fn page_code(path: &str) -> PageCode {
    if matches(SERVER_ONLY, path) {
        PageCode::None
    } else if matches(ISLAND_PAGES, path) {
        PageCode::Islands
    } else {
        PageCode::Hydrated
    }
}

/// Whether `path` is one of `routes`: same segments, `{param}` matching any
/// one non-empty segment, a trailing slash ignored.
fn matches(routes: &[&str], path: &str) -> bool {
    let path = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
    routes.iter().any(|route| {
        let mut want = route.split('/');
        let mut have = path.split('/');
        loop {
            match (want.next(), have.next()) {
                (None, None) => return true,
                (Some(w), Some(h)) if w.starts_with('{') && !h.is_empty() => {}
                (Some(w), Some(h)) if w == h => {}
                _ => return false,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{page_code, PageCode};

    fn server_only(path: &str) -> bool {
        page_code(path) == PageCode::None
    }

    #[test]
    fn a_server_only_route_matches_its_paths_and_no_other() {
        assert!(server_only("/login"));
        assert!(server_only("/login/"));
        assert!(server_only("/runbooks/restart-web/diff"));
        assert!(!server_only("/runbooks/restart-web"));
        assert!(!server_only("/runbooks//diff"));
        assert!(!server_only("/runbooks/restart-web/diff/more"));
        assert!(!server_only("/"));
        assert!(!server_only("/services"));
    }

    #[test]
    fn every_server_only_and_island_route_is_a_page() {
        for route in super::SERVER_ONLY.iter().chain(super::ISLAND_PAGES) {
            assert!(crate::PAGES.contains(route), "{route} is not in PAGES");
        }
    }

    #[test]
    fn a_page_comes_with_no_code_its_islands_or_the_whole_app() {
        assert_eq!(page_code("/login"), PageCode::None);
        assert_eq!(page_code("/engine"), PageCode::Islands);
        assert_eq!(page_code("/engine/"), PageCode::Islands);
        assert_eq!(page_code("/services"), PageCode::Hydrated);
        assert_eq!(page_code("/no/such/page"), PageCode::Hydrated);
    }
}
