//! The starter runbooks: installed when a server starts on an installation
//! that never had a runbook, never again after that (not over a team's
//! edits), and saved again on purpose by `opsdeck runbook import --starter`.

use crate::support::process::Opsdeck;
use crate::support::{install_chain_key, opsdeck, url_of};
use app::runbook::ssr::import::Imported;
use app::runbook::ssr::{read, save, starter};
use sqlx::PgPool;

const SLUGS: [&str; 6] = [
    "back-up-and-restore-a-database",
    "deploy-a-release",
    "failing-health-check",
    "respond-to-an-incident",
    "roll-back",
    "scale-for-load",
];

/// Every runbook's slug, sorted.
pub(crate) async fn slugs(pool: &PgPool) -> Vec<String> {
    let mut slugs: Vec<String> = read::list(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.slug)
        .collect();
    slugs.sort();
    slugs
}

/// A team's edit of the starter `roll-back`: its version 2.
async fn edit_roll_back(pool: &PgPool) {
    let v1 = read::read(pool, "roll-back", None).await.unwrap();
    let draft = save::Draft {
        slug: v1.slug,
        title: v1.title,
        body: format!(
            "{}\nAsk Sam before rolling back the payments service.\n",
            v1.body
        ),
        tags: v1.tags,
        services: vec!["production/payments".into()],
        message: "our own rule".into(),
    };
    let saved = save::save(pool, save::Author::system(), draft)
        .await
        .unwrap();
    assert_eq!((saved.version, saved.created), (2, true));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_installation_gets_the_starter_set_once_and_never_over_edited_runbooks(pool: PgPool) {
    install_chain_key();
    let reports = starter::install_if_new(&pool)
        .await
        .unwrap()
        .expect("no runbook yet: installed");
    for r in &reports {
        assert_eq!(r.outcome, Ok(Imported::Created(1)), "{}", r.file);
    }
    assert_eq!(slugs(&pool).await, SLUGS);
    let v = read::read(&pool, "roll-back", None).await.unwrap();
    assert_eq!(v.author, "system");
    assert_eq!(v.message, "Starter runbook shipped with Opsdeck");
    let via: Vec<String> =
        sqlx::query_scalar("SELECT details->>'via' FROM audit_event WHERE action = 'runbook.save'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(via, vec!["starter"; 6]);

    edit_roll_back(&pool).await;
    assert!(
        starter::install_if_new(&pool).await.unwrap().is_none(),
        "runbooks exist: nothing installed"
    );
    let v = read::read(&pool, "roll-back", None).await.unwrap();
    assert_eq!(v.version, 2, "the team's edit stays current");
    assert!(v.body.contains("Ask Sam"));
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM runbook_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(versions, 7);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_installation_with_its_own_runbooks_gets_no_starter_set(pool: PgPool) {
    install_chain_key();
    let draft = save::Draft {
        slug: "ours".into(),
        title: "Ours".into(),
        body: "x\n".into(),
        tags: vec![],
        services: vec![],
        message: String::new(),
    };
    save::save(&pool, save::Author::system(), draft)
        .await
        .unwrap();
    assert!(starter::install_if_new(&pool).await.unwrap().is_none());
    assert_eq!(slugs(&pool).await, ["ours"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn import_starter_saves_the_starter_set_again_as_a_new_version_where_it_was_edited(
    pool: PgPool,
) {
    install_chain_key();
    let url = url_of(&pool).await;
    let (code, out, err) = opsdeck(&url, &["runbook", "import", "--starter"], "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 6, "{out}");
    assert!(out.contains("roll-back.md: created v1"), "{out}");

    edit_roll_back(&pool).await;
    let (code, out, err) = opsdeck(&url, &["runbook", "import", "--starter"], "");
    assert_eq!(code, 0, "{err}");
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "back-up-and-restore-a-database.md: unchanged v1",
            "deploy-a-release.md: unchanged v1",
            "failing-health-check.md: unchanged v1",
            "respond-to-an-incident.md: unchanged v1",
            "roll-back.md: new version v3",
            "scale-for-load.md: unchanged v1",
        ]
    );
    let v = read::read(&pool, "roll-back", Some(2)).await.unwrap();
    assert!(v.body.contains("Ask Sam"), "the edit stays as version 2");

    let (code, _, err) = opsdeck(&url, &["runbook", "import"], "");
    assert_ne!(code, 0, "a folder or --starter is required");
    assert!(err.contains("--starter"), "{err}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_server_starting_on_a_new_database_installs_the_starter_set_and_a_restart_does_not(
    pool: PgPool,
) {
    let url = url_of(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let first = Opsdeck::start(&url, dir.path(), &dir.path().join("first.log"));
    first.ready().await;
    drop(first);
    assert_eq!(slugs(&pool).await, SLUGS);

    install_chain_key();
    edit_roll_back(&pool).await;
    let second = Opsdeck::start(&url, dir.path(), &dir.path().join("second.log"));
    second.ready().await;
    drop(second);
    let v = read::read(&pool, "roll-back", None).await.unwrap();
    assert_eq!(v.version, 2, "the restart wrote nothing");
    let saves: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'runbook.save'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(saves, 7);
}
