//! One deployment per service at a time, across every Opsdeck process.
//!
//! The lock is a PostgreSQL session advisory lock held on a connection of
//! its own for the whole rollout: if the process dies, the server drops the
//! connection and the lock with it, which is how the reconciler tells a
//! deployment that is still running from one left behind (see `crate::locks`).

use crate::locks::{AdvisoryLock, LockClass};
use crate::AppError;
use sqlx::PgPool;

/// The deploy lock of one service, held until released or dropped.
pub struct DeployLock(AdvisoryLock);

impl DeployLock {
    /// Takes the lock of `service_id` if nobody holds it.
    pub async fn try_take(pool: &PgPool, service_id: i64) -> Result<Option<Self>, AppError> {
        let lock = AdvisoryLock::try_new(pool, LockClass::Deploy, service_id).await?;
        Ok(lock.map(DeployLock))
    }

    /// Releases the lock; dropping the lock without this releases it too,
    /// when the connection closes.
    pub async fn release(self) {
        self.0.release().await
    }
}

/// The service's lock for a deploy request, or the refusal it gets: who
/// holds the service. Waits up to 3 s either way: the holder records its
/// deployment a moment after taking the lock (a request that lost the race
/// by milliseconds names it), and releases the lock a moment after
/// recording its end (a request sent as the previous deployment showed
/// "succeeded" gets the lock instead of a refusal; seen in the tests).
pub async fn take_or_busy(
    pool: &PgPool,
    service_id: i64,
    service: &str,
) -> Result<DeployLock, AppError> {
    // One connection for every try: each `try_new` would take a connection
    // out of the pool for good, and twenty waiting requests would open
    // hundreds in these 3 s.
    let mut lock = AdvisoryLock::connect(pool).await?;
    for _ in 0..30 {
        if lock.try_take(LockClass::Deploy, service_id).await? {
            return Ok(DeployLock(lock));
        }
        if let Some(refusal) = running_deployment(pool, service_id, service).await {
            lock.release().await;
            return Err(refusal);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    lock.release().await;
    Err(AppError::Conflict(format!(
        "{service} is being changed by another request; try again in a moment"
    )))
}

/// The refusal naming the service's running deployment, if one is recorded.
async fn running_deployment(pool: &PgPool, service_id: i64, service: &str) -> Option<AppError> {
    let running: Option<(i64, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT id, actor, started_at FROM deployment WHERE service_id = $1 AND state = 'running'",
    )
    .bind(service_id)
    .fetch_optional(pool)
    .await
    .unwrap_or(None);
    let (id, actor, since) = running?;
    Some(AppError::Conflict(format!(
        "{service} is being deployed: deployment #{id} by {} running since {} UTC; wait for it to finish",
        actor.trim_start_matches("user:"),
        since.format("%H:%M:%S")
    )))
}
