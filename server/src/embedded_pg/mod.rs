//! Opsdeck's private PostgreSQL cluster, used when `DATABASE_URL` is unset.
//!
//! The cluster lives in `<data dir>/postgres`, listens only on a unix socket
//! (no TCP port), and trusts local connections: the socket's folder is
//! readable by its owner alone. PostgreSQL refuses to run as root, so when
//! Opsdeck is root (common beside a Docker socket) the cluster runs as the
//! `postgres` user, or `nobody` where that user does not exist.

mod process;
mod recovery;
mod supervise;

use process::{run_as_cluster_user, ClusterUser};
use sqlx::postgres::PgConnectOptions;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use process::is_alive;
pub use recovery::Keeper;
pub use supervise::Supervisor;

/// The database Opsdeck uses inside its cluster.
pub const DATABASE: &str = "opsdeck";
/// The cluster's superuser.
pub const SUPERUSER: &str = "opsdeck";
const PORT: u16 = 5432;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedPgError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin: \
         install PostgreSQL (Debian: `apt-get install postgresql`) or set DATABASE_URL"
    )]
    BinariesMissing,
    #[error("{0}")]
    Setup(String),
    #[error("`{command}` failed: {output}")]
    Command { command: String, output: String },
    #[error("the embedded cluster does not accept connections: {0}")]
    Connect(#[from] sqlx::Error),
}

/// One cluster folder and the way to run its programs.
#[derive(Debug, Clone)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    user: Option<ClusterUser>,
}

/// A started cluster; `stop` ends it only when this process started it.
#[derive(Debug)]
pub struct RunningCluster {
    pub cluster: EmbeddedPostgres,
    pub started_here: bool,
}

impl EmbeddedPostgres {
    /// Finds the PostgreSQL binaries and lays out the cluster under `data_dir`.
    pub fn locate(data_dir: &Path) -> Result<Self, EmbeddedPgError> {
        let bin_dir = find_bin_dir().ok_or(EmbeddedPgError::BinariesMissing)?;
        std::fs::create_dir_all(data_dir).map_err(|e| {
            EmbeddedPgError::Setup(format!(
                "cannot create data dir {}: {e}",
                data_dir.display()
            ))
        })?;
        let data_dir = data_dir
            .canonicalize()
            .map_err(|e| EmbeddedPgError::Setup(e.to_string()))?;
        let user = ClusterUser::for_current_process().map_err(EmbeddedPgError::Setup)?;
        let pgdata = data_dir.join("postgres");
        let socket_dir = socket_dir_for(&data_dir);
        Ok(EmbeddedPostgres {
            bin_dir,
            pgdata,
            socket_dir,
            user,
        })
    }

