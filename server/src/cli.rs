//! The `opsdeck` subcommands that administer an installation from a shell.
//! They use the same configuration (and embedded cluster) as the server and
//! write the same audit events, with `system` as the actor.

use crate::audit_export::{csv_line, json_item, CSV_HEADER};
use crate::config::Settings;
use crate::serve::{open_database, Database};
use anyhow::Context;
use app::audit::filter::ParsedFilter;
use app::audit::ssr::{record, record_alone, stream_filtered, verify, ChainReport, Record};
use app::audit::AuditTarget;
use app::audit::Outcome;
use app::auth::users::{self, NewUser};
use app::auth::Role;
use app::users::actions;
use chrono::{DateTime, Utc};
use clap::{ArgGroup, Subcommand, ValueEnum};
use futures_util::TryStreamExt;
use secrecy::SecretString;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// Shown in the UI; defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
        /// viewer, responder, deployer or admin; repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a new password (and clear a lockout); read from standard input.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the whole hash chain; exit 1 naming the first broken event.
    Verify,
    /// Write events (oldest first) to standard output.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Only events at or after this time (RFC 3339, e.g. 2026-11-01T00:00:00Z).
        #[arg(long)]
        since: Option<DateTime<Utc>>,
    },
}

#[derive(Subcommand)]
pub enum RunbookCommand {
    /// Save each `<slug>.md` file of DIR (front matter, then markdown) as a
    /// runbook: a new version only where the content changed.
    #[command(group(ArgGroup::new("source").required(true).args(["dir", "starter"])))]
    Import {
        /// A folder of runbook files, as `runbook export` writes them.
        dir: Option<PathBuf>,
        /// Save the starter runbooks shipped with Opsdeck (again): a new
        /// version of each one that differs from them.
        #[arg(long)]
        starter: bool,
    },
    /// Write each runbook's current version to DIR as `<slug>.md`.
    Export { dir: PathBuf },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("unknown role `{s}`: use viewer, responder, deployer or admin"))
}

/// Runs `f` against the database, then closes it (and stops a cluster it started).
async fn with_database<T>(
    settings: &Settings,
    f: impl AsyncFnOnce(&Database) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let db = open_database(settings).await?;
    let result = f(&db).await;
    db.pool.close().await;
    if let Some(cluster) = db.cluster {
        cluster.stop().await?;
    }
    result
}

fn read_password() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(SecretString::from(
        line.trim_end_matches(['\n', '\r']).to_string(),
    ))
}

pub async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<()> {
    let password = read_password()?;
    with_database(settings, async |db| {
        let mut tx = db.pool.begin().await?;
        let (action, username, details) = match command {
            UserCommand::Create {
                username,
                display_name,
                roles,
                ..
            } => {
                let display_name = display_name.unwrap_or_else(|| username.clone());
                let new = NewUser {
                    username: username.clone(),
                    display_name,
                    password,
                    roles: roles.clone(),
                };
                users::create(&mut tx, &new).await?;
                let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                (
                    actions::CREATE,
                    username,
                    json!({ "roles": roles, "via": "cli" }),
                )
            }
            UserCommand::ResetPassword { username, .. } => {
                users::set_password(&mut tx, &username, password).await?;
                (actions::RESET_PASSWORD, username, json!({ "via": "cli" }))
            }
        };
        record(
            &mut tx,
            Record::new(
                "system",
                action,
                AuditTarget::User(&username),
                Outcome::Success,
            )
            .details(details),
        )
        .await?;
        tx.commit().await?;
        println!("{action}: {username}");
        Ok(())
    })
    .await
}

/// `Ok(true)` when the chain is intact.
pub async fn audit(settings: &Settings, command: AuditCommand) -> anyhow::Result<bool> {
    with_database(settings, async |db| match command {
        AuditCommand::Verify => verify_chain(db).await,
        AuditCommand::Export { format, since } => {
            export(db, format, since).await?;
            Ok(true)
        }
    })
    .await
}

/// Walks the chain and records the check, as the audit page does: a daily
/// `opsdeck audit verify` from cron is what `/metrics` reports as the last
/// verification.
async fn verify_chain(db: &Database) -> anyhow::Result<bool> {
    let (intact, summary) = match verify(&db.pool).await? {
        ChainReport::Intact { events } => (true, format!("{events} events, chain intact")),
        ChainReport::Broken { id, reason } => {
            (false, format!("chain broken at event {id}: {reason}"))
        }
    };
    println!("{summary}");
    let outcome = if intact {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let r = Record::new("system", app::audit::actions::VERIFY, "audit", outcome)
        .details(json!({ "result": summary, "via": "cli" }));
    record_alone(&db.pool, r).await?;
    Ok(intact)
}

async fn export(
    db: &Database,
    format: ExportFormat,
    since: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let filter = ParsedFilter {
        since,
        ..Default::default()
    };
    let mut events = std::pin::pin!(stream_filtered(&db.pool, &filter));
    let (head, tail) = match format {
        ExportFormat::Json => ("[", "\n]\n"),
        ExportFormat::Csv => (CSV_HEADER, ""),
    };
    write!(out, "{head}")?;
    let mut first = true;
    while let Some(e) = events.try_next().await? {
        match format {
            ExportFormat::Json => write!(out, "{}", json_item(&e, first))?,
            ExportFormat::Csv => write!(out, "{}", csv_line(&e))?,
        }
        first = false;
    }
    write!(out, "{tail}")?;
    out.flush()?;
    Ok(())
}

/// `Ok(false)` when a file could not be imported (each one is reported).
pub async fn runbook(settings: &Settings, command: RunbookCommand) -> anyhow::Result<bool> {
    use app::runbook::ssr::{import, save::Author, starter};
    with_database(settings, async |db| match command {
        RunbookCommand::Import { dir: Some(dir), .. } => {
            let reports = import::import_dir(&db.pool, &Author::system(), &dir)
                .await
                .with_context(|| format!("cannot read the folder {}", dir.display()))?;
            if reports.is_empty() {
                eprintln!("no *.md files in {}", dir.display());
            }
            Ok(print_reports(&reports))
        }
        RunbookCommand::Import { dir: None, .. } => {
            let reports = starter::install(&db.pool, &Author::system()).await;
            Ok(print_reports(&reports))
        }
        RunbookCommand::Export { dir } => {
            for exported in import::export_dir(&db.pool, &dir).await? {
                println!("{}: v{}", exported.file, exported.version);
            }
            Ok(true)
        }
    })
    .await
}

/// One line per file (failures on standard error); true when none failed.
fn print_reports(reports: &[app::runbook::ssr::import::FileReport]) -> bool {
    let mut ok = true;
    for report in reports {
        match &report.outcome {
            Ok(imported) => println!("{}: {imported}", report.file),
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    ok
}
