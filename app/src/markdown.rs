//! Markdown typed by people and shown to everyone who reads it (incident
//! notes, runbooks): rendered with pulldown-cmark, then cleaned by ammonia
//! (an allow-list of tags, attributes and URL schemes), so that no script,
//! event handler or `javascript:` link survives. The result is the only
//! HTML a page inserts as markup.

use pulldown_cmark::{html, Event, Options, Parser};

/// `text` as sanitized HTML; raw HTML the allow-list accepts (`<b>`) stays.
pub fn render(text: &str) -> String {
    let mut raw = String::new();
    html::push_html(&mut raw, Parser::new_ext(text, options()));
    clean(&raw)
}

/// `text` as sanitized HTML in which no raw HTML passes, not even an
/// allowed tag: it is shown as the text that was typed. Runbooks are
/// documents to follow, so what a reader sees is exactly what was written.
pub fn render_without_html(text: &str) -> String {
    let events = Parser::new_ext(text, options()).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut raw = String::new();
    html::push_html(&mut raw, events);
    clean(&raw)
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

fn clean(raw: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{render, render_without_html};

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            render("**db** is `down`"),
            "<p><strong>db</strong> is <code>down</code></p>\n"
        );
    }

    #[test]
    fn scripts_handlers_and_javascript_links_are_removed() {
        let html = render(
            "<script>alert(1)</script><img src=x onerror=alert(2)> \
             <a href=\"javascript:alert(4)\">y</a> <iframe srcdoc=\"z\"></iframe>\n\n\
             [x](javascript:alert(3))",
        );
        for gone in [
            "<script",
            "onerror",
            "href=\"javascript:",
            "<iframe",
            "alert(1)",
        ] {
            assert!(!html.contains(gone), "{gone} in {html}");
        }
    }

    #[test]
    fn raw_html_in_a_runbook_is_shown_as_text() {
        let html = render_without_html(
            "<b>bold</b> and <img src=x onerror=alert(1)>\n\n<div>block</div>\n",
        );
        assert!(
            !html.contains("<b>") && !html.contains("<img") && !html.contains("<div"),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
        assert!(html.contains("&lt;div&gt;block&lt;/div&gt;"), "{html}");
    }

    #[test]
    fn links_open_without_handing_over_the_opener() {
        let html = render_without_html("[docs](https://example.com) [x](javascript:alert(1))");
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
    }
}
