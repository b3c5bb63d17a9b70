//! What incident tests check again and again.

use sqlx::PgPool;

/// How many `action` events incident `id` has in the audit log.
pub async fn audited(db: &PgPool, id: i64, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE target = $1 AND action = $2")
        .bind(format!("incident:{id}"))
        .bind(action)
        .fetch_one(db)
        .await
        .unwrap()
}
