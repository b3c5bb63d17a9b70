//! Runbooks over HTTP: the server fns as each role calls them, versions,
//! diff and revert, search snippets, refusals naming the field, and
//! hostile markdown rendered inert.

use crate::support::{dead_docker_host, refused, signed_in, state, Client};
use app::auth::Role;
use app::runbook::{DiffKind, RunbookRead, RunbookSaved, SearchHit, VersionDiff};
use axum::http::StatusCode;
use sqlx::PgPool;

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencoding(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencoding(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

async fn save(client: &mut Client, body: &str, message: &str) -> RunbookSaved {
    let reply = client
        .post_form(
            "/api/save_runbook",
            &form(&[
                ("slug", "roll-back-web"),
                ("title", "Roll back web"),
                ("body", body),
                ("tags[0]", "deploy"),
                ("services[0]", "production/web"),
                ("message", message),
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn read(client: &mut Client, query: &str) -> RunbookRead {
    let reply = client.post_form("/api/read_runbook", query).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn audited(pool: &PgPool, action: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar("SELECT details FROM audit_event WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn versions_are_diffed_and_a_revert_saves_the_old_text_as_a_new_version(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let v1 = "# Roll back\n\nCheck the dashboard.\nPress rollback.\n";
    let v2 = "# Roll back\n\nCheck the error rate.\nPress rollback.\nTell the channel.\n";
    assert_eq!(save(&mut rita, v1, "first").await.version, 1);
    assert_eq!(save(&mut rita, v2, "clearer").await.version, 2);

    let reply = rita
        .post_form("/api/runbook_diff", "slug=roll-back-web&from=1&to=2")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let diff: VersionDiff = serde_json::from_str(&reply.body).unwrap();
    let changed: Vec<(DiffKind, &str)> = diff
        .lines
        .iter()
        .filter(|l| l.kind != DiffKind::Same)
        .map(|l| (l.kind, l.text.as_str()))
        .collect();
    assert_eq!(
        changed,
        vec![
            (DiffKind::Removed, "Check the dashboard."),
            (DiffKind::Added, "Check the error rate."),
            (DiffKind::Added, "Tell the channel."),
        ]
    );
    assert_eq!((diff.from.version, diff.to.version), (1, 2));

    let reply = rita
        .post_form("/api/revert_runbook", "slug=roll-back-web&version=1")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reverted: RunbookSaved = serde_json::from_str(&reply.body).unwrap();
    assert_eq!((reverted.version, reverted.created), (3, true));
    let now = read(&mut rita, "slug=roll-back-web").await;
    assert_eq!(now.runbook.version, 3);
    assert_eq!(now.runbook.body, v1, "the old text, as a new version");
    assert_eq!(now.runbook.message, "Revert to version 1");
    let numbers: Vec<i32> = now.versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, vec![3, 2, 1], "nothing is lost");
    let old = read(&mut rita, "slug=roll-back-web&version=2").await;
    assert_eq!((old.runbook.body.as_str(), old.current), (v2, 3));
    assert!(old.html.contains("<h1>Roll back</h1>"), "{}", old.html);

    let reverts = audited(&pool, "runbook.revert").await;
    assert_eq!(reverts.len(), 1);
    assert_eq!(reverts[0]["reverted_to"], 1);
    assert_eq!(reverts[0]["version"], 3);
    assert_eq!(
        reverts[0]["content_hash"],
        now.runbook.content_hash.as_str()
    );
    assert_eq!(audited(&pool, "runbook.save").await.len(), 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn search_finds_a_runbook_by_a_word_of_its_body_with_the_word_marked(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    save(
        &mut rita,
        "When latency > 2 s & <b>rising</b>, drain the pool.\n",
        "m",
    )
    .await;
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let reply = vera.post_form("/api/search_runbooks", "q=latency").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let hits: Vec<SearchHit> = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].slug, "roll-back-web");
    assert!(
        hits[0].snippet.contains("<mark>latency</mark>"),
        "{}",
        hits[0].snippet
    );
    assert!(
        hits[0].snippet.contains("&gt;") && !hits[0].snippet.contains("<b>"),
        "the body's text is escaped, its markup never passes: {}",
        hits[0].snippet
    );
    let reply = vera.post_form("/api/search_runbooks", "q=kubernetes").await;
    assert_eq!(reply.body, "[]");
    let reply = vera.post_form("/api/list_runbooks", "").await;
    assert!(
        reply.body.contains("\"slug\":\"roll-back-web\""),
        "{}",
        reply.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_viewer_reads_runbooks_but_is_refused_saving_reverting_and_previewing(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    save(&mut rita, "one\n", "first").await;
    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    assert_eq!(
        read(&mut vera, "slug=roll-back-web").await.runbook.body,
        "one\n"
    );
    for (path, body) in [
        (
            "/api/save_runbook",
            "slug=roll-back-web&title=Mine&body=two&message=x",
        ),
        ("/api/revert_runbook", "slug=roll-back-web&version=1"),
        ("/api/preview_runbook", "body=x"),
    ] {
        let reply = vera.post_form(path, body).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.body
        );
    }
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM runbook_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(versions, 1, "the viewer stored nothing");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_arguments_are_refused_with_422_naming_the_field(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Deployer]).await;
    save(&mut rita, "one\n", "first").await;
    let long_slug = "x".repeat(101);
    let long_q = "q".repeat(201);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "/api/save_runbook",
            form(&[("slug", "Roll Back"), ("title", "t"), ("body", "b")]),
            "slug",
        ),
        (
            "/api/save_runbook",
            form(&[("slug", "new"), ("title", "t"), ("body", "b")]),
            "slug",
        ),
        (
            "/api/save_runbook",
            form(&[("slug", "a"), ("title", " "), ("body", "b")]),
            "title",
        ),
        (
            "/api/save_runbook",
            form(&[("slug", "a"), ("title", "t"), ("tags[0]", "no spaces")]),
            "tags[0]",
        ),
        (
            "/api/save_runbook",
            form(&[("slug", "a"), ("title", "t"), ("services[0]", "web")]),
            "services[0]",
        ),
        ("/api/read_runbook", format!("slug={long_slug}"), "slug"),
        (
            "/api/read_runbook",
            "slug=roll-back-web&version=0".into(),
            "version",
        ),
        (
            "/api/read_runbook",
            "slug=roll-back-web&version=two".into(),
            "version",
        ),
        (
            "/api/runbook_diff",
            "slug=roll-back-web&from=0&to=1".into(),
            "from",
        ),
        (
            "/api/runbook_diff",
            "slug=roll-back-web&from=1&to=-3".into(),
            "to",
        ),
        (
            "/api/revert_runbook",
            "slug=roll-back-web&version=0".into(),
            "version",
        ),
        ("/api/search_runbooks", format!("q={long_q}"), "q"),
        (
            "/api/preview_runbook",
            format!("body={}", "b".repeat(200_001)),
            "body",
        ),
    ];
    for (path, body, field) in cases {
        let reply = rita.post_form(path, &body).await;
        refused(&reply, field);
    }
    let reply = rita
        .post_form("/api/read_runbook", "slug=roll-back-web&version=9")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM runbook_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(versions, 1, "no refused call stored anything");
}

#[sqlx::test(migrations = "../migrations")]
async fn scripts_handlers_javascript_links_and_raw_html_in_a_runbook_render_inert(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    let hostile = "<script>alert(1)</script>\n\n\
                   <img src=x onerror=alert(2)>\n\n\
                   [click](javascript:alert(3)) [docs](https://example.com/runbooks)\n\n\
                   <a href=\"https://evil.example\" onclick=\"alert(4)\">raw</a>\n\n\
                   <iframe srcdoc=\"<script>alert(5)</script>\"></iframe>\n";
    save(&mut rita, hostile, "hostile").await;
    let html = read(&mut rita, "slug=roll-back-web").await.html;
    for gone in [
        "<script",
        "<img",
        "<iframe",
        "href=\"javascript:",
        "<a href=\"https://evil",
    ] {
        assert!(!html.contains(gone), "{gone} in {html}");
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "raw HTML is shown as the text typed: {html}"
    );
    assert!(
        html.contains(
            "<a href=\"https://example.com/runbooks\" rel=\"noopener noreferrer nofollow\">docs</a>"
        ),
        "{html}"
    );
    let reply = rita
        .post_form("/api/preview_runbook", &form(&[("body", hostile)]))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let preview: String = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(preview, html, "the preview renders as the page does");
}
