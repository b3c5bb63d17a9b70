//! The step log of a deployment: stored row by row (a trigger notifies
//! every Opsdeck process, which streams it to its browsers). Steps quote
//! container output (last lines, health check answers), so each is masked
//! before it is stored or logged.

use super::mask::Masker;
use sqlx::PgPool;

#[derive(Clone)]
pub struct StepLog {
    pool: PgPool,
    pub deployment_id: i64,
    masker: Masker,
}

impl StepLog {
    pub fn new(pool: PgPool, deployment_id: i64) -> Self {
        StepLog {
            pool,
            deployment_id,
            masker: Masker::default(),
        }
    }

    /// Masks the values `masker` holds in every step from now on.
    pub fn masking(self, masker: Masker) -> Self {
        StepLog { masker, ..self }
    }

    /// `text` as a step would store it.
    pub fn mask(&self, text: &str) -> String {
        self.masker.mask(text)
    }

    pub async fn info(&self, message: impl Into<String>) {
        self.write("info", message.into()).await
    }

    pub async fn warn(&self, message: impl Into<String>) {
        self.write("warn", message.into()).await
    }

    pub async fn error(&self, message: impl Into<String>) {
        self.write("error", message.into()).await
    }

    /// A step that cannot be stored is logged and the rollout goes on: the
    /// containers matter more than the record of them.
    async fn write(&self, level: &str, message: String) {
        let message = self.mask(&message);
        tracing::info!(deployment = self.deployment_id, level, "{message}");
        let stored = sqlx::query(
            "INSERT INTO deployment_step (deployment_id, level, message) VALUES ($1, $2, $3)",
        )
        .bind(self.deployment_id)
        .bind(level)
        .bind(&message)
        .execute(&self.pool)
        .await;
        if let Err(e) = stored {
            tracing::warn!(deployment = self.deployment_id, error = %e, "step not stored");
        }
    }
}
