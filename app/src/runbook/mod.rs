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
mod runbook_page;
#[cfg(feature = "ssr")]
pub mod ssr;
mod widgets;

pub use diff_page::RunbookDiffPage;
pub use editor_page::{EditRunbookPage, NewRunbookPage};
pub use list_page::RunbooksPage;
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
    /// The body's markdown as sanitized HTML: the only markup a page inserts.
    pub html: String,
    /// The runbook's current version (`runbook.version` may be older).
    pub current: i32,
    /// Every version, newest first.
    pub versions: Vec<VersionEntry>,
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
