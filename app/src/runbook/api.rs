//! Server functions of runbooks, at fixed `/api/` URLs so that scripts and
//! chat-ops can read and write them with an API token (see docs/api.md).

use super::*;
use crate::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth::guard::require;
#[cfg(feature = "ssr")]
use crate::auth::Permission;
#[cfg(feature = "ssr")]
use crate::state::app_state;

/// Longest search query accepted.
#[cfg(feature = "ssr")]
const MAX_QUERY: usize = 200;

/// `slug` bounded before anything reads it.
#[cfg(feature = "ssr")]
fn check_slug(slug: &str) -> Result<(), AppError> {
    crate::error::check_length("slug", slug, MAX_SLUG)
}

/// A version number names a saved version: 1 or more.
#[cfg(feature = "ssr")]
fn check_version(field: &str, version: i32) -> Result<(), AppError> {
    if version >= 1 {
        return Ok(());
    }
    Err(AppError::invalid(field, "versions are numbered from 1"))
}

/// Every runbook at its current version, by title.
#[server(endpoint = "list_runbooks")]
pub async fn list_runbooks() -> Result<Vec<RunbookSummary>, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::read::list(&state.db).await
}

/// The best 50 runbooks for `q` (web-search syntax: words, "a phrase",
/// -not), title before tags before body, each with a highlighted snippet.
#[server(endpoint = "search_runbooks")]
pub async fn search_runbooks(#[server(default)] q: String) -> Result<Vec<SearchHit>, AppError> {
    require(Permission::Read).await?;
    crate::error::check_length("q", &q, MAX_QUERY)?;
    let state = app_state()?;
    super::ssr::search::search(&state.db, &q).await
}

/// Version `version` of runbook `slug` (its current one without), its
/// body rendered as sanitized HTML, and the list of its versions.
#[server(endpoint = "read_runbook")]
pub async fn read_runbook(
    #[server(default)] slug: String,
    #[server(default)] version: Option<i32>,
) -> Result<RunbookRead, AppError> {
    require(Permission::Read).await?;
    check_slug(&slug)?;
    if let Some(v) = version {
        check_version("version", v)?;
    }
    let state = app_state()?;
    let runbook = super::ssr::read::read(&state.db, &slug, version).await?;
    let versions = super::ssr::read::versions(&state.db, &slug).await?;
    Ok(RunbookRead {
        html: crate::markdown::render_without_html(&runbook.body),
        pieces: super::ssr::steps::pieces(&runbook.body),
        current: versions.first().map_or(runbook.version, |v| v.version),
        runbook,
        versions,
    })
}

/// Saves a runbook: a new version when anything a reader sees changed
/// (`created` false otherwise), audited `runbook.save`. `tags[i]` and
/// `services[i]` (`environment/name`) may hold blanks, which are dropped.
#[server(endpoint = "save_runbook")]
pub async fn save_runbook(
    #[server(default)] slug: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
    #[server(default)] tags: Vec<String>,
    #[server(default)] services: Vec<String>,
    #[server(default)] message: String,
) -> Result<RunbookSaved, AppError> {
    let actor = require(Permission::EditRunbooks).await?;
    let state = app_state()?;
    let draft = super::ssr::save::Draft {
        slug,
        title,
        body,
        tags,
        services,
        message,
    };
    super::ssr::save::save(&state.db, &actor, draft).await
}

/// The line diff of runbook `slug` from version `from` to version `to`.
#[server(endpoint = "runbook_diff")]
pub async fn runbook_diff(
    #[server(default)] slug: String,
    from: i32,
    to: i32,
) -> Result<VersionDiff, AppError> {
    require(Permission::Read).await?;
    check_slug(&slug)?;
    check_version("from", from)?;
    check_version("to", to)?;
    let state = app_state()?;
    super::ssr::diff::diff(&state.db, &slug, from, to).await
}

/// Saves version `version` of runbook `slug` again as its newest version,
/// audited `runbook.revert`; the versions in between stay.
#[server(endpoint = "revert_runbook")]
pub async fn revert_runbook(
    #[server(default)] slug: String,
    version: i32,
) -> Result<RunbookSaved, AppError> {
    let actor = require(Permission::EditRunbooks).await?;
    check_slug(&slug)?;
    check_version("version", version)?;
    let state = app_state()?;
    super::ssr::revert::revert(&state.db, &actor, &slug, version).await
}

/// What action step `step` (from 1) of version `version` of runbook
/// `slug` would do now, for its confirmation: the facts to show (the live
/// release and the one it goes to, replicas, the pre-deploy backup), and
/// the concrete release (`release: previous`) or backup (the newest) to
/// send back with the action, which checks them again. Nothing changes.
/// For `service: ask` / `target: ask`, `service` / `target` name it.
#[server(endpoint = "prepare_runbook_step")]
pub async fn prepare_runbook_step(
    #[server(default)] slug: String,
    version: i32,
    step: i32,
    #[server(default)] service: String,
    #[server(default)] target: String,
) -> Result<StepPlan, AppError> {
    require(Permission::Read).await?;
    check_slug(&slug)?;
    check_version("version", version)?;
    crate::error::check_length("service", &service, 200)?;
    crate::error::check_length("target", &target, 100)?;
    let state = app_state()?;
    let subject = if service.is_empty() {
        &target
    } else {
        &service
    };
    super::ssr::step_check::plan(&state.db, &slug, version, step, subject).await
}

/// `body` rendered as a runbook is (sanitized HTML): the editor's preview.
#[server(endpoint = "preview_runbook")]
pub async fn preview_runbook(#[server(default)] body: String) -> Result<String, AppError> {
    require(Permission::EditRunbooks).await?;
    crate::error::check_length("body", &body, MAX_BODY)?;
    Ok(crate::markdown::render_without_html(&body))
}
