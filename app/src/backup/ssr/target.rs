//! Backup targets: adding and changing them (the URL sealed, never shown
//! again), finding them, opening their connection, testing it.

use super::conn::Conn;
use crate::audit::ssr::{record, record_alone, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::backup::actions;
use crate::state::AppState;
use crate::AppError;
use serde_json::json;
use sqlx::{ConnectOptions, PgExecutor};
use std::time::Duration;

/// A target as the machinery uses it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TargetRow {
    pub id: i64,
    pub name: String,
    pub sealed_url: Vec<u8>,
    pub display: String,
    pub rpo_hours: i32,
}

impl TargetRow {
    /// `backup_target:<name>`, as the audit log names targets.
    pub fn audit_target(&self) -> String {
        AuditTarget::BackupTarget(&self.name).to_string()
    }
}

/// A target by name or id.
pub async fn find(db_: impl PgExecutor<'_>, target: &str) -> Result<TargetRow, AppError> {
    let id = target.parse::<i64>().ok();
    sqlx::query_as(
        "SELECT id, name, sealed_url, display, rpo_hours FROM backup_target
         WHERE name = $1 OR id = $2 ORDER BY name = $1 DESC LIMIT 1",
    )
    .bind(target.trim())
    .bind(id)
    .fetch_optional(db_)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("backup target `{}`", target.trim())))
}

/// The target's connection, unsealed.
pub fn open(state: &AppState, target: &TargetRow) -> Result<Conn, AppError> {
    let url = state.secrets.open(&target.sealed_url).ok_or_else(|| {
        AppError::Unavailable(format!(
            "the connection URL of `{}` cannot be unsealed with this installation's secret key (OPSDECK_SECRET_KEY changed?): enter it again",
            target.name
        ))
    })?;
    Conn::parse(secrecy::ExposeSecret::expose_secret(&url))
}

fn check_name(name: &str) -> Result<(), AppError> {
    let ok = (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    ok.then_some(()).ok_or_else(|| {
        AppError::invalid(
            "name",
            "use 1 to 63 lowercase letters, digits or '-', not first or last",
        )
    })
}

/// `text` as hours of RPO (1 to 8760, default 24 when empty).
pub fn parse_rpo(text: &str) -> Result<i32, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(24);
    }
    match text.parse::<i32>() {
        Ok(h) if (1..=8760).contains(&h) => Ok(h),
        _ => Err(AppError::invalid(
            "rpo_hours",
            "a whole number of hours from 1 to 8760",
        )),
    }
}

/// Adds a target. The URL is checked, sealed, and never returned.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    name: &str,
    url: &str,
    rpo_hours: &str,
) -> Result<i64, AppError> {
    let name = name.trim();
    check_name(name)?;
    let conn = Conn::parse(url)?;
    let rpo = parse_rpo(rpo_hours)?;
    let mut tx = state.db.begin().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO backup_target (name, sealed_url, display, rpo_hours) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(state.secrets.seal(url.trim()))
    .bind(&conn.display)
    .bind(rpo)
    .fetch_optional(&mut *tx)
    .await?;
    let id =
        id.ok_or_else(|| AppError::invalid("name", format!("a target named `{name}` exists")))?;
    let r = Record::new(
        actor.audit_name(),
        actions::TARGET_CREATE,
        AuditTarget::BackupTarget(name),
        Outcome::Success,
    )
    .details(json!({ "id": id, "display": conn.display, "rpo_hours": rpo }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a target's RPO and, when `url` is not empty, its URL.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    target: &str,
    url: &str,
    rpo_hours: &str,
) -> Result<(), AppError> {
    let row = find(&state.db, target).await?;
    let rpo = parse_rpo(rpo_hours)?;
    let new_url = match url.trim() {
        "" => None,
        text => Some((Conn::parse(text)?, state.secrets.seal(text))),
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "UPDATE backup_target SET rpo_hours = $2, sealed_url = coalesce($3, sealed_url),
         display = coalesce($4, display), updated_at = now() WHERE id = $1",
    )
    .bind(row.id)
    .bind(rpo)
    .bind(new_url.as_ref().map(|(_, sealed)| sealed.clone()))
    .bind(new_url.as_ref().map(|(c, _)| c.display.clone()))
    .execute(&mut *tx)
    .await?;
    let r = Record::new(
        actor.audit_name(),
        actions::TARGET_UPDATE,
        row.audit_target(),
        Outcome::Success,
    )
    .details(json!({ "rpo_hours": rpo, "connection_changed": new_url.is_some() }))
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}

/// Connects to the target and reports its server version (also stored).
pub async fn test_connection(
    state: &AppState,
    actor: &Actor,
    target: &str,
) -> Result<String, AppError> {
    let row = find(&state.db, target).await?;
    let conn = open(state, &row)?;
    let result = server_version(&conn).await;
    let (outcome, details) = match &result {
        Ok(v) => (Outcome::Success, json!({ "server_version": v })),
        Err(e) => (Outcome::Failure, json!({ "error": e.to_string() })),
    };
    if let Ok(v) = &result {
        sqlx::query("UPDATE backup_target SET server_version = $2 WHERE id = $1")
            .bind(row.id)
            .bind(v)
            .execute(&state.db)
            .await?;
    }
    let r = Record::new(
        actor.audit_name(),
        actions::TARGET_TEST,
        row.audit_target(),
        outcome,
    )
    .details(details)
    .meta(&actor.meta);
    record_alone(&state.db, r).await?;
    result
}

/// SQLSTATEs of a login the server refused: class 28 (wrong password,
/// unknown role, no pg_hba.conf entry) and 3D000 (unknown database).
fn refused_login(code: &str) -> bool {
    code.starts_with("28") || code == "3D000"
}

/// pg_dump's (libpq's) words for the same refusals, for programs whose
/// only answer is their stderr.
pub fn refused_login_text(stderr: &str) -> bool {
    stderr.contains("password authentication failed")
        || stderr.contains("no password supplied")
        || stderr.contains("no pg_hba.conf entry")
        || (stderr.contains("FATAL:")
            && stderr.contains("does not exist")
            && (stderr.contains("role \"") || stderr.contains("database \"")))
}

/// A login the server refused is the caller's configuration to fix (422 on
/// `url`, with PostgreSQL's words, scrubbed of the password); anything
/// else means the server cannot be reached (503).
pub fn connect_error(conn: &Conn, e: &sqlx::Error) -> AppError {
    let message = conn.scrub(&e.to_string());
    let code = e.as_database_error().and_then(|d| d.code());
    if code.as_deref().is_some_and(refused_login) {
        AppError::invalid(
            "url",
            format!(
                "{} refused the login: {message}; correct the user, password or database in the URL",
                conn.display
            ),
        )
    } else {
        AppError::Unavailable(format!("cannot connect to {}: {message}", conn.display))
    }
}

/// `SHOW server_version` on the target, within 15 seconds.
pub async fn server_version(conn: &Conn) -> Result<String, AppError> {
    let ask = async {
        let mut c = conn
            .connect_options()?
            .connect()
            .await
            .map_err(|e| connect_error(conn, &e))?;
        sqlx::query_scalar::<_, String>("SHOW server_version")
            .fetch_one(&mut c)
            .await
            .map_err(|e| AppError::Unavailable(conn.scrub(&e.to_string())))
    };
    tokio::time::timeout(Duration::from_secs(15), ask)
        .await
        .map_err(|_| {
            AppError::Unavailable(format!("{} did not answer within 15 seconds", conn.display))
        })?
}
