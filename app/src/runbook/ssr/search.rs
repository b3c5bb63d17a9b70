//! Full-text search over the current versions: `websearch_to_tsquery`
//! against the weighted `search` column, with `ts_headline` snippets.

use crate::runbook::SearchHit;
use crate::AppError;
use sqlx::PgPool;

/// Highlight markers: control characters removed from the body before
/// ts_headline sees it, so they mark only its highlights and survive the
/// escaping unchanged.
const START: &str = "\u{1}";
const STOP: &str = "\u{2}";

/// The 50 best hits for `q`, best first; an empty query finds nothing.
pub async fn search(db: &PgPool, q: &str) -> Result<Vec<SearchHit>, AppError> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String, i32, String)> = sqlx::query_as(
        "SELECT slug, title, version,
                ts_headline('english', translate(body, E'\\x01\\x02', ''), query,
                            'StartSel=\"' || chr(1) || '\", StopSel=\"' || chr(2) ||
                            '\", MaxWords=35, MinWords=15')
         FROM runbook, websearch_to_tsquery('english', $1) AS query
         WHERE version > 0 AND search @@ query
         ORDER BY ts_rank(search, query) DESC, slug
         LIMIT 50",
    )
    .bind(q)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, version, headline)| SearchHit {
            slug,
            title,
            version,
            snippet: snippet_html(&headline),
        })
        .collect())
}

/// `headline` escaped for HTML, then its markers turned into `<mark>`:
/// the text is the user's, only the marks are ours.
pub fn snippet_html(headline: &str) -> String {
    let mut out = String::with_capacity(headline.len() + 16);
    for c in headline.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out.replace(START, "<mark>").replace(STOP, "</mark>")
}
