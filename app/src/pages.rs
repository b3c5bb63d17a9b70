/// Every page's route, as the router declares it (`{param}` for a
/// parameter). The browser test that throws XSS vectors at every page and
/// form visits each of these, and a server test fails when the router has a
/// page missing here: a new page cannot skip the XSS test. This file is also
/// `include!`d by the end2end crate, so it holds nothing but the page lists
/// and their matcher.
pub const PAGES: &[&str] = &[
    "/",
    "/dashboard/deployments",
    "/services",
    "/services/new",
    "/services/{env}/{name}",
    "/deployments/{id}",
    "/incidents",
    "/incidents/{id}",
    "/runbooks",
    "/runbooks/new",
    "/runbooks/{slug}",
    "/runbooks/{slug}/edit",
    "/runbooks/{slug}/diff",
    "/runbooks/{slug}/runs/{run}",
    "/engine",
    "/admin/audit",
    "/admin/users",
    "/admin/endpoints",
    "/admin/webhooks",
    "/tokens",
    "/backups",
    "/backups/{target}",
    "/backups/{target}/{backup}",
    "/login",
    "/setup",
];

/// Pages with nothing to hydrate: read-only views whose links and forms are
/// plain HTML (a GET form, a POST to a server fn). A browser that opens one
/// of these downloads no wasm at all: the server leaves the hydration
/// scripts out (`shell` in lib.rs) and sends `<body data-hydrated>` already
/// set. Reached by client-side navigation from a hydrated page, they render
/// in the browser like any other page. A page that gains an event handler,
/// a signal, a server action or a live update leaves this list: the browser
/// test `server_only_pages_fetch_no_code_and_still_work` signs in and out
/// and compares on one of them, and checks that none fetches a wasm file.
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
