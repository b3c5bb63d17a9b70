//! Starting and stopping the whole server process.

use crate::config::Settings;
use crate::embedded_pg::{EmbeddedPostgres, RunningCluster};
use app::docker::DockerHandle;
use app::state::AppState;
use leptos::prelude::LeptosOptions;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::time::Duration;

/// The database Opsdeck talks to, and the embedded cluster when it started one.
pub struct Database {
    pub pool: PgPool,
    pub cluster: Option<RunningCluster>,
}

/// Connects to `DATABASE_URL` or starts the embedded cluster, then migrates.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let (options, cluster) = match &settings.database_url {
        Some(url) => (url.expose_secret().parse::<PgConnectOptions>()?, None),
        None => {
            let cluster = EmbeddedPostgres::locate(&settings.data_dir)?
                .start()
                .await?;
            (cluster.cluster.connect_options(), Some(cluster))
        }
    };
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    migrate(&pool).await?;
    Ok(Database { pool, cluster })
}

/// Applies the migrations in `migrations/` (embedded at build time).
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../migrations").run(pool).await?;
    Ok(())
}

/// Leptos options from Opsdeck's settings instead of cargo-leptos' variables.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("opsdeck")
        .site_root(settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .build()
}

/// Runs the web server until SIGINT/SIGTERM, then stops what it started.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let db = open_database(&settings).await?;
    let docker = DockerHandle::new(settings.docker_host.clone());
    let monitor = docker.spawn_monitor(Duration::from_secs(5));
    let state = AppState {
        leptos_options: leptos_options(&settings),
        db: db.pool.clone(),
        docker,
    };
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| anyhow::anyhow!("OPSDECK_ADDR: cannot listen on {}: {e}", settings.addr))?;
    tracing::info!(addr = %settings.addr, "Opsdeck listening on http://{}", settings.addr);
    let served = axum::serve(listener, crate::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    monitor.abort();
    db.pool.close().await;
    if let Some(cluster) = db.cluster {
        tracing::info!("stopping the embedded PostgreSQL cluster");
        cluster.stop().await?;
    }
    Ok(served?)
}

/// Resolves on the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutdown requested");
}
