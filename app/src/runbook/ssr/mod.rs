//! Server-only machinery of runbooks: saving versions, reading them,
//! searching, comparing and reverting, and the action steps (cutting a
//! body into markdown and steps, checking an action against its step),
//! runs (their checklist and entries) and the approvals steps wait for.

pub mod approvals;
pub mod diff;
pub mod read;
pub mod revert;
pub mod runs;
pub mod save;
pub mod search;
pub mod step_check;
pub mod steps;
