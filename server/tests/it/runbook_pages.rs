//! Runbook pages as a browser without JavaScript gets them: complete HTML,
//! hostile text escaped (the editor's textarea too), and only the actions
//! the reader's roles allow.

use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

const HOSTILE: &str = "Step one.\n</textarea><img src=x onerror=alert(1)>\n";

async fn save(client: &mut Client, body: &str, message: &str) {
    let body: String = url::form_urlencoded::byte_serialize(body.as_bytes()).collect();
    let reply = client
        .post_form(
            "/api/save_runbook",
            &format!("slug=roll-back-web&title=Roll+back+web&body={body}&tags[0]=deploy&message={message}"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn editors_get_the_editor_with_its_text_escaped_and_viewers_get_no_way_to_change(
    pool: PgPool,
) {
    let s = state(pool, &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Responder]).await;
    save(&mut rita, HOSTILE, "first").await;
    save(&mut rita, "Step one.\nStep two.\n", "second").await;

    let list = rita.get("/runbooks").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("data-test=\"runbooks-table\""),
        "{}",
        list.body
    );
    assert!(list.body.contains("data-test=\"new-runbook\""));
    assert!(
        list.body.contains("href=\"/runbooks\""),
        "the nav links to runbooks"
    );

    let edit = rita.get("/runbooks/roll-back-web/edit").await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("Step two."), "{}", edit.body);
    let old = rita.get("/runbooks/roll-back-web?version=1").await;
    assert!(
        old.body.contains("data-test=\"revert-form\""),
        "{}",
        old.body
    );
    assert!(
        old.body.contains("&lt;/textarea&gt;&lt;img"),
        "shown as text: {}",
        old.body
    );
    assert!(!old.body.contains("<img src=x"), "{}", old.body);

    // Version 1's text in the editor (reverted first) stays inside it.
    let reverted = rita
        .post_form("/api/revert_runbook", "slug=roll-back-web&version=1")
        .await;
    assert_eq!(reverted.status, StatusCode::OK, "{}", reverted.body);
    let edit = rita.get("/runbooks/roll-back-web/edit").await;
    assert!(
        edit.body
            .contains("Step one.\n&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "{}",
        edit.body
    );
    assert!(!edit.body.contains("<img src=x"), "{}", edit.body);

    let mut vera = signed_in(&s, "vera", &[Role::Viewer]).await;
    let list = vera.get("/runbooks").await;
    assert!(!list.body.contains("data-test=\"new-runbook\""));
    let page = vera.get("/runbooks/roll-back-web?version=2").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("data-test=\"edit-runbook\""));
    assert!(
        page.body.contains("data-test=\"revert-reason\""),
        "{}",
        page.body
    );
    let edit = vera.get("/runbooks/roll-back-web/edit").await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert!(!edit.body.contains("name=\"body\""), "{}", edit.body);
    assert_eq!(
        vera.get("/runbooks/new").await.status,
        StatusCode::FORBIDDEN
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn search_diff_and_unknown_runbooks_render_on_the_server(pool: PgPool) {
    let s = state(pool, &dead_docker_host());
    let mut rita = signed_in(&s, "rita", &[Role::Deployer]).await;
    save(
        &mut rita,
        "Check the error rate.\nPress rollback.\n",
        "first",
    )
    .await;
    save(
        &mut rita,
        "Check the error rate.\nPress Roll back.\n",
        "second",
    )
    .await;

    let hits = rita.get("/runbooks?q=error").await;
    assert!(
        hits.body.contains("data-test=\"search-hit\""),
        "{}",
        hits.body
    );
    assert!(hits.body.contains("<mark>error</mark>"), "{}", hits.body);
    let none = rita.get("/runbooks?q=%3Cscript%3Ezebra").await;
    assert!(none.body.contains("No runbook matches"), "{}", none.body);
    assert!(!none.body.contains("<script>zebra"), "{}", none.body);

    let diff = rita.get("/runbooks/roll-back-web/diff?from=1&to=2").await;
    assert_eq!(diff.status, StatusCode::OK);
    assert!(diff.body.contains("data-kind=\"removed\""), "{}", diff.body);
    assert!(diff.body.contains("data-kind=\"added\""));
    let newest = rita.get("/runbooks/roll-back-web/diff").await;
    assert!(
        newest.body.contains("Press Roll back."),
        "the newest change by default"
    );

    assert_eq!(
        rita.get("/runbooks/nothing-here").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rita.get("/runbooks/roll-back-web?version=9").await.status,
        StatusCode::NOT_FOUND
    );
}
