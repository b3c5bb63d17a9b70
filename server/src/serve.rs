//! Starting and stopping the whole server process.

use crate::config::Settings;
use crate::embedded_pg::{EmbeddedPostgres, RunningCluster, Supervisor};
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
    key_audit_chain(settings, &pool).await?;
    Ok(Database { pool, cluster })
}

/// Every process that writes or verifies audit events holds the chain key
/// (derived from the installation secret key); a log written before the
/// chain was keyed is keyed now, before anyone can rewrite it unnoticed.
async fn key_audit_chain(settings: &Settings, pool: &PgPool) -> anyhow::Result<()> {
    app::audit::ssr::use_chain_key(settings.secret_box()?.chain_key());
    if app::audit::ssr::key_unkeyed_chain(pool).await? {
        tracing::info!("audit log keyed: events from now on carry HMAC-SHA256 hashes");
    }
    Ok(())
}

/// Applies the migrations in `migrations/` (embedded at build time).
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../migrations").run(pool).await?;
    Ok(())
}

/// Leptos options from Opsdeck's settings instead of cargo-leptos' variables.
/// Asset names carry content hashes when the build wrote its hash list.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let hash_file = crate::assets::hash_file(&settings.site_root);
    LeptosOptions::builder()
        .output_name("opsdeck")
        .site_root(settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .hash_files(hash_file.is_some())
        .hash_file(std::sync::Arc::<str>::from(
            hash_file
                .map(|p| p.to_string_lossy().to_string())
                .unwrap_or_else(|| "hash.txt".into()),
        ))
        .build()
}

pub fn auth_config(settings: &Settings) -> app::auth::config::AuthConfig {
    app::auth::config::AuthConfig {
        absolute_lifetime: chrono::Duration::hours(settings.session_max_hours.into()),
        ..Default::default()
    }
}

pub fn web_config(settings: &Settings) -> crate::web::WebConfig {
    crate::web::WebConfig {
        public_origin: settings.public_origin.clone(),
        session_idle: Duration::from_secs(u64::from(settings.session_idle_minutes) * 60),
        listen: settings.addr,
    }
}

/// Deletes expired sessions every ten minutes (any process may; it is idempotent).
fn spawn_session_sweeper(db: PgPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) =
                sqlx::query("DELETE FROM tower_sessions.session WHERE expiry_date < now()")
                    .execute(&db)
                    .await
            {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    })
}

/// On a new installation (no runbook ever saved), the starter runbooks.
/// A failure is logged and the server starts anyway: they are a help,
/// and `opsdeck runbook import --starter` installs them later.
async fn install_starter_runbooks(db: &PgPool) {
    match app::runbook::ssr::starter::install_if_new(db).await {
        Ok(None) => {}
        Ok(Some(reports)) => {
            for r in reports {
                match r.outcome {
                    Ok(imported) => tracing::info!(file = %r.file, "starter runbook {imported}"),
                    Err(e) => tracing::warn!("starter runbook not installed: {e}"),
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not look for runbooks; starter set not installed")
        }
    }
}

/// How long a stopping server lets running deployments finish (below
/// Docker's and systemd's usual kill timeouts would cut most of them off,
/// so this is a courtesy, not a promise: the reconciler is the promise).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// How long a stopping server waits for borrowed database connections.
const POOL_CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Runs the web server until SIGINT/SIGTERM, then stops what it started.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let secrets = settings.secret_box()?;
    let mut db = open_database(&settings).await?;
    // The embedded cluster is Opsdeck's child: restarted when it dies.
    let supervisor = db
        .cluster
        .take()
        .map(|c| Supervisor::spawn(c, db.pool.clone()));
    install_starter_runbooks(&db.pool).await;
    let docker = DockerHandle::new(settings.docker_host.clone());
    let monitor = docker.spawn_monitor(Duration::from_secs(5));
    let state = AppState {
        leptos_options: leptos_options(&settings),
        db: db.pool.clone(),
        docker,
        engines: Default::default(),
        auth: auth_config(&settings),
        secrets,
        live: Default::default(),
        background: Default::default(),
        backups: app::backup::ssr::store::BackupStore::new(&settings.backup_dir),
        engine_looks: Default::default(),
        engine_feeds: Default::default(),
        views: Default::default(),
    };
    let background = state.background.clone();
    let sweeper = spawn_session_sweeper(db.pool.clone());
    let backups =
        app::backup::ssr::scheduler::spawn_scheduler(state.clone(), Duration::from_secs(15));
    let reconciler =
        app::deploy::ssr::reconcile::spawn_reconciler(state.clone(), Duration::from_secs(30));
    let repairer =
        app::deploy::ssr::repair_watch::spawn_repairer(state.clone(), Duration::from_secs(30));
    let webhooks = app::webhook::ssr::send::spawn_sender(state.clone(), Duration::from_secs(5));
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| anyhow::anyhow!("OPSDECK_ADDR: cannot listen on {}: {e}", settings.addr))?;
    tracing::info!(addr = %settings.addr, "Opsdeck listening on http://{}", settings.addr);
    if settings.public_origin.is_none() && !settings.addr.ip().is_loopback() {
        tracing::warn!(
            "OPSDECK_PUBLIC_URL is unset: only requests for localhost, the loopback addresses \
             and {} are answered; behind a proxy or under a DNS name, set OPSDECK_PUBLIC_URL \
             to the origin people use",
            settings.addr.ip()
        );
    }
    let app = crate::router(state, web_config(&settings));
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown({
        let background = background.clone();
        async move { background.stop_on(shutdown_signal()).await }
    })
    .await;
    let unfinished = background.drain(SHUTDOWN_GRACE).await;
    if unfinished > 0 {
        tracing::warn!(
            unfinished,
            "stopping with deployments under way; the next start reconciles them"
        );
    }
    monitor.abort();
    sweeper.abort();
    reconciler.abort();
    repairer.abort();
    webhooks.abort();
    backups.abort();
    // Stopped first, so that it does not restart the cluster stopped below.
    let cluster = match supervisor {
        Some(supervisor) => Some(supervisor.stop().await),
        None => None,
    };
    // `close` waits for every borrowed connection to come back; a page
    // render the runtime still polls for a client long gone may never give
    // its one back, and a stopping server must stop.
    if tokio::time::timeout(POOL_CLOSE_GRACE, db.pool.close())
        .await
        .is_err()
    {
        tracing::warn!("database connections still borrowed at shutdown; closing anyway");
    }
    if let Some(cluster) = cluster {
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

/// Asks the server at `addr` for `/live` over plain HTTP/1.0, so that the
/// container image needs no curl or wget for its HEALTHCHECK.
pub async fn healthcheck(addr: std::net::SocketAddr) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let target = match addr.ip() {
        ip if ip.is_unspecified() => {
            std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    };
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(target).await?;
        stream
            .write_all(b"GET /live HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await?;
        anyhow::Ok(reply)
    };
    let reply = tokio::time::timeout(Duration::from_secs(3), exchange).await??;
    let status_line = String::from_utf8_lossy(&reply)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    anyhow::ensure!(
        status_line.split_whitespace().nth(1) == Some("200"),
        "{target}/live answered `{status_line}`"
    );
    Ok(())
}
