//! A real `opsdeck` server process on a test's database: what another
//! process sharing the database, or one that crashes, looks like.

use super::PASSWORD;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A real `opsdeck` server process on the test database.
pub struct Opsdeck {
    child: Child,
    pub base: String,
}

impl Opsdeck {
    pub fn start(database_url: &str, data: &Path, log: &Path) -> Opsdeck {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .env("DATABASE_URL", database_url)
            .env("OPSDECK_ADDR", format!("127.0.0.1:{port}"))
            .env("OPSDECK_DATA_DIR", data)
            .env("DOCKER_HOST", testkit::docker_host())
            .env("OPSDECK_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Opsdeck {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    pub async fn ready(&self) {
        let end = Instant::now() + Duration::from_secs(60);
        while reqwest::get(format!("{}/ready", self.base)).await.is_err() {
            assert!(
                Instant::now() < end,
                "opsdeck at {} never answered",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A browser-like client signed in as `username`.
    pub async fn sign_in(&self, username: &str) -> reqwest::Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let reply = http
            .post(format!("{}/api/login", self.base))
            .header("origin", &self.base)
            .form(&[("username", username), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success(), "login: {}", reply.status());
        http
    }

    pub async fn post(&self, http: &reqwest::Client, path: &str, form: &str) -> String {
        let reply = http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap();
        let status = reply.status();
        let body = reply.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// Sends SIGTERM and waits (up to `limit`) for a clean exit.
    pub fn stop(&mut self, limit: Duration) -> bool {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    pub fn kill_9(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
        let _ = self.child.wait();
    }
}

impl Drop for Opsdeck {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
