//! Live changes for browser streams, across every Opsdeck process.
//!
//! Features announce a changed row with `pg_notify('opsdeck_live',
//! '<topic>:<id>')` (usually from a trigger, so a change made by any process
//! is seen by all). Each process keeps one LISTEN connection and fans the
//! notifications out to its streams over a broadcast channel.

mod browser;
mod tick;
pub use browser::use_event_stream;
pub use tick::use_live_tick;

#[cfg(feature = "ssr")]
mod server;
#[cfg(feature = "ssr")]
pub use server::*;

/// What a notification is about: the `<topic>` of `'<topic>:<id>'`, spelled
/// in the SQL triggers of `migrations/` and here; a test checks that both
/// name the same topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A deployment or one of its steps (id: the deployment).
    Deployment,
    /// A service, its replicas or deployments (id: the service).
    Service,
    /// A backup target or any of its backups (id: the target).
    BackupTarget,
    /// One backup (id: the backup).
    Backup,
    /// One restore (id: the restore).
    BackupRestore,
    /// An incident or its timeline (id: the incident).
    Incident,
    /// Someone's access may have ended (id: always 0; every stream
    /// re-checks; see the `notify_access_change` migration).
    Access,
    /// A webhook delivery was owed or tried (id: the destination).
    Webhook,
    /// A runbook run: an entry, an approval, its end (id: the run).
    RunbookRun,
}

impl Topic {
    pub const ALL: [Topic; 9] = [
        Topic::Deployment,
        Topic::Service,
        Topic::BackupTarget,
        Topic::Backup,
        Topic::BackupRestore,
        Topic::Incident,
        Topic::Access,
        Topic::Webhook,
        Topic::RunbookRun,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Deployment => "deployment",
            Topic::Service => "service",
            Topic::BackupTarget => "backup_target",
            Topic::Backup => "backup",
            Topic::BackupRestore => "backup_restore",
            Topic::Incident => "incident",
            Topic::Access => "access",
            Topic::Webhook => "webhook",
            Topic::RunbookRun => "runbook_run",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::Topic;
    use std::collections::BTreeSet;

    /// The topics every `pg_notify('opsdeck_live', '<topic>:' …)` in the
    /// migrations announces.
    fn notified_in_migrations() -> BTreeSet<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
        let mut topics = BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("the migrations folder") {
            let sql = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for call in sql.split("pg_notify(").skip(1) {
                let rest = call
                    .trim_start()
                    .strip_prefix("'opsdeck_live',")
                    .unwrap_or_else(|| panic!("a notification on another channel: {call:.60}"));
                let payload = rest.trim_start().strip_prefix('\'').unwrap();
                let (topic, _) = payload.split_once(':').unwrap();
                topics.insert(topic.to_string());
            }
        }
        topics
    }

    #[test]
    fn the_topics_are_the_ones_the_migrations_notify() {
        let sql = notified_in_migrations();
        let rust: BTreeSet<String> = Topic::ALL.iter().map(|t| t.as_str().into()).collect();
        assert_eq!(sql, rust, "the SQL triggers and live::Topic differ");
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
    }
}
