//! The incidents the measures read: those declared within the longest
//! window.

use crate::incident::measures::{measures, Measure, Times, WINDOWS};
use crate::incident::Severity;
use crate::AppError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    severity: String,
    declared_at: DateTime<Utc>,
    started_at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
}

/// MTTA and MTTR per severity over each window, as of now.
pub async fn read(db: &PgPool) -> Result<Vec<Measure>, AppError> {
    let longest = WINDOWS.iter().copied().max().unwrap_or(90);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, severity, declared_at, started_at, acknowledged_at, resolved_at
         FROM incident WHERE declared_at > now() - make_interval(days => $1::int)",
    )
    .bind(longest as i32)
    .fetch_all(db)
    .await?;
    let times = rows
        .into_iter()
        .map(|r| {
            let severity = Severity::parse(&r.severity).ok_or_else(|| {
                AppError::internal(format!("incident #{} has severity {}", r.id, r.severity))
            })?;
            Ok(Times {
                severity,
                declared_at: r.declared_at,
                started_at: r.started_at,
                acknowledged_at: r.acknowledged_at,
                resolved_at: r.resolved_at,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(measures(&times, Utc::now()))
}
