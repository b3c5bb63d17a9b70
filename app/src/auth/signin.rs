//! Signing in and out, and the first-run setup (server only).

use super::guard::{session, SessionAuth, SESSION_KEY};
use super::users::{self, NewUser, User};
use super::{password, Role, SignInRefusal};
use crate::audit::ssr::{record, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::request::RequestMeta;
use crate::state::AppState;
use crate::AppError;
use chrono::Utc;
use secrecy::SecretString;
use serde_json::json;

/// A refused sign-in: the error to answer, and why in the login page's terms.
#[derive(Debug)]
pub struct Refused {
    pub why: SignInRefusal,
    pub error: AppError,
}

/// Refused by an error on the way: its kind says why (throttled, busy);
/// anything else reads as invalid credentials.
impl From<AppError> for Refused {
    fn from(error: AppError) -> Self {
        let why = match &error {
            AppError::TooManyRequests(_) => SignInRefusal::Throttled,
            AppError::Unavailable(_) => SignInRefusal::Busy,
            _ => SignInRefusal::Invalid,
        };
        Refused { why, error }
    }
}

/// Checks the credentials, applies throttling and lockout, audits the
/// attempt, and on success starts a fresh session (new id) for the user.
pub async fn sign_in(
    state: &AppState,
    meta: &RequestMeta,
    username: &str,
    pw: SecretString,
) -> Result<User, Refused> {
    let attempt = reserve_attempt(state, meta, username).await?;
    let found = users::find_credentials(&state.db, username).await?;
    let (user, hash) = found
        .map(|(u, h)| (Some(u), Some(h)))
        .unwrap_or((None, None));
    let verified = match password::verify(&state.auth.argon2, pw, hash).await {
        Ok(verified) => verified,
        Err(e) => {
            // Not checked (the server was busy): not a failure to count.
            release_attempt(&state.db, attempt).await?;
            return Err(e.into());
        }
    };
    // A locked account answers every password, right or wrong, like a wrong
    // one: otherwise guessing goes on during the lockout, and the answer
    // "locked" tells the guesser when they have found the password.
    let locked = user
        .as_ref()
        .is_some_and(|u| u.locked_until.is_some_and(|t| t > Utc::now()));
    let user = match (user, verified, locked) {
        (Some(user), true, false) => user,
        (user, _, locked) => {
            let reason = if locked {
                "account locked"
            } else {
                "invalid credentials"
            };
            let error = record_failure(state, meta, username, user.as_ref(), reason).await?;
            return Err(error.into());
        }
    };
    if user.disabled {
        audit(
            state,
            meta,
            username,
            Outcome::Denied,
            json!({ "reason": "disabled" }),
        )
        .await?;
        let why = SignInRefusal::Disabled;
        return Err(Refused {
            why,
            error: AppError::Unauthorized(why.message().into()),
        });
    }
    record_success(state, meta, &user, attempt).await?;
    start_session(&user).await?;
    Ok(user)
}

/// Counts this attempt against the client's address before its password is
/// checked, or refuses it at the limit. Attempts from one address take
/// turns here (an advisory lock per address), so parallel requests cannot
/// all count the same failures and all pass: at most the limit are checked.
/// Returns the reservation (a `login_failure` row), kept when the attempt fails.
async fn reserve_attempt(
    state: &AppState,
    meta: &RequestMeta,
    username: &str,
) -> Result<Option<i64>, AppError> {
    let Some(addr) = &meta.client_addr else {
        return Ok(None);
    };
    let window = state.auth.lockout_duration;
    let mut tx = state.db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('opsdeck.sign_in:' || $1, 0))")
        .bind(addr)
        .execute(&mut *tx)
        .await?;
    let recent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_failure WHERE client_addr = $1 AND at > now() - $2",
    )
    .bind(addr)
    .bind(window)
    .fetch_one(&mut *tx)
    .await?;
    if recent < state.auth.per_address_limit {
        let id = reserve(&mut tx, addr).await?;
        tx.commit().await?;
        return Ok(Some(id));
    }
    drop(tx);
    audit(
        state,
        meta,
        username,
        Outcome::Denied,
        json!({ "reason": "address throttled" }),
    )
    .await?;
    Err(AppError::TooManyRequests(format!(
        "Too many failed sign-ins from your address: try again in {} minutes.",
        window.num_minutes()
    )))
}

async fn reserve(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    addr: &str,
) -> Result<i64, AppError> {
    sqlx::query("DELETE FROM login_failure WHERE at < now() - interval '1 day'")
        .execute(&mut **tx)
        .await?;
    sqlx::query_scalar("INSERT INTO login_failure (client_addr) VALUES ($1) RETURNING id")
        .bind(addr)
        .fetch_one(&mut **tx)
        .await
        .map_err(AppError::internal)
}

/// Gives back a reserved attempt that turned out not to be a failure.
async fn release_attempt(
    db: impl sqlx::PgExecutor<'_>,
    attempt: Option<i64>,
) -> Result<(), AppError> {
    if let Some(id) = attempt {
        sqlx::query("DELETE FROM login_failure WHERE id = $1")
            .bind(id)
            .execute(db)
            .await?;
    }
    Ok(())
}

