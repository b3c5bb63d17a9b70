//! What the supervisor needs to know about a cluster whose postmaster is gone:
//! why it went, who may start it again, and starting it as at start-up.

use super::{is_alive, EmbeddedPgError, EmbeddedPostgres};

/// Who decides whether a stopped cluster starts again.
#[derive(Debug, PartialEq, Eq)]
pub enum Keeper {
    /// This process (it owns the cluster, or its owner is gone).
    Us,
    /// Another live process started it and stops it (a CLI command).
    Other(i32),
    /// An operator stopped it with `opsdeck db stop`.
    Held,
}

impl EmbeddedPostgres {
    /// Whether a postmaster serves this folder now.
    pub fn is_running(&self) -> bool {
        self.running_postmaster().is_some()
    }

    pub fn keeper(&self) -> Keeper {
        if self.hold_file().exists() {
            return Keeper::Held;
        }
        match self.owner_pid() {
            Some(pid) if pid != std::process::id() as i32 && is_alive(pid) => Keeper::Other(pid),
            _ => Keeper::Us,
        }
    }

    /// Whether the owner file names this process.
    pub fn owned_here(&self) -> bool {
        self.owner_pid() == Some(std::process::id() as i32)
    }

    /// Takes over a running cluster whose owner is gone, so that this process
    /// stops it at shutdown and restarts it when it dies.
    pub fn adopt(&self) -> Result<(), EmbeddedPgError> {
        self.claim()
    }

    /// Why the postmaster is gone, from what it left behind: a postmaster
    /// that shuts down removes `postmaster.pid`, a killed one cannot.
    pub fn why_down(&self) -> String {
        if self.pgdata.join("postmaster.pid").exists() {
            return "the postmaster was killed (it left postmaster.pid behind: \
                    kill -9, the OOM killer or a crash)"
                .into();
        }
        match self.last_shutdown_request() {
            Some(line) => format!("the postmaster shut down ({line})"),
            None => "the postmaster shut down".into(),
        }
    }

    /// The last "received … shutdown request" line of `server.log`.
    fn last_shutdown_request(&self) -> Option<String> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = std::fs::File::open(self.pgdata.join("server.log")).ok()?;
        let len = file.metadata().ok()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(16 * 1024)))
            .ok()?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).ok()?;
        let tail = String::from_utf8_lossy(&tail);
        let line = tail
            .lines()
            .rev()
            .find(|l| l.contains("shutdown request"))?;
        let message = line.split_once("LOG:").map_or(line, |(_, m)| m);
        Some(message.trim().to_string())
    }

    /// Starts the cluster again after its postmaster died under a running
    /// Opsdeck. As at start-up, stale lock files are removed, but only once
    /// the old postmaster's processes are gone: two sets of PostgreSQL
    /// processes must never write to one folder.
    pub async fn restart(&self) -> Result<(), EmbeddedPgError> {
        if self.is_running() {
            return Ok(());
        }
        let left = self.leftover_processes();
        if !left.is_empty() {
            return Err(EmbeddedPgError::Setup(format!(
                "{} processes of the old postmaster still run (pids {left:?})",
                left.len()
            )));
        }
        self.remove_stale_lock_files();
        self.pg_ctl_start_once(30).await?;
        self.claim()
    }

    /// PostgreSQL processes working in this cluster's folder (a killed
    /// postmaster's backends notice its death and exit within moments).
    fn leftover_processes(&self) -> Vec<i32> {
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        procs
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"));
                let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"));
                comm.is_ok_and(|c| c.trim() == "postgres")
                    && cwd.is_ok_and(|d| d == self.pgdata)
                    && is_alive(*pid)
            })
            .collect()
    }
}
