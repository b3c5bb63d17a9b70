//! Reverting is saving an old version's text as a new version: the
//! versions in between stay, so nothing is ever lost.

use super::save::{store, Audit, Draft};
use crate::auth::guard::Actor;
use crate::runbook::{actions, RunbookSaved};
use crate::AppError;
use serde_json::json;
use sqlx::PgPool;

/// Saves version `version` of runbook `slug` again as its newest version
/// (nothing when it equals the current one), audited `runbook.revert`.
pub async fn revert(
    db: &PgPool,
    actor: &Actor,
    slug: &str,
    version: i32,
) -> Result<RunbookSaved, AppError> {
    let old = super::read::read(db, slug, Some(version)).await?;
    let draft = Draft {
        slug: old.slug,
        title: old.title,
        body: old.body,
        tags: old.tags,
        services: old.services,
        message: format!("Revert to version {version}"),
    };
    let mut details = serde_json::Map::new();
    details.insert("reverted_to".into(), json!(version));
    let audit = Audit {
        action: actions::REVERT,
        details,
    };
    store(db, actor, draft, audit).await
}
