//! Administrators' changes to users, each with its audit event in the same
//! transaction (server only).

use crate::audit::ssr::{record, Record};
use crate::audit::{Action, AuditTarget, Outcome};
use crate::auth::guard::Actor;
use crate::auth::users::{self, NewUser};
use crate::auth::Role;
use crate::users::actions;
use crate::AppError;
use serde_json::{json, Value};
use sqlx::{PgPool, Postgres, Transaction};

/// What an administrator can change about a user.
pub enum Change {
    Roles(Vec<Role>),
    Disabled(bool),
    Unlock,
}

async fn audit(
    tx: &mut Transaction<'_, Postgres>,
    by: &Actor,
    action: Action,
    username: &str,
    details: Value,
) -> Result<(), AppError> {
    let r = Record::new(
        by.audit_name(),
        action,
        AuditTarget::User(username),
        Outcome::Success,
    )
    .details(details)
    .meta(&by.meta);
    record(tx, r).await?;
    Ok(())
}

pub async fn create(db_pool: &PgPool, by: &Actor, new: NewUser) -> Result<(), AppError> {
    let mut tx = db_pool.begin().await?;
    let user = users::create(&mut tx, &new).await?;
    let roles: Vec<&str> = new.roles.iter().map(|r| r.as_str()).collect();
    audit(
        &mut tx,
        by,
        actions::CREATE,
        &user.username,
        json!({ "roles": roles }),
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}

pub async fn reset_password(
    db_pool: &PgPool,
    by: &Actor,
    username: &str,
    password: secrecy::SecretString,
) -> Result<(), AppError> {
    let mut tx = db_pool.begin().await?;
    users::set_password(&mut tx, username, password).await?;
    audit(&mut tx, by, actions::RESET_PASSWORD, username, json!({})).await?;
    tx.commit().await.map_err(AppError::from)
}

/// Applies `change`, refusing one that would leave no enabled admin.
pub async fn apply(
    db_pool: &PgPool,
    by: &Actor,
    username: &str,
    change: Change,
) -> Result<(), AppError> {
    let mut tx = db_pool.begin().await?;
    // Serializes admin changes, so two of them cannot each remove "another" last admin.
    let admins: Vec<String> = sqlx::query_scalar(
        "SELECT username FROM app_user WHERE 'admin' = ANY(roles) AND NOT disabled ORDER BY id FOR UPDATE",
    )
    .fetch_all(&mut *tx)
    .await?;
    let user = users::find(&mut *tx, username)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user `{username}`")))?;
    let removes_admin = match &change {
        Change::Roles(roles) => !roles.contains(&Role::Admin),
        Change::Disabled(disabled) => *disabled,
        Change::Unlock => false,
    };
    if removes_admin && admins == [user.username.clone()] {
        return Err(AppError::invalid(
            "username",
            format!("`{username}` is the last enabled admin: make another user admin first"),
        ));
    }
    let (action, details) = write(&mut tx, user.id, &change).await?;
    audit(&mut tx, by, action, username, details).await?;
    tx.commit().await.map_err(AppError::from)
}

async fn write(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    change: &Change,
) -> Result<(Action, Value), AppError> {
    let (sql, action, details) = match change {
        Change::Roles(roles) => {
            if roles.is_empty() {
                return Err(AppError::invalid("roles", "choose at least one role"));
            }
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            sqlx::query("UPDATE app_user SET roles = $2 WHERE id = $1")
                .bind(id)
                .bind(&names)
                .execute(&mut **tx)
                .await?;
            return Ok((actions::SET_ROLES, json!({ "roles": names })));
        }
        Change::Disabled(true) => (
            // Ends the user's sessions, also for after a later enable.
            "UPDATE app_user SET disabled = true, session_epoch = session_epoch + 1 WHERE id = $1",
            actions::DISABLE,
            json!({}),
        ),
        Change::Disabled(false) => (
            "UPDATE app_user SET disabled = false WHERE id = $1",
            actions::ENABLE,
            json!({}),
        ),
        Change::Unlock => (
            "UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1",
            actions::UNLOCK,
            json!({}),
        ),
    };
    sqlx::query(sql).bind(id).execute(&mut **tx).await?;
    Ok((action, details))
}
