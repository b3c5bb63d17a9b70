//! What API tokens write to the audit log.

use crate::audit::Action;

pub const CREATE: Action = Action::new("token.create");
pub const REVOKE: Action = Action::new("token.revoke");
