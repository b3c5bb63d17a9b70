//! What runbooks write to the audit log (`runbook.*`).

use crate::audit::Action;

/// A new version was saved.
pub const SAVE: Action = Action::new("runbook.save");

/// An old version's text was saved again as a new version.
pub const REVERT: Action = Action::new("runbook.revert");

/// A run of a runbook began (optionally attached to an incident).
pub const RUN_START: Action = Action::new("runbook.run_start");

/// A run was marked finished.
pub const RUN_FINISH: Action = Action::new("runbook.run_finish");

/// A checklist item of a run was ticked or unticked.
pub const CHECK: Action = Action::new("runbook.check");

/// A step that needs approval was asked for.
pub const APPROVAL_REQUEST: Action = Action::new("runbook.approval_request");

/// A second person approved a step (which then runs).
pub const APPROVE: Action = Action::new("runbook.approve");

/// A step's approval was declined (or withdrawn by its requester).
pub const DECLINE: Action = Action::new("runbook.decline");
