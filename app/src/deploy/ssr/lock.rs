//! One deployment per service at a time, across every Opsdeck process.
//!
//! The lock is a PostgreSQL session advisory lock held on a connection of
//! its own for the whole rollout: if the process dies, the server drops the
//! connection and the lock with it, which is how the reconciler tells a
//! deployment that is still running from one left behind.

use crate::AppError;
use sqlx::{Connection, PgConnection, PgPool};

/// Advisory lock namespace of deployments (first key; the service id is the second).
const LOCK_CLASS: i32 = 7301;

pub struct DeployLock {
    conn: PgConnection,
    service_id: i64,
}

impl DeployLock {
    /// Takes the lock of `service_id` if nobody holds it.
    pub async fn try_take(pool: &PgPool, service_id: i64) -> Result<Option<Self>, AppError> {
        let mut conn = pool.acquire().await?.detach();
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(LOCK_CLASS)
            .bind(key(service_id))
            .fetch_one(&mut conn)
            .await?;
        if !taken {
            let _ = conn.close().await;
            return Ok(None);
        }
        Ok(Some(DeployLock { conn, service_id }))
    }

    /// Releases the lock; dropping the lock without this releases it too,
    /// when the connection closes.
    pub async fn release(mut self) {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(LOCK_CLASS)
            .bind(key(self.service_id))
            .execute(&mut self.conn)
            .await;
        let _ = self.conn.close().await;
    }
}

fn key(service_id: i64) -> i32 {
    // Service ids are identity values far below 2^31.
    service_id as i32
}

/// The refusal a second deploy request gets: who holds the service. The
/// holder records its deployment a moment after taking the lock, so a
/// request that lost the race by milliseconds waits briefly to name it.
pub async fn busy(pool: &PgPool, service_id: i64, service: &str) -> AppError {
    for _ in 0..30 {
        let running: Option<(i64, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT id, actor, started_at FROM deployment WHERE service_id = $1 AND state = 'running'",
        )
        .bind(service_id)
        .fetch_optional(pool)
        .await
        .unwrap_or(None);
        if let Some((id, actor, since)) = running {
            return AppError::Conflict(format!(
                "{service} is being deployed: deployment #{id} by {} running since {} UTC; wait for it to finish",
                actor.trim_start_matches("user:"),
                since.format("%H:%M:%S")
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    AppError::Conflict(format!(
        "{service} is being changed by another request; try again in a moment"
    ))
}
