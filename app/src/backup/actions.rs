//! What backups write to the audit log: backups (`backup.*`) and their
//! targets (`backup_target.*`).

use crate::audit::Action;

pub const RUN: Action = Action::new("backup.run");
pub const DELETE: Action = Action::new("backup.delete");
pub const RESTORE: Action = Action::new("backup.restore");
pub const TEST_RESTORE: Action = Action::new("backup.test_restore");
pub const SCHEDULE: Action = Action::new("backup.schedule");
pub const SCRUB: Action = Action::new("backup.scrub");
/// A target's newest good backup became older than its RPO (once per crossing).
pub const RPO_MISSED: Action = Action::new("backup.rpo_missed");
/// A scrub found a stored file that no longer matches its checksum.
pub const CORRUPTED: Action = Action::new("backup.corrupted");
pub const DOWNLOAD: Action = Action::new("backup.download");

pub const TARGET_CREATE: Action = Action::new("backup_target.create");
pub const TARGET_UPDATE: Action = Action::new("backup_target.update");
pub const TARGET_TEST: Action = Action::new("backup_target.test");
