//! Reading one value of the front matter: a plain text, a `"quoted"` JSON
//! string, or the items of a `[a, b]` list.

use super::{error, FrontMatterError};

/// A value as written, or a `"quoted"` JSON string decoded.
pub(super) fn scalar(line: usize, value: &str) -> Result<String, FrontMatterError> {
    if value.starts_with('\'') {
        return Err(single_quotes(line));
    }
    if !value.starts_with('"') {
        return Ok(value.to_string());
    }
    match quoted(line, value)? {
        (text, "") => Ok(text),
        (_, rest) => Err(error(
            line,
            format!("`{}` follows the closing quote", rest.trim()),
        )),
    }
}

fn single_quotes(line: usize) -> FrontMatterError {
    error(
        line,
        "'single quotes' are not read here: write the text plainly or in \"double quotes\"",
    )
}

/// The JSON string at the start of `s`, and what follows it.
fn quoted(line: usize, s: &str) -> Result<(String, &str), FrontMatterError> {
    let mut escaped = false;
    let end = s.char_indices().skip(1).find_map(|(i, c)| {
        let closes = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        closes.then_some(i)
    });
    let Some(end) = end else {
        return Err(error(line, "a quoted value without its closing `\"`"));
    };
    let text = serde_json::from_str::<String>(&s[..=end]).map_err(|e| {
        error(
            line,
            format!("`{}` is not a valid quoted text: {e}", &s[..=end]),
        )
    })?;
    Ok((text, s[end + 1..].trim_start()))
}

/// The items of `[a, "b", c]` (without its brackets).
pub(super) fn flow_items(line: usize, inner: &str) -> Result<Vec<String>, FrontMatterError> {
    let mut items = Vec::new();
    let mut rest = inner.trim_start();
    if rest.is_empty() {
        return Ok(items);
    }
    loop {
        if rest.starts_with('\'') {
            return Err(single_quotes(line));
        }
        let (item, after) = if rest.starts_with('"') {
            quoted(line, rest)?
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let item = rest[..end].trim();
            if item.contains(['[', ']', '"']) {
                return Err(error(
                    line,
                    format!("`{item}`: quote an item holding `[`, `]` or `\"`"),
                ));
            }
            (item.to_string(), &rest[end..])
        };
        if item.trim().is_empty() {
            return Err(error(
                line,
                "an empty item in the list: remove the extra `,`",
            ));
        }
        items.push(item);
        let after = after.trim_start();
        if after.is_empty() {
            return Ok(items);
        }
        let Some(next) = after.strip_prefix(',') else {
            return Err(error(
                line,
                format!("`{after}`: separate list items with `,`"),
            ));
        };
        rest = next.trim_start();
        if rest.is_empty() {
            return Err(error(
                line,
                "an empty item in the list: remove the extra `,`",
            ));
        }
    }
}
