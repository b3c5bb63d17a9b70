//! The server keeps its embedded PostgreSQL up. Real processes throughout: the
//! `opsdeck` binary on a cluster of its own, stopped with `pg_ctl` or killed
//! with SIGKILL behind its back as an operator or the OOM killer would.

use crate::support::{create_user, dead_docker_host, PASSWORD};
use app::auth::Role;
use opsdeck_server::embedded_pg::EmbeddedPostgres;
use reqwest::StatusCode;
use sqlx::PgPool;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// An `opsdeck` server without `DATABASE_URL`, in a folder of its own.
struct Panel {
    child: Child,
    base: String,
    data: PathBuf,
    cluster: EmbeddedPostgres,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Panel {
    async fn start() -> Panel {
        // Under /tmp with mode 0755: as root, the cluster runs as `postgres`.
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-pg-sup")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let data = dir.path().join("data");
        let log = dir.path().join("opsdeck.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .env_remove("DATABASE_URL")
            .env("OPSDECK_ADDR", format!("127.0.0.1:{port}"))
            .env("OPSDECK_DATA_DIR", &data)
            .env("DOCKER_HOST", dead_docker_host())
            .env("OPSDECK_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let panel = Panel {
            child,
            base: format!("http://127.0.0.1:{port}"),
            cluster: EmbeddedPostgres::locate(&data).unwrap(),
            data,
            log,
            _dir: dir,
        };
        panel
            .wait_ready(StatusCode::OK, Duration::from_secs(90))
            .await;
        panel
    }

    async fn ready_status(&self) -> Option<StatusCode> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let reply = http.get(format!("{}/ready", self.base)).send().await;
        reply.ok().map(|r| r.status())
    }

    /// Waits until `/ready` answers `status`.
    async fn wait_ready(&self, status: StatusCode, limit: Duration) {
        let start = Instant::now();
        while self.ready_status().await != Some(status) {
            assert!(
                start.elapsed() < limit,
                "/ready did not answer {status} within {limit:?}; log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A pool of the test's own on the panel's database.
    async fn db(&self) -> PgPool {
        PgPool::connect_with(self.cluster.connect_options())
            .await
            .unwrap()
    }

    /// A browser-like client signed in as a new admin.
    async fn signed_in_admin(&self) -> reqwest::Client {
        let db = self.db().await;
        create_user(&db, "ada", &[Role::Admin]).await;
        db.close().await;
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let reply = http
            .post(format!("{}/api/login", self.base))
            .header("origin", &self.base)
            .form(&[("username", "ada"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success(), "login: {}", reply.status());
        http
    }

    /// Many requests at once, so that the panel's pool holds (or opens)
    /// several connections: every one must succeed. Returns the audit page.
    async fn assert_serving(&self, http: &reqwest::Client) -> String {
        let mut requests = tokio::task::JoinSet::new();
        for i in 0..24 {
            let path = if i % 2 == 0 {
                "/health"
            } else {
                "/admin/audit"
            };
            let request = http.get(format!("{}{path}", self.base)).send();
            requests.spawn(async move {
                let reply = request.await.map_err(|e| format!("{path}: {e}"))?;
                let status = reply.status();
                let body = reply.text().await.unwrap_or_default();
                match status {
                    StatusCode::OK => Ok(body),
                    _ => Err(format!("{path}: {status} {body}")),
                }
            });
        }
        let mut page = String::new();
        while let Some(result) = requests.join_next().await {
            let body = result.unwrap().unwrap_or_else(|e| panic!("{e}"));
            if body.contains("Audit log") {
                page = body;
            }
        }
        assert!(page.contains("ada"), "the audit page is a signed-in page");
        page
    }

    /// Runs a PostgreSQL program as the cluster's owner, as an operator would.
    fn run_as_cluster_owner(&self, program: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(self.cluster.bin_dir().join(program));
        cmd.arg("-D").arg(self.cluster.pgdata()).args(args);
        if nix::unistd::Uid::effective().is_root() {
            let owner = std::fs::metadata(self.cluster.pgdata()).unwrap();
            cmd.uid(owner.uid()).gid(owner.gid());
        }
        cmd.output().unwrap()
    }

    /// `opsdeck <args>` on the panel's data folder, as a second process.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(args)
            .env_remove("DATABASE_URL")
            .env("OPSDECK_DATA_DIR", &self.data)
            .env("OPSDECK_LOG", "warn")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "opsdeck {args:?}: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// SIGTERM; asserts a clean exit within 30 s.
    fn stop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "opsdeck exited with {status}");
                return;
            }
            assert!(Instant::now() < end, "opsdeck did not stop within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Panel {
    /// On failure too: no server and no postmaster outlive the test.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.cluster.is_running() {
            self.run_as_cluster_owner("pg_ctl", &["-m", "immediate", "-w", "stop"]);
        }
    }
}

/// `database.restart` events (actor, details), once there is one: the
/// panel writes it just after the database is back.
async fn restart_events(panel: &Panel) -> Vec<(String, serde_json::Value)> {
    let db = panel.db().await;
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let events: Vec<(String, serde_json::Value)> = sqlx::query_as(
            "SELECT actor, details FROM audit_event WHERE action = 'database.restart' ORDER BY id",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        if !events.is_empty() || Instant::now() > end {
            db.close().await;
            return events;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The panel notices the outage that `began` with the end of `old_pid`,
/// restarts the cluster, serves every request afterwards and audits the
/// restart as `system` with `reason`.
async fn recovers_from_outage(
    panel: &Panel,
    http: &reqwest::Client,
    (began, old_pid): (Instant, i32),
    reason: &str,
) {
    // /ready says 503 while the cluster is down; a restart can be quicker
    // than one poll, so a new postmaster counts as having seen the outage.
    let noticed = Instant::now();
    while panel.ready_status().await != Some(StatusCode::SERVICE_UNAVAILABLE)
        && panel.cluster.postmaster_pid().is_none_or(|p| p == old_pid)
    {
        assert!(
            noticed.elapsed() < Duration::from_secs(10),
            "neither 503 nor a new postmaster within 10 s; log:\n{}",
            panel.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panel
        .wait_ready(StatusCode::OK, Duration::from_secs(30))
        .await;
    let took = began.elapsed().as_secs_f64();
    let new_pid = panel.cluster.postmaster_pid().unwrap();
    assert_ne!(new_pid, old_pid, "a new postmaster serves the cluster");
    let events = restart_events(panel).await;
    let page = panel.assert_serving(http).await;
    assert!(
        page.contains("database.restart"),
        "the audit page shows the restart"
    );

    assert_eq!(events.len(), 1, "one restart, audited once: {events:?}");
    let (actor, details) = &events[0];
    assert_eq!(actor, "system");
    assert_eq!(details["restarted_by"], "opsdeck");
    assert!(
        details["reason"].as_str().unwrap().contains(reason),
        "{details}"
    );
    let down = details["down_seconds"].as_f64().unwrap();
    assert!(
        0.0 < down && down <= took + 0.1,
        "{down} s down, back in {took} s"
    );
    let log = panel.log_text();
    assert!(log.contains("the embedded PostgreSQL stopped"), "{log}");
    assert!(
        log.contains("the embedded PostgreSQL is back after"),
        "{log}"
    );
}

/// After a clean shutdown, no postmaster runs: none was started behind it.
async fn shutdown_stops_the_cluster_for_good(panel: &mut Panel) {
    panel.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !panel.cluster.is_running(),
        "the cluster was restarted during shutdown"
    );
}

#[tokio::test]
async fn a_cluster_stopped_behind_the_panels_back_is_restarted_and_audited() {
    let mut panel = Panel::start().await;
    let http = panel.signed_in_admin().await;
    panel.assert_serving(&http).await;
    let old_pid = panel.cluster.postmaster_pid().unwrap();

    let began = Instant::now();
    let out = panel.run_as_cluster_owner("pg_ctl", &["-m", "immediate", "-w", "stop"]);
    assert!(out.status.success(), "pg_ctl stop: {out:?}");
    recovers_from_outage(
        &panel,
        &http,
        (began, old_pid),
        "immediate shutdown request",
    )
    .await;
    shutdown_stops_the_cluster_for_good(&mut panel).await;
}

#[tokio::test]
async fn a_killed_postmaster_is_restarted_past_its_stale_pid_file() {
    let mut panel = Panel::start().await;
    let http = panel.signed_in_admin().await;
    panel.assert_serving(&http).await;
    let old_pid = panel.cluster.postmaster_pid().unwrap();

    let began = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(old_pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    recovers_from_outage(&panel, &http, (began, old_pid), "killed").await;
    shutdown_stops_the_cluster_for_good(&mut panel).await;
}

#[tokio::test]
async fn a_cluster_stopped_with_opsdeck_db_stop_stays_stopped_until_db_start() {
    let mut panel = Panel::start().await;
    assert_eq!(panel.cli(&["db", "stop"]).trim(), "stopped");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!panel.cluster.is_running(), "the panel fought `db stop`");
    assert_eq!(
        panel.ready_status().await,
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
    assert!(panel.log_text().contains("leaving it stopped"));

    assert!(panel.cli(&["db", "start"]).starts_with("postgres://"));
    panel
        .wait_ready(StatusCode::OK, Duration::from_secs(10))
        .await;
    let events = restart_events(&panel).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].1["restarted_by"], "another process");
    // The CLI has exited: the panel owns the cluster again, and stops it.
    let owner = panel.cluster.pgdata().join("opsdeck.owner");
    let server = panel.child.id().to_string();
    let end = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(&owner).unwrap_or_default().trim() != server {
        assert!(Instant::now() < end, "the panel did not adopt the cluster");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown_stops_the_cluster_for_good(&mut panel).await;
}
