//! Reading runbooks back: the list, one version, and the version list.

use crate::runbook::{RunbookSummary, RunbookVersion, VersionEntry};
use crate::AppError;
use sqlx::PgPool;

/// Every runbook at its current version, by title.
pub async fn list(db: &PgPool) -> Result<Vec<RunbookSummary>, AppError> {
    let rows: Vec<(
        String,
        String,
        Vec<String>,
        Vec<String>,
        i32,
        chrono::DateTime<chrono::Utc>,
    )> = sqlx::query_as(
        "SELECT slug, title, tags, services, version, updated_at FROM runbook
             WHERE version > 0 ORDER BY lower(title), slug",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(slug, title, tags, services, version, updated_at)| RunbookSummary {
                slug,
                title,
                tags,
                services,
                version,
                updated_at,
            },
        )
        .collect())
}

/// Version `version` of runbook `slug`, or its current one when `None`.
pub async fn read(
    db: &PgPool,
    slug: &str,
    version: Option<i32>,
) -> Result<RunbookVersion, AppError> {
    type Row = (
        i32,
        String,
        Vec<String>,
        Vec<String>,
        String,
        String,
        chrono::DateTime<chrono::Utc>,
        String,
        String,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT v.version, v.title, v.tags, v.services, v.body, v.author, v.at, v.message,
                v.content_hash
         FROM runbook r JOIN runbook_version v ON v.runbook_id = r.id
         WHERE r.slug = $1 AND v.version = coalesce($2, r.version)",
    )
    .bind(slug)
    .bind(version)
    .fetch_optional(db)
    .await?;
    let (version, title, tags, services, body, author, at, message, content_hash) =
        row.ok_or_else(|| not_found(slug, version))?;
    Ok(RunbookVersion {
        slug: slug.to_string(),
        version,
        title,
        tags,
        services,
        body,
        author,
        at,
        message,
        content_hash,
    })
}

/// Every version of runbook `slug`, newest first.
pub async fn versions(db: &PgPool, slug: &str) -> Result<Vec<VersionEntry>, AppError> {
    let rows: Vec<(i32, String, chrono::DateTime<chrono::Utc>, String, String)> = sqlx::query_as(
        "SELECT v.version, v.author, v.at, v.message, v.content_hash
         FROM runbook r JOIN runbook_version v ON v.runbook_id = r.id
         WHERE r.slug = $1 ORDER BY v.version DESC",
    )
    .bind(slug)
    .fetch_all(db)
    .await?;
    if rows.is_empty() {
        return Err(not_found(slug, None));
    }
    Ok(rows
        .into_iter()
        .map(
            |(version, author, at, message, content_hash)| VersionEntry {
                version,
                author,
                at,
                message,
                content_hash,
            },
        )
        .collect())
}

fn not_found(slug: &str, version: Option<i32>) -> AppError {
    match version {
        Some(v) => AppError::NotFound(format!("version {v} of runbook `{slug}`")),
        None => AppError::NotFound(format!("runbook `{slug}`")),
    }
}
