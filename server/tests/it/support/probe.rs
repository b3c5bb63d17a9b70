//! A client container asking a service by its DNS name on the environment
//! network every 100 ms (see `deploy_drain.rs` for why a 3 s timeout).

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, LogsOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A busybox client requesting `http://<host>:8080/` in a loop, printing
/// `ok <page>` or `fail` per request.
pub struct Probe {
    docker: Docker,
    name: String,
    began: Instant,
}

/// What a probe saw: requests, failures, and how often each page answered.
#[derive(Debug)]
pub struct Tally {
    pub requests: usize,
    pub failures: usize,
    pub pages: BTreeMap<String, usize>,
    pub seconds: f64,
}

impl Probe {
    /// Starts the client on `network` (from `image`, a test image holding
    /// busybox) and returns once it got a first answer.
    pub async fn start(docker: &Docker, image: &str, network: &str, host: &str) -> Probe {
        let name = format!("probe-{}", uuid_like());
        let script = format!(
            "while true; do \
               if r=$(busybox timeout 3 busybox wget -q -O - http://{host}:8080/ 2>/dev/null); \
               then echo \"ok $r\"; else echo fail; fi; busybox sleep 0.1; done"
        );
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            entrypoint: Some(vec!["/bin/busybox".into()]),
            cmd: Some(vec!["sh".into(), "-c".into(), script]),
            host_config: Some(HostConfig {
                network_mode: Some(network.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        let docker = docker.clone();
        docker.create_container(Some(options), body).await.unwrap();
        docker.start_container(&name, None).await.unwrap();
        let probe = Probe {
            docker,
            name,
            began: Instant::now(),
        };
        // Start counting once the client answers at all.
        let end = Instant::now() + Duration::from_secs(20);
        while probe.lines().await.iter().all(|l| !l.starts_with("ok")) {
            assert!(Instant::now() < end, "the probe never got an answer");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        probe
    }

    async fn lines(&self) -> Vec<String> {
        let options = LogsOptionsBuilder::default().stdout(true).build();
        let mut out = String::new();
        let mut logs = self.docker.logs(&self.name, Some(options));
        while let Some(Ok(chunk)) = logs.next().await {
            out.push_str(&chunk.to_string());
        }
        out.lines().map(|l| l.trim().to_string()).collect()
    }

    pub async fn stop(self) -> Tally {
        let lines = self.lines().await;
        let seconds = self.began.elapsed().as_secs_f64();
        testkit::remove_containers("name", &self.name);
        let mut pages = BTreeMap::new();
        let mut failures = 0;
        for line in &lines {
            match line.strip_prefix("ok ") {
                Some(page) => *pages.entry(page.to_string()).or_insert(0) += 1,
                None => failures += 1,
            }
        }
        Tally {
            requests: lines.len(),
            failures,
            pages,
            seconds,
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        testkit::remove_containers("name", &self.name);
    }
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}-{}", nanos, std::process::id())
}
