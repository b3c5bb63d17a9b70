//! What runbooks write to the audit log (`runbook.*`).

use crate::audit::Action;

/// A new version was saved.
pub const SAVE: Action = Action::new("runbook.save");

/// An old version's text was saved again as a new version.
pub const REVERT: Action = Action::new("runbook.revert");
