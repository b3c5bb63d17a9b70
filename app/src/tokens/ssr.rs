//! Token storage and checking (server only).

use super::TokenSummary;
use crate::audit::ssr::{record, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::auth::Permission;
use crate::tokens::actions;
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

const PREFIX: &str = "odk_";

/// A new random secret: 32 bytes from the OS, hex.
fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(hex::encode(bytes))
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn parse_permissions(names: &[String]) -> Vec<Permission> {
    names.iter().filter_map(|n| Permission::parse(n)).collect()
}

pub async fn create(
    db_pool: &PgPool,
    actor: &Actor,
    name: &str,
    days: u32,
    permissions: &[Permission],
) -> Result<String, AppError> {
    if actor.token.is_some() {
        return Err(AppError::Forbidden(
            "An API token cannot create tokens: sign in to Opsdeck and create it at /tokens."
                .into(),
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "must be 1 to 100 characters"));
    }
    if !(1..=365).contains(&days) {
        return Err(AppError::invalid("days", "a token lives 1 to 365 days"));
    }
    if permissions.is_empty() {
        return Err(AppError::invalid(
            "permissions",
            "choose at least one permission",
        ));
    }
    if let Some(p) = permissions.iter().find(|p| !actor.can(**p)) {
        return Err(AppError::invalid(
            "permissions",
            format!("you do not hold `{p:?}`, so a token of yours cannot either"),
        ));
    }
    let secret = new_secret()?;
    let names: Vec<String> = permissions.iter().map(|p| p.as_str().to_string()).collect();
    let mut tx = db_pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_token (user_id, name, secret_hash, permissions, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(days => $5)) RETURNING id",
    )
    .bind(actor.user.id)
    .bind(name)
    .bind(hash(&secret))
    .bind(&names)
    .bind(days as i32)
    .fetch_one(&mut *tx)
    .await?;
    let r = Record::new(
        actor.audit_name(),
        actions::CREATE,
        AuditTarget::Token(id),
        Outcome::Success,
    )
    .details(json!({ "name": name, "scope": names, "days": days }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(format!("{PREFIX}{id}_{secret}"))
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner: String,
    name: String,
    permissions: Vec<String>,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

pub async fn list(db_pool: &PgPool, actor: &Actor) -> Result<Vec<TokenSummary>, AppError> {
    let everyone = actor.can(Permission::Administer);
    let rows = sqlx::query_as::<_, Row>(
        "SELECT t.id, u.username AS owner, t.name, t.permissions, t.expires_at, t.created_at, t.last_used_at, t.revoked_at
         FROM api_token t JOIN app_user u ON u.id = t.user_id
         WHERE $1 OR t.user_id = $2 ORDER BY t.id DESC",
    )
    .bind(everyone)
    .bind(actor.user.id)
    .fetch_all(db_pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenSummary {
            id: r.id,
            owner: r.owner,
            name: r.name,
            permissions: parse_permissions(&r.permissions),
            expires_at: r.expires_at,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked: r.revoked_at.is_some(),
        })
        .collect())
}

pub async fn revoke(db_pool: &PgPool, actor: &Actor, id: i64) -> Result<(), AppError> {
    let mut tx = db_pool.begin().await?;
    let done = sqlx::query("UPDATE api_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL AND ($2 OR user_id = $3)")
        .bind(id)
        .bind(actor.can(Permission::Administer))
        .bind(actor.user.id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("active token {id} of yours")));
    }
    let r = Record::new(
        actor.audit_name(),
        actions::REVOKE,
        AuditTarget::Token(id),
        Outcome::Success,
    )
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
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
        .await?;
    Ok(Some((id, user_id, parse_permissions(&permissions))))
}
