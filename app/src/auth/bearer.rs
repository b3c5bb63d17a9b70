//! API tokens as credentials (server only): their format, and the check
//! of a token presented as `Authorization: Bearer odk_<id>_<secret>`.
//! The guard authenticates with it; the tokens feature makes and lists
//! tokens with it.

use super::Permission;
use crate::AppError;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// What every token starts with, so that a leaked one is recognisable.
pub const PREFIX: &str = "odk_";

/// How a token's secret is stored: never the secret itself.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The permissions named in a token's stored scope.
pub fn scope(names: &[String]) -> Vec<Permission> {
    names.iter().filter_map(|n| Permission::parse(n)).collect()
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// A valid bearer token's id, owner and permissions; `None` for anything
/// malformed, unknown, revoked or expired (all look alike to the caller).
pub async fn check(
    db_pool: &PgPool,
    bearer: &str,
) -> Result<Option<(i64, i64, Vec<Permission>)>, AppError> {
    let Some((id, secret)) = bearer.strip_prefix(PREFIX).and_then(|t| t.split_once('_')) else {
        return Ok(None);
    };
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    let row: Option<(i64, Vec<u8>, Vec<String>)> = sqlx::query_as(
        "SELECT user_id, secret_hash, permissions FROM api_token
         WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()",
    )
    .bind(id)
    .fetch_optional(db_pool)
    .await?;
    let Some((user_id, stored, permissions)) = row else {
        return Ok(None);
    };
    let given = hash(secret);
    // Constant-time comparison of the two digests.
    let same = stored.len() == given.len()
        && stored
            .iter()
            .zip(&given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Ok(None);
    }
    // At most one write a minute per token, so busy pipelines do not write on every call.
    sqlx::query("UPDATE api_token SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')")
        .bind(id)
        .execute(db_pool)
        .await
        .map_err(AppError::internal)?;
    Ok(Some((id, user_id, scope(&permissions))))
}
