//! Reads what the dashboard shows: the services and incidents as their own
//! pages read them, backup freshness, and the rollouts DORA is computed from.

use super::dora::{self, Rollout, Why};
use super::*;
use crate::state::AppState;
use crate::AppError;
use chrono::Duration;
use sqlx::PgPool;
use std::collections::HashSet;

/// How soon after going live a person's rollback makes a deployment failed.
const ROLLBACK_WINDOW: Duration = Duration::hours(24);

pub async fn read(state: &AppState, days: u32, scope: &str) -> Result<Dashboard, AppError> {
    let now = Utc::now();
    let since = now - Duration::days(i64::from(days));
    let all = crate::deploy::ssr::read::list_services(state).await?;
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
    let rollouts = rollouts(&state.db, since, scope).await?;
    let suspected = suspected(&state.db).await?;
    let figures = dora::figures(
        &rollouts,
        &suspected,
        since,
        now,
        services.len(),
        ROLLBACK_WINDOW,
    );
    let weeks = dora::weekly(&rollouts, &figures, since, now)
        .into_iter()
        .map(|(monday, deployments, failed)| WeekBar {
            monday,
            deployments,
            failed,
        })
        .collect();
    Ok(Dashboard {
        days,
        scope: scope.to_string(),
        scopes,
        open_incidents: open_incidents(&state.db, &services, scope).await?,
        incident_measures: crate::incident::ssr::measures::read(&state.db).await?,
        backups: backups(&state.db).await?,
        dora: dora_view(&figures, &rollouts, services.len()),
        weeks,
        services,
    })
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
}

async fn rollouts(
    db: &PgPool,
    since: DateTime<Utc>,
    scope: &str,
) -> Result<Vec<Rollout>, AppError> {
    let rows: Vec<RolloutRow> = sqlx::query_as(
        "SELECT d.id, e.name AS environment, s.name, d.kind, d.state, d.release_id,
                d.previous_release_id, d.started_at, d.finished_at
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
        })
        .collect())
}

fn dora_view(f: &dora::Figures, rollouts: &[Rollout], services: usize) -> Dora {
    let services_by_id: std::collections::HashMap<i64, &str> = rollouts
        .iter()
        .map(|r| (r.id, r.service.as_str()))
        .collect();
    let service_of = |id: i64| {
        services_by_id
            .get(&id)
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    let failed = f
        .failed
        .iter()
        .map(|c| {
            let (why, undone_by) = match c.why {
                Why::HealthGate => ("rolled back by the health gate".to_string(), None),
                Why::RolledBackBy(r) => (
                    format!("rolled back by a person (deployment #{r})"),
                    Some(r),
                ),
                Why::SuspectedCause => ("named as an incident's suspected cause".to_string(), None),
            };
            FailedDeployment {
                deployment: c.deployment,
                service: service_of(c.deployment),
                why,
                undone_by,
                recovery_secs: c.recovery.map(|d| d.num_seconds()),
            }
        })
        .collect();
    Dora {
        deployments: f.deployments.len(),
        services,
        per_service_per_day: f.per_service_per_day,
        frequency_band: dora::frequency_band(f.per_service_per_day),
        change_failure_rate: f.change_failure_rate,
        failure_band: f.change_failure_rate.map(dora::failure_rate_band),
        failed,
        recovery_median_secs: f.recovery_median.map(|d| d.num_seconds()),
        recovery_p90_secs: f.recovery_p90.map(|d| d.num_seconds()),
        recovery_band: f.recovery_median.map(dora::recovery_band),
        rollback_window_hours: ROLLBACK_WINDOW.num_hours(),
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
