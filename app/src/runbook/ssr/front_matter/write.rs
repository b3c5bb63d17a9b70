//! Writing front matter that [`super::parse`] reads back unchanged.

/// A runbook file: front matter then `body` as it is, which [`super::parse`]
/// reads back to the same title, tags, services and body.
pub fn render(title: &str, tags: &[String], services: &[String], body: &str) -> String {
    let mut out = format!("---\ntitle: {}\n", scalar_text(title));
    list_text(&mut out, "tags", tags);
    list_text(&mut out, "services", services);
    out.push_str("---\n");
    out.push_str(body);
    out
}

/// Written as it is unless a plain line would read back differently here,
/// or mean something else to a YAML reader (`a: b`, `# c`, `[d]`, `- e`).
fn plain(value: &str) -> bool {
    !value.is_empty()
        && value.trim() == value
        && !value.starts_with([
            '"', '\'', '#', '-', '[', ']', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`', '?',
        ])
        && !value.ends_with(':')
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.chars().any(char::is_control)
}

fn scalar_text(value: &str) -> String {
    if plain(value) {
        value.to_string()
    } else {
        serde_json::Value::from(value).to_string()
    }
}

fn list_text(out: &mut String, key: &str, items: &[String]) {
    if items
        .iter()
        .all(|i| plain(i) && !i.contains([',', '[', ']', '"']))
    {
        out.push_str(&format!("{key}: [{}]\n", items.join(", ")));
        return;
    }
    out.push_str(&format!("{key}:\n"));
    for item in items {
        out.push_str(&format!("  - {}\n", scalar_text(item)));
    }
}
