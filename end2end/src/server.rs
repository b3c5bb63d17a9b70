use crate::{eventually, free_port, opsdeck_bin, target_dir};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// A running `opsdeck` with a fresh data dir and its own embedded
/// PostgreSQL: what the README's run command starts (the release site,
/// served by [`opsdeck_bin`]).
pub struct Server {
    child: Child,
    pub base: String,
    bin: PathBuf,
    data: tempfile::TempDir,
}

impl Server {
    /// Starts the binary and waits until `/ready` answers 200.
    pub async fn start(name: &str) -> Server {
        let bin = opsdeck_bin();
        let site = std::env::var_os("LEPTOS_SITE_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| target_dir().join("site"));
        assert!(
            bin.exists() && has_wasm(&site),
            "{} or its site is missing: run `scripts/build` first (scripts/test does)",
            bin.display()
        );
        // Under /tmp, mode 0755: as root the cluster runs as `postgres`, who must reach it.
        let data = tempfile::Builder::new()
            .prefix("opsdeck-e2e")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = free_port();
        let logs = target_dir().join("e2e");
        std::fs::create_dir_all(&logs).unwrap();
        let log = std::fs::File::create(logs.join(format!("{name}.log"))).unwrap();
        let child = Command::new(&bin)
            .env_remove("DATABASE_URL")
            .env("OPSDECK_ADDR", format!("127.0.0.1:{port}"))
            .env("OPSDECK_DATA_DIR", data.path().join("data"))
            .env("LEPTOS_SITE_ROOT", &site)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            bin,
            data,
        };
        let ready = format!("{}/ready", server.base);
        eventually("opsdeck /ready", Duration::from_secs(90), || async {
            let r = reqwest::get(&ready).await.ok()?;
            r.status().is_success().then_some(())
        })
        .await;
        server
    }

    /// Runs an `opsdeck` subcommand against this server's data dir (it shares
    /// the running embedded cluster), feeding `stdin`; panics on failure.
    pub fn cli(&self, args: &[&str], stdin: &str) -> String {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env_remove("DATABASE_URL")
            .env("OPSDECK_DATA_DIR", self.data.path().join("data"))
            .env("OPSDECK_LOG", "warn");
        let out = testkit::run_with_stdin(cmd, stdin);
        assert!(
            out.status.success(),
            "opsdeck {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Creates a user holding `role` with the CLI, as an operator would
    /// beside the running server.
    pub fn create_user(&self, username: &str, role: &str, password: &str) {
        let args = [
            "user",
            "create",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
        ];
        self.cli(&args, &format!("{password}\n"));
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Whether the site holds the app's wasm (its name carries a content hash
/// in a release build).
fn has_wasm(site: &std::path::Path) -> bool {
    std::fs::read_dir(site.join("pkg")).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".wasm"))
    })
}

impl Drop for Server {
    /// SIGTERM lets Opsdeck stop its embedded cluster; SIGKILL only if it hangs.
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
