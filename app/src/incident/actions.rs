//! What incidents write to the audit log (`incident.*`).

use crate::audit::Action;

pub const DECLARE: Action = Action::new("incident.declare");
pub const NOTE: Action = Action::new("incident.note");
pub const STATUS: Action = Action::new("incident.status");
pub const SEVERITY: Action = Action::new("incident.severity");
