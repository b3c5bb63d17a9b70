//! What webhook management writes to the audit log (`webhook.*`).

use crate::audit::Action;

pub const CREATE: Action = Action::new("webhook.create");
pub const DELETE: Action = Action::new("webhook.delete");
/// A test message was asked for; the audit trigger owes it to that one
/// destination (see the migration).
pub const TEST: Action = Action::new("webhook.test");
