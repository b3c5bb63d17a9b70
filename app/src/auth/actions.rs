//! What signing in and the guard write to the audit log.

use crate::audit::Action;

pub const LOGIN: Action = Action::new("user.login");
pub const LOGOUT: Action = Action::new("user.logout");
/// An account locked after too many failed sign-ins.
pub const LOCKOUT: Action = Action::new("user.lockout");
/// A signed-in caller lacked the permission (the guard's denial).
pub const PERMISSION_DENIED: Action = Action::new("permission.denied");
