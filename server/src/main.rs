//! `opsdeck`: the Opsdeck server and its command-line tools.

use clap::{Parser, Subcommand};
use opsdeck_server::config::Settings;

#[derive(Parser)]
#[command(
    name = "opsdeck",
    version,
    about = "Self-hosted operations control panel"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web panel (the default).
    Serve,
    /// Exit 0 when the server at OPSDECK_ADDR answers `/live` (for HEALTHCHECK).
    Healthcheck,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        action: opsdeck_server::cli::UserCommand,
    },
    /// Verify or export the audit log.
    Audit {
        #[command(subcommand)]
        action: opsdeck_server::cli::AuditCommand,
    },
    /// Import or export runbooks as markdown files.
    Runbook {
        #[command(subcommand)]
        action: opsdeck_server::cli::RunbookCommand,
    },
    /// Manage the embedded PostgreSQL cluster (used when DATABASE_URL is unset).
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
}

#[derive(Subcommand)]
enum DbAction {
    /// Start the cluster, leave it running and print its connection URL.
    Start,
    /// Stop the cluster; a running server leaves it stopped until `db start`.
    Stop,
}

/// How long the runtime waits, once `main` is done, for work on its
/// blocking threads (a stuck one would otherwise keep a stopped server alive).
const RUNTIME_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("opsdeck: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run());
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_GRACE);
    code
}

async fn run() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("opsdeck: invalid configuration: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    opsdeck_server::telemetry::init(&settings);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => opsdeck_server::serve::serve(settings).await,
        Command::Healthcheck => opsdeck_server::serve::healthcheck(settings.addr).await,
        Command::Migrate => migrate(settings).await,
        Command::Db { action } => db(settings, action).await,
        Command::User { action } => opsdeck_server::cli::user(&settings, action).await,
        Command::Audit { action } => match opsdeck_server::cli::audit(&settings, action).await {
            Ok(true) => Ok(()),
            Ok(false) => return std::process::ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Runbook { action } => {
            match opsdeck_server::cli::runbook(&settings, action).await {
                Ok(true) => Ok(()),
                Ok(false) => return std::process::ExitCode::from(1),
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("opsdeck: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let db = opsdeck_server::serve::open_database(&settings).await?;
    db.pool.close().await;
    if let Some(cluster) = db.cluster {
        cluster.stop().await?;
    }
    println!("migrations applied");
    Ok(())
}

async fn db(settings: Settings, action: DbAction) -> anyhow::Result<()> {
    use opsdeck_server::embedded_pg::EmbeddedPostgres;
    anyhow::ensure!(
        settings.database_url.is_none(),
        "DATABASE_URL is set: Opsdeck uses that database, not the embedded one"
    );
    let cluster = EmbeddedPostgres::locate(&settings.data_dir)?;
    match action {
        DbAction::Start => println!("{}", cluster.start().await?.cluster.url()),
        DbAction::Stop => {
            let stopped = cluster.stop_and_hold().await?;
            println!("{}", if stopped { "stopped" } else { "not running" });
        }
    }
    Ok(())
}
