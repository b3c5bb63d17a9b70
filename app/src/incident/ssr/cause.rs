//! Suspected causes: linking a deployment of an affected service to the
//! incident (audited, on the timeline), reading the links back, and the
//! recent changes the declare form offers.

use super::change::audited;
use super::{acknowledge, append, lock, NewEntry};
use crate::auth::guard::Actor;
use crate::incident::{actions, Change, EntryKind, RecentChange, SuspectedCause};
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

/// How far back the declare form looks for changes.
const RECENT_HOURS: i32 = 24;
/// Most changes it lists.
const RECENT_MAX: i64 = 200;

#[derive(sqlx::FromRow)]
struct ChangeRow {
    deployment: i64,
    service: String,
    kind: String,
    release: Option<i32>,
    started_at: DateTime<Utc>,
    state: String,
    actor: String,
}

impl ChangeRow {
    fn change(&self) -> Change {
        Change {
            deployment: self.deployment,
            service: self.service.clone(),
            kind: self.kind.clone(),
            release: self.release,
            started_at: self.started_at,
        }
    }
}

const CHANGES: &str = "SELECT d.id AS deployment, e.name || '/' || s.name AS service, d.kind,
        r.number AS release, d.started_at, d.state, d.actor
    FROM deployment d JOIN service s ON s.id = d.service_id
    JOIN environment e ON e.id = s.environment_id
    LEFT JOIN release r ON r.id = d.release_id";

/// Links deployment `deployment` to incident `id` as a suspected cause.
pub async fn link_deployment(
    db: &PgPool,
    actor: &Actor,
    id: i64,
    deployment: i64,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    link(&mut tx, actor, id, deployment).await?;
    acknowledge(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// The link, its audit event and its timeline entry, in `tx` (the incident
/// locked and its services written): a deployment of an affected service,
/// linked once. Not an acknowledgement by itself: declaring is not one.
pub(crate) async fn link(
    tx: &mut Transaction<'_, Postgres>,
    actor: &Actor,
    id: i64,
    deployment: i64,
) -> Result<(), AppError> {
    let row: Option<ChangeRow> = sqlx::query_as(&format!("{CHANGES} WHERE d.id = $1"))
        .bind(deployment)
        .fetch_optional(&mut **tx)
        .await?;
    let change = row
        .ok_or_else(|| {
            AppError::invalid(
                "deployment",
                format!("there is no deployment #{deployment}"),
            )
        })?
        .change();
    let affected: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM incident_service WHERE incident_id = $1 AND service = $2)",
    )
    .bind(id)
    .bind(&change.service)
    .fetch_one(&mut **tx)
    .await?;
    if !affected {
        return Err(AppError::invalid(
            "deployment",
            format!(
                "deployment #{deployment} is of {}, which this incident does not affect: add the service first",
                change.service
            ),
        ));
    }
    let who = actor.audit_name();
    let added = sqlx::query(
        "INSERT INTO incident_deployment (incident_id, deployment_id, service, kind, release,
                started_at, linked_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(deployment)
    .bind(&change.service)
    .bind(&change.kind)
    .bind(change.release)
    .bind(change.started_at)
    .bind(&who)
    .execute(&mut **tx)
    .await?;
    if added.rows_affected() == 0 {
        return Err(AppError::invalid(
            "deployment",
            format!("deployment #{deployment} is a suspected cause already"),
        ));
    }
    let details = json!({ "deployment": deployment, "service": change.service,
                          "kind": change.kind, "release": change.release });
    let event = audited(tx, actor, actions::LINK_DEPLOYMENT, id, details.clone()).await?;
    let body = format!("suspected cause: {}", change.describe());
    let entry = NewEntry {
        kind: EntryKind::Cause,
        at: None,
        actor: &who,
        body: &body,
        audit_event_id: event,
        details,
    };
    append(tx, id, entry).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    deployment_id: i64,
    service: String,
    kind: String,
    release: Option<i32>,
    started_at: DateTime<Utc>,
    linked_by: String,
    linked_at: DateTime<Utc>,
}

/// Incident `id`'s suspected causes, in the order they were linked.
pub async fn suspected(db: &PgPool, id: i64) -> Result<Vec<SuspectedCause>, AppError> {
    let rows: Vec<LinkRow> = sqlx::query_as(
        "SELECT deployment_id, service, kind, release, started_at, linked_by, linked_at
         FROM incident_deployment WHERE incident_id = $1 ORDER BY linked_at, deployment_id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SuspectedCause {
            change: Change {
                deployment: r.deployment_id,
                service: r.service,
                kind: r.kind,
                release: r.release,
                started_at: r.started_at,
            },
            linked_by: r.linked_by,
            linked_at: r.linked_at,
        })
        .collect())
}

/// Every deployment, rollback, scale and restart of the last 24 hours,
/// newest first.
pub async fn recent(db: &PgPool) -> Result<Vec<RecentChange>, AppError> {
    let sql = format!(
        "{CHANGES} WHERE d.started_at > now() - make_interval(hours => $1)
         ORDER BY d.started_at DESC, d.id DESC LIMIT $2"
    );
    let rows: Vec<ChangeRow> = sqlx::query_as(&sql)
        .bind(RECENT_HOURS)
        .bind(RECENT_MAX)
        .fetch_all(db)
        .await?;
    Ok(rows
        .iter()
        .map(|r| RecentChange {
            change: r.change(),
            state: r.state.clone(),
            actor: r.actor.clone(),
        })
        .collect())
}
