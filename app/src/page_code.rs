//! What code each page is sent with (`shell` in root.rs asks): none, the
//! islands bundle, or the hydrated app. See docs/wasm-budget.md.

/// The code a page comes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageCode {
    /// [`SERVER_ONLY`]: no script at all.
    None,
    /// [`ISLAND_PAGES`]: the islands bundle (`islands/`), which hydrates
    /// the page's `#[island]` components and nothing else; with the names
    /// of the islands the page shows, whose code it preloads.
    Islands(&'static [&'static str]),
    /// Any other path (today only addresses that are no page): the app
    /// hydrates, with the page's lazy chunks.
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
/// the islands bundle (`islands/`) instead of the app: its main module
/// (Leptos' islands runtime and the code islands share) and the pack of
/// the islands named here (their chunks in one file), which the page
/// preloads. An island's name is its component's in snake case
/// (`EngineView` → `engine_view`), the name scripts/build-islands lists
/// its chunks and pack under in islands.txt; a page naming several needs
/// their line in `islands/packs.txt`. A page that shows an island not
/// named here still works, but fetches that island's chunks one by one
/// after the main module runs, and its browser test fails
/// (`assert_only_islands_fetched` wants every file preloaded).
///
/// An island cannot read the router or a context from outside it, and
/// holds no `Resource` (its id could differ from the server's): the page
/// reads the data and hands it over; the island reads again through
/// `layout::reload_on`. Each page's browser test checks that it works and
/// fetched only the islands bundle (`assert_only_islands_fetched`).
pub const ISLAND_PAGES: &[(&str, &[&str])] = &[
    ("/", &["live_board"]),
    ("/engine", &["engine_view"]),
    ("/tokens", &["tokens_view"]),
    ("/admin/users", &["users_view"]),
    ("/admin/endpoints", &["endpoints_editor"]),
    ("/admin/webhooks", &["webhooks_editor"]),
    ("/services", &["services_list"]),
    ("/services/new", &["new_service_form"]),
    ("/services/{env}/{name}", &["service_view"]),
    ("/services/{env}/{name}/settings", &["service_settings"]),
    ("/deployments/{id}", &["live_deployment"]),
    ("/incidents", &["incidents_board"]),
    ("/incidents/{id}", &["incident_view"]),
    ("/runbooks/new", &["runbook_editor"]),
    (
        "/runbooks/{slug}",
        &["step_card", "runs_panel", "revert_form"],
    ),
    (
        "/runbooks/{slug}/runs/{run}",
        &["step_card", "finish_button", "run_panel"],
    ),
    ("/runbooks/{slug}/edit", &["runbook_editor"]),
    ("/backups", &["backup_targets"]),
    ("/backups/{target}", &["target_view"]),
    ("/backups/{target}/{backup}", &["one_backup"]),
];

/// The code the page at `path` (no query) is sent with.
pub fn page_code(path: &str) -> PageCode {
    if SERVER_ONLY.iter().any(|route| matches(route, path)) {
        PageCode::None
    } else if let Some((_, islands)) = ISLAND_PAGES.iter().find(|(route, _)| matches(route, path)) {
        PageCode::Islands(islands)
    } else {
        PageCode::Hydrated
    }
}

/// Whether `path` is `route`: same segments, `{param}` matching any one
/// non-empty segment, a trailing slash ignored.
fn matches(route: &str, path: &str) -> bool {
    let path = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
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
        let islands = super::ISLAND_PAGES.iter().map(|(route, _)| route);
        for route in super::SERVER_ONLY.iter().chain(islands) {
            assert!(crate::PAGES.contains(route), "{route} is not in PAGES");
        }
    }

    #[test]
    fn every_page_of_several_islands_has_one_pack_for_them() {
        let groups: Vec<Vec<&str>> = include_str!("../../islands/packs.txt")
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default())
            .map(|line| line.split_whitespace().collect())
            .collect();
        for (route, islands) in super::ISLAND_PAGES.iter().filter(|(_, i)| i.len() > 1) {
            assert!(
                groups.iter().any(|g| g == islands),
                "{route}: add `{}` to islands/packs.txt",
                islands.join(" ")
            );
        }
    }

    #[test]
    fn a_page_comes_with_no_code_its_islands_or_the_whole_app() {
        assert_eq!(page_code("/login"), PageCode::None);
        assert_eq!(page_code("/engine"), PageCode::Islands(&["engine_view"]));
        assert_eq!(page_code("/engine/"), PageCode::Islands(&["engine_view"]));
        assert_eq!(
            page_code("/services"),
            PageCode::Islands(&["services_list"])
        );
        assert_eq!(page_code("/no/such/page"), PageCode::Hydrated);
    }
}
