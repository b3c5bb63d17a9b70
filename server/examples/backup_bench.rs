//! Backup benchmark (run by bench/backup.sh, not a test): one Opsdeck
//! backup of `BENCH_SOURCE_URL` through the whole path — pg_dump -Fc
//! streamed into the store with sha256, fsync, rename, pg_restore --list,
//! the records and the audit events — timed. `DATABASE_URL` is a scratch
//! Opsdeck database, `BENCH_STORE` the backup folder.

use app::backup::ssr::store::BackupStore;
use app::state::AppState;
use leptos::prelude::LeptosOptions;
use sqlx::postgres::PgPoolOptions;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect(&std::env::var("DATABASE_URL")?)
        .await?;
    opsdeck_server::serve::migrate(&pool).await?;
    let state = AppState {
        leptos_options: LeptosOptions::builder().output_name("opsdeck").build(),
        db: pool.clone(),
        docker: app::docker::DockerHandle::new("unix:///nonexistent/docker.sock"),
        engines: Default::default(),
        auth: Default::default(),
        secrets: app::secrets::SecretBox::from_bytes(&[7u8; 32])?,
        live: Default::default(),
        background: Default::default(),
        backups: BackupStore::new(std::env::var("BENCH_STORE")?),
        engine_looks: Default::default(),
        engine_feeds: Default::default(),
        views: Default::default(),
    };
    // The audit chain key, as the server installs it at start.
    app::audit::ssr::use_chain_key(state.secrets.chain_key());
    let source = std::env::var("BENCH_SOURCE_URL")?;
    let target_id: i64 = sqlx::query_scalar(
        "INSERT INTO backup_target (name, sealed_url, display) VALUES ('bench', $1, 'bench')
         ON CONFLICT (name) DO UPDATE SET sealed_url = EXCLUDED.sealed_url RETURNING id",
    )
    .bind(state.secrets.seal(&source))
    .fetch_one(&pool)
    .await?;
    let start = Instant::now();
    let id = app::backup::ssr::run::run_kind(
        &state,
        "user:bench",
        target_id,
        app::backup::BackupKind::Manual,
        "bench",
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    let size: i64 = sqlx::query_scalar("SELECT size_bytes FROM backup WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await?;
    println!("opsdeck_backup seconds={seconds:.2} size={size}");
    Ok(())
}
