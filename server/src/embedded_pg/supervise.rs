//! Keeping the embedded cluster up while the server runs.
//!
//! The postmaster is not a child Opsdeck can wait on: `pg_ctl` daemonizes it,
//! as another user when Opsdeck is root. So its pid file is checked once a
//! second. When the postmaster is gone (the OOM killer, `kill -9`, a
//! `pg_ctl stop` behind Opsdeck's back) the cluster is started again with
//! backoff, and once the database answers, a `database.restart` event is
//! audited as `system`: the audit log lives in that very database. A cluster
//! that another live process owns, or that an operator stopped with
//! `opsdeck db stop`, is left alone; at shutdown the supervisor stops before
//! the cluster does, so it never undoes that stop. `/ready` needs nothing
//! from here: it asks the database, and the pool reconnects by itself.

use super::{EmbeddedPostgres, Keeper, RunningCluster};
use app::audit::ssr::{record_alone, Record};
use app::audit::{Action, Outcome};

/// The supervisor's audit action: the embedded cluster was started again.
const DATABASE_RESTART: Action = Action::new("database.restart");
use serde_json::json;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const POLL: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The watching task; [`Supervisor::stop`] hands the cluster back.
pub struct Supervisor {
    cluster: EmbeddedPostgres,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Supervisor {
    /// Watches `running`; `db` is the pool the restart event is written with.
    pub fn spawn(running: RunningCluster, db: PgPool) -> Self {
        let (stop, stopping) = watch::channel(false);
        let watch = Watch {
            cluster: running.cluster.clone(),
            db,
            outage: None,
            pending: None,
        };
        Supervisor {
            cluster: running.cluster,
            stop,
            task: tokio::spawn(watch.run(stopping)),
        }
    }

    /// Stops watching (after a restart under way has ended) and returns the
    /// cluster, to be stopped by this process if it owns it by now.
    pub async fn stop(self) -> RunningCluster {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the embedded PostgreSQL supervisor failed");
        }
        RunningCluster {
            started_here: self.cluster.owned_here(),
            cluster: self.cluster,
        }
    }
}

struct Watch {
    cluster: EmbeddedPostgres,
    db: PgPool,
    outage: Option<Outage>,
    /// The restart event, until the database takes it.
    pending: Option<Record>,
}

/// The postmaster was found gone and is not back yet.
struct Outage {
    since: Instant,
    reason: String,
    attempts: u32,
    next_try: Instant,
    /// Who keeps the cluster when it is not this process, once logged.
    left_to: Option<Keeper>,
}

impl Outage {
    fn begin(cluster: &EmbeddedPostgres) -> Outage {
        let reason = cluster.why_down();
        tracing::warn!(%reason, pgdata = %cluster.pgdata().display(), "the embedded PostgreSQL stopped");
        Outage {
            since: Instant::now(),
            reason,
            attempts: 0,
            next_try: Instant::now(),
            left_to: None,
        }
    }
}

impl Watch {
    async fn run(mut self, mut stopping: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = stopping.changed() => return,
                _ = tokio::time::sleep(POLL) => {}
            }
            self.tick().await;
        }
    }

    async fn tick(&mut self) {
        if self.cluster.is_running() {
            if let Some(outage) = self.outage.take() {
                self.back(outage, "another process");
            }
            self.adopt_orphan();
            self.write_pending().await;
            return;
        }
        let outage = self
            .outage
            .get_or_insert_with(|| Outage::begin(&self.cluster));
        let keeper = self.cluster.keeper();
        if keeper != Keeper::Us {
            if outage.left_to.as_ref() != Some(&keeper) {
                log_left_alone(&keeper);
                outage.left_to = Some(keeper);
            }
            return;
        }
        if Instant::now() < outage.next_try {
            return;
        }
        outage.attempts += 1;
        match self.cluster.restart().await {
            Ok(()) => {
                let outage = self.outage.take().expect("an outage is under way");
                self.back(outage, "opsdeck");
                self.write_pending().await;
            }
            Err(e) => {
                let delay = backoff(outage.attempts);
                outage.next_try = Instant::now() + delay;
                tracing::warn!(attempt = outage.attempts, error = %e, retry_in_secs = delay.as_secs(), "restarting the embedded PostgreSQL failed");
            }
        }
    }

    /// Logs the end of an outage and queues its audit event.
    fn back(&mut self, outage: Outage, restarted_by: &str) {
        let down = outage.since.elapsed().as_secs_f64();
        tracing::info!(
            restarted_by,
            attempts = outage.attempts,
            reason = %outage.reason,
            "the embedded PostgreSQL is back after {down:.1} s"
        );
        let details = json!({
            "down_seconds": (down * 10.0).round() / 10.0,
            "reason": outage.reason,
            "attempts": outage.attempts,
            "restarted_by": restarted_by,
        });
        let record = Record::new(
            "system",
            DATABASE_RESTART,
            "database:embedded",
            Outcome::Success,
        );
        self.pending = Some(record.details(details));
    }

    async fn write_pending(&mut self) {
        let Some(record) = self.pending.clone() else {
            return;
        };
        match record_alone(&self.db, record).await {
            Ok(_) => self.pending = None,
            Err(e) => tracing::warn!(error = %e, "cannot audit the database restart yet; retrying"),
        }
    }

    /// A cluster whose owner exited (`opsdeck db start` after an outage)
    /// becomes this process's to stop and restart.
    fn adopt_orphan(&self) {
        if self.cluster.keeper() != Keeper::Us || self.cluster.owned_here() {
            return;
        }
        match self.cluster.adopt() {
            Ok(()) => tracing::info!(
                "adopting the embedded PostgreSQL: the process that started it has exited"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot adopt the embedded PostgreSQL"),
        }
    }
}

fn log_left_alone(keeper: &Keeper) {
    match keeper {
        Keeper::Held => tracing::warn!(
            "the embedded PostgreSQL was stopped with `opsdeck db stop`: leaving it stopped until `opsdeck db start`"
        ),
        Keeper::Other(pid) => tracing::warn!(
            pid,
            "the embedded PostgreSQL belongs to another Opsdeck process: leaving its restart to it"
        ),
        Keeper::Us => {}
    }
}

/// The wait after `failed` failed attempts: 1 s, 2 s, 4 s … at most 30 s.
fn backoff(failed: u32) -> Duration {
    let doubled = Duration::from_secs(1u64 << failed.saturating_sub(1).min(16));
    doubled.min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_and_stops_at_thirty() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
