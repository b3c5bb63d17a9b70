/// Every page's route, as the router declares it (`{param}` for a
/// parameter). The browser test that throws XSS vectors at every page and
/// form visits each of these, and a server test fails when the router has a
/// page missing here: a new page cannot skip the XSS test. This file is also
/// `include!`d by the end2end crate, so it holds nothing else.
pub const PAGES: &[&str] = &[
    "/",
    "/dashboard/deployments",
    "/services",
    "/services/new",
    "/services/{env}/{name}",
    "/services/{env}/{name}/settings",
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
