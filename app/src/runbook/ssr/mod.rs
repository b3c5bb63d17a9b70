//! Server-only machinery of runbooks: saving versions, reading them,
//! searching, comparing and reverting, the action steps (cutting a
//! body into markdown and steps, checking an action against its step),
//! runs (their checklist and entries) and the approvals steps wait for,
//! and runbooks as markdown files (import, export, the starter set).

pub mod approvals;
pub mod diff;
pub mod front_matter;
pub mod import;
pub mod read;
pub mod revert;
pub mod runs;
pub mod save;
pub mod search;
pub mod starter;
pub mod step_check;
pub mod steps;
