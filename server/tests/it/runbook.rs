//! Runbooks: every save a new version, the same content no new version,
//! any version readable, bad input refused naming the field.

use crate::support::{create_user, dead_docker_host, state};
use app::auth::guard::Actor;
use app::auth::Role;
use app::runbook::ssr::{read, save, search};
use app::AppError;
use sqlx::PgPool;

async fn actor(pool: &PgPool, username: &str) -> Actor {
    create_user(pool, username, &[Role::Responder]).await;
    let user = app::auth::users::find(pool, username)
        .await
        .unwrap()
        .unwrap();
    Actor {
        roles: user.roles(),
        user,
        meta: Default::default(),
        token: None,
    }
}

fn draft(body: &str, message: &str) -> save::Draft {
    save::Draft {
        slug: "roll-back-web".into(),
        title: "Roll back web".into(),
        body: body.into(),
        tags: vec!["deploy".into(), " ".into(), "deploy".into()],
        services: vec!["production/web".into()],
        message: message.into(),
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn every_changed_save_is_a_new_version_and_every_version_stays_readable(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let rita = actor(&s.db, "rita").await;
    let first = save::save(&s.db, &rita, draft("# Step one\n", "first"))
        .await
        .unwrap();
    assert_eq!((first.version, first.created), (1, true));
    assert_eq!(first.url, "/runbooks/roll-back-web");
    let second = save::save(&s.db, &rita, draft("# Step one\n\nThen two.\n", "add two"))
        .await
        .unwrap();
    assert_eq!((second.version, second.created), (2, true));

    let current = read::read(&s.db, "roll-back-web", None).await.unwrap();
    assert_eq!(current.version, 2);
    assert_eq!(current.body, "# Step one\n\nThen two.\n");
    assert_eq!(
        current.tags,
        vec!["deploy".to_string()],
        "blank and repeated tags dropped"
    );
    assert_eq!(current.author, "user:rita");
    let old = read::read(&s.db, "roll-back-web", Some(1)).await.unwrap();
    assert_eq!(
        (old.body.as_str(), old.message.as_str()),
        ("# Step one\n", "first")
    );
    assert_ne!(old.content_hash, current.content_hash);

    let versions = read::versions(&s.db, "roll-back-web").await.unwrap();
    let numbers: Vec<i32> = versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, vec![2, 1], "newest first");
    let listed = read::list(&s.db).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].slug.as_str(), listed[0].version),
        ("roll-back-web", 2)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn saving_the_same_content_again_stores_no_version_and_no_audit_event(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let rita = actor(&s.db, "rita").await;
    save::save(&s.db, &rita, draft("body\n", "first"))
        .await
        .unwrap();
    let again = save::save(&s.db, &rita, draft("body\n", "no change"))
        .await
        .unwrap();
    assert_eq!((again.version, again.created), (1, false));
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM runbook_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(versions, 1);
    let audited: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT target, details FROM audit_event WHERE action = 'runbook.save' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audited.len(),
        1,
        "only the save that stored a version is audited"
    );
    assert_eq!(audited[0].0, "runbook:roll-back-web");
    let hash = read::read(&s.db, "roll-back-web", None)
        .await
        .unwrap()
        .content_hash;
    assert_eq!(audited[0].1["content_hash"], hash.as_str());
    assert_eq!(audited[0].1["version"], 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_input_is_refused_naming_the_field_and_stores_nothing(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let rita = actor(&s.db, "rita").await;
    let cases: Vec<(&str, Box<dyn Fn(&mut save::Draft)>)> = vec![
        ("slug", Box::new(|d| d.slug = "Roll Back".into())),
        ("slug", Box::new(|d| d.slug = "a--b".into())),
        ("slug", Box::new(|d| d.slug = "x".repeat(101))),
        ("title", Box::new(|d| d.title = "  ".into())),
        ("title", Box::new(|d| d.title = "t".repeat(201))),
        ("message", Box::new(|d| d.message = "m".repeat(501))),
        (
            "tags[1]",
            Box::new(|d| d.tags = vec!["ok".into(), "<b>".into()]),
        ),
        ("services[0]", Box::new(|d| d.services = vec!["web".into()])),
    ];
    for (field, change) in cases {
        let mut d = draft("body", "m");
        change(&mut d);
        match save::save(&s.db, &rita, d).await {
            Err(AppError::Validation { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM runbook")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    assert!(matches!(
        read::read(&s.db, "roll-back-web", Some(7)).await,
        Err(AppError::NotFound(_))
    ));
}

#[test]
fn the_content_hash_tells_apart_contents_that_concatenate_alike() {
    let one = save::content_hash("t", &["a b".into()], &[], "x");
    let two = save::content_hash("t", &["a".into(), "b".into()], &[], "x");
    assert_ne!(one, two);
    assert_eq!(one.len(), 64);
}

async fn put(pool: &PgPool, who: &Actor, slug: &str, title: &str, tags: &[&str], body: &str) {
    let d = save::Draft {
        slug: slug.into(),
        title: title.into(),
        body: body.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        services: vec![],
        message: String::new(),
    };
    save::save(pool, who, d).await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn search_ranks_title_over_tags_over_body_and_escapes_its_snippets(pool: PgPool) {
    let rita = actor(&pool, "rita").await;
    put(
        &pool,
        &rita,
        "in-body",
        "Health checks",
        &[],
        "if 1 < 2 & <script>alert(1)</script> then rollback the web",
    )
    .await;
    put(
        &pool,
        &rita,
        "in-tags",
        "Bad release",
        &["rollback"],
        "Follow the steps.",
    )
    .await;
    put(
        &pool,
        &rita,
        "in-title",
        "Rollback a release",
        &[],
        "Follow the steps.",
    )
    .await;
    put(
        &pool,
        &rita,
        "elsewhere",
        "Scale for load",
        &[],
        "Add replicas.",
    )
    .await;

    let hits = search::search(&pool, "rollback").await.unwrap();
    let order: Vec<&str> = hits.iter().map(|h| h.slug.as_str()).collect();
    assert_eq!(order, vec!["in-title", "in-tags", "in-body"]);
    let body_hit = &hits[2];
    assert!(
        body_hit.snippet.contains("<mark>rollback</mark>"),
        "{}",
        body_hit.snippet
    );
    assert!(
        body_hit.snippet.contains("1 &lt; 2 &amp;"),
        "{}",
        body_hit.snippet
    );
    let unmarked = body_hit
        .snippet
        .replace("<mark>", "")
        .replace("</mark>", "");
    assert!(
        !unmarked.contains('<'),
        "only the marks are markup: {}",
        body_hit.snippet
    );
    assert!(search::search(&pool, "   ").await.unwrap().is_empty());
    assert!(
        search::search(&pool, "\"unbalanced").await.is_ok(),
        "websearch syntax never errors"
    );
}
