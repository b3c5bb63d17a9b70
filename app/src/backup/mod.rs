//! Database backups. So far: the retention rules (GFS) that decide which
//! backups a pass keeps; running, scheduling and restoring come next.

pub mod retention;
