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
    block_on_own_thread(async move { remove_matching(&filter, &value).await });
}

/// Runs `cleanup` to its end on a thread with a runtime of its own, so that
/// a `Drop` guard can wait for it even inside a test's (unwinding) runtime.
fn block_on_own_thread(cleanup: impl std::future::Future<Output = ()> + Send + 'static) {
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a cleanup runtime");
        runtime.block_on(cleanup);
    });
    let _ = thread.join();
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

/// The local engine when it is a Swarm manager (`scripts/test` makes it one
/// with `docker swarm init` and leaves the swarm afterwards only if it
/// created it); otherwise `None` after [`unavailable`].
pub async fn swarm_or_skip(test: &str) -> Option<Docker> {
    let docker = docker_or_skip(test).await?;
    let swarm = match docker.info().await {
        Ok(info) => info.swarm.unwrap_or_default(),
        Err(e) => {
            unavailable(test, &format!("docker info failed: {e}"));
            return None;
        }
    };
    let active = swarm.local_node_state == Some(bollard::models::LocalNodeState::ACTIVE);
    if active && swarm.control_available == Some(true) {
        return Some(docker);
    }
    unavailable(
        test,
        "the engine is not a Swarm manager: run `docker swarm init --advertise-addr 127.0.0.1`",
    );
    None
}

/// Removes every Swarm service matching one label (`key=value`), then the
/// containers of their tasks, and the networks named `networks`.
/// Synchronous, for `Drop` guards (see [`remove_containers`]).
pub fn remove_swarm_services(label: &str, networks: &[String]) {
    let (label, networks) = (label.to_string(), networks.to_vec());
    block_on_own_thread(async move {
        let Ok(docker) = Docker::connect_with_host(&docker_host()) else {
            return;
        };
        let filters = std::collections::HashMap::from([("label", vec![label.clone()])]);
        let options = bollard::query_parameters::ListServicesOptionsBuilder::default()
            .filters(&filters)
            .build();
        for s in docker
            .list_services(Some(options))
            .await
            .unwrap_or_default()
        {
            let _ = docker.delete_service(&s.id.unwrap_or_default()).await;
        }
        remove_matching("label", &label).await;
        for n in networks {
            // The engine detaches the tasks' endpoints a moment later.
            for _ in 0..20 {
                match docker.remove_network(&n).await {
                    Ok(()) => break,
                    Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }) => break,
                    Err(_) => {}
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    });
}
