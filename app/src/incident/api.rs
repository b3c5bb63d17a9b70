//! Server functions of incidents, at fixed `/api/` URLs so chat-ops and
//! scripts can call them with an API token (see docs/api.md).

use super::*;
use crate::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth::guard::require;
#[cfg(feature = "ssr")]
use crate::auth::Permission;
#[cfg(feature = "ssr")]
use crate::state::app_state;

/// Longest accepted texts: a title, a summary, a note, a service
/// reference, a time, a status or severity word; and most services.
#[cfg(feature = "ssr")]
pub(crate) mod limits {
    pub const TITLE: usize = 200;
    pub const SUMMARY: usize = 10_000;
    pub const NOTE: usize = 20_000;
    pub const SERVICE: usize = 255;
    pub const TIME: usize = 40;
    pub const WORD: usize = 20;
    pub const SERVICES: usize = 20;
    pub const SECTION: usize = 20_000;
    pub const ITEM: usize = 500;
    pub const OWNER: usize = 100;
    pub const USER: usize = 32;
}

/// Bounds every text argument before anything reads it; says which is too long.
#[cfg(feature = "ssr")]
fn bounded(fields: &[(&str, &str, usize)]) -> Result<(), AppError> {
    fields
        .iter()
        .try_for_each(|(field, value, max)| crate::error::check_length(field, value, *max))
}

/// Declares an incident: `severity` is `SEV1`, `SEV2` or `SEV3`, each of
/// `services` an affected service as `environment/name`, `suspected`
/// (optional) the id of a deployment of one of them, linked as the
/// suspected cause. The declarer is its commander unless `commander` names
/// another user. Answers with the incident and its page.
#[server(endpoint = "declare_incident")]
pub async fn declare_incident(
    #[server(default)] title: String,
    #[server(default)] severity: String,
    #[server(default)] services: Vec<String>,
    #[server(default)] summary: String,
    #[server(default)] suspected: String,
    #[server(default)] commander: String,
) -> Result<IncidentDeclared, AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    bounded(&[
        ("title", &title, limits::TITLE),
        ("severity", &severity, limits::WORD),
        ("summary", &summary, limits::SUMMARY),
        ("suspected", &suspected, limits::WORD),
        ("commander", &commander, limits::USER),
    ])?;
    if services.len() > limits::SERVICES {
        return Err(AppError::invalid(
            "services",
            format!("at most {} services", limits::SERVICES),
        ));
    }
    for (i, s) in services.iter().enumerate() {
        bounded(&[(&format!("services[{i}]"), s, limits::SERVICE)])?;
    }
    let state = app_state()?;
    let form = super::ssr::declare::Declaration {
        title,
        severity,
        services,
        summary,
        suspected,
        commander,
    };
    super::ssr::declare::declare(&state.db, &actor, form).await
}

/// Every incident, open ones first, newest first within each.
#[server(endpoint = "list_incidents")]
pub async fn list_incidents() -> Result<Vec<IncidentSummary>, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::read::list(&state.db).await
}

/// One incident with its whole timeline (oldest first).
#[server(endpoint = "read_incident")]
pub async fn read_incident(id: i64) -> Result<IncidentDetail, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::read::read(&state.db, id).await
}

/// Adds a markdown note to the timeline. `at` (optional, UTC, e.g.
/// `2026-11-26T14:05`) is when it happened, if earlier than now.
#[server(endpoint = "add_incident_note")]
pub async fn add_incident_note(
    id: i64,
    #[server(default)] text: String,
    #[server(default)] at: String,
) -> Result<i64, AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    bounded(&[("text", &text, limits::NOTE), ("at", &at, limits::TIME)])?;
    let state = app_state()?;
    super::ssr::change::add_note(&state.db, &actor, id, &text, &at).await
}

/// Moves the incident to `status`: investigating → identified →
/// monitoring → resolved, resolved from any open status, and a resolved
/// one reopens as investigating.
#[server(endpoint = "set_incident_status")]
pub async fn set_incident_status(
    id: i64,
    #[server(default)] status: String,
) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    bounded(&[("status", &status, limits::WORD)])?;
    let state = app_state()?;
    super::ssr::change::set_status(&state.db, &actor, id, &status).await
}

/// Changes the incident's severity (`SEV1`, `SEV2` or `SEV3`).
#[server(endpoint = "set_incident_severity")]
pub async fn set_incident_severity(
    id: i64,
    #[server(default)] severity: String,
) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    bounded(&[("severity", &severity, limits::WORD)])?;
    let state = app_state()?;
    super::ssr::change::set_severity(&state.db, &actor, id, &severity).await
}

