//! Traffic during rollouts, seen the way clients see it: a client container
//! on the environment network asks the service by its DNS name every 100 ms
//! with a 3 s timeout. A healthy rollout drops no request, and a release
//! that fails its health check never answers one.
//!
//! Why 3 s and not 1 s: on Docker 20.10 a replica leaves the alias by a
//! disconnect and reconnect (see `deploy/ssr/network.rs`), and for those few
//! milliseconds its address is off the bridge. A client that resolved the
//! name just before sends its SYN into the gap and gets through on the
//! kernel's first retransmission, one second later, at the same address.
//! Measured: 80 such leaves under a probe with a 1 s timeout stalled 13
//! requests past it; with 3 s, none failed. So a leave costs an unlucky
//! client a 1 s stall, never an error; the 1 s probe counted that stall as
//! a dropped request (one in 55 in a CI run under load).

use crate::support::deploy::*;
use crate::support::probe::{Probe, Tally};
use sqlx::PgPool;
use std::time::Duration;

/// Runs a deployment of `tag` while a probe asks the service by name.
async fn probed_deploy(stage: &mut Stage, tag: &str) -> (i64, Ended, Tally) {
    let network: String =
        sqlx::query_scalar("SELECT network FROM environment WHERE name = 'production'")
            .fetch_one(&stage.pool)
            .await
            .unwrap();
    let probe = Probe::start(&stage.docker, &stage.images[0], &network, "drain").await;
    let (d, ended) = stage.deploy_and_wait(tag).await;
    // A moment after the end: the last retirement is over by then.
    tokio::time::sleep(Duration::from_secs(1)).await;
    (d.deployment, ended, probe.stop().await)
}

