//! Recording how a backup ended: the row and the audit outcome, in one
//! transaction.

use super::run::{Begun, Produced};
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::backup::actions;
use crate::state::AppState;
use crate::AppError;
use serde_json::{json, Value};
use sqlx::{Postgres, Transaction};

pub(super) async fn record_ending(
    state: &AppState,
    begun: &Begun,
    result: &Result<Produced, String>,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    let details = match result {
        Ok(p) => store_success(&mut tx, begun, p).await?,
        Err(e) => store_failure(&mut tx, begun, e).await?,
    };
    let ok = matches!(result, Ok(p) if p.listing.is_ok());
    let outcome = if ok {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let r = Record::new(
        &begun.request.actor,
        actions::RUN,
        begun.target.audit_target(),
        outcome,
    )
    .details(details)
    .meta(&begun.request.meta);
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}

/// A complete file: stored as succeeded, and verified when its table of
/// contents could be read.
async fn store_success(
    tx: &mut Transaction<'_, Postgres>,
    begun: &Begun,
    p: &Produced,
) -> Result<Value, AppError> {
    let listing = p.listing.as_ref().ok();
    sqlx::query(
        "UPDATE backup SET state = 'succeeded', file = $2, size_bytes = $3, bytes_written = $3,
         sha256 = $4, server_version = $5, toc_entries = $6, verify_error = $7,
         verified_at = CASE WHEN $6::int IS NULL THEN NULL ELSE now() END,
         finished_at = now() WHERE id = $1",
    )
    .bind(begun.id)
    .bind(&p.file)
    .bind(p.dumped.size)
    .bind(&p.dumped.sha256)
    .bind(listing.and_then(|l| l.server_version.clone()))
    .bind(listing.map(|l| l.entries))
    .bind(p.listing.as_ref().err())
    .execute(&mut **tx)
    .await?;
    Ok(
        json!({ "backup": begun.id, "kind": begun.request.kind.as_str(), "size": p.dumped.size,
               "sha256": p.dumped.sha256, "verified": listing.is_some(),
               "error": p.listing.as_ref().err() }),
    )
}

async fn store_failure(
    tx: &mut Transaction<'_, Postgres>,
    begun: &Begun,
    error: &str,
) -> Result<Value, AppError> {
    sqlx::query(
        "UPDATE backup SET state = 'failed', error = $2, finished_at = now() WHERE id = $1",
    )
    .bind(begun.id)
    .bind(error)
    .execute(&mut **tx)
    .await?;
    Ok(json!({ "backup": begun.id, "kind": begun.request.kind.as_str(), "error": error }))
}
