//! Advisory locks that tell live work from work a dead process left behind.
//!
//! Every running backup, test restore and restore holds a session advisory
//! lock on a connection of its own. When its process dies, PostgreSQL drops
//! the connection and the lock; a row still `running` whose lock can be
//! taken therefore has no owner (see `reconcile.rs`). A restore also holds
//! its target's lock, so two restores of one database never overlap; a
//! backup holds its target's backup lock while pg_dump runs, so backups of
//! one database queue, across every Opsdeck process.

use crate::AppError;
use sqlx::{Connection, PgConnection, PgPool};

/// Lock namespaces (first key; the row id is the second).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    Backup = 7310,
    TestRestore = 7311,
    Restore = 7312,
    /// The target being restored.
    RestoreTarget = 7313,
    /// The target being dumped.
    BackupTarget = 7314,
}

/// Held locks, on their own connection; dropping it releases them all
/// (the connection closes).
pub struct JobLock {
    conn: PgConnection,
}

impl JobLock {
    /// A fresh connection holding nothing yet.
    pub async fn connect(pool: &PgPool) -> Result<JobLock, AppError> {
        let conn = pool.acquire().await?.detach();
        Ok(JobLock { conn })
    }

    /// Takes `(job, id)` if nobody holds it; `false` when someone does.
    pub async fn try_take(&mut self, job: Job, id: i64) -> Result<bool, AppError> {
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(job as i32)
            .bind(key(id))
            .fetch_one(&mut self.conn)
            .await
            .map_err(AppError::from)
    }

    /// Waits until `(job, id)` is free and takes it.
    pub async fn wait_for(&mut self, job: Job, id: i64) -> Result<(), AppError> {
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(job as i32)
            .bind(key(id))
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Takes `(job, id)`, which must be free (a row just inserted).
    pub async fn take(pool: &PgPool, job: Job, id: i64) -> Result<JobLock, AppError> {
        let mut lock = JobLock::connect(pool).await?;
        if !lock.try_take(job, id).await? {
            return Err(AppError::internal(format!("{job:?} lock {id} is held")));
        }
        Ok(lock)
    }

    /// Releases every lock of this connection and closes it.
    pub async fn release(mut self) {
        let _ = sqlx::query("SELECT pg_advisory_unlock_all()")
            .execute(&mut self.conn)
            .await;
        let _ = self.conn.close().await;
    }
}

fn key(id: i64) -> i32 {
    // Identity values of these tables stay far below 2^31.
    id as i32
}
