//! Reads what the dashboard shows: the services and incidents as their own
//! pages read them, backup freshness, and the rollouts DORA is computed from.

use super::dora::{self, Rollout, Why};
use super::*;
use crate::state::AppState;
use crate::AppError;
use chrono::Duration;
use sqlx::PgPool;
use std::collections::HashSet;

/// What the DORA figures are computed from, for one view.
struct Computed {
    rollouts: Vec<Rollout>,
    figures: dora::Figures,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
}

async fn compute(state: &AppState, asked: &Asked, services: usize) -> Result<Computed, AppError> {
    let now = Utc::now();
    let since = now - Duration::days(i64::from(asked.days));
    let rollouts = rollouts(&state.db, since, &asked.scope).await?;
    let suspected = suspected(&state.db).await?;
    let figures = dora::figures(
        &rollouts,
        &suspected,
        since,
        now,
        services,
        Duration::hours(i64::from(asked.window_hours)),
    );
    Ok(Computed {
        rollouts,
        figures,
        since,
        now,
    })
}

/// The board for `asked`, from `all` the services (as `list_services`
/// reads them; the shared reads in `views` pass theirs).
pub async fn read(
    state: &AppState,
    asked: &Asked,
    all: Vec<crate::deploy::ServiceSummary>,
) -> Result<Dashboard, AppError> {
    let scope = asked.scope.as_str();
    let mut scopes: Vec<String> = all.iter().map(|s| s.environment.clone()).collect();
    scopes.sort();
    scopes.dedup();
    let mut named: Vec<String> = all
        .iter()
        .map(|s| format!("{}/{}", s.environment, s.name))
        .collect();
    named.sort();
    scopes.extend(named);
    let services: Vec<_> = all
        .into_iter()
        .filter(|s| in_scope(scope, &s.environment, &s.name))
        .collect();
    let c = compute(state, asked, services.len()).await?;
    let weeks = dora::weekly(&c.rollouts, &c.figures, c.since, c.now)
        .into_iter()
        .map(|(monday, deployments, failed)| WeekBar {
            monday,
            deployments,
            failed,
        })
        .collect();
    let mttr_weeks =
        dora::weekly_time_to_resolve(&resolved_since(&state.db, c.since).await?, c.since, c.now)
            .into_iter()
            .map(|(monday, spread)| MttrWeek {
                monday,
                resolved: spread.count,
                median_secs: spread.median,
            })
            .collect();
    Ok(Dashboard {
        days: asked.days,
        scope: scope.to_string(),
        scopes,
        open_incidents: open_incidents(&state.db, &services, scope).await?,
        incident_measures: crate::incident::ssr::measures::read(&state.db).await?,
        backups: backups(&state.db).await?,
        dora: dora_view(&c.figures, &c.rollouts, services.len(), asked.window_hours),
        weeks,
        mttr_weeks,
        services,
    })
}

/// The deployments behind one figure of the view, newest first.
pub async fn records(state: &AppState, asked: &Asked, behind: Behind) -> Result<Records, AppError> {
    let services = service_count(&state.db, &asked.scope).await?;
    let c = compute(state, asked, services).await?;
    let f = &c.figures;
    let failed: std::collections::HashMap<i64, &dora::FailedChange> =
        f.failed.iter().map(|x| (x.deployment, x)).collect();
    let rework: HashSet<i64> = f.rework.iter().copied().collect();
    let counted: HashSet<i64> = f.deployments.iter().copied().collect();
    let mut rows: Vec<RecordRow> = c
        .rollouts
        .iter()
        .filter(|r| counted.contains(&r.id))
        .filter(|r| match behind {
            Behind::All => true,
            Behind::Failed => failed.contains_key(&r.id),
            Behind::LeadTime => r.lead_secs().is_some(),
            Behind::Rework => rework.contains(&r.id),
        })
        .map(|r| RecordRow {
            deployment: r.id,
            service: r.service.clone(),
            state: r.state.clone(),
            finished_at: r.finished_at,
            failed_because: failed.get(&r.id).map(|x| why(x.why)),
            recovery_secs: failed
                .get(&r.id)
                .and_then(|x| x.recovery)
                .map(|d| d.num_seconds()),
            lead_secs: r.lead_secs(),
            fixes_incident: r.fixes_incident,
        })
        .collect();
    rows.sort_by(|a, b| (b.finished_at, b.deployment).cmp(&(a.finished_at, a.deployment)));
    let total = rows.len();
    rows.truncate(RECORDS_SHOWN);
    Ok(Records {
        days: asked.days,
        scope: asked.scope.clone(),
        window_hours: asked.window_hours,
        behind,
        total,
        rows,
    })
}

/// How many services the scope holds (the frequency's denominator),
/// without asking any engine.
async fn service_count(db: &PgPool, scope: &str) -> Result<usize, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM service s JOIN environment e ON e.id = s.environment_id
         WHERE $1 = '' OR e.name = $1 OR e.name || '/' || s.name = $1",
    )
    .bind(scope)
    .fetch_one(db)
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Impact start and resolution of the incidents resolved since `since`.
async fn resolved_since(
    db: &PgPool,
    since: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT started_at, resolved_at FROM incident
         WHERE resolved_at IS NOT NULL AND resolved_at >= $1",
    )
    .bind(since)
    .fetch_all(db)
    .await?)
}

fn why(why: Why) -> String {
    match why {
        Why::HealthGate => "rolled back by the health gate".to_string(),
        Why::RolledBackBy(r) => format!("rolled back by a person (deployment #{r})"),
        Why::SuspectedCause => "named as an incident's suspected cause".to_string(),
    }
}

