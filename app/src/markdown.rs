//! Markdown typed by people and shown to everyone who reads it (incident
//! notes, runbooks): rendered with pulldown-cmark, then cleaned by ammonia
//! (an allow-list of tags, attributes and URL schemes), so that no script,
//! event handler or `javascript:` link survives. The result is the only
//! HTML a page inserts as markup.

use pulldown_cmark::{html, CodeBlockKind, Event, Options, Parser, Tag};

/// `text` as sanitized HTML; raw HTML the allow-list accepts (`<b>`) stays.
pub fn render(text: &str) -> String {
    let mut raw = String::new();
    html::push_html(&mut raw, Parser::new_ext(text, options()).map(task_box));
    clean(&raw)
}

/// `text` as sanitized HTML in which no raw HTML passes, not even an
/// allowed tag: it is shown as the text that was typed. Runbooks are
/// documents to follow, so what a reader sees is exactly what was written.
pub fn render_without_html(text: &str) -> String {
    let events = Parser::new_ext(text, options()).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => task_box(other),
    });
    let mut raw = String::new();
    html::push_html(&mut raw, events);
    clean(&raw)
}

/// A part of a markdown text as [`split_fenced`] cuts it.
#[derive(Debug, PartialEq, Eq)]
pub enum Part<'a> {
    /// Markdown between the fenced blocks, as written.
    Markdown(&'a str),
    /// A fenced block's text; its opening fence is on line `fence_line`
    /// of the whole text (from 1).
    Fenced { text: String, fence_line: u32 },
}

/// Cuts `text` at its top-level fenced code blocks whose info string
/// starts with the word `info`. Blocks inside a list or a quote stay in
/// the markdown: cutting there would break the list or the quote apart.
pub fn split_fenced<'a>(text: &'a str, info: &str) -> Vec<Part<'a>> {
    let mut parts = Vec::new();
    let (mut depth, mut done) = (0usize, 0usize);
    let mut block: Option<(String, u32)> = None;
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang)))
                if depth == 0 && lang.split_whitespace().next() == Some(info) =>
            {
                if !text[done..range.start].trim().is_empty() {
                    parts.push(Part::Markdown(&text[done..range.start]));
                }
                let line = text[..range.start].matches('\n').count() as u32 + 1;
                block = Some((String::new(), line));
                done = range.end;
                depth += 1;
            }
            Event::Text(t) if depth == 1 && block.is_some() => {
                if let Some((body, _)) = block.as_mut() {
                    body.push_str(&t);
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if let (0, Some((text, fence_line))) = (depth, block.take()) {
                    parts.push(Part::Fenced { text, fence_line });
                }
            }
            _ => {}
        }
    }
    if !text[done..].trim().is_empty() {
        parts.push(Part::Markdown(&text[done..]));
    }
    parts
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// A task-list box (`- [ ]`, `- [x]`) as a character: the allow-list has
/// no `<input>`, and a box is read, not clicked (a run ticks its items).
fn task_box(event: Event<'_>) -> Event<'_> {
    match event {
        Event::TaskListMarker(true) => Event::Text("☑ ".into()),
        Event::TaskListMarker(false) => Event::Text("☐ ".into()),
        other => other,
    }
}

/// The task-list items (`- [ ] …`) of `text`, in order, as plain text:
/// the checklist a runbook run ticks. A nested list belongs to its own
/// items, not to the text of the item holding it.
pub fn task_items(text: &str) -> Vec<String> {
    use pulldown_cmark::TagEnd;
    let mut items = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::TaskListMarker(_) => current = Some(String::new()),
            // Raw HTML as typed, as runbooks show it.
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) => {
                if let Some(words) = current.as_mut() {
                    words.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(words) = current.as_mut() {
                    words.push(' ');
                }
            }
            Event::Start(Tag::List(_)) | Event::End(TagEnd::Item) => {
                if let Some(words) = current.take() {
                    items.push(words.trim().to_string());
                }
            }
            _ => {}
        }
    }
    items
}

fn clean(raw: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{render, render_without_html, split_fenced, task_items, Part};

    #[test]
    fn task_items_are_read_in_order_as_plain_text_and_shown_as_boxes() {
        let text = "- [ ] Tell **support**\n- [x] Open `#ops`\n  - [ ] nested one\n- plain item\n\n1. [ ] numbered <b>x</b>\n";
        assert_eq!(
            task_items(text),
            [
                "Tell support",
                "Open #ops",
                "nested one",
                "numbered <b>x</b>"
            ]
        );
        let html = render_without_html(text);
        assert!(html.contains("☐ Tell") && html.contains("☑ Open"), "{html}");
        assert!(!html.contains("<input"), "{html}");
    }

    #[test]
    fn top_level_blocks_of_the_info_are_cut_out_with_their_fence_line() {
        let text = "# Roll back\n\nFirst:\n\n```opsdeck-action\naction: restart\n```\n\n```sh\nls\n```\n\n- in a list\n\n  ```opsdeck-action\nx: y\n  ```\n";
        let parts = split_fenced(text, "opsdeck-action");
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert_eq!(parts[0], Part::Markdown("# Roll back\n\nFirst:\n\n"));
        assert_eq!(
            parts[1],
            Part::Fenced {
                text: "action: restart\n".into(),
                fence_line: 5
            }
        );
        let Part::Markdown(rest) = parts[2] else {
            panic!("{parts:?}")
        };
        assert!(
            rest.contains("```sh") && rest.contains("in a list"),
            "{rest}"
        );
    }

    #[test]
    fn an_unclosed_block_runs_to_the_end_and_empty_text_has_no_parts() {
        let parts = split_fenced("```opsdeck-action\naction: x\n", "opsdeck-action");
        assert_eq!(
            parts,
            vec![Part::Fenced {
                text: "action: x\n".into(),
                fence_line: 1
            }]
        );
        assert!(split_fenced("", "opsdeck-action").is_empty());
        assert!(
            split_fenced("```opsdeck-actions\nx\n```\n", "opsdeck-action")
                .iter()
                .all(|p| matches!(p, Part::Markdown(_)))
        );
    }

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
