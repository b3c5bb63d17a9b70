//! The difference between two versions of a runbook: a line diff of the
//! body (Myers, by `similar`), served as structured lines so that the page
//! lays it out and escapes it like any other text.

use crate::runbook::{DiffKind, DiffLine, RunbookVersion, VersionDiff, VersionEntry};
use crate::AppError;
use similar::{ChangeTag, TextDiff};
use sqlx::PgPool;

/// Versions `from` and `to` of runbook `slug` compared (either order).
pub async fn diff(db: &PgPool, slug: &str, from: i32, to: i32) -> Result<VersionDiff, AppError> {
    let old = super::read::read(db, slug, Some(from)).await?;
    let new = super::read::read(db, slug, Some(to)).await?;
    Ok(VersionDiff {
        slug: slug.to_string(),
        lines: lines(&old.body, &new.body),
        title: (old.title.clone(), new.title.clone()),
        tags: (old.tags.clone(), new.tags.clone()),
        services: (old.services.clone(), new.services.clone()),
        from: entry(old),
        to: entry(new),
    })
}

/// Every line of `old` and `new` in order, each marked same, added or removed.
pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|change| DiffLine {
            kind: match change.tag() {
                ChangeTag::Equal => DiffKind::Same,
                ChangeTag::Insert => DiffKind::Added,
                ChangeTag::Delete => DiffKind::Removed,
            },
            old: change.old_index().map(|i| i as u32 + 1),
            new: change.new_index().map(|i| i as u32 + 1),
            text: change
                .value()
                .trim_end_matches('\n')
                .trim_end_matches('\r')
                .to_string(),
        })
        .collect()
}

fn entry(v: RunbookVersion) -> VersionEntry {
    VersionEntry {
        version: v.version,
        author: v.author,
        at: v.at,
        message: v.message,
        content_hash: v.content_hash,
    }
}

#[cfg(test)]
mod tests {
    use super::lines;
    use crate::runbook::DiffKind::{Added, Removed, Same};

    #[test]
    fn a_changed_line_is_removed_then_added_and_numbered_in_its_version() {
        let got: Vec<_> = lines("a\nb\nc\n", "a\nB\nc\nd")
            .into_iter()
            .map(|l| (l.kind, l.old, l.new, l.text))
            .collect();
        assert_eq!(
            got,
            vec![
                (Same, Some(1), Some(1), "a".to_string()),
                (Removed, Some(2), None, "b".to_string()),
                (Added, None, Some(2), "B".to_string()),
                (Same, Some(3), Some(3), "c".to_string()),
                (Added, None, Some(4), "d".to_string()),
            ]
        );
    }
}
