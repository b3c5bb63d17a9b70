//! Server-only machinery of runbooks: saving versions, reading them,
//! searching, comparing and reverting.

pub mod diff;
pub mod read;
pub mod revert;
pub mod save;
pub mod search;
