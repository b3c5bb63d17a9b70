//! Scrub: every stored file is hashed again — daily by the scheduler (as
//! `system`) and on demand — and compared with the sha256 recorded when it
//! was taken. A mismatch, or a file that is gone, marks the backup
//! corrupted (audited): it no longer counts as verified, so retention keeps
//! an older good one, and it is never restored, tested or downloaded.

use super::store::sha256_of;
use crate::audit::ssr::{record, record_alone, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::backup::actions;
use crate::backup::ScrubReport;
use crate::request::RequestMeta;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;

/// Who scrubs: `system` for the daily pass, or a person.
pub struct Scrubber<'a> {
    pub actor: &'a str,
    pub meta: &'a RequestMeta,
}

#[derive(sqlx::FromRow)]
struct Stored {
    id: i64,
    target: String,
    file: String,
    sha256: String,
}

/// Backups with a file that no scrub found corrupted yet; `$1` one target
/// (or all), `$2` only those not scrubbed within a day.
const STORED: &str = "SELECT b.id, t.name AS target, b.file, b.sha256
    FROM backup b JOIN backup_target t ON t.id = b.target_id
    WHERE b.state = 'succeeded' AND b.deleted_at IS NULL AND b.corrupted_at IS NULL
      AND ($1::bigint IS NULL OR b.target_id = $1)
      AND (NOT $2 OR b.scrubbed_at IS NULL OR b.scrubbed_at < now() - interval '1 day')
    ORDER BY b.id";

/// Hashes the files of `target` (every target when `None`); `due_only`
/// skips files hashed within the last day and claims each one first, so
/// that several Opsdeck processes never hash one file twice a day.
pub async fn scrub(
    state: &AppState,
    who: &Scrubber<'_>,
    target: Option<i64>,
    due_only: bool,
) -> Result<ScrubReport, AppError> {
    let rows: Vec<Stored> = sqlx::query_as(STORED)
        .bind(target)
        .bind(due_only)
        .fetch_all(&state.db)
        .await?;
    let mut report = ScrubReport::default();
    for row in rows {
        if due_only && !claim(state, row.id).await? {
            continue;
        }
        report.checked += 1;
        match check(state, &row).await {
            None => touch(state, row.id).await?,
            Some(what) => {
                if mark_corrupted(state, who, row.id, &row.target, &what).await? {
                    report.corrupted.push(row.id);
                }
            }
        }
    }
    Ok(report)
}

/// What is wrong with the file, if anything.
async fn check(state: &AppState, row: &Stored) -> Option<String> {
    let Some(path) = state.backups.path(&row.file) else {
        return Some("its file name leaves the store".into());
    };
    match sha256_of(&path).await {
        Ok(found) if found == row.sha256 => None,
        Ok(found) => Some(format!(
            "the file has sha256 {found}, but {} was recorded when it was taken",
            row.sha256
        )),
        Err(e) => Some(format!("the file cannot be read: {e}")),
    }
}

async fn claim(state: &AppState, id: i64) -> Result<bool, AppError> {
    let claimed = sqlx::query(
        "UPDATE backup SET scrubbed_at = now() WHERE id = $1
         AND (scrubbed_at IS NULL OR scrubbed_at < now() - interval '1 day')",
    )
    .bind(id)
    .execute(&state.db)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

async fn touch(state: &AppState, id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE backup SET scrubbed_at = now() WHERE id = $1")
        .bind(id)
        .execute(&state.db)
        .await?;
    Ok(())
}

/// Marks backup `id` corrupted and audits it, once. A backup deleted in
/// the meantime (retention removes the file after marking the row) is not
/// corrupted, only gone: it is left alone.
pub async fn mark_corrupted(
    state: &AppState,
    who: &Scrubber<'_>,
    id: i64,
    target: &str,
    what: &str,
) -> Result<bool, AppError> {
    let mut tx = state.db.begin().await?;
    let marked = sqlx::query(
        "UPDATE backup SET corrupted_at = now(), corruption = $2, scrubbed_at = now()
         WHERE id = $1 AND corrupted_at IS NULL AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(what)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if marked {
        let r = Record::new(
            who.actor,
            actions::CORRUPTED,
            AuditTarget::BackupTarget(target),
            Outcome::Failure,
        )
        .details(json!({ "backup": id, "error": what }))
        .meta(who.meta);
        record(&mut tx, r).await?;
    }
    tx.commit().await?;
    Ok(marked)
}

/// "Scrub now" on one target, audited with what it found.
pub async fn scrub_target(
    state: &AppState,
    actor: &crate::auth::guard::Actor,
    target: &str,
) -> Result<ScrubReport, AppError> {
    let row = super::target::find(&state.db, target).await?;
    let name = actor.audit_name();
    let who = Scrubber {
        actor: &name,
        meta: &actor.meta,
    };
    let report = scrub(state, &who, Some(row.id), false).await?;
    let outcome = if report.corrupted.is_empty() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let r = Record::new(&name, actions::SCRUB, row.audit_target(), outcome)
        .details(json!({ "checked": report.checked, "corrupted": report.corrupted }))
        .meta(&actor.meta);
    record_alone(&state.db, r).await?;
    Ok(report)
}

/// The daily pass over every target, as `system`.
pub async fn scrub_due(state: AppState) {
    let meta = RequestMeta::default();
    let who = Scrubber {
        actor: "system",
        meta: &meta,
    };
    match scrub(&state, &who, None, true).await {
        Ok(r) if !r.corrupted.is_empty() => {
            tracing::error!(corrupted = ?r.corrupted, "scrub found corrupted backup files")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "backup scrub pass failed"),
    }
}
