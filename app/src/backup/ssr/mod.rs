//! Server-only machinery of backups.

pub mod archive;
pub mod checked_pipe;
pub mod conn;
pub mod delete;
pub mod dump;
pub mod ending;
pub mod exact;
pub mod failure;
pub mod merge;
pub mod model;
pub mod prune;
pub mod read;
pub mod reconcile;
pub mod restore;
pub mod rpo;
pub mod run;
pub mod schedule;
pub mod scheduler;
pub mod scrub;
pub mod store;
pub mod target;
pub mod test_restore;