    /// The cluster's data folder (PGDATA).
    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    /// The folder holding `pg_ctl`, `initdb` and `postgres`.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// How to connect to the Opsdeck database over the unix socket.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.options_for(DATABASE)
    }

    /// A `postgres://` URL for the Opsdeck database (for psql or `DATABASE_URL`).
    pub fn url(&self) -> String {
        format!(
            "postgres://{SUPERUSER}@localhost/{DATABASE}?host={}&port={PORT}",
            self.socket_dir.display()
        )
    }

    fn options_for(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(SUPERUSER)
            .database(database)
    }

    /// The postmaster's pid from `postmaster.pid`, if the file exists.
    pub fn postmaster_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.pgdata.join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Initializes the cluster on first use, starts it (or adopts one already
    /// running from this folder), and makes sure the Opsdeck database exists.
    pub async fn start(self) -> Result<RunningCluster, EmbeddedPgError> {
        self.prepare_dirs()?;
        if !self.pgdata.join("PG_VERSION").exists() {
            self.initdb().await?;
        }
        self.write_settings()?;
        let started_here = if self.running_postmaster().is_some() {
            // Left by an Opsdeck that died: ours to stop at shutdown. Started by a
            // live Opsdeck (a CLI call beside the server): leave it to that one.
            let orphaned = !self.owner_pid().is_some_and(is_alive);
            tracing::info!(pgdata = %self.pgdata.display(), orphaned, "adopting the embedded PostgreSQL already running");
            orphaned
        } else {
            self.remove_stale_lock_files();
            self.pg_ctl_start().await?;
            true
        };
        if started_here {
            self.claim()?;
        }
        // Only now: while the hold lasts, a watching server keeps its hands off.
        let _ = std::fs::remove_file(self.hold_file());
        self.ensure_database().await?;
        Ok(RunningCluster {
            cluster: self,
            started_here,
        })
    }

    fn prepare_dirs(&self) -> Result<(), EmbeddedPgError> {
        for dir in [&self.pgdata, &self.socket_dir] {
            process::create_private_dir(dir, self.user.as_ref()).map_err(EmbeddedPgError::Setup)?;
        }
        if let Some(user) = &self.user {
            user.check_can_reach(&self.pgdata)
                .map_err(EmbeddedPgError::Setup)?;
        }
        Ok(())
    }

    async fn initdb(&self) -> Result<(), EmbeddedPgError> {
        tracing::info!(pgdata = %self.pgdata.display(), "initializing the embedded PostgreSQL cluster");
        let pgdata = self.pgdata.to_string_lossy().to_string();
        let args = [
            "-D",
            &pgdata,
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=reject",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-instructions",
        ];
        run_as_cluster_user(&self.bin_dir.join("initdb"), &args, self.user.as_ref()).await
    }

    /// Settings Opsdeck owns, rewritten at each start so a moved data dir still works.
    fn write_settings(&self) -> Result<(), EmbeddedPgError> {
        let conf = format!(
            "# Written by Opsdeck at each start.\nlisten_addresses = ''\nunix_socket_directories = '{}'\nport = {PORT}\nunix_socket_permissions = 0700\n",
            self.socket_dir.display()
        );
        let main_conf = self.pgdata.join("postgresql.conf");
        let text = std::fs::read_to_string(&main_conf)
            .map_err(|e| EmbeddedPgError::Setup(e.to_string()))?;
        if !text.contains("include_if_exists = 'opsdeck.conf'") {
            std::fs::write(
                &main_conf,
                format!("{text}\ninclude_if_exists = 'opsdeck.conf'\n"),
            )
            .map_err(|e| EmbeddedPgError::Setup(e.to_string()))?;
        }
        process::write_owned(&self.pgdata.join("opsdeck.conf"), &conf, self.user.as_ref())
            .map_err(EmbeddedPgError::Setup)
    }

    /// Stops a postmaster serving this folder; `false` when none runs.
    pub async fn stop_if_running(&self) -> Result<bool, EmbeddedPgError> {
        if self.running_postmaster().is_none() {
            return Ok(false);
        }
        let pgdata = self.pgdata.to_string_lossy().to_string();
        let args = ["-D", &pgdata, "-m", "fast", "-w", "stop"];
        run_as_cluster_user(&self.bin_dir.join("pg_ctl"), &args, self.user.as_ref()).await?;
        Ok(true)
    }

    /// Stops the cluster for an operator (`opsdeck db stop`): a server using
    /// it leaves it stopped until the next `opsdeck db start` or server start.
    pub async fn stop_and_hold(&self) -> Result<bool, EmbeddedPgError> {
        if self.running_postmaster().is_none() {
            return Ok(false);
        }
        process::write_owned(
            &self.hold_file(),
            &format!("stopped by process {}\n", std::process::id()),
            self.user.as_ref(),
        )
        .map_err(EmbeddedPgError::Setup)?;
        self.stop_if_running().await
    }

    fn hold_file(&self) -> PathBuf {
        self.pgdata.join("opsdeck.stopped")
    }

    fn owner_file(&self) -> PathBuf {
        self.pgdata.join("opsdeck.owner")
    }

    /// Records this process as the one that stops (and restarts) the cluster.
    fn claim(&self) -> Result<(), EmbeddedPgError> {
        let pid = std::process::id().to_string();
        process::write_owned(&self.owner_file(), &pid, self.user.as_ref())
            .map_err(EmbeddedPgError::Setup)
    }

    /// The Opsdeck process that started the running postmaster.
    fn owner_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.owner_file())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The pid of a live postmaster serving this very folder.
    fn running_postmaster(&self) -> Option<i32> {
        let pid = self.postmaster_pid()?;
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
        (is_alive(pid) && cwd == self.pgdata).then_some(pid)
    }

    /// A crash (kill -9, power loss) leaves `postmaster.pid` behind, and the pid
    /// in it may now belong to an unrelated process: remove it when no
    /// postmaster of ours runs.
    fn remove_stale_lock_files(&self) {
        let sock_lock = self.socket_dir.join(format!(".s.PGSQL.{PORT}.lock"));
        for f in [self.pgdata.join("postmaster.pid"), sock_lock] {
            if f.exists() {
                tracing::warn!(file = %f.display(), "removing a stale PostgreSQL lock file");
                let _ = std::fs::remove_file(f);
            }
        }
    }

    async fn pg_ctl_start(&self) -> Result<(), EmbeddedPgError> {
        // Backends of a killed postmaster can hold its shared memory for a
        // moment after a crash; the start succeeds once they are gone.
        let mut last = None;
        for _ in 0..20 {
            match self.pg_ctl_start_once(60).await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
            self.remove_stale_lock_files();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let log = self.pgdata.join("server.log");
        let log_tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: String = log_tail
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join(" | ");
        Err(EmbeddedPgError::Setup(format!(
            "{} (server.log: {tail})",
            last.map(|e| e.to_string()).unwrap_or_default()
        )))
    }

    /// One `pg_ctl start`, waiting up to `wait_secs` for connections.
    async fn pg_ctl_start_once(&self, wait_secs: u32) -> Result<(), EmbeddedPgError> {
        let pgdata = self.pgdata.to_string_lossy().to_string();
        let log = self.pgdata.join("server.log").to_string_lossy().to_string();
        let wait = wait_secs.to_string();
        let args = ["-D", &pgdata, "-l", &log, "-w", "-t", &wait, "start"];
        run_as_cluster_user(&self.bin_dir.join("pg_ctl"), &args, self.user.as_ref()).await
    }

    async fn ensure_database(&self) -> Result<(), EmbeddedPgError> {
        use sqlx::{ConnectOptions, Connection};
        let mut conn = self.options_for("postgres").connect().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(DATABASE)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            sqlx::query(&format!("CREATE DATABASE {DATABASE}"))
                .execute(&mut conn)
                .await?;
        }
        conn.close().await?;
        Ok(())
    }
}

