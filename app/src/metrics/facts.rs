//! What a scrape reports, read from the records in one go.

use crate::deploy::ssr::read::list_services;
use crate::incident::Severity;
use crate::state::AppState;
use crate::AppError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Upper bounds (seconds) of the deployment-duration buckets: from a restart
/// of a small service to a slow rollout of many replicas.
pub const DURATION_BUCKETS: [f64; 11] = [
    1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
];

/// Ended deployments of one service of one kind with one outcome.
#[derive(sqlx::FromRow)]
pub struct Deployments {
    pub environment: String,
    pub service: String,
    pub kind: String,
    pub outcome: String,
    pub count: i64,
}

/// How long the ended deployments of one service took.
#[derive(sqlx::FromRow)]
pub struct Durations {
    pub environment: String,
    pub service: String,
    pub count: i64,
    pub sum: f64,
    /// Deployments that took at most each of [`DURATION_BUCKETS`].
    pub at_most: Vec<i64>,
}

pub struct Replicas {
    pub environment: String,
    pub service: String,
    pub desired: i32,
    /// `None` when the service's engine cannot be asked.
    pub healthy: Option<i32>,
}

/// One backup target's freshness. "Good" is what a restore could use:
/// succeeded, still stored, not found corrupted.
#[derive(sqlx::FromRow)]
pub struct BackupFreshness {
    pub target: String,
    pub rpo_hours: i32,
    /// When the newest good backup was taken (its data is of that moment).
    pub last_success: Option<DateTime<Utc>>,
    /// The same, among good backups whose archive was checked readable.
    pub last_verified: Option<DateTime<Utc>>,
    pub last_size_bytes: Option<i64>,
    pub last_test_restore: Option<DateTime<Utc>>,
}

/// The newest check of the audit chain (audit page, API or CLI).
#[derive(sqlx::FromRow)]
pub struct ChainCheck {
    pub intact: bool,
}

pub struct Facts {
    pub now: DateTime<Utc>,
    pub deployments: Vec<Deployments>,
    pub durations: Vec<Durations>,
    pub replicas: Vec<Replicas>,
    pub backups: Vec<BackupFreshness>,
    /// Open incidents for every severity, zero included.
    pub open_incidents: Vec<(Severity, i64)>,
    pub audit_events: i64,
    pub last_chain_check: Option<ChainCheck>,
    pub last_intact_chain_check: Option<DateTime<Utc>>,
}

pub async fn gather(state: &AppState) -> Result<Facts, AppError> {
    let db = &state.db;
    let (chain_check, intact_at) = chain_checks(db).await?;
    Ok(Facts {
        now: Utc::now(),
        deployments: deployments(db).await?,
        durations: durations(db).await?,
        replicas: replicas(state).await?,
        backups: backups(db).await?,
        open_incidents: open_incidents(db).await?,
        audit_events: audit_events(db).await?,
        last_chain_check: chain_check,
        last_intact_chain_check: intact_at,
    })
}

const ENDED: &str = "FROM deployment d
    JOIN service s ON s.id = d.service_id
    JOIN environment e ON e.id = s.environment_id
    WHERE d.state <> 'running' AND d.finished_at IS NOT NULL";

async fn deployments(db: &PgPool) -> Result<Vec<Deployments>, AppError> {
    let sql = format!(
        "SELECT e.name AS environment, s.name AS service, d.kind, d.state AS outcome,
                count(*) AS count {ENDED}
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    );
    Ok(sqlx::query_as(&sql).fetch_all(db).await?)
}

async fn durations(db: &PgPool) -> Result<Vec<Durations>, AppError> {
    // One pass: a count per bucket bound, written out from the constant.
    let at_most = DURATION_BUCKETS
        .iter()
        .map(|le| format!("count(*) FILTER (WHERE secs <= {le:?})"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT environment, service, count(*) AS count, sum(secs) AS sum,
                ARRAY[{at_most}] AS at_most
         FROM (SELECT e.name AS environment, s.name AS service,
                      extract(epoch FROM d.finished_at - d.started_at)::float8 AS secs
               {ENDED}) ended
         GROUP BY 1, 2 ORDER BY 1, 2"
    );
    Ok(sqlx::query_as(&sql).fetch_all(db).await?)
}

async fn replicas(state: &AppState) -> Result<Vec<Replicas>, AppError> {
    // The listing the services page reads: one engine look per endpoint
    // per second, shared with every page and scrape.
    Ok(list_services(state)
        .await?
        .into_iter()
        .map(|s| Replicas {
            environment: s.environment,
            service: s.name,
            desired: s.desired,
            healthy: s.healthy,
        })
        .collect())
}

async fn backups(db: &PgPool) -> Result<Vec<BackupFreshness>, AppError> {
    const GOOD: &str = "b.target_id = t.id AND b.state = 'succeeded'
        AND b.deleted_at IS NULL AND b.corrupted_at IS NULL";
    let sql = format!(
        "SELECT t.name AS target, t.rpo_hours,
            (SELECT max(b.started_at) FROM backup b WHERE {GOOD}) AS last_success,
            (SELECT max(b.started_at) FROM backup b WHERE {GOOD} AND b.verified_at IS NOT NULL)
                AS last_verified,
            (SELECT b.size_bytes FROM backup b WHERE {GOOD} ORDER BY b.started_at DESC LIMIT 1)
                AS last_size_bytes,
            (SELECT max(b.test_finished_at) FROM backup b
              WHERE b.target_id = t.id AND b.test_state = 'passed') AS last_test_restore
         FROM backup_target t ORDER BY t.name"
    );
    Ok(sqlx::query_as(&sql).fetch_all(db).await?)
}

async fn open_incidents(db: &PgPool) -> Result<Vec<(Severity, i64)>, AppError> {
    let open: Vec<(String, i64)> = sqlx::query_as(
        "SELECT severity, count(*) FROM incident WHERE status <> 'resolved' GROUP BY severity",
    )
    .fetch_all(db)
    .await?;
    Ok(Severity::ALL
        .into_iter()
        .map(|sev| {
            let n = open.iter().find(|(s, _)| s == sev.as_str());
            (sev, n.map_or(0, |(_, n)| *n))
        })
        .collect())
}

/// Events ever appended: the chain head hands out gapless ids, and no
/// event is ever deleted, so the last id is the count without a scan.
async fn audit_events(db: &PgPool) -> Result<i64, AppError> {
    let last: Option<i64> = sqlx::query_scalar("SELECT last_id FROM audit_chain_head")
        .fetch_optional(db)
        .await?;
    Ok(last.unwrap_or(0))
}

async fn chain_checks(
    db: &PgPool,
) -> Result<(Option<ChainCheck>, Option<DateTime<Utc>>), AppError> {
    let verify = crate::audit::actions::VERIFY.as_str();
    let last: Option<ChainCheck> = sqlx::query_as(
        "SELECT outcome = 'success' AS intact FROM audit_event
         WHERE action = $1 AND outcome IN ('success', 'failure') ORDER BY id DESC LIMIT 1",
    )
    .bind(verify)
    .fetch_optional(db)
    .await?;
    let intact_at: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT at FROM audit_event WHERE action = $1 AND outcome = 'success'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(verify)
    .fetch_optional(db)
    .await?;
    Ok((last, intact_at))
}
