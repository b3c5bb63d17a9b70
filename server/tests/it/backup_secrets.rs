//! A target's connection URL and password never leave the sealed column:
//! not in logs, audit details, error messages, pages or API answers.

use crate::support::backup::*;
use crate::support::{dead_docker_host, signed_in, state, Client};
use app::auth::Role;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};

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