impl RunningCluster {
    /// Stops the cluster (fast shutdown) if this process started it.
    pub async fn stop(self) -> Result<(), EmbeddedPgError> {
        if self.started_here {
            self.cluster.stop_if_running().await?;
        }
        Ok(())
    }
}

/// `pg_ctl` on PATH, else the newest `/usr/lib/postgresql/<v>/bin`.
fn find_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            Some((
                e.file_name().to_str()?.parse::<u32>().ok()?,
                e.path().join("bin"),
            ))
        });
    let mut debian: Vec<_> = debian.collect();
    debian.sort_by_key(|(v, _)| std::cmp::Reverse(*v));
    on_path
        .chain(debian.into_iter().map(|(_, p)| p))
        .find(|d| d.join("pg_ctl").is_file() && d.join("initdb").is_file())
}

/// Unix socket paths are limited to ~107 bytes: a deep data dir gets its
/// socket in a short folder under /tmp named after the data dir.
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let preferred = data_dir.join("run");
    if preferred.as_os_str().len() + ".s.PGSQL.5432".len() < 100 {
        return preferred;
    }
    let hash = data_dir
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
        });
    PathBuf::from(format!("/tmp/opsdeck-pg-{hash:016x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_data_dir_keeps_its_socket_inside() {
        assert_eq!(
            socket_dir_for(Path::new("/var/lib/opsdeck")),
            PathBuf::from("/var/lib/opsdeck/run")
        );
    }

    #[test]
    fn deep_data_dir_gets_a_short_stable_socket_dir() {
        let deep = PathBuf::from(format!("/srv/{}", "x".repeat(120)));
        let a = socket_dir_for(&deep);
        assert!(a.to_string_lossy().starts_with("/tmp/opsdeck-pg-"), "{a:?}");
        assert_eq!(a, socket_dir_for(&deep));
        assert_ne!(a, socket_dir_for(&deep.join("y")));
    }
}
