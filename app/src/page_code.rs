//! Which pages are sent without the wasm bundle (`shell` in lib.rs asks).

/// Pages with nothing to hydrate: read-only views whose links and forms are
/// plain HTML (a GET form, a POST to a server fn). A browser that opens one
/// of these downloads no wasm at all: the server leaves the hydration
/// scripts out (`shell` in lib.rs) and sends `<body data-hydrated>` already
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

/// Whether `path` (no query) is one of [`SERVER_ONLY`]'s routes: same
/// segments, `{param}` matching any one non-empty segment.
pub fn server_only(path: &str) -> bool {
    let path = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
    SERVER_ONLY.iter().any(|route| {
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
    use super::server_only;

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
    fn every_server_only_route_is_a_page() {
        for route in super::SERVER_ONLY {
            assert!(crate::PAGES.contains(route), "{route} is not in PAGES");
        }
    }
}
