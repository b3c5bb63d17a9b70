//! Runbooks as a folder of markdown files (`opsdeck runbook import` and
//! `export`): `<slug>.md`, front matter then the body.
//!
//! An import saves each file through [`save::store`], the editor's own
//! path: the same checks, the same `runbook.save` audit event, and no new
//! version when the content equals the current one, so importing a folder
//! twice, or a folder just exported, changes nothing. Each file stands
//! alone: a bad one is reported (file and line) and the others still go in.

use super::front_matter::{self, FrontMatter};
use super::save::{self, Audit, Author, Draft};
use crate::runbook::{actions, RunbookSaved, MAX_BODY};
use crate::AppError;
use serde_json::json;
use sqlx::PgPool;
use std::fmt;
use std::path::{Path, PathBuf};

/// Largest file read: the body's limit and room for the front matter
/// (a character may take four bytes).
const MAX_FILE_BYTES: u64 = (MAX_BODY as u64) * 4 + 16_384;

/// What saving one file did to its runbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new runbook, at version 1.
    Created(i32),
    NewVersion(i32),
    /// The content equalled the current version: nothing stored.
    Unchanged(i32),
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Imported::Created(v) => write!(f, "created v{v}"),
            Imported::NewVersion(v) => write!(f, "new version v{v}"),
            Imported::Unchanged(v) => write!(f, "unchanged v{v}"),
        }
    }
}

impl From<&RunbookSaved> for Imported {
    fn from(saved: &RunbookSaved) -> Imported {
        match (saved.created, saved.version) {
            (true, 1) => Imported::Created(1),
            (true, v) => Imported::NewVersion(v),
            (false, v) => Imported::Unchanged(v),
        }
    }
}

/// Why a file was not imported: `file:line: message`, as compilers say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// One file of an import and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    pub outcome: Result<Imported, FileError>,
}

/// How the versions an import stores are labelled: their message, and
/// what the audit event adds (`via`).
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// `opsdeck runbook import DIR`.
    Folder,
    /// The starter runbooks shipped in the binary.
    Starter,
}

impl Source {
    fn message(self, file: &str) -> String {
        match self {
            Source::Folder => format!("Imported from {file}"),
            Source::Starter => "Starter runbook shipped with Opsdeck".to_string(),
        }
    }

    fn via(self) -> &'static str {
        match self {
            Source::Folder => "cli",
            Source::Starter => "starter",
        }
    }
}

/// Saves `text`, the content of file `file` (`<slug>.md`), as a version of
/// runbook `<slug>` unless it equals the current one.
pub async fn import_text(
    db: &PgPool,
    author: &Author,
    source: Source,
    file: &str,
    text: &str,
) -> Result<Imported, FileError> {
    let at = |line: Option<usize>, message: String| FileError {
        file: file.to_string(),
        line,
        message,
    };
    let Some(slug) = file.strip_suffix(".md") else {
        return Err(at(None, "only `<slug>.md` files are runbooks".into()));
    };
    let (front, body) = front_matter::parse(text).map_err(|e| at(Some(e.line), e.message))?;
    let draft = Draft {
        slug: slug.to_string(),
        title: front.title.clone(),
        body: body.to_string(),
        tags: front.tags.clone(),
        services: front.services.clone(),
        message: source.message(file),
    };
    let mut details = serde_json::Map::new();
    details.insert("via".into(), json!(source.via()));
    details.insert("file".into(), json!(file));
    let audit = Audit {
        action: actions::SAVE,
        details,
    };
    match save::store(db, author.clone(), draft, audit).await {
        Ok(saved) => Ok(Imported::from(&saved)),
        Err(AppError::Validation { field, message }) => {
            let (line, message) = refused(&front, &field, message);
            Err(at(line, message))
        }
        Err(e) => Err(at(None, e.to_string())),
    }
}

/// A field the save refused, said of the file: the line it came from.
fn refused(front: &FrontMatter, field: &str, message: String) -> (Option<usize>, String) {
    let (name, index) = match field.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
        None => (field, None),
    };
    let lines = &front.lines;
    let item =
        |items: &[usize], whole: usize| index.and_then(|i| items.get(i).copied()).unwrap_or(whole);
    match name {
        "slug" => (
            None,
            format!("the file name is the runbook's slug: {message} (rename the file)"),
        ),
        "title" => (Some(lines.title), format!("`title`: {message}")),
        "tags" => (
            Some(item(&lines.tag_items, lines.tags)),
            format!("`tags`: {message}"),
        ),
        "services" => (
            Some(item(&lines.service_items, lines.services)),
            format!("`services`: {message}"),
        ),
        "body" => (None, format!("the text after the front matter: {message}")),
        _ => (None, format!("{field}: {message}")),
    }
}

/// Imports every `*.md` file directly in `dir`, in name order; the other
/// files and folders are left alone. Fails only when `dir` cannot be read.
pub async fn import_dir(
    db: &PgPool,
    author: &Author,
    dir: &Path,
) -> Result<Vec<FileReport>, std::io::Error> {
    let mut reports = Vec::new();
    for path in markdown_files(dir).await? {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = match read_text(&path).await {
            Ok(text) => import_text(db, author, Source::Folder, &file, &text).await,
            Err(message) => Err(FileError {
                file: file.clone(),
                line: None,
                message,
            }),
        };
        reports.push(FileReport { file, outcome });
    }
    Ok(reports)
}

async fn markdown_files(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    let mut files = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        let is_md = path.extension().is_some_and(|e| e == "md");
        if is_md && tokio::fs::metadata(&path).await?.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The file's text, or why it cannot be a runbook.
async fn read_text(path: &Path) -> Result<String, String> {
    let size = tokio::fs::metadata(path)
        .await
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{size} bytes: a runbook is at most {MAX_BODY} characters"
        ));
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| format!("cannot read it: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (byte {}): save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

/// A runbook written out by [`export_dir`]: its file and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub file: String,
    pub version: i32,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Read(#[from] AppError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Writes every runbook's current version to `dir/<slug>.md` (creating
/// `dir`, replacing files of the same name), in a form [`import_dir`]
/// reads back to the same content.
pub async fn export_dir(db: &PgPool, dir: &Path) -> Result<Vec<Exported>, ExportError> {
    let write_error = |path: &Path, source| ExportError::Write {
        path: path.display().to_string(),
        source,
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| write_error(dir, e))?;
    let mut written = Vec::new();
    for summary in super::read::list(db).await? {
        let v = super::read::read(db, &summary.slug, None).await?;
        let file = format!("{}.md", v.slug);
        let path = dir.join(&file);
        let text = front_matter::render(&v.title, &v.tags, &v.services, &v.body);
        tokio::fs::write(&path, text)
            .await
            .map_err(|e| write_error(&path, e))?;
        written.push(Exported {
            file,
            version: v.version,
        });
    }
    Ok(written)
}
