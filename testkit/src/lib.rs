//! Test helpers shared by Opsdeck's integration and browser tests.
//!
//! Everything here talks to real services. When a service is missing, a test
//! may skip with one visible line locally; under CI (`CI=true`) a missing
//! service fails the test instead, so a green CI always exercised it.

pub mod images;

use bollard::Docker;

/// Whether we run under CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Fails under CI; locally prints one `SKIPPED` line so the gap is visible.
pub fn unavailable(test: &str, what: &str) {
    if in_ci() {
        panic!("{test}: {what} (required under CI=true)");
    }
    eprintln!("SKIPPED {test}: {what}");
}

/// The local Docker engine, or `None` (after [`unavailable`]) when it does not answer.
pub async fn docker_or_skip(test: &str) -> Option<Docker> {
    let host = docker_host();
    let docker = match Docker::connect_with_host(&host) {
        Ok(d) => d,
        Err(e) => {
            unavailable(test, &format!("no Docker engine at {host}: {e}"));
            return None;
        }
    };
    match docker.ping().await {
        Ok(_) => Some(docker),
        Err(e) => {
            unavailable(
                test,
                &format!("Docker engine at {host} does not answer: {e}"),
            );
            None
        }
    }
}

/// `DOCKER_HOST`, or the local socket.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// Runs `cmd` with `stdin` fed to it and all output captured.
pub fn run_with_stdin(mut cmd: std::process::Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}
