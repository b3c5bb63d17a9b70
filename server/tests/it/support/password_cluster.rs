//! A throwaway PostgreSQL cluster that demands passwords, for the tests
//! of failures a trusting cluster cannot produce.

/// A throwaway PostgreSQL cluster on a loopback port that demands a
/// password (scram-sha-256), for wrong-password tests; stopped on drop.
pub struct PasswordCluster {
    pub port: u16,
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    owner: Option<(u32, u32)>,
}

impl PasswordCluster {
    /// `initdb --auth=scram-sha-256` with superuser `owner` / `password`,
    /// then `pg_ctl start` (as `postgres` when the tests run as root).
    pub fn start(password: &str) -> PasswordCluster {
        let bin = server_bin_dir();
        let owner = nix::unistd::Uid::effective().is_root().then(|| {
            let u = nix::unistd::User::from_name("postgres")
                .unwrap()
                .expect("a postgres user");
            (u.uid.as_raw(), u.gid.as_raw())
        });
        let (dir, pwfile) = folder_with_password_file(password, owner);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = PasswordCluster {
            port,
            dir,
            bin,
            owner,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "owner",
                "--auth=scram-sha-256",
                "--pwfile",
                pwfile.to_str().unwrap(),
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ],
        );
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {}",
            cluster.dir.path().display()
        );
        let log = format!("{data}/server.log");
        cluster.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-w", "-o", &opts, "start"],
        );
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    fn run(&self, program: &str, args: &[&str]) {
        use std::os::unix::process::CommandExt;
        let mut cmd = std::process::Command::new(self.bin.join(program));
        cmd.args(args).env("LC_ALL", "C").current_dir("/tmp");
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The URL of database `postgres` as `owner` with `password`.
    pub fn url(&self, password: &str) -> String {
        format!(
            "postgres://owner:{password}@127.0.0.1:{}/postgres",
            self.port
        )
    }
}

impl Drop for PasswordCluster {
    fn drop(&mut self) {
        let data = self.data();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

/// A folder the cluster's owner may use, holding the password file.
fn folder_with_password_file(
    password: &str,
    owner: Option<(u32, u32)>,
) -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-pwpg")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let pwfile = dir.path().join("pw");
    std::fs::write(&pwfile, format!("{password}\n")).unwrap();
    if let Some((uid, gid)) = owner {
        for p in [dir.path(), pwfile.as_path()] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
        }
    }
    (dir, pwfile)
}

/// The newest `/usr/lib/postgresql/<v>/bin` (server programs).
fn server_bin_dir() -> std::path::PathBuf {
    let mut dirs: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql")
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    dirs.sort();
    dirs.pop()
        .expect("a PostgreSQL version under /usr/lib/postgresql")
        .1
}