/// Counts the failure against the account (the address's count is the
/// attempt's reservation), locks the account at the threshold, audits, and
/// returns the error to show.
async fn record_failure(
    state: &AppState,
    meta: &RequestMeta,
    username: &str,
    user: Option<&User>,
    reason: &str,
) -> Result<AppError, AppError> {
    let mut tx = state.db.begin().await?;
    if let Some(user) = user {
        let locked: bool = sqlx::query_scalar(
            "UPDATE app_user SET
                 failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
                 locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + $3 ELSE locked_until END
             WHERE id = $1 RETURNING locked_until IS NOT NULL AND locked_until > now()",
        )
        .bind(user.id)
        .bind(state.auth.lockout_threshold)
        .bind(state.auth.lockout_duration)
        .fetch_one(&mut *tx)
        .await?;
        if locked && user.locked_until.is_none_or(|t| t <= Utc::now()) {
            let r = Record::new(
                "system",
                crate::auth::actions::LOCKOUT,
                AuditTarget::User(username),
                Outcome::Success,
            )
            .details(json!({ "minutes": state.auth.lockout_duration.num_minutes() }))
            .meta(meta);
            record(&mut tx, r).await?;
        }
    }
    let r = login_record(
        meta,
        username,
        Outcome::Failure,
        json!({ "reason": reason }),
    );
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(AppError::Unauthorized(
        SignInRefusal::Invalid.message().into(),
    ))
}

async fn record_success(
    state: &AppState,
    meta: &RequestMeta,
    user: &User,
    attempt: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    release_attempt(&mut *tx, attempt).await?;
    sqlx::query("UPDATE app_user SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        login_record(meta, &user.username, Outcome::Success, json!({})),
    )
    .await?;
    tx.commit().await.map_err(AppError::internal)
}

/// `username` as the audit log names it: at most [`super::MAX_USERNAME`]
/// characters, so no client can write a large row into the append-only log.
fn clipped(username: &str) -> String {
    let mut name: String = username.chars().take(super::MAX_USERNAME).collect();
    if name.len() < username.len() {
        name.push('…');
    }
    name
}

fn login_record(
    meta: &RequestMeta,
    username: &str,
    outcome: Outcome,
    details: serde_json::Value,
) -> Record {
    let username = clipped(username);
    let actor = if outcome == Outcome::Success {
        format!("user:{username}")
    } else {
        "anonymous".into()
    };
    Record::new(
        actor,
        crate::auth::actions::LOGIN,
        AuditTarget::User(&username),
        outcome,
    )
    .details(details)
    .meta(meta)
}

async fn audit(
    state: &AppState,
    meta: &RequestMeta,
    username: &str,
    outcome: Outcome,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    record(&mut tx, login_record(meta, username, outcome, details)).await?;
    tx.commit().await.map_err(AppError::internal)
}

/// A new session id (no fixation) holding the user.
async fn start_session(user: &User) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(AppError::internal)?;
    let auth = SessionAuth {
        user_id: user.id,
        login_at: Utc::now(),
        epoch: user.session_epoch,
    };
    session
        .insert(SESSION_KEY, auth)
        .await
        .map_err(AppError::internal)
}

/// Ends the session on the server (the cookie alone no longer works).
pub async fn sign_out(
    state: &AppState,
    meta: &RequestMeta,
    username: Option<&str>,
) -> Result<(), AppError> {
    session().await?.flush().await.map_err(AppError::internal)?;
    if let Some(name) = username {
        let r = Record::new(
            format!("user:{name}"),
            crate::auth::actions::LOGOUT,
            AuditTarget::User(name),
            Outcome::Success,
        )
        .meta(meta);
        let mut tx = state.db.begin().await?;
        record(&mut tx, r).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Creates the first admin while no user exists, and signs them in. Later
/// calls find a user and answer 404: setup exists only on a new installation.
pub async fn first_admin(
    state: &AppState,
    meta: &RequestMeta,
    new: NewUser,
    confirm: SecretString,
) -> Result<(), AppError> {
    use secrecy::ExposeSecret;
    if new.password.expose_secret() != confirm.expose_secret() {
        return Err(AppError::invalid("confirm", "does not match the password"));
    }
    let mut tx = state.db.begin().await?;
    // Two browsers racing through setup: the second waits here, then finds a user.
    sqlx::query("LOCK TABLE app_user IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    if users::count(&mut *tx).await? > 0 {
        return Err(AppError::NotFound("setup".into()));
    }
    let new = NewUser {
        roles: vec![Role::Admin],
        ..new
    };
    let user = users::create(&mut tx, &new).await?;
    let r = Record::new(
        format!("user:{}", user.username),
        crate::users::actions::CREATE,
        AuditTarget::User(&user.username),
        Outcome::Success,
    )
    .details(json!({ "roles": ["admin"], "via": "setup" }))
    .meta(meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    start_session(&user).await
}
