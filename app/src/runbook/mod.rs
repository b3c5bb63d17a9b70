//! Runbooks: markdown procedures kept in versions. Every save that changes
//! the text is a new version (author, time, message, content hash); nothing
//! is ever lost.
//!
//! Server fns in `api.rs`, the data layer (versions, search, diff,
//! revert) in `ssr/`, one page each in `*_page.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod actions;
pub mod api;
mod diff_page;
mod editor_page;
mod list_page;
#[cfg(feature = "ssr")]
pub mod routes;
pub mod run_api;
mod run_page;
mod runbook_page;
mod runs_panel;
pub mod spec;
#[cfg(feature = "ssr")]
pub mod ssr;
mod step_form;
#[cfg(feature = "ssr")]
pub mod step_ref;
mod step_run;
mod widgets;

pub use diff_page::RunbookDiffPage;
pub use editor_page::{EditRunbookPage, NewRunbookPage};
pub use list_page::RunbooksPage;
pub use run_page::RunbookRunPage;
pub use runbook_page::RunbookPage;

/// Longest accepted values, checked before anything is stored.
pub const MAX_SLUG: usize = 100;
pub const MAX_TITLE: usize = 200;
pub const MAX_TAG: usize = 50;
pub const MAX_TAGS: usize = 20;
pub const MAX_SERVICES: usize = 20;
pub const MAX_MESSAGE: usize = 500;
pub const MAX_BODY: usize = 200_000;

/// A runbook as the list shows it: its current version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunbookSummary {
    pub slug: String,
    pub title: String,
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// One saved version of a runbook, with the text it had then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunbookVersion {
    pub slug: String,
    pub version: i32,
    pub title: String,
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub body: String,
    pub author: String,
    pub at: DateTime<Utc>,
    pub message: String,
    pub content_hash: String,
}

/// Who saved which version when, for the version list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionEntry {
    pub version: i32,
    pub author: String,
    pub at: DateTime<Utc>,
    pub message: String,
    pub content_hash: String,
}

/// What a save did: the version now current, and whether it is new.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunbookSaved {
    pub slug: String,
    pub version: i32,
    /// False when the content equalled the current version's: nothing stored.
    pub created: bool,
    pub url: String,
}

/// A search result: the runbook and where the words were found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub slug: String,
    pub title: String,
    pub version: i32,
    /// HTML: the escaped text with the matches in `<mark>`.
    pub snippet: String,
}

/// One version of a runbook as a reader sees it: its text, the text
/// rendered (sanitized HTML) and every version there is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunbookRead {
    pub runbook: RunbookVersion,
    /// The body's markdown as sanitized HTML (action blocks as code).
    pub html: String,
    /// The body cut at its action blocks: what the page shows, markdown
    /// parts as sanitized HTML (the only markup it inserts).
    pub pieces: Vec<Piece>,
    /// The runbook's current version (`runbook.version` may be older).
    pub current: i32,
    /// Every version, newest first.
    pub versions: Vec<VersionEntry>,
}

/// A part of a runbook's body as its page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Piece {
    /// Markdown between action blocks, as sanitized HTML.
    Html(String),
    /// Action block `index` (from 1, in the order of the text), valid.
    Step { index: i32, step: spec::Step },
    /// Action block `index`, and why it is not a step.
    Invalid { index: i32, error: spec::SpecError },
}

/// What an action step would do now, resolved by the server: shown by the
/// confirmation, sent back with the action, and checked again then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepPlan {
    /// What the confirmation lists, in order: (what, value).
    pub facts: Vec<(String, String)>,
    /// The concrete release a rollback runs (`release: previous` resolved).
    pub release: Option<i32>,
    /// The backup a test-restore step restores (the target's newest).
    pub backup: Option<i64>,
    /// The step waits for a second person's approval (within a run).
    pub approval: bool,
}

/// What a diff line is: in both versions, only in the newer, only in the older.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Same,
    Added,
    Removed,
}

/// One line of a diff, numbered in the version(s) it belongs to (from 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub old: Option<u32>,
    pub new: Option<u32>,
    /// The line without its line ending, as plain text (never markup).
    pub text: String,
}

/// The line diff of the body between two versions, and whether anything
/// else a reader sees (title, tags, services) changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionDiff {
    pub slug: String,
    pub from: VersionEntry,
    pub to: VersionEntry,
    pub title: (String, String),
    pub tags: (Vec<String>, Vec<String>),
    pub services: (Vec<String>, Vec<String>),
    pub lines: Vec<DiffLine>,
}

/// A run of a runbook: who followed which version when, and where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub version: i32,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    /// The incident the run is attached to: its id and title.
    pub incident: Option<(i64, String)>,
    /// Who finished it, when.
    pub ended: Option<(String, DateTime<Utc>)>,
}

impl RunSummary {
    pub fn url(&self) -> String {
        format!("/runbooks/{}/runs/{}", self.slug, self.id)
    }
}

/// A `- [ ]` item of the run's version and whether the run ticked it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// From 1, in the order of the text.
    pub index: i32,
    /// The item's words, as plain text.
    pub text: String,
    /// Who ticked it when; `None` while it is not ticked.
    pub done: Option<(String, DateTime<Utc>)>,
}

/// One thing done within a run, from the audit event that recorded it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    /// The action step (from 1) it came from, if any.
    pub step: Option<i32>,
    /// One line saying what happened.
    pub summary: String,
    /// The deployment or backup it started, and that work's state now.
    pub link: Option<String>,
    pub state: Option<String>,
    pub audit_event_id: i64,
}

/// Where a step that needs approval stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    /// Approved, and run (`used`) or still to run.
    Approved,
    Declined,
}

/// A request to run step `step` of a run, and who decided it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub id: i64,
    pub step: i32,
    /// What the requester typed for the step's `ask` values: (key, value).
    pub typed: Vec<(String, String)>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub state: ApprovalState,
    pub decided: Option<(String, DateTime<Utc>)>,
    /// When the approved step ran (an approval allows one run).
    pub used: Option<DateTime<Utc>>,
}

/// A run as its page shows it: the version followed, cut into markdown
/// and steps, the checklist, the approvals and everything done so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRead {
    pub run: RunSummary,
    pub pieces: Vec<Piece>,
    pub checklist: Vec<ChecklistItem>,
    pub approvals: Vec<Approval>,
    /// Oldest first.
    pub entries: Vec<RunEntry>,
}

/// What running a step within a run did: started work to follow (`url`),
/// or asked for approval (`approval`); neither for a change that is done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRan {
    pub url: Option<String>,
    pub approval: Option<i64>,
}
