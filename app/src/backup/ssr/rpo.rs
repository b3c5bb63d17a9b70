//! Notices, once per crossing, that a target's newest good backup became
//! older than its RPO, and says so in the audit log (`backup.rpo_missed`,
//! what webhooks subscribe to). The scheduler of every process looks; one
//! at a time decides, so a crossing is recorded once.

use crate::audit::ssr::{record, Record};
use crate::audit::{AuditTarget, Outcome};
use crate::backup::actions;
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

/// Records each target past its RPO since its newest good backup (or its
/// creation, for one never backed up) that has not been recorded since;
/// returns how many.
pub async fn record_missed(db: &PgPool) -> Result<usize, AppError> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('opsdeck.rpo_missed', 0))")
        .execute(&mut *tx)
        .await?;
    let missed: Vec<(String, i32, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT t.name, t.rpo_hours, g.last_good FROM backup_target t
         CROSS JOIN LATERAL (
             SELECT max(b.started_at) AS last_good FROM backup b
             WHERE b.target_id = t.id AND b.state = 'succeeded'
               AND b.deleted_at IS NULL AND b.corrupted_at IS NULL) g
         WHERE coalesce(g.last_good, t.created_at) < now() - make_interval(hours => t.rpo_hours)
           AND NOT EXISTS (
             SELECT 1 FROM audit_event a
             WHERE a.action = $1 AND a.target = 'backup_target:' || t.name
               AND a.at > coalesce(g.last_good, t.created_at))",
    )
    .bind(actions::RPO_MISSED.as_str())
    .fetch_all(&mut *tx)
    .await?;
    for (name, rpo_hours, last_good) in &missed {
        let target = AuditTarget::BackupTarget(name);
        let r = Record::new("system", actions::RPO_MISSED, target, Outcome::Failure).details(
            json!({ "rpo_hours": rpo_hours, "last_good_backup_at": last_good,
                    "reason": format!("no good backup in the last {rpo_hours} h") }),
        );
        record(&mut tx, r).await?;
    }
    tx.commit().await?;
    Ok(missed.len())
}
