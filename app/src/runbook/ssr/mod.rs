//! Server-only machinery of runbooks: saving versions and reading them.

pub mod read;
pub mod save;
pub mod search;