/// Saves the postmortem of a resolved incident: every section at once
/// (an empty one is not written yet). 409 while the incident is open.
#[server(endpoint = "save_incident_postmortem")]
pub async fn save_incident_postmortem(
    id: i64,
    #[server(default)] summary: String,
    #[server(default)] impact: String,
    #[server(default)] contributing_factors: String,
    #[server(default)] went_well: String,
    #[server(default)] went_badly: String,
) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    bounded(&[
        ("summary", &summary, limits::SECTION),
        ("impact", &impact, limits::SECTION),
        (
            "contributing_factors",
            &contributing_factors,
            limits::SECTION,
        ),
        ("went_well", &went_well, limits::SECTION),
        ("went_badly", &went_badly, limits::SECTION),
    ])?;
    let state = app_state()?;
    let sections = super::ssr::postmortem::Sections {
        summary,
        impact,
        contributing_factors,
        went_well,
        went_badly,
    };
    super::ssr::postmortem::save(&state.db, &actor, id, sections).await
}

/// Adds an action item to a resolved incident's postmortem: `text`, an
/// optional `owner` and `due` date (`YYYY-MM-DD`). Answers its id.
#[server(endpoint = "add_incident_action_item")]
pub async fn add_incident_action_item(
    id: i64,
    #[server(default)] text: String,
    #[server(default)] owner: String,
    #[server(default)] due: String,
) -> Result<i64, AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    bounded(&[
        ("text", &text, limits::ITEM),
        ("owner", &owner, limits::OWNER),
        ("due", &due, limits::TIME),
    ])?;
    let state = app_state()?;
    let item = super::ssr::postmortem::NewItem { text, owner, due };
    super::ssr::postmortem::add_item(&state.db, &actor, id, item).await
}

/// Marks action `item` of incident `id` done (`done=true`) or open again.
#[server(endpoint = "set_incident_action_item_done")]
pub async fn set_incident_action_item_done(
    id: i64,
    item: i64,
    #[server(default)] done: bool,
) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    let state = app_state()?;
    super::ssr::postmortem::set_item_done(&state.db, &actor, (id, item), done).await
}

/// Links deployment `deployment` (of one of the incident's services) to
/// incident `id` as a suspected cause.
#[server(endpoint = "link_incident_deployment")]
pub async fn link_incident_deployment(id: i64, deployment: i64) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    let state = app_state()?;
    super::ssr::cause::link_deployment(&state.db, &actor, id, deployment).await
}

/// Every deployment, rollback, scale and restart of the last 24 hours,
/// newest first: what the declare form offers as a suspected cause.
#[server(endpoint = "list_recent_changes")]
pub async fn list_recent_changes() -> Result<Vec<RecentChange>, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::cause::recent(&state.db).await
}

/// MTTA (declared → acknowledged) and MTTR (started → resolved), median
/// and 90th percentile in seconds, per severity over the last 30 and 90
/// days (incidents declared within the window).
#[server(endpoint = "read_incident_measures")]
pub async fn read_incident_measures() -> Result<Vec<super::measures::Measure>, AppError> {
    require(Permission::Read).await?;
    let state = app_state()?;
    super::ssr::measures::read(&state.db).await
}

/// Gives `role` (`commander`, `scribe` or `responder`) in incident `id` to
/// the user named `user`. The commander and the scribe are replaced (a
/// hand-over, on the timeline); responders are added.
#[server(endpoint = "assign_incident_role")]
pub async fn assign_incident_role(
    id: i64,
    #[server(default)] role: String,
    #[server(default)] user: String,
) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    bounded(&[("role", &role, limits::WORD), ("user", &user, limits::USER)])?;
    let state = app_state()?;
    super::ssr::roles::assign(&state.db, &actor, id, &role, &user).await
}

/// Corrects when the incident's impact began: `started_at` in UTC
/// (`YYYY-MM-DDTHH:MM` or RFC 3339; not in the future, at most a week
/// back, not after its resolution). The time first recorded is kept.
#[server(endpoint = "set_incident_started_at")]
pub async fn set_incident_started_at(
    id: i64,
    #[server(default)] started_at: String,
) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    bounded(&[("started_at", &started_at, limits::TIME)])?;
    let state = app_state()?;
    super::ssr::touch::set_started_at(&state.db, &actor, id, &started_at).await
}

/// Pins timeline `entry` of incident `id` as a key moment (`pinned=true`)
/// or unpins it.
#[server(endpoint = "pin_incident_entry")]
pub async fn pin_incident_entry(
    id: i64,
    entry: i64,
    #[server(default)] pinned: bool,
) -> Result<(), AppError> {
    let actor = require(Permission::ManageIncidents).await?;
    let state = app_state()?;
    super::ssr::touch::pin(&state.db, &actor, (id, entry), pinned).await
}
