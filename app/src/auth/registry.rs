//! Every server function and who may call it. A test walks all registered
//! server functions: one missing here fails it, so no new endpoint ships
//! without a decision about its permission.

use super::Permission;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Callable without signing in (sign-in itself, first-run setup, who am I).
    Public,
    /// Needs a signed-in user holding this permission.
    Requires(Permission),
}

/// Path, access, and a well-formed form body for the permission test (the
/// guard runs after the arguments are decoded, so each needs valid ones).
pub const SERVER_FNS: &[(&str, Access, &str)] = &[
    ("/api/whoami", Access::Public, ""),
    ("/api/setup_needed", Access::Public, ""),
    ("/api/login", Access::Public, "username=x&password=y"),
    ("/api/logout", Access::Public, ""),
    (
        "/api/setup",
        Access::Public,
        "username=x&display_name=x&password=y&confirm=y",
    ),
    (
        "/api/read_system_status",
        Access::Requires(Permission::Read),
        "",
    ),
    ("/api/read_engine", Access::Requires(Permission::Read), ""),
    (
        "/api/list_users",
        Access::Requires(Permission::Administer),
        "",
    ),
    (
        "/api/create_user",
        Access::Requires(Permission::Administer),
        "username=zed&password=long+enough+password&viewer=on",
    ),
    (
        "/api/set_user_roles",
        Access::Requires(Permission::Administer),
        "username=nobody&viewer=on",
    ),
    (
        "/api/set_user_disabled",
        Access::Requires(Permission::Administer),
        "username=nobody&disabled=false",
    ),
    (
        "/api/unlock_user",
        Access::Requires(Permission::Administer),
        "username=nobody",
    ),
    (
        "/api/reset_user_password",
        Access::Requires(Permission::Administer),
        "username=nobody&password=long+enough+password",
    ),
    ("/api/list_tokens", Access::Requires(Permission::Read), ""),
    (
        "/api/create_token",
        Access::Requires(Permission::Read),
        "name=ci&days=30&permissions[0]=read",
    ),
    (
        "/api/revoke_token",
        Access::Requires(Permission::Read),
        "id=999999",
    ),
    (
        "/api/list_audit",
        Access::Requires(Permission::ReadAudit),
        "",
    ),
    (
        "/api/verify_audit",
        Access::Requires(Permission::ReadAudit),
        "",
    ),
    ("/api/list_services", Access::Requires(Permission::Read), ""),
    (
        "/api/read_service",
        Access::Requires(Permission::Read),
        "service=nope%2Fnope",
    ),
    (
        "/api/read_deployment",
        Access::Requires(Permission::Read),
        "id=0",
    ),
    (
        "/api/list_environments",
        Access::Requires(Permission::Read),
        "",
    ),
    (
        "/api/list_endpoints",
        Access::Requires(Permission::Administer),
        "",
    ),
    (
        "/api/create_endpoint",
        Access::Requires(Permission::Administer),
        "name=x&url=y",
    ),
    (
        "/api/create_environment",
        Access::Requires(Permission::Administer),
        "name=x&endpoint=y",
    ),
    (
        "/api/save_service",
        Access::Requires(Permission::Deploy),
        "name=x",
    ),
    (
        "/api/deploy",
        Access::Requires(Permission::Deploy),
        "service=nope&tag=v1",
    ),
    (
        "/api/rollback",
        Access::Requires(Permission::Deploy),
        "service=nope&release=1",
    ),
    (
        "/api/scale",
        Access::Requires(Permission::Deploy),
        "service=nope&replicas=1",
    ),
    (
        "/api/restart",
        Access::Requires(Permission::Deploy),
        "service=nope",
    ),
    (
        "/api/remove_service",
        Access::Requires(Permission::Deploy),
        "service=nope&confirm=nope",
    ),
    (
        "/api/list_backup_targets",
        Access::Requires(Permission::Read),
        "",
    ),
    (
        "/api/read_backup_target",
        Access::Requires(Permission::Read),
        "target=nope",
    ),
    (
        "/api/create_backup_target",
        Access::Requires(Permission::Administer),
        "name=x&url=y",
    ),
    (
        "/api/update_backup_target",
        Access::Requires(Permission::Administer),
        "target=nope",
    ),
    (
        "/api/test_backup_target",
        Access::Requires(Permission::Administer),
        "target=nope",
    ),
    (
        "/api/save_backup_schedule",
        Access::Requires(Permission::Administer),
        "target=nope&cron=x",
    ),
    (
        "/api/run_backup",
        Access::Requires(Permission::RunBackup),
        "target=nope",
    ),
    (
        "/api/read_backup",
        Access::Requires(Permission::Read),
        "id=0",
    ),
    (
        "/api/list_backups",
        Access::Requires(Permission::Read),
        "target=nope",
    ),
    (
        "/api/test_restore_backup",
        Access::Requires(Permission::RunBackup),
        "id=0",
    ),
    (
        "/api/restore_backup",
        Access::Requires(Permission::RestoreBackup),
        "id=0&confirm=x",
    ),
    (
        "/api/delete_backup",
        Access::Requires(Permission::Administer),
        "id=0",
    ),
    (
        "/api/scrub_backups",
        Access::Requires(Permission::RunBackup),
        "target=nope",
    ),
    (
        "/api/read_restore",
        Access::Requires(Permission::Read),
        "id=0",
    ),
];

/// Every plain axum route (streams, downloads, exports, probes: what is
/// not a server fn), who may call it, and a sample path for the every-role
/// test. Routers name their paths through [`plain_route`], so a route
/// missing here fails every test that builds the router.
pub const PLAIN_ROUTES: &[(&str, Access, &str)] = &[
    ("/live", Access::Public, "/live"),
    ("/health", Access::Public, "/health"),
    ("/ready", Access::Public, "/ready"),
    (
        "/deployments/{id}/events",
        Access::Requires(Permission::Read),
        "/deployments/1/events",
    ),
    (
        "/services/{env}/{name}/logs",
        Access::Requires(Permission::Read),
        "/services/production/web/logs",
    ),
    (
        "/services/{env}/{name}/changes",
        Access::Requires(Permission::Read),
        "/services/production/web/changes",
    ),
    (
        "/service-events",
        Access::Requires(Permission::Read),
        "/service-events",
    ),
    (
        "/backup-events/{target}",
        Access::Requires(Permission::Read),
        "/backup-events/main",
    ),
    (
        "/backup-files/{id}",
        Access::Requires(Permission::Administer),
        "/backup-files/1",
    ),
    (
        "/admin/audit/export",
        Access::Requires(Permission::ReadAudit),
        "/admin/audit/export?format=csv",
    ),
];

/// `path`, once it is known to be listed in [`PLAIN_ROUTES`] (panics
/// otherwise, when the router is built: in every test).
pub fn plain_route(path: &'static str) -> &'static str {
    assert!(
        PLAIN_ROUTES.iter().any(|(p, ..)| *p == path),
        "plain route {path} is missing from app::auth::registry::PLAIN_ROUTES"
    );
    path
}
