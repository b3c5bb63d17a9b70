//! A runbook's action steps on the server: the body cut into markdown and
//! steps for its page, and the step a stored version holds, which is what
//! an action started from a runbook is checked against (never the copy
//! the browser sent).

use crate::markdown::{render_without_html, split_fenced, Part};
use crate::runbook::spec::{self, Step};
use crate::runbook::step_ref::RunbookStepRef;
use crate::runbook::Piece;
use crate::AppError;
use sqlx::PgPool;

/// `body` as its page shows it: markdown parts rendered and sanitized,
/// action blocks parsed, numbered from 1 in the order of the text.
pub fn pieces(body: &str) -> Vec<Piece> {
    let mut index = 0;
    split_fenced(body, spec::FENCE)
        .into_iter()
        .map(|part| match part {
            Part::Markdown(md) => Piece::Html(render_without_html(md)),
            Part::Fenced { text, fence_line } => {
                index += 1;
                match spec::parse(&text, fence_line) {
                    Ok(step) => Piece::Step { index, step },
                    Err(error) => Piece::Invalid { index, error },
                }
            }
        })
        .collect()
}

/// Step `index` of version `version` of runbook `slug`, and where it is:
/// refused naming the field at fault (`runbook`, `runbook_version`,
/// `runbook_step`) when there is no such valid step.
pub async fn stored_step(
    db: &PgPool,
    slug: &str,
    version: i32,
    index: i32,
) -> Result<(Step, RunbookStepRef), AppError> {
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT r.id, v.body, v.content_hash
         FROM runbook r JOIN runbook_version v ON v.runbook_id = r.id
         WHERE r.slug = $1 AND v.version = $2",
    )
    .bind(slug)
    .bind(version)
    .fetch_optional(db)
    .await?;
    let Some((id, body, content_hash)) = row else {
        return Err(AppError::invalid(
            "runbook_version",
            format!("runbook `{slug}` has no version {version}"),
        ));
    };
    let found = pieces_without_html(&body)
        .into_iter()
        .nth(index.max(1) as usize - 1);
    let step = match found {
        _ if index < 1 => Err(format!("steps are numbered from 1, not {index}")),
        Some(Ok(step)) => Ok(step),
        Some(Err(e)) => Err(format!(
            "step {index} of `{slug}` v{version} is not a valid step ({e}): fix the runbook"
        )),
        None => Err(format!("`{slug}` v{version} has no step {index}")),
    }
    .map_err(|why| AppError::invalid("runbook_step", why))?;
    let at = RunbookStepRef {
        id,
        slug: slug.to_string(),
        version,
        content_hash,
        step: Some(index),
        run: None,
        item: None,
        approval: None,
    };
    Ok((step, at))
}

/// Every action block of `body`, parsed, in order (no HTML rendered).
pub fn pieces_without_html(body: &str) -> Vec<Result<Step, spec::SpecError>> {
    split_fenced(body, spec::FENCE)
        .into_iter()
        .filter_map(|part| match part {
            Part::Fenced { text, fence_line } => Some(spec::parse(&text, fence_line)),
            Part::Markdown(_) => None,
        })
        .collect()
}