/// Deployments an incident names as its suspected cause.
async fn suspected(db: &PgPool) -> Result<HashSet<i64>, AppError> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT deployment_id FROM incident_deployment")
            .fetch_all(db)
            .await?;
    Ok(ids.into_iter().collect())
}

fn in_scope(scope: &str, environment: &str, name: &str) -> bool {
    scope.is_empty() || scope == environment || scope == format!("{environment}/{name}")
}

#[derive(sqlx::FromRow)]
struct RolloutRow {
    id: i64,
    environment: String,
    name: String,
    kind: String,
    state: String,
    release_id: i64,
    previous_release_id: Option<i64>,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    committed_at: Option<DateTime<Utc>>,
    fixes_incident_id: Option<i64>,
}

async fn rollouts(
    db: &PgPool,
    since: DateTime<Utc>,
    scope: &str,
) -> Result<Vec<Rollout>, AppError> {
    let rows: Vec<RolloutRow> = sqlx::query_as(
        "SELECT d.id, e.name AS environment, s.name, d.kind, d.state, d.release_id,
                d.previous_release_id, d.started_at, d.finished_at, d.committed_at,
                d.fixes_incident_id
         FROM deployment d
         JOIN service s ON s.id = d.service_id
         JOIN environment e ON e.id = s.environment_id
         WHERE d.kind IN ('deploy', 'rollback') AND d.finished_at >= $1
           AND ($2 = '' OR e.name = $2 OR e.name || '/' || s.name = $2)",
    )
    .bind(since)
    .bind(scope)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Rollout {
            id: r.id,
            service: format!("{}/{}", r.environment, r.name),
            kind: r.kind,
            state: r.state,
            release_id: r.release_id,
            previous_release_id: r.previous_release_id,
            started_at: r.started_at,
            finished_at: r.finished_at,
            committed_at: r.committed_at,
            fixes_incident: r.fixes_incident_id,
        })
        .collect())
}

fn dora_view(f: &dora::Figures, rollouts: &[Rollout], services: usize, window_hours: u32) -> Dora {
    let services_by_id: std::collections::HashMap<i64, &str> = rollouts
        .iter()
        .map(|r| (r.id, r.service.as_str()))
        .collect();
    // The newest few; the records page lists them all.
    let failed = f
        .failed
        .iter()
        .rev()
        .take(FAILED_SHOWN)
        .map(|c| FailedDeployment {
            deployment: c.deployment,
            service: services_by_id
                .get(&c.deployment)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            why: why(c.why),
            undone_by: match c.why {
                Why::RolledBackBy(r) => Some(r),
                _ => None,
            },
            recovery_secs: c.recovery.map(|d| d.num_seconds()),
        })
        .collect();
    Dora {
        deployments: f.deployments.len(),
        services,
        per_service_per_day: f.per_service_per_day,
        frequency_band: dora::frequency_band(f.per_service_per_day),
        change_failure_rate: f.change_failure_rate,
        failure_band: f.change_failure_rate.map(dora::failure_rate_band),
        failed_total: f.failed.len(),
        failed,
        recovery_median_secs: f.recovery_median.map(|d| d.num_seconds()),
        recovery_p90_secs: f.recovery_p90.map(|d| d.num_seconds()),
        recovery_band: f.recovery_median.map(dora::recovery_band),
        rollback_window_hours: window_hours,
        lead_time_reported: f.lead_time.count,
        lead_time_median_secs: f.lead_time.median,
        lead_time_p90_secs: f.lead_time.p90,
        lead_time_band: f
            .lead_time
            .median
            .map(|m| dora::lead_time_band(Duration::seconds(m))),
        rework: f.rework.len(),
        rework_rate: f.rework_rate,
    }
}

/// Open incidents, narrowed to those touching a service in scope.
async fn open_incidents(
    db: &PgPool,
    services: &[crate::deploy::ServiceSummary],
    scope: &str,
) -> Result<Vec<crate::incident::IncidentSummary>, AppError> {
    let names: HashSet<String> = services
        .iter()
        .map(|s| format!("{}/{}", s.environment, s.name))
        .collect();
    Ok(crate::incident::ssr::read::list_open(db)
        .await?
        .into_iter()
        .filter(|i| scope.is_empty() || i.services.iter().any(|s| names.contains(s)))
        .collect())
}

#[derive(sqlx::FromRow)]
struct TestRestore {
    target: String,
    at: DateTime<Utc>,
}

async fn backups(db: &PgPool) -> Result<Vec<BackupFreshness>, AppError> {
    let targets = crate::backup::ssr::read::list_targets(db).await?;
    let tested: Vec<TestRestore> = sqlx::query_as(
        "SELECT t.name AS target, max(b.test_finished_at) AS at
         FROM backup b JOIN backup_target t ON t.id = b.target_id
         WHERE b.test_state = 'passed' GROUP BY t.name",
    )
    .fetch_all(db)
    .await?;
    Ok(targets
        .into_iter()
        .map(|t| BackupFreshness {
            age_ratio: t
                .last_good_age_secs
                .map(|age| age as f64 / (f64::from(t.rpo_hours) * 3600.0)),
            last_test_restore_at: tested.iter().find(|r| r.target == t.name).map(|r| r.at),
            target: t.name,
            rpo_hours: t.rpo_hours,
            last_good_at: t.last_good_at,
        })
        .collect())
}
