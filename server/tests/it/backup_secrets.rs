//! A target's connection URL and password never leave the sealed column:
//! not in logs, audit details, error messages, pages or API answers.

use crate::support::backup::*;
use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use tracing::subscriber::Interest;

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A global subscriber for the whole test binary that records nothing and
/// asks every time (`Interest::sometimes`).
///
/// Why: tracing-core caches each callsite's interest for all threads. With
/// a single dispatcher registered (only this test's scoped one) it computes
/// that interest from the *registering thread's* default, so a backup log
/// line first reached by a parallel test's thread (no subscriber there)
/// was cached as `never`, and this test's capture missed it: "the logs
/// were captured" failed under parallel load. With a second, global
/// dispatcher the interest is the union of all of them, and each event
/// asks the current thread's subscriber.
struct AskEveryTime;

impl tracing::Subscriber for AskEveryTime {
    fn register_callsite(&self, _: &'static tracing::Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn ask_every_time_globally() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // Another global subscriber would serve as well: ignore a refusal.
    ONCE.call_once(|| drop(tracing::subscriber::set_global_default(AskEveryTime)));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Adds the target (and a refused one), backs up, tests the connection,
/// and returns every answer the admin saw.
async fn exercise(admin: &mut Client, pool: &PgPool, url: &str) -> Vec<String> {
    let form = format!("name=shop&url={}", urlencode(url));
    assert!(admin
        .post_form("/api/create_backup_target", &form)
        .await
        .ok());
    let bad = format!(
        "name=bad&url={}",
        urlencode(&url.replace("postgres://", "mysql://"))
    );
    let refused = admin.post_form("/api/create_backup_target", &bad).await;
    let started = admin.post_form("/api/run_backup", "target=shop").await;
    let id = serde_json::from_str::<app::backup::BackupStarted>(&started.body)
        .unwrap()
        .backup;
    assert_eq!(backup_done(pool, id).await, "succeeded");
    let test = admin
        .post_form("/api/test_backup_target", "target=shop")
        .await;
    assert!(test.ok(), "{}", test.body);
    let mut seen = vec![refused.body, test.body];
    for path in ["/backups", "/backups/shop", &format!("/backups/shop/{id}")] {
        seen.push(admin.get(path).await.body);
    }
    seen.push(
        admin
            .post_form("/api/read_backup_target", "target=shop")
            .await
            .body,
    );
    assert!(
        seen[2].contains("data-test=\"targets-table\""),
        "the list rendered"
    );
    seen
}

#[sqlx::test(migrations = "../migrations")]
async fn connection_urls_and_passwords_never_reach_logs_audit_or_html(pool: PgPool) {
    ask_every_time_globally();
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let s = state(pool.clone(), &dead_docker_host());
    let source = SourceDb::with_data("secret").await;
    let password = "Sup3r-Secret-Pa55";
    // The test cluster trusts local connections: the password is carried, unused.
    let url = source
        .url
        .replacen("://opsdeck@", &format!("://opsdeck:{password}@"), 1);
    assert!(url.contains(password), "{url}");
    let mut admin = signed_in(&s, "ada", &[Role::Admin]).await;
    let mut seen = exercise(&mut admin, &pool, &url).await;
    let stored = "SELECT (SELECT string_agg(details::text || target, ' ') FROM audit_event)
                  || (SELECT string_agg(display || encode(sealed_url, 'escape'), ' ') FROM backup_target)";
    seen.push(sqlx::query_scalar(stored).fetch_one(&pool).await.unwrap());
    seen.push(String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned());
    assert!(
        seen.last().unwrap().contains("backup"),
        "the logs were captured"
    );
    for (i, text) in seen.iter().enumerate() {
        assert!(
            !text.contains(password),
            "text {i} holds the password: {text}"
        );
        assert!(!text.contains(&url), "text {i} holds the URL");
    }
    source.drop_db().await;
    remove_store(&s);
}
