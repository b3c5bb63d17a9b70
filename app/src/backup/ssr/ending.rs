//! Recording how a backup ended: the row and the audit outcome, in one
//! transaction.

use super::archive::Listing;
use super::dump::Dumped;
use super::failure::Failure;
use super::model::Request;
use super::target::TargetRow;
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::backup::actions;
use crate::backup::BackupKind;
use crate::state::AppState;
use crate::AppError;
use serde_json::{json, Value};
use sqlx::{Postgres, Transaction};

/// What a finished dump left: the file and, unless it could not be read
/// back, its table of contents.
pub(super) struct Produced {
    pub file: String,
    pub dumped: Dumped,
    pub listing: Result<Listing, Failure>,
}

/// Records how backup `id` of `target`, asked for by `request`, ended.
pub(super) async fn record_ending(
    state: &AppState,
    id: i64,
    target: &TargetRow,
    request: &Request,
    result: &Result<Produced, Failure>,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    let details = match result {
        Ok(p) => store_success(&mut tx, id, request.kind, p).await?,
        Err(e) => store_failure(&mut tx, id, request.kind, e.as_str()).await?,
    };
    let ok = matches!(result, Ok(p) if p.listing.is_ok());
    let outcome = if ok {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let r = Record::new(&request.actor, actions::RUN, target.audit_target(), outcome)
        .details(details)
        .meta(&request.meta);
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}

/// A complete file: stored as succeeded, and verified when its table of
/// contents could be read.
async fn store_success(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    kind: BackupKind,
    p: &Produced,
) -> Result<Value, AppError> {
    let listing = p.listing.as_ref().ok();
    sqlx::query(
        "UPDATE backup SET state = 'succeeded', file = $2, size_bytes = $3, bytes_written = $3,
         sha256 = $4, server_version = $5, toc_entries = $6, verify_error = $7,
         verified_at = CASE WHEN $6::int IS NULL THEN NULL ELSE now() END,
         finished_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(&p.file)
    .bind(p.dumped.size)
    .bind(&p.dumped.sha256)
    .bind(listing.and_then(|l| l.server_version.clone()))
    .bind(listing.map(|l| l.entries))
    .bind(p.listing.as_ref().err().map(Failure::as_str))
    .execute(&mut **tx)
    .await?;
    Ok(
        json!({ "backup": id, "kind": kind.as_str(), "size": p.dumped.size,
               "sha256": p.dumped.sha256, "verified": listing.is_some(),
               "error": p.listing.as_ref().err().map(Failure::as_str) }),
    )
}

async fn store_failure(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    kind: BackupKind,
    error: &str,
) -> Result<Value, AppError> {
    sqlx::query(
        "UPDATE backup SET state = 'failed', error = $2, finished_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(&mut **tx)
    .await?;
    Ok(json!({ "backup": id, "kind": kind.as_str(), "error": error }))
}
