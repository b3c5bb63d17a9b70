use super::{parse, render, FrontMatterError};
use proptest::prelude::*;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The message of the error `text` is refused with, at `line`.
fn refused_at(text: &str, line: usize) -> String {
    match parse(text) {
        Err(FrontMatterError { line: at, message }) => {
            assert_eq!(at, line, "{message}");
            message
        }
        Ok(parsed) => panic!("accepted: {parsed:?}"),
    }
}

#[test]
fn flow_lists_block_lists_and_comments_are_read_and_the_body_is_kept_byte_for_byte() {
    let text = "---\n# shipped with Opsdeck\ntitle: Roll back: the quick way\n\ntags: [deploy,  rollback ]\nservices:\n  - production/web\n  - \"staging/web\"\n---\r\n# Body\r\n\r\nkeep this\n";
    let (front, body) = parse(text).unwrap();
    assert_eq!(front.title, "Roll back: the quick way");
    assert_eq!(front.tags, strings(&["deploy", "rollback"]));
    assert_eq!(front.services, strings(&["production/web", "staging/web"]));
    assert_eq!(body, "# Body\r\n\r\nkeep this\n");
    assert_eq!(
        (front.lines.title, front.lines.tags, front.lines.services),
        (3, 5, 6)
    );
    assert_eq!(front.lines.tag_items, vec![5, 5]);
    assert_eq!(front.lines.service_items, vec![7, 8]);
}

#[test]
fn lists_are_optional_and_may_be_empty_and_windows_line_endings_are_read() {
    let (front, body) = parse("\u{feff}---\r\ntitle: Scale\r\ntags: []\r\n---\r\nx").unwrap();
    assert_eq!(front.title, "Scale");
    assert!(front.tags.is_empty() && front.services.is_empty());
    assert_eq!(body, "x");
    let (front, body) = parse("---\ntitle: \"Quoted \\\"title\\\"\"\n---\n").unwrap();
    assert_eq!(front.title, "Quoted \"title\"");
    assert_eq!(body, "");
}

#[test]
fn every_mistake_is_refused_naming_its_line_and_what_to_write() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "empty"),
        ("title: x\n---\n", 1, "starts with front matter"),
        ("---\ntitle: x\n", 1, "never closed"),
        ("---\ntags: [a]\n---\n", 1, "no `title:` line"),
        ("---\ntitle: x\ntitel: y\n---\n", 3, "unknown key `titel`"),
        (
            "---\ntitle: x\nmessage: y\n---\n",
            3,
            "unknown key `message`",
        ),
        (
            "---\ntitle: x\n\ntitle: y\n---\n",
            4,
            "given twice (first on line 2)",
        ),
        ("---\ntitle:\n---\n", 2, "`title` has no value"),
        ("---\ntitle: x\njust words\n---\n", 3, "not `key: value`"),
        ("---\ntitle: x\n  tags: [a]\n---\n", 3, "indented"),
        ("---\ntitle: x\n- a\n---\n", 3, "belongs below `tags:`"),
        ("---\ntitle: x\ntags: [a]\n- b\n---\n", 4, "belongs below"),
        ("---\ntitle: x\ntags:\n-b\n---\n", 4, "with a space"),
        ("---\ntitle: x\ntags:\n  -\n---\n", 4, "empty list item"),
        ("---\ntitle: x\ntags: deploy\n---\n", 3, "is not a list"),
        ("---\ntitle: x\ntags: [a,, b]\n---\n", 3, "empty item"),
        ("---\ntitle: x\ntags: [a, b,]\n---\n", 3, "empty item"),
        ("---\ntitle: x\ntags: [a \"b\"]\n---\n", 3, "quote an item"),
        (
            "---\ntitle: x\ntags: [\"a\" b]\n---\n",
            3,
            "separate list items",
        ),
        ("---\ntitle: 'x'\n---\n", 2, "single quotes"),
        ("---\ntitle: x\ntags: ['a']\n---\n", 3, "single quotes"),
        ("---\ntitle: \"x\n---\n", 2, "closing `\"`"),
        ("---\ntitle: \"x\" y\n---\n", 2, "follows the closing quote"),
        ("---\ntitle: \"\\q\"\n---\n", 2, "not a valid quoted text"),
    ];
    for (text, line, says) in cases {
        let message = refused_at(text, *line);
        assert!(message.contains(says), "{text:?}: {message}");
    }
}

#[test]
fn a_rendered_file_reads_back_as_what_was_rendered() {
    let tags = strings(&["deploy", "on-call"]);
    let services = strings(&["production/web"]);
    let text = render("Deploy a release", &tags, &services, "# Steps\n");
    assert_eq!(
        text,
        "---\ntitle: Deploy a release\ntags: [deploy, on-call]\nservices: [production/web]\n---\n# Steps\n"
    );
    let odd = strings(&["prod/a, b", "x/\"y\"", "- z/w"]);
    let text = render("Why: #1 \"now\"", &[], &odd, "");
    let (front, body) = parse(&text).unwrap();
    assert_eq!(front.title, "Why: #1 \"now\"");
    assert_eq!(front.services, odd, "{text}");
    assert!(front.tags.is_empty());
    assert_eq!(body, "");
}

/// What a stored version can hold: trimmed, non-empty texts.
fn stored_text() -> impl Strategy<Value = String> {
    any::<String>()
        .prop_map(|s| s.trim().to_string())
        .prop_filter("saved texts are trimmed and not empty", |s| !s.is_empty())
}

proptest! {
    #[test]
    fn whatever_a_version_holds_survives_render_then_parse(
        title in stored_text(),
        tags in prop::collection::vec(stored_text(), 0..4),
        services in prop::collection::vec(stored_text(), 0..4),
        body in any::<String>(),
    ) {
        let text = render(&title, &tags, &services, &body);
        let (front, read_body) = parse(&text).map_err(|e| {
            TestCaseError::fail(format!("{e:?} in {text:?}"))
        })?;
        prop_assert_eq!(front.title, title);
        prop_assert_eq!(front.tags, tags);
        prop_assert_eq!(front.services, services);
        prop_assert_eq!(read_body, body.as_str());
    }
}
