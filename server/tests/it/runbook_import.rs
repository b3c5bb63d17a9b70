//! `opsdeck runbook import` and `export` against a real PostgreSQL: one
//! line per file, a new version only where a file changed, an export that
//! imports back as no change, a bad file named with its line while the
//! others still go in.

use crate::support::{install_chain_key, opsdeck, url_of};
use app::runbook::ssr::{read, save};
use sqlx::PgPool;
use std::path::Path;

const ROLL_BACK: &str = "---\ntitle: Roll back web\ntags: [deploy, rollback]\nservices:\n  - production/web\n---\n# Roll back\n\nPress the button.\n";
const SCALE: &str =
    "---\ntitle: Scale web\ntags: []\nservices: [production/web]\n---\nAdd replicas.\n";

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

/// Runs `opsdeck runbook <args> <dir>`: (exit code, stdout lines sorted, stderr).
fn runbook(url: &str, args: &[&str], dir: &Path) -> (i32, Vec<String>, String) {
    let mut all: Vec<&str> = vec!["runbook"];
    all.extend(args);
    let dir = dir.to_str().unwrap();
    all.push(dir);
    let (code, out, err) = opsdeck(url, &all, "");
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    lines.sort();
    (code, lines, err)
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn importing_a_folder_creates_version_one_of_each_file_saved_and_audited_as_system(
    pool: PgPool,
) {
    install_chain_key();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roll-back-web.md", ROLL_BACK);
    write(dir.path(), "scale-web.md", SCALE);
    write(dir.path(), "notes.txt", "not a runbook");
    let (code, out, err) = runbook(&url_of(&pool).await, &["import"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        ["roll-back-web.md: created v1", "scale-web.md: created v1"]
    );

    let v = read::read(&pool, "roll-back-web", None).await.unwrap();
    assert_eq!(v.title, "Roll back web");
    assert_eq!(v.tags, ["deploy", "rollback"]);
    assert_eq!(v.services, ["production/web"]);
    assert_eq!(v.body, "# Roll back\n\nPress the button.\n");
    assert_eq!(v.author, "system");
    assert_eq!(v.message, "Imported from roll-back-web.md");
    let audited: Vec<(String, String, serde_json::Value)> = sqlx::query_as(
        "SELECT actor, target, details FROM audit_event WHERE action = 'runbook.save' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 2);
    assert_eq!(audited[0].0, "system", "as every CLI command");
    assert_eq!(audited[0].1, "runbook:roll-back-web");
    assert_eq!(audited[0].2["via"], "cli");
    assert_eq!(audited[0].2["file"], "roll-back-web.md");
    assert_eq!(audited[0].2["content_hash"], v.content_hash.as_str());
}

#[sqlx::test(migrations = "../migrations")]
async fn importing_the_same_folder_again_stores_nothing_and_changing_one_file_one_version(
    pool: PgPool,
) {
    install_chain_key();
    let url = url_of(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "roll-back-web.md", ROLL_BACK);
    write(dir.path(), "scale-web.md", SCALE);
    assert_eq!(runbook(&url, &["import"], dir.path()).0, 0);

    let (code, out, err) = runbook(&url, &["import"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        [
            "roll-back-web.md: unchanged v1",
            "scale-web.md: unchanged v1"
        ]
    );
    let versions = "SELECT count(*) FROM runbook_version";
    let saves = "SELECT count(*) FROM audit_event WHERE action = 'runbook.save'";
    assert_eq!(count(&pool, versions).await, 2);
    assert_eq!(
        count(&pool, saves).await,
        2,
        "an unchanged file is not audited"
    );

    write(dir.path(), "scale-web.md", &SCALE.replace("Add", "Add two"));
    let (code, out, _) = runbook(&url, &["import"], dir.path());
    assert_eq!(code, 0);
    assert_eq!(
        out,
        [
            "roll-back-web.md: unchanged v1",
            "scale-web.md: new version v2"
        ]
    );
    assert_eq!(count(&pool, versions).await, 3);
    assert_eq!(count(&pool, saves).await, 3);
    let v = read::read(&pool, "scale-web", None).await.unwrap();
    assert_eq!((v.version, v.body.as_str()), (2, "Add two replicas.\n"));
}

/// Runbooks as the editor may leave them: a title a plain line cannot
/// hold, an odd service name, Windows line endings, no final newline.
async fn saved_in_the_editor(pool: &PgPool) {
    let drafts = [
        (
            "odd",
            "Why: #1 \"now\"",
            vec!["a-b", "c_d"],
            vec!["prod/a, b"],
            "line\r\nnext\r\n---\r\nend",
        ),
        ("plain", "Plain", vec![], vec![], "# Plain\n"),
    ];
    for (slug, title, tags, services, body) in drafts {
        let draft = save::Draft {
            slug: slug.into(),
            title: title.into(),
            body: body.into(),
            tags: tags.into_iter().map(String::from).collect(),
            services: services.into_iter().map(String::from).collect(),
            message: "from the editor".into(),
        };
        save::save(pool, save::Author::system(), draft)
            .await
            .unwrap();
    }
    let plain = save::Draft {
        slug: "plain".into(),
        title: "Plain".into(),
        body: "# Plain\n\nv2\n".into(),
        tags: vec!["x".into()],
        services: vec![],
        message: "second".into(),
    };
    save::save(pool, save::Author::system(), plain)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn an_export_imported_again_changes_nothing(pool: PgPool) {
    install_chain_key();
    saved_in_the_editor(&pool).await;
    let url = url_of(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("runbooks");
    let (code, out, err) = runbook(&url, &["export"], &out_dir);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, ["odd.md: v1", "plain.md: v2"]);
    assert_eq!(
        std::fs::read_to_string(out_dir.join("plain.md")).unwrap(),
        "---\ntitle: Plain\ntags: [x]\nservices: []\n---\n# Plain\n\nv2\n"
    );

    let before = count(&pool, "SELECT count(*) FROM runbook_version").await;
    let (code, out, err) = runbook(&url, &["import"], &out_dir);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, ["odd.md: unchanged v1", "plain.md: unchanged v2"]);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM runbook_version").await,
        before
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bad_file_is_named_with_its_line_and_the_other_files_still_import(pool: PgPool) {
    install_chain_key();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a-good.md", SCALE);
    write(
        dir.path(),
        "b-typo.md",
        "---\ntitle: Typo\ntitel: again\n---\nbody\n",
    );
    write(
        dir.path(),
        "c-service.md",
        "---\ntitle: Service\ntags: [ok]\nservices:\n  - production/web\n  - web\n---\nbody\n",
    );
    write(dir.path(), "D_Bad Name.md", SCALE);
    write(dir.path(), "e-unclosed.md", "---\ntitle: Open\n");
    std::fs::write(
        dir.path().join("f-latin1.md"),
        b"---\ntitle: caf\xe9\n---\n",
    )
    .unwrap();
    write(dir.path(), "z-good.md", ROLL_BACK);

    let (code, out, err) = runbook(&url_of(&pool).await, &["import"], dir.path());
    assert_eq!(code, 1, "a failed file fails the command");
    assert_eq!(out, ["a-good.md: created v1", "z-good.md: created v1"]);
    // In name order, as the files are read (capitals first).
    let expected = [
        "D_Bad Name.md: the file name is the runbook's slug",
        "b-typo.md:3: unknown key `titel`",
        "c-service.md:6: `services`: name a service as environment/name",
        "e-unclosed.md:1: the front matter opened here is never closed",
        "f-latin1.md: not UTF-8 text",
    ];
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{err}");
    for (line, start) in lines.iter().zip(expected) {
        assert!(line.starts_with(start), "{line} / {start}");
    }
    let slugs = crate::runbook_starter::slugs(&pool).await;
    assert_eq!(slugs, ["a-good", "z-good"], "nothing half-done");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_folder_that_cannot_be_read_is_an_error_naming_it(pool: PgPool) {
    install_chain_key();
    let missing = Path::new("/nonexistent/opsdeck-runbooks");
    let (code, out, err) = runbook(&url_of(&pool).await, &["import"], missing);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("cannot read the folder /nonexistent/opsdeck-runbooks"),
        "{err}"
    );
}
