//! The audit page, its export and the chain check, over HTTP.

use crate::support::{dead_docker_host, signed_in, state};
use app::audit::ssr::{record_alone, Record};
use app::audit::{Action, Outcome};
use app::auth::Role;
use axum::http::StatusCode;
use sqlx::PgPool;

async fn write(pool: &PgPool, action: &'static str, n: usize) {
    for i in 0..n {
        let r = Record::new(
            "system",
            Action::new(action),
            format!("thing:{i}"),
            Outcome::Success,
        );
        record_alone(pool, r).await.unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn admin_pages_through_events_newest_first(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    write(&pool, "test.bulk", 120).await;
    let first = admin.get("/admin/audit").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains(">thing:119<"),
        "the newest event is on the first page"
    );
    assert!(!first.body.contains(">thing:69<"), "only 50 events a page");
    let older = first.body[first.body.find("before=").expect("an older-events link")..]
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(older, "before=72");
    let second = admin.get(&format!("/admin/audit?{older}")).await;
    assert!(second.body.contains(">thing:69<") && !second.body.contains(">thing:70<"));
}

#[sqlx::test(migrations = "../migrations")]
async fn filters_narrow_the_list_and_a_bad_one_names_its_field(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    write(&pool, "test.alpha", 3).await;
    write(&pool, "test.beta", 2).await;
    let page = admin
        .get("/admin/audit?action=test.beta&outcome=success")
        .await;
    assert_eq!(page.body.matches(">test.beta<").count(), 2);
    assert!(!page.body.contains(">test.alpha<"));
    let bad = admin.get("/admin/audit?since=yesterday").await;
    assert!(
        bad.body.contains("since: `yesterday` is not a time"),
        "{}",
        bad.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn export_streams_the_filtered_log_as_csv_or_json_for_admins_only(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    write(&pool, "test.export", 4).await;
    let csv = admin
        .get("/admin/audit/export?format=csv&action=test.export")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.body.lines().count(), 5, "{}", csv.body);
    let json = admin
        .get("/admin/audit/export?format=json&action=test.export")
        .await;
    let events: Vec<serde_json::Value> = serde_json::from_str(&json.body).unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["action"], "test.export");
    let bad = admin.get("/admin/audit/export?format=xml").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut viewer = signed_in(&s, "vera", &[Role::Viewer]).await;
    assert_eq!(
        viewer.get("/admin/audit/export?format=csv").await.status,
        StatusCode::FORBIDDEN
    );
    let exports: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'audit.export'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(exports, 2, "each export is audited");
}

#[sqlx::test(migrations = "../migrations")]
async fn verify_button_reports_an_intact_chain(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    write(&pool, "test.verify", 3).await;
    let reply = admin.post_form("/api/verify_audit", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let check: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(check["intact"], true);
    assert_eq!(
        check["summary"], "4 events, chain intact",
        "the login plus three"
    );
}

/// The page's check is a plain form: the post comes back to the page it
/// was sent from, which shows the check as recorded in the log.
#[sqlx::test(migrations = "../migrations")]
async fn a_chain_check_posted_from_the_page_comes_back_to_it_recorded(pool: PgPool) {
    use axum::body::Body;
    use axum::http::Request;
    let s = state(pool.clone(), &dead_docker_host());
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    write(&pool, "test.verify", 3).await;
    let before = admin.get("/admin/audit?action=test.").await;
    assert!(before.body.contains("data-test=\"verify-chain\""));
    assert!(
        !before.body.contains("data-test=\"verify-result\""),
        "no check yet"
    );

    let back = format!("{}/admin/audit?action=test.", crate::support::ORIGIN);
    let post = Request::post("/api/verify_audit")
        .header("origin", crate::support::ORIGIN)
        .header("referer", &back)
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let reply = admin.send(post).await;
    assert!(
        reply.status.is_redirection(),
        "{}: {}",
        reply.status,
        reply.body
    );
    assert_eq!(reply.headers.get("location").unwrap(), back.as_str());

    let after = admin.get("/admin/audit?action=test.").await;
    assert!(
        after.body.contains("4 events, chain intact"),
        "the check as recorded: {}",
        after.body
    );
    assert!(after.body.contains("by user:ada."));
    assert!(!after.body.contains("data-test=\"verify-error\""));

    // A check that fails comes back with the form redirect's error marks:
    // the page says so, in its own words only.
    let failed = admin
        .get("/admin/audit?action=test.&__path=/api/verify_audit&__err=forged")
        .await;
    assert!(failed.body.contains("The check could not be completed"));
    assert!(!failed.body.contains("forged"));
}