#[sqlx::test(migrations = "../migrations")]
async fn rollouts_drop_no_request_and_a_failing_release_answers_none(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "drain", 2, "&drain_s=1").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");

    let (v2, ended, seen) = probed_deploy(&mut stage, "v2").await;
    println!(
        "PROBE healthy v1→v2 rollout, 2 replicas: {} requests, {} failed, {:.1} s, pages {:?}",
        seen.requests, seen.failures, seen.seconds, seen.pages
    );
    let steps = stage.steps(v2).await;
    assert_eq!(ended.0, "succeeded", "{steps}");
    assert!(seen.requests >= 20, "{seen:?}");
    assert_eq!(seen.failures, 0, "{seen:?}\n{steps}");
    assert!(seen.pages.contains_key("hello from v2"), "{seen:?}");
    assert!(
        steps.contains("no longer serves as `drain`; draining for 1 s"),
        "{steps}"
    );

    let (v3, ended, seen) = probed_deploy(&mut stage, "v3").await;
    println!(
        "PROBE failing v3 rollout, 2 replicas: {} requests, {} failed, {:.1} s, pages {:?}",
        seen.requests, seen.failures, seen.seconds, seen.pages
    );
    let steps = stage.steps(v3).await;
    assert_eq!(ended.0, "rolled_back", "{steps}");
    assert!(seen.requests >= 20, "{seen:?}");
    assert!(!seen.pages.contains_key("hello from v3"), "{seen:?}");
    assert_eq!(seen.failures, 0, "{seen:?}\n{steps}");
    assert_eq!(stage.pages().await, vec!["hello from v2"; 2]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_replica_ignoring_sigterm_is_named_on_the_step(pool: PgPool) {
    // busybox httpd as PID 1 has no SIGTERM handler, so only SIGKILL ends it.
    let Some(mut stage) = Stage::new(&pool, "sigterm", 1, "&drain_s=0").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let (d, ended) = stage.deploy_and_wait("v2").await;
    let steps = stage.steps(d.deployment).await;
    assert_eq!(ended.0, "succeeded", "{steps}");
    assert!(
        steps.contains("stopped after the 1 s timeout: the process ignored SIGTERM"),
        "{steps}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_drain_outside_its_range_is_refused_naming_the_field(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "drainform", 1, "").await else {
        return;
    };
    let form = "environment=production&name=other&image=opsdeck-test%2Fdrainform&port=8080\
        &health_kind=http&health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1\
        &health_retries=2&health_start_period_s=0&replicas=1&stop_timeout_s=1&drain_s=301";
    let reply = stage.ada.post_form("/api/save_service", form).await;
    assert_eq!(
        reply.status,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("drain_s"), "{}", reply.body);
    let drain: i32 = sqlx::query_scalar("SELECT drain_s FROM service")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(drain, 3, "the default drain");
}

/// The README's reverse proxy for standalone endpoints
/// (`deploy/reverse-proxy/`), built on the local Debian base that
/// `scripts/base-image` makes, on the environment network with its port
/// published; removed when dropped.
struct ReverseProxy {
    name: String,
    port: u16,
}

impl ReverseProxy {
    /// The proxy for `service` (its name set where the file says `web`:
    /// the test network is shared by every test's services).
    fn start(network: &str, service: &str) -> Option<ReverseProxy> {
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/reverse-proxy");
        let context = tempfile::tempdir().unwrap();
        for file in ["Dockerfile", "nginx.conf"] {
            let text = std::fs::read_to_string(format!("{source}/{file}")).unwrap();
            let text = text.replace("http://web:8080", &format!("http://{service}:8080"));
            std::fs::write(context.path().join(file), text).unwrap();
        }
        let base = "BASE_IMAGE=opsdeck-local/debian:bookworm";
        let built = std::process::Command::new("docker")
            .args([
                "build",
                "-q",
                "--build-arg",
                base,
                "-t",
                "opsdeck-test/reverse-proxy",
            ])
            .arg(context.path())
            .output()
            .expect("docker build");
        if !built.status.success() {
            let why = String::from_utf8_lossy(&built.stderr).to_string();
            testkit::unavailable(
                "reverse_proxy",
                &format!("the proxy image did not build: {why}"),
            );
            return None;
        }
        let name = format!("proxy-{}", std::process::id());
        let run = std::process::Command::new("docker")
            .args([
                "run",
                "-d",
                "--name",
                &name,
                "--network",
                network,
                "-p",
                "127.0.0.1::8080",
            ])
            .arg("opsdeck-test/reverse-proxy")
            .output()
            .expect("docker run");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let port = std::process::Command::new("docker")
            .args(["port", &name, "8080/tcp"])
            .output()
            .expect("docker port");
        let port = String::from_utf8_lossy(&port.stdout);
        let port = port.trim().rsplit(':').next().unwrap().parse().unwrap();
        Some(ReverseProxy { name, port })
    }
}

impl Drop for ReverseProxy {
    fn drop(&mut self) {
        testkit::remove_containers("name", &self.name);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_readmes_reverse_proxy_answers_through_a_rollout_by_the_services_name(pool: PgPool) {
    let Some(mut stage) = Stage::new(&pool, "proxied", 2, "&drain_s=1").await else {
        return;
    };
    assert_eq!(stage.deploy_and_wait("v1").await.1 .0, "succeeded");
    let network: String =
        sqlx::query_scalar("SELECT network FROM environment WHERE name = 'production'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let Some(proxy) = ReverseProxy::start(&network, "proxied") else {
        return;
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let url = format!("http://127.0.0.1:{}/", proxy.port);
    let first = eventually_ok(&http, &url).await;
    assert_eq!(first, "hello from v1");

    // A client through the proxy every 100 ms while v2 rolls out.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let (stop, http, url) = (stop.clone(), http.clone(), url.clone());
        tokio::spawn(async move {
            let mut seen: Vec<Result<String, String>> = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                seen.push(match http.get(&url).send().await {
                    Ok(r) if r.status().is_success() => Ok(r.text().await.unwrap_or_default()),
                    Ok(r) => Err(r.status().to_string()),
                    Err(e) => Err(e.to_string()),
                });
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seen
        })
    };
    let (d, ended) = stage.deploy_and_wait("v2").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = client.await.unwrap();
    let failed: Vec<_> = seen.iter().filter_map(|r| r.as_ref().err()).collect();
    println!(
        "PROBE reverse proxy, v1→v2 rollout, 2 replicas: {} requests, {} failed",
        seen.len(),
        failed.len()
    );
    assert_eq!(ended.0, "succeeded", "{}", stage.steps(d.deployment).await);
    assert!(seen.len() >= 20, "{}", seen.len());
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        seen.last().unwrap().as_deref().map(str::trim),
        Ok("hello from v2")
    );
}

/// The first successful answer at `url` (the proxy takes a moment to start).
async fn eventually_ok(http: &reqwest::Client, url: &str) -> String {
    let mut last = String::new();
    for _ in 0..60 {
        match http.get(url).send().await {
            Ok(r) if r.status().is_success() => return r.text().await.unwrap().trim().to_string(),
            Ok(r) => last = r.status().to_string(),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{url} never answered: {last}");
}
