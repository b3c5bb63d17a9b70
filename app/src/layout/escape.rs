//! Text that Leptos writes into HTML without escaping it.
//!
//! tachys escapes text nodes and attribute values, except inside the
//! elements it treats as raw text: `<textarea>` (and `<script>`, `<style>`,
//! `<noscript>`), and `leptos_meta` 0.8.7 (the newest published) writes the
//! `<title>` text as given. User text in those places must pass through here:
//! a service's environment holding `</textarea><img onerror=…>` would
//! otherwise run script in every browser that opens the service.

/// `text` with `&`, `<` and `>` escaped, for the server's HTML only. In the
/// browser, text is set through the DOM (a text node, `document.title`),
/// which never parses it as HTML, so it stays as typed there.
pub fn html_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        escape(text)
    } else {
        text.to_string()
    }
}

/// `&`, `<` and `>` as character references: enough for text content
/// (raw-text elements end only at `</`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_becomes_character_references() {
        assert_eq!(
            escape("X=</textarea><img src=x onerror=alert(1)> & more"),
            "X=&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt; &amp; more"
        );
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            escape("LOG_LEVEL=info\nPORT=8080"),
            "LOG_LEVEL=info\nPORT=8080"
        );
    }
}
