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

/// Force-removes every container matching one engine filter, e.g.
/// `("label", "opsdeck.installation=…")` or `("name", "production-web-r")`.
/// Synchronous, for `Drop` guards: it runs on a thread with a runtime of its
/// own, so it works even while a test's runtime unwinds from a panic.
pub fn remove_containers(filter: &str, value: &str) {
    let (filter, value) = (filter.to_string(), value.to_string());
    let cleanup = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a cleanup runtime");
        runtime.block_on(remove_matching(&filter, &value));
    });
    let _ = cleanup.join();
}

async fn remove_matching(filter: &str, value: &str) {
    use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
    let Ok(docker) = Docker::connect_with_host(&docker_host()) else {
        return;
    };
    let filters = std::collections::HashMap::from([(filter, vec![value.to_string()])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    for c in docker
        .list_containers(Some(options))
        .await
        .unwrap_or_default()
    {
        let rm = RemoveContainerOptionsBuilder::default().force(true).build();
        let _ = docker
            .remove_container(&c.id.unwrap_or_default(), Some(rm))
            .await;
    }
}
