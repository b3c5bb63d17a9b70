//! Notes are markdown, typed by people during an incident and shown to
//! everyone who reads it: rendered with pulldown-cmark, then cleaned by
//! ammonia (an allow-list of tags, attributes and URL schemes), so that no
//! script, event handler or `javascript:` link survives. The result is
//! the only HTML a page inserts as markup.

use pulldown_cmark::{html, Options, Parser};

/// `text` as sanitized HTML.
pub fn render(text: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut raw = String::new();
    html::push_html(&mut raw, Parser::new_ext(text, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

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
}
