//! Users created and reset from the CLI, against a real PostgreSQL.

use crate::support::{opsdeck, url_of};
use app::audit::ssr::{verify, ChainReport};
use app::auth::users;
use app::auth::Role;
use sqlx::PgPool;

const PASSWORD: &str = "correct horse battery staple";

#[sqlx::test(migrations = "../migrations")]
async fn cli_creates_a_user_with_an_argon2id_hash_and_audits_it_without_the_password(pool: PgPool) {
    crate::support::install_chain_key();
    let url = url_of(&pool).await;
    let (code, out, err) = opsdeck(
        &url,
        &[
            "user",
            "create",
            "--username",
            "alice",
            "--role",
            "admin",
            "--role",
            "deployer",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");

    let alice = users::find(&pool, "alice")
        .await
        .unwrap()
        .expect("alice exists");
    assert_eq!(alice.roles(), vec![Role::Admin, Role::Deployer]);
    assert!(!alice.disabled);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM app_user")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(app::auth::password::verify(
        &app::auth::password::Argon2Limit::shared(),
        PASSWORD.to_string().into(),
        Some(hash)
    )
    .await
    .unwrap());

    let audit: Vec<(String, String, String)> =
        sqlx::query_as("SELECT action, target, details::text FROM audit_event")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].0.as_str(), audit[0].1.as_str()),
        ("user.create", "user:alice")
    );
    assert!(!audit[0].2.contains(PASSWORD));
    assert_eq!(
        verify(&pool).await.unwrap(),
        ChainReport::Intact { events: 1 }
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn cli_refuses_bad_input_naming_the_field_and_changes_nothing(pool: PgPool) {
    crate::support::install_chain_key();
    let url = url_of(&pool).await;
    let create = |name: &'static str, password: &'static str| {
        let url = url.clone();
        move || {
            opsdeck(
                &url,
                &[
                    "user",
                    "create",
                    "--username",
                    name,
                    "--role",
                    "viewer",
                    "--password-stdin",
                ],
                password,
            )
        }
    };
    let (code, _, err) = create("bob", "short\n")();
    assert_ne!(code, 0);
    assert!(
        err.contains("password: must be at least 12 characters"),
        "{err}"
    );
    let (code, _, err) = create("Bob Smith", "long enough password\n")();
    assert_ne!(code, 0);
    assert!(err.contains("username:"), "{err}");
    let (code, _, err) = opsdeck(
        &url,
        &[
            "user",
            "create",
            "--username",
            "bob",
            "--role",
            "root",
            "--password-stdin",
        ],
        "x\n",
    );
    assert_ne!(code, 0);
    assert!(err.contains("unknown role `root`"), "{err}");
    assert_eq!(users::count(&pool).await.unwrap(), 0);

    assert_eq!(create("bob", "long enough password\n")().0, 0);
    let (code, _, err) = create("bob", "another long password\n")();
    assert_ne!(code, 0);
    assert!(err.contains("username: `bob` is already taken"), "{err}");
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, 1, "refused commands write no audit event");
}

#[sqlx::test(migrations = "../migrations")]
async fn cli_resets_a_password_and_clears_the_lockout(pool: PgPool) {
    crate::support::install_chain_key();
    let url = url_of(&pool).await;
    opsdeck(
        &url,
        &[
            "user",
            "create",
            "--username",
            "carol",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    sqlx::query(
        "UPDATE app_user SET failed_logins = 5, locked_until = now() + interval '15 minutes'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (code, _, err) = opsdeck(
        &url,
        &[
            "user",
            "reset-password",
            "--username",
            "carol",
            "--password-stdin",
        ],
        "a brand new passphrase\n",
    );
    assert_eq!(code, 0, "{err}");
    let carol = users::find(&pool, "carol").await.unwrap().unwrap();
    assert_eq!((carol.failed_logins, carol.locked_until), (0, None));
    let (code, _, err) = opsdeck(
        &url,
        &[
            "user",
            "reset-password",
            "--username",
            "nobody",
            "--password-stdin",
        ],
        "a brand new passphrase\n",
    );
    assert_ne!(code, 0);
    assert!(err.contains("user `nobody` was not found"), "{err}");
    assert_eq!(
        verify(&pool).await.unwrap(),
        ChainReport::Intact { events: 2 }
    );
}
