//! Creating, listing and revoking API tokens (server only); checking
//! a presented one is `auth::bearer`'s.

use super::TokenSummary;
use crate::audit::ssr::{record, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::auth::bearer::{hash, scope, PREFIX};
use crate::auth::guard::Actor;
use crate::auth::Permission;
use crate::tokens::actions;
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

/// A new random secret: 32 bytes from the OS, hex.
fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(hex::encode(bytes))
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
            permissions: scope(&r.permissions),
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
