//! Saving a runbook: a new version with its audit event, in one
//! transaction; the same content as the current version stores nothing.

use crate::audit::ssr::{record, Record};
use crate::audit::{Action, AuditTarget, Outcome};
use crate::auth::guard::Actor;
use crate::error::check_length;
use crate::request::RequestMeta;
use crate::runbook::{actions, RunbookSaved, MAX_BODY, MAX_MESSAGE, MAX_SERVICES, MAX_SLUG};
use crate::runbook::{MAX_TAG, MAX_TAGS, MAX_TITLE};
use crate::AppError;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// The editor's form, as the server fn received it.
pub struct Draft {
    pub slug: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub message: String,
}

/// The draft checked and normalised: trimmed, empty tags and services
/// left out, each once.
struct Checked {
    slug: String,
    title: String,
    body: String,
    tags: Vec<String>,
    services: Vec<String>,
    message: String,
}

/// Who a version is saved by: the name its version and its audit event
/// carry, and the request it came with.
#[derive(Clone, Debug)]
pub struct Author {
    pub name: String,
    pub meta: RequestMeta,
}

impl Author {
    /// The installation itself (`opsdeck runbook import`, the starter set
    /// at first start): `system`, as every command-line action is audited.
    pub fn system() -> Author {
        Author {
            name: "system".into(),
            meta: RequestMeta::default(),
        }
    }
}

impl From<&Actor> for Author {
    fn from(actor: &Actor) -> Author {
        Author {
            name: actor.audit_name(),
            meta: actor.meta.clone(),
        }
    }
}

/// How a stored version is audited: the action, and what its details add
/// to the version, hash and message.
pub struct Audit {
    pub action: Action,
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Saves `draft` as the next version of its runbook (creating the runbook
/// at its first save) unless its content equals the current version's.
pub async fn save(
    db: &PgPool,
    author: impl Into<Author>,
    draft: Draft,
) -> Result<RunbookSaved, AppError> {
    let audit = Audit {
        action: actions::SAVE,
        details: Default::default(),
    };
    store(db, author, draft, audit).await
}

/// [`save`], audited as `audit` says (a revert is a save of old text).
pub async fn store(
    db: &PgPool,
    author: impl Into<Author>,
    draft: Draft,
    audit: Audit,
) -> Result<RunbookSaved, AppError> {
    let author = author.into();
    let d = check(draft)?;
    let hash = content_hash(&d.title, &d.tags, &d.services, &d.body);
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO runbook (slug, title) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING")
        .bind(&d.slug)
        .bind(&d.title)
        .execute(&mut *tx)
        .await?;
    // Locked so that two saves of one runbook get consecutive versions.
    let (id, current): (i64, i32) =
        sqlx::query_as("SELECT id, version FROM runbook WHERE slug = $1 FOR UPDATE")
            .bind(&d.slug)
            .fetch_one(&mut *tx)
            .await?;
    if current > 0 && current_hash(&mut tx, id, current).await? == hash {
        return Ok(saved(&d.slug, current, false));
    }
    let version = current + 1;
    let who = &author.name;
    sqlx::query(
        "INSERT INTO runbook_version
             (runbook_id, version, body, title, tags, services, author, message, content_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(version)
    .bind(&d.body)
    .bind(&d.title)
    .bind(&d.tags)
    .bind(&d.services)
    .bind(who)
    .bind(&d.message)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE runbook SET title = $2, tags = $3, services = $4, body = $5, version = $6,
                updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(&d.title)
    .bind(&d.tags)
    .bind(&d.services)
    .bind(&d.body)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    let mut details = audit.details;
    details.insert("version".into(), json!(version));
    details.insert("content_hash".into(), json!(hash));
    details.insert("message".into(), json!(d.message));
    let r = Record::new(
        who,
        audit.action,
        AuditTarget::Runbook(&d.slug),
        Outcome::Success,
    )
    .details(serde_json::Value::Object(details))
    .meta(&author.meta);
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(saved(&d.slug, version, true))
}

fn saved(slug: &str, version: i32, created: bool) -> RunbookSaved {
    RunbookSaved {
        slug: slug.to_string(),
        version,
        created,
        url: format!("/runbooks/{slug}"),
    }
}

async fn current_hash(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    id: i64,
    version: i32,
) -> Result<String, AppError> {
    sqlx::query_scalar(
        "SELECT content_hash FROM runbook_version WHERE runbook_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_one(&mut **tx)
    .await
    .map_err(AppError::from)
}

/// sha256 (hex) of everything a version shows a reader. Encoded as JSON so
/// that no two different contents share an input (`["a b"]` vs `["a","b"]`).
pub fn content_hash(title: &str, tags: &[String], services: &[String], body: &str) -> String {
    let canonical = json!([title, tags, services, body]).to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Bounds every field first, then checks its shape; the error names the field.
fn check(draft: Draft) -> Result<Checked, AppError> {
    check_length("slug", &draft.slug, MAX_SLUG)?;
    check_length("title", &draft.title, MAX_TITLE)?;
    check_length("body", &draft.body, MAX_BODY)?;
    check_length("message", &draft.message, MAX_MESSAGE)?;
    let slug = draft.slug.trim().to_string();
    if !valid_slug(&slug) {
        return Err(AppError::invalid(
            "slug",
            "use lowercase letters, digits and single hyphens, e.g. roll-back-web",
        ));
    }
    // `/runbooks/new` is the editor: a runbook there could not be opened.
    if slug == "new" {
        return Err(AppError::invalid(
            "slug",
            "`new` is the editor's address: choose another slug",
        ));
    }
    let title = draft.title.trim().to_string();
    if title.is_empty() {
        return Err(AppError::invalid("title", "give the runbook a title"));
    }
    Ok(Checked {
        slug,
        title,
        body: draft.body,
        tags: list("tags", &draft.tags, MAX_TAGS, MAX_TAG, valid_tag)?,
        services: list(
            "services",
            &draft.services,
            MAX_SERVICES,
            MAX_SLUG * 2,
            valid_service,
        )?,
        message: draft.message.trim().to_string(),
    })
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn valid_tag(tag: &str) -> Result<(), &'static str> {
    if tag
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        Ok(())
    } else {
        Err("use letters, digits, - and _ only")
    }
}

fn valid_service(service: &str) -> Result<(), &'static str> {
    match service.split_once('/') {
        Some((env, name)) if !env.is_empty() && !name.is_empty() && !name.contains('/') => Ok(()),
        _ => Err("name a service as environment/name"),
    }
}

/// `values` trimmed, empty ones left out, each once, each checked; an error
/// names the entry as `field[i]`.
fn list(
    field: &str,
    values: &[String],
    max_count: usize,
    max_len: usize,
    valid: fn(&str) -> Result<(), &'static str>,
) -> Result<Vec<String>, AppError> {
    if values.len() > max_count * 2 {
        return Err(AppError::invalid(field, format!("at most {max_count}")));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let name = format!("{field}[{i}]");
        check_length(&name, value, max_len)?;
        let value = value.trim();
        if value.is_empty() || out.iter().any(|v| v == value) {
            continue;
        }
        valid(value).map_err(|m| AppError::invalid(&name, m))?;
        out.push(value.to_string());
    }
    if out.len() > max_count {
        return Err(AppError::invalid(field, format!("at most {max_count}")));
    }
    Ok(out)
}
