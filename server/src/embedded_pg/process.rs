//! Running PostgreSQL's programs as the unprivileged cluster owner.

use super::EmbeddedPgError;
use nix::unistd::{Gid, Uid, User};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The account the cluster runs as when Opsdeck itself is root.
#[derive(Debug, Clone)]
pub struct ClusterUser {
    pub name: String,
    pub uid: Uid,
    pub gid: Gid,
}

impl ClusterUser {
    /// `None` when Opsdeck is not root (the cluster runs as the current user).
    pub fn for_current_process() -> Result<Option<Self>, String> {
        if !Uid::effective().is_root() {
            return Ok(None);
        }
        for name in ["postgres", "nobody"] {
            if let Ok(Some(u)) = User::from_name(name) {
                return Ok(Some(ClusterUser {
                    name: u.name,
                    uid: u.uid,
                    gid: u.gid,
                }));
            }
        }
        Err("Opsdeck runs as root and PostgreSQL refuses root, but neither a `postgres` nor a `nobody` user exists: create one or set DATABASE_URL".into())
    }

    /// Every folder above the cluster must be searchable by the cluster user.
    pub fn check_can_reach(&self, dir: &Path) -> Result<(), String> {
        let status = std::process::Command::new("/bin/sh")
            .args(["-c", "test -w \"$1\"", "sh"])
            .arg(dir)
            .uid(self.uid.as_raw())
            .gid(self.gid.as_raw())
            .status()
            .map_err(|e| format!("cannot run /bin/sh: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "Opsdeck runs as root, so PostgreSQL runs as `{}`, which cannot reach {}: \
                 set OPSDECK_DATA_DIR to a folder whose parents it can search (e.g. /var/lib/opsdeck)",
                self.name,
                dir.display()
            ))
        }
    }
}

use std::os::unix::process::CommandExt;

/// Creates `dir` (mode 0700), owned by the cluster user when there is one.
pub fn create_private_dir(dir: &Path, user: Option<&ClusterUser>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot set the mode of {}: {e}", dir.display()))?;
    chown(dir, user)
}

/// Writes `text` to `path` and gives the file to the cluster user.
pub fn write_owned(path: &Path, text: &str, user: Option<&ClusterUser>) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    chown(path, user)
}

fn chown(path: &Path, user: Option<&ClusterUser>) -> Result<(), String> {
    let Some(u) = user else { return Ok(()) };
    nix::unistd::chown(path, Some(u.uid), Some(u.gid))
        .map_err(|e| format!("cannot chown {}: {e}", path.display()))
}

/// Runs a PostgreSQL program to completion, as the cluster user when there is one.
///
/// It runs in its own process group, so a Ctrl-C in Opsdeck's terminal reaches
/// Opsdeck (which then stops the cluster in order) and not the postmaster.
pub async fn run_as_cluster_user(
    program: &Path,
    args: &[&str],
    user: Option<&ClusterUser>,
) -> Result<(), EmbeddedPgError> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .process_group(0)
        .env_remove("PGDATA")
        .env("LC_ALL", "C");
    if let Some(u) = user {
        cmd.uid(u.uid.as_raw()).gid(u.gid.as_raw());
    }
    let command = format!("{} {}", program.display(), args.join(" "));
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| EmbeddedPgError::Command {
            command: command.clone(),
            output: e.to_string(),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Err(EmbeddedPgError::Command {
        command,
        output: output.trim().to_string(),
    })
}

/// Whether a process with this pid exists (EPERM still means it exists).
pub fn is_alive(pid: i32) -> bool {
    use nix::errno::Errno;
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) | Err(Errno::EPERM) => !is_zombie(pid),
        Err(_) => false,
    }
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .map(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}
