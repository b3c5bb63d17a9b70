//! The front matter of a runbook file (`opsdeck runbook import` and
//! `export`): what a version shows besides its body, above the body.
//!
//! ```text
//! ---
//! title: Roll back a release
//! tags: [deploy, rollback]
//! services:
//!   - production/web
//! ---
//! (the body, exactly as stored)
//! ```
//!
//! Not YAML: the subset is three keys (a text and two lists of names), and
//! an import must say on which line a file is wrong, which no YAML crate's
//! typed decoding reports for our own rules. So this reads only that subset
//! and refuses everything else by line number: a `key: value` per line
//! (`title`, `tags`, `services`, each once), lists as `[a, b]` or as `- a`
//! lines below an empty `tags:`, a value in `"double quotes"` read as a JSON
//! string (what export writes for texts a plain line cannot hold), blank
//! lines and `#` comment lines skipped. YAML readers read these files too.

/// The three fields of a file's front matter, and the lines they came
/// from (from 1), so that a refused value can be named by its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: String,
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub lines: Lines,
}

/// Where each key, and each list item, stands in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines {
    pub title: usize,
    pub tags: usize,
    pub services: usize,
    pub tag_items: Vec<usize>,
    pub service_items: Vec<usize>,
}

/// Why a file's front matter was refused, at line `line` (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    pub line: usize,
    pub message: String,
}

mod values;
mod write;

pub use write::render;

use values::{flow_items, scalar};

const KEYS: &str = "title, tags and services";

/// `text`'s front matter and its body: everything after the closing `---`
/// line, byte for byte (a body's own line endings stay as they are).
pub fn parse(text: &str) -> Result<(FrontMatter, &str), FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(error(
            1,
            "the file is empty: it needs front matter and a body",
        ));
    }
    let mut reader = Reader::default();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line = i + 1;
        offset += raw.len();
        let content = raw.trim_end_matches(['\n', '\r']);
        if line == 1 {
            if content.trim_end() != "---" {
                return Err(error(
                    1,
                    "a runbook file starts with front matter: a `---` line, then \
                     `title:`, `tags:` and `services:` lines, then another `---` line",
                ));
            }
            continue;
        }
        if content.trim_end() == "---" {
            return Ok((reader.finish()?, &text[offset..]));
        }
        reader.line(line, content)?;
    }
    Err(error(
        1,
        "the front matter opened here is never closed: end it with a `---` line",
    ))
}

fn error(line: usize, message: impl Into<String>) -> FrontMatterError {
    FrontMatterError {
        line,
        message: message.into(),
    }
}

/// Which list `- item` lines belong to.
#[derive(Clone, Copy, PartialEq)]
enum List {
    Tags,
    Services,
}

#[derive(Default)]
struct Reader {
    title: Option<String>,
    tags: Vec<String>,
    services: Vec<String>,
    lines: Lines,
    open: Option<List>,
}

impl Reader {
    fn line(&mut self, line: usize, content: &str) -> Result<(), FrontMatterError> {
        let trimmed = content.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Ok(());
        }
        if let Some(item) = trimmed.strip_prefix('-') {
            return self.item(line, item);
        }
        self.open = None;
        if content.starts_with([' ', '\t']) {
            return Err(error(
                line,
                format!("`{trimmed}` is indented: keys start at the beginning of the line"),
            ));
        }
        let Some((key, value)) = content.split_once(':') else {
            return Err(error(
                line,
                format!("`{trimmed}` is not `key: value` (keys: {KEYS})"),
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        let first = match key {
            "title" => self.lines.title,
            "tags" => self.lines.tags,
            "services" => self.lines.services,
            _ => return Err(error(line, format!("unknown key `{key}`: use {KEYS}"))),
        };
        if first > 0 {
            return Err(error(
                line,
                format!("`{key}` is given twice (first on line {first})"),
            ));
        }
        match key {
            "title" => self.title(line, value),
            "tags" => self.list(line, List::Tags, value),
            _ => self.list(line, List::Services, value),
        }
    }

    fn title(&mut self, line: usize, value: &str) -> Result<(), FrontMatterError> {
        self.lines.title = line;
        let title = scalar(line, value)?;
        if title.trim().is_empty() {
            return Err(error(
                line,
                "`title` has no value: give the runbook a title",
            ));
        }
        self.title = Some(title);
        Ok(())
    }

    /// `tags:`/`services:` with `[a, b]`, or empty with `- a` lines below.
    fn list(&mut self, line: usize, list: List, value: &str) -> Result<(), FrontMatterError> {
        if value.is_empty() {
            self.open = Some(list);
        }
        let (at, items, item_lines) = self.slots(list);
        *at = line;
        if value.is_empty() {
            return Ok(());
        }
        let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) else {
            let key = list.key();
            return Err(error(
                line,
                format!(
                    "`{key}: {value}` is not a list: write `{key}: [a, b]`, \
                     or `{key}:` with `- a` lines below it"
                ),
            ));
        };
        for item in flow_items(line, inner)? {
            items.push(item);
            item_lines.push(line);
        }
        Ok(())
    }

    fn item(&mut self, line: usize, rest: &str) -> Result<(), FrontMatterError> {
        let Some(list) = self.open else {
            return Err(error(
                line,
                "a `- item` line belongs below `tags:` or `services:` (with nothing after the colon)",
            ));
        };
        if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            return Err(error(line, "write a list item as `- item`, with a space"));
        }
        let item = scalar(line, rest.trim())?;
        if item.trim().is_empty() {
            return Err(error(line, "an empty list item: remove the line"));
        }
        let (_, items, item_lines) = self.slots(list);
        items.push(item);
        item_lines.push(line);
        Ok(())
    }

    fn slots(&mut self, list: List) -> (&mut usize, &mut Vec<String>, &mut Vec<usize>) {
        match list {
            List::Tags => (
                &mut self.lines.tags,
                &mut self.tags,
                &mut self.lines.tag_items,
            ),
            List::Services => (
                &mut self.lines.services,
                &mut self.services,
                &mut self.lines.service_items,
            ),
        }
    }

    fn finish(self) -> Result<FrontMatter, FrontMatterError> {
        let Some(title) = self.title else {
            return Err(error(1, "no `title:` line: give the runbook a title"));
        };
        Ok(FrontMatter {
            title,
            tags: self.tags,
            services: self.services,
            lines: self.lines,
        })
    }
}

impl List {
    fn key(self) -> &'static str {
        match self {
            List::Tags => "tags",
            List::Services => "services",
        }
    }
}

#[cfg(test)]
mod tests;
