//! Advisory locks: one namespace per kind of work, across every Opsdeck
//! process (server only).
//!
//! Long work (a rollout, a backup, a restore) holds a PostgreSQL session
//! advisory lock on a connection of its own for as long as it runs. When
//! its process dies, PostgreSQL drops the connection and the lock with it:
//! a row still `running` whose lock can be taken therefore has no owner,
//! which is how the reconcilers tell live work from work left behind. The
//! same locks keep work that must not overlap apart (two deploys of one
//! service, two restores of one database).
//!
//! A lock is `(class, id)`: the class's number, then the row's id. The
//! numbers are stored in no table, but running installations hold them:
//! never renumber a class, add new ones.

use crate::AppError;
use sqlx::{Connection, PgConnection, PgPool};

/// Lock namespaces (first key; the second is the id of the row named).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockClass {
    /// A service being deployed (id: the service).
    Deploy = 7301,
    /// A backup being taken (id: the backup).
    Backup = 7310,
    /// A backup being test-restored (id: the backup).
    TestRestore = 7311,
    /// A restore running (id: the restore).
    Restore = 7312,
    /// The target being restored (id: the target): two restores of one
    /// database never overlap.
    RestoreTarget = 7313,
    /// The target being dumped (id: the target): backups of one database
    /// queue, one pg_dump at a time, across every Opsdeck process.
    BackupTarget = 7314,
}

/// Held locks, on their own connection; dropping it releases them all
/// (the connection closes).
pub struct AdvisoryLock {
    conn: PgConnection,
}

impl AdvisoryLock {
    /// A fresh connection holding nothing yet.
    pub async fn connect(pool: &PgPool) -> Result<AdvisoryLock, AppError> {
        let conn = pool.acquire().await?.detach();
        Ok(AdvisoryLock { conn })
    }

    /// A connection holding `(class, id)`, or `None` when someone holds it.
    pub async fn try_new(
        pool: &PgPool,
        class: LockClass,
        id: i64,
    ) -> Result<Option<AdvisoryLock>, AppError> {
        let mut lock = AdvisoryLock::connect(pool).await?;
        if !lock.try_take(class, id).await? {
            let _ = lock.conn.close().await;
            return Ok(None);
        }
        Ok(Some(lock))
    }

    /// Takes `(class, id)`, which must be free (a row just inserted).
    pub async fn take(pool: &PgPool, class: LockClass, id: i64) -> Result<AdvisoryLock, AppError> {
        AdvisoryLock::try_new(pool, class, id)
            .await?
            .ok_or_else(|| AppError::internal(format!("{class:?} lock {id} is held")))
    }

    /// Takes `(class, id)` as well if nobody holds it; `false` when someone does.
    pub async fn try_take(&mut self, class: LockClass, id: i64) -> Result<bool, AppError> {
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(class as i32)
            .bind(key(id))
            .fetch_one(&mut self.conn)
            .await
            .map_err(AppError::from)
    }

    /// Waits until `(class, id)` is free and takes it as well.
    pub async fn wait_for(&mut self, class: LockClass, id: i64) -> Result<(), AppError> {
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(class as i32)
            .bind(key(id))
            .execute(&mut self.conn)
            .await?;
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::LockClass;

    #[test]
    fn lock_numbers_stay_those_running_installations_hold() {
        let numbers = [
            (LockClass::Deploy, 7301),
            (LockClass::Backup, 7310),
            (LockClass::TestRestore, 7311),
            (LockClass::Restore, 7312),
            (LockClass::RestoreTarget, 7313),
            (LockClass::BackupTarget, 7314),
        ];
        for (class, number) in numbers {
            assert_eq!(class as i32, number, "{class:?}");
        }
    }
}
