//! The audit log's own actions.

use super::Action;

/// The log (or a filtered part of it) was downloaded.
pub const EXPORT: Action = Action::new("audit.export");
/// The chain was verified from the audit page.
pub const VERIFY: Action = Action::new("audit.verify");
/// Events written before the chain had a key were keyed.
pub const KEY_CHAIN: Action = Action::new("audit.key_chain");
