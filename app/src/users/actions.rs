//! What user administration (the page, setup and the CLI) writes to the
//! audit log.

use crate::audit::Action;

pub const CREATE: Action = Action::new("user.create");
pub const SET_ROLES: Action = Action::new("user.set_roles");
pub const DISABLE: Action = Action::new("user.disable");
pub const ENABLE: Action = Action::new("user.enable");
pub const UNLOCK: Action = Action::new("user.unlock");
pub const RESET_PASSWORD: Action = Action::new("user.reset_password");
