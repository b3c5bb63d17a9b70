//! The one shared Docker engine client (server only).
//!
//! The client is built lazily from `DOCKER_HOST` and rebuilt after a failure,
//! so Opsdeck starts and keeps serving pages while the engine is down and
//! reconnects by itself when it comes back. A monitor task probes the engine
//! periodically; pages read that cached probe instead of waiting on Docker.

use crate::system::Probe;
use crate::AppError;
use bollard::Docker;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How long a probe or a quick engine call may take before the engine is called unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The files of a TLS connection with a client certificate, as `docker
/// --tlsverify` uses them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TlsFiles {
    pub ca: std::path::PathBuf,
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// Clients of remote endpoints' engines, one per address and TLS files,
/// shared by all requests so that connections are reused.
#[derive(Clone, Default)]
pub struct EngineClients {
    clients: Arc<Mutex<Clients>>,
}

type Clients = HashMap<(String, Option<TlsFiles>), DockerHandle>;

impl EngineClients {
    /// The client of the engine at `url`, made on first use.
    pub fn get(&self, url: &str, tls: Option<TlsFiles>) -> DockerHandle {
        let mut map = self.clients.lock().expect("endpoint clients");
        map.entry((url.to_string(), tls.clone()))
            .or_insert_with(|| DockerHandle::with_tls(url, tls))
            .clone()
    }
}

/// A cloneable handle to the engine at one `DOCKER_HOST`.
#[derive(Clone)]
pub struct DockerHandle {
    inner: Arc<Inner>,
}

struct Inner {
    host: String,
    tls: Option<TlsFiles>,
    client: RwLock<Option<Docker>>,
    last_probe: RwLock<Probe>,
}

impl DockerHandle {
    /// A handle for `host` (`unix://…`, `tcp://…` or `http://…`); connects on first use.
    pub fn new(host: impl Into<String>) -> Self {
        Self::with_tls(host, None)
    }

    /// A handle for `tcp://host:port` over TLS when `tls` is given.
    pub fn with_tls(host: impl Into<String>, tls: Option<TlsFiles>) -> Self {
        let host = host.into();
        let last_probe = Probe::down(format!("Docker engine at {host} not checked yet"));
        DockerHandle {
            inner: Arc::new(Inner {
                host,
                tls,
                client: RwLock::new(None),
                last_probe: RwLock::new(last_probe),
            }),
        }
    }

    /// The `DOCKER_HOST` this handle talks to.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// A connected client, building one if there is none yet.
    pub fn client(&self) -> Result<Docker, AppError> {
        if let Some(c) = self
            .inner
            .client
            .read()
            .expect("docker client lock")
            .as_ref()
        {
            return Ok(c.clone());
        }
        let client = match &self.inner.tls {
            None => Docker::connect_with_host(&self.inner.host),
            Some(tls) => Docker::connect_with_ssl(
                &self.inner.host,
                &tls.key,
                &tls.cert,
                &tls.ca,
                120,
                bollard::API_DEFAULT_VERSION,
            ),
        }
        .map_err(|e| self.unreachable(e))?
        .with_timeout(Duration::from_secs(120));
        *self.inner.client.write().expect("docker client lock") = Some(client.clone());
        Ok(client)
    }

    /// Turns a connection-level failure into a clear error and drops the client,
    /// so that the next call reconnects.
    pub fn unreachable(&self, err: impl std::fmt::Display) -> AppError {
        self.inner
            .client
            .write()
            .expect("docker client lock")
            .take();
        AppError::Unavailable(format!(
            "Docker engine at {} is unreachable ({err}): start the engine or set DOCKER_HOST",
            self.inner.host
        ))
    }

    /// Asks the engine for its version now, and remembers the answer.
    pub async fn probe(&self) -> Probe {
        let probe = match self.client() {
            Err(e) => Probe::down(e.to_string()),
            Ok(client) => match tokio::time::timeout(PROBE_TIMEOUT, client.version()).await {
                Ok(Ok(v)) => Probe::up(format!(
                    "Docker {} (API {})",
                    v.version.unwrap_or_default(),
                    v.api_version.unwrap_or_default()
                )),
                Ok(Err(e)) => Probe::down(self.unreachable(e).to_string()),
                Err(_) => Probe::down(self.unreachable("no answer within 3 s").to_string()),
            },
        };
        *self.inner.last_probe.write().expect("docker probe lock") = probe.clone();
        probe
    }

    /// The most recent probe, without touching the engine.
    pub fn last_probe(&self) -> Probe {
        self.inner
            .last_probe
            .read()
            .expect("docker probe lock")
            .clone()
    }

    /// Probes the engine every `every` in the background, logging each change of state.
    pub fn spawn_monitor(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let handle = self.clone();
        tokio::spawn(async move {
            let mut was_ok = None;
            loop {
                let probe = handle.probe().await;
                if was_ok != Some(probe.ok) {
                    if probe.ok {
                        tracing::info!(host = %handle.host(), detail = %probe.detail, "docker engine reachable");
                    } else {
                        tracing::warn!(host = %handle.host(), detail = %probe.detail, "docker engine unreachable");
                    }
                    was_ok = Some(probe.ok);
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}
