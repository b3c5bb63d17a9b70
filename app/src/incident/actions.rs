//! What incidents write to the audit log (`incident.*`).

use crate::audit::Action;

pub const DECLARE: Action = Action::new("incident.declare");
pub const NOTE: Action = Action::new("incident.note");
pub const STATUS: Action = Action::new("incident.status");
pub const SEVERITY: Action = Action::new("incident.severity");
pub const POSTMORTEM: Action = Action::new("incident.postmortem");
pub const ACTION_ITEM_ADD: Action = Action::new("incident.action_item.add");
pub const ACTION_ITEM_DONE: Action = Action::new("incident.action_item.done");
pub const LINK_DEPLOYMENT: Action = Action::new("incident.link_deployment");
pub const ROLE: Action = Action::new("incident.role");
pub const STARTED_AT: Action = Action::new("incident.started_at");
pub const PIN: Action = Action::new("incident.pin");
