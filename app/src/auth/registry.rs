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

pub const SERVER_FNS: &[(&str, Access)] = &[
    ("/api/whoami", Access::Public),
    ("/api/setup_needed", Access::Public),
    ("/api/login", Access::Public),
    ("/api/logout", Access::Public),
    ("/api/setup", Access::Public),
    (
        "/api/read_system_status",
        Access::Requires(Permission::Read),
    ),
    ("/api/read_engine", Access::Requires(Permission::Read)),
    ("/api/list_users", Access::Requires(Permission::Administer)),
    ("/api/list_audit", Access::Requires(Permission::ReadAudit)),
    ("/api/verify_audit", Access::Requires(Permission::ReadAudit)),
];
