//! Users in the database (server only).

use super::{validate_password, validate_username, Role};
use crate::error::OnUnique;
use crate::AppError;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgExecutor, Postgres, Transaction};

/// A stored user, without the password hash.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Bumped when the password is reset or the user disabled: sessions
    /// started under an older epoch have ended.
    pub session_epoch: i32,
}

impl User {
    /// The roles this user holds; unknown names (never written) are ignored.
    pub fn roles(&self) -> Vec<Role> {
        self.roles.iter().filter_map(|r| Role::parse(r)).collect()
    }
}

/// What it takes to create a user.
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: SecretString,
    pub roles: Vec<Role>,
}

impl NewUser {
    /// Checks every field and says which one is wrong.
    pub fn validate(&self) -> Result<(), AppError> {
        validate_username(&self.username)?;
        if self.display_name.trim().is_empty() || self.display_name.chars().count() > 100 {
            return Err(AppError::invalid(
                "display_name",
                "must be 1 to 100 characters",
            ));
        }
        if self.roles.is_empty() {
            return Err(AppError::invalid("roles", "choose at least one role"));
        }
        validate_password(&self.username, self.password.expose_secret())
    }
}

const USER_COLUMNS: &str =
    "id, username, display_name, roles, disabled, failed_logins, locked_until, created_at, last_login_at, session_epoch";

/// Inserts a validated user; a taken username is a `username` field error.
#[tracing::instrument(skip_all, fields(username = %new.username))]
pub async fn create(tx: &mut Transaction<'_, Postgres>, new: &NewUser) -> Result<User, AppError> {
    new.validate()?;
    let limit = super::password::Argon2Limit::shared();
    let hash = super::password::hash(&limit, new.password.clone()).await?;
    let roles: Vec<&str> = new.roles.iter().map(|r| r.as_str()).collect();
    let sql = format!(
        "INSERT INTO app_user (username, display_name, password_hash, roles) VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
    );
    sqlx::query_as::<_, User>(&sql)
        .bind(&new.username)
        .bind(new.display_name.trim())
        .bind(hash)
        .bind(&roles)
        .fetch_one(&mut **tx)
        .await
        // The username is the table's only unique key.
        .on_unique("username", format!("`{}` is already taken", new.username))
}

/// Sets a new password, clears any lockout and ends the user's sessions.
pub async fn set_password(
    tx: &mut Transaction<'_, Postgres>,
    username: &str,
    password: SecretString,
) -> Result<(), AppError> {
    validate_password(username, password.expose_secret())?;
    let hash = super::password::hash(&super::password::Argon2Limit::shared(), password).await?;
    let updated = sqlx::query(
        "UPDATE app_user SET password_hash = $2, failed_logins = 0, locked_until = NULL, session_epoch = session_epoch + 1 WHERE username = $1",
    )
    .bind(username)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("user `{username}`")));
    }
    Ok(())
}

/// The user with this name, if any.
pub async fn find(db: impl PgExecutor<'_>, username: &str) -> Result<Option<User>, AppError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE username = $1");
    sqlx::query_as::<_, User>(&sql)
        .bind(username)
        .fetch_optional(db)
        .await
        .map_err(AppError::internal)
}

/// The user and their password hash, for checking a sign-in.
pub async fn find_credentials(
    db: impl PgExecutor<'_>,
    username: &str,
) -> Result<Option<(User, String)>, AppError> {
    let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM app_user WHERE username = $1");
    let row = sqlx::query(&sql).bind(username).fetch_optional(db).await?;
    row.map(|r| {
        use sqlx::{FromRow, Row};
        Ok((User::from_row(&r)?, r.try_get("password_hash")?))
    })
    .transpose()
}

/// The user with this id, if any.
pub async fn find_by_id(db: impl PgExecutor<'_>, id: i64) -> Result<Option<User>, AppError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE id = $1");
    sqlx::query_as::<_, User>(&sql)
        .bind(id)
        .fetch_optional(db)
        .await
        .map_err(AppError::internal)
}

/// Every user, by username.
pub async fn all(db: impl PgExecutor<'_>) -> Result<Vec<User>, AppError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM app_user ORDER BY username");
    sqlx::query_as::<_, User>(&sql)
        .fetch_all(db)
        .await
        .map_err(AppError::internal)
}

/// How many users exist (the first-run setup is open while this is zero).
pub async fn count(db: impl PgExecutor<'_>) -> Result<i64, AppError> {
    sqlx::query_scalar("SELECT count(*) FROM app_user")
        .fetch_one(db)
        .await
        .map_err(AppError::internal)
}
