//! The starter runbooks: six procedures written for Opsdeck and its action
//! steps (`app/src/runbook/starter/*.md`), compiled into the binary so that
//! a new installation opens with something real to follow and adapt.
//!
//! They go in once, when a server starts on a database whose `runbook`
//! table has no row: runbooks are never deleted, so an empty table means no
//! runbook ever existed, and an installation whose team has written (or
//! changed) any runbook is never written to by itself. After that they are
//! ordinary runbooks; `opsdeck runbook import --starter` saves them again
//! on purpose (a new version of each one that differs, the old ones kept).

use super::import::{import_text, FileReport, Source};
use super::save::Author;
use crate::AppError;
use sqlx::PgPool;

/// Each starter runbook: its file name (`<slug>.md`) and text.
pub const FILES: [(&str, &str); 6] = [
    (
        "deploy-a-release.md",
        include_str!("../starter/deploy-a-release.md"),
    ),
    ("roll-back.md", include_str!("../starter/roll-back.md")),
    (
        "back-up-and-restore-a-database.md",
        include_str!("../starter/back-up-and-restore-a-database.md"),
    ),
    (
        "scale-for-load.md",
        include_str!("../starter/scale-for-load.md"),
    ),
    (
        "respond-to-an-incident.md",
        include_str!("../starter/respond-to-an-incident.md"),
    ),
    (
        "failing-health-check.md",
        include_str!("../starter/failing-health-check.md"),
    ),
];

/// Saves every starter runbook as `author`: created, a new version where
/// the stored one differs, or unchanged.
pub async fn install(db: &PgPool, author: &Author) -> Vec<FileReport> {
    let mut reports = Vec::with_capacity(FILES.len());
    for (file, text) in FILES {
        let outcome = import_text(db, author, Source::Starter, file, text).await;
        reports.push(FileReport {
            file: file.to_string(),
            outcome,
        });
    }
    reports
}

/// Installs the starter runbooks as `system` when no runbook has ever
/// existed; `None` (nothing done) otherwise.
pub async fn install_if_new(db: &PgPool) -> Result<Option<Vec<FileReport>>, AppError> {
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM runbook)")
        .fetch_one(db)
        .await?;
    if any {
        return Ok(None);
    }
    Ok(Some(install(db, &Author::system()).await))
}

#[cfg(test)]
mod tests;
