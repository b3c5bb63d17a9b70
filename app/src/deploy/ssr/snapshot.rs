//! A release's configuration snapshot: everything a replica needs besides
//! the image, frozen when the release is recorded so that a rollback runs
//! what ran then. Secrets stay sealed inside it.

use crate::secrets::SecretBox;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `http` (Opsdeck probes the path) or `command` (the engine runs it).
    pub kind: String,
    pub check: String,
    pub interval_s: i32,
    pub timeout_s: i32,
    pub retries: i32,
    pub start_period_s: i32,
}

/// Resource limits set on each container. Releases recorded before limits
/// existed read as the defaults: no memory or CPU limit, the default pids limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    pub memory_mb: Option<i32>,
    pub cpu_millis: Option<i32>,
    pub pids: i32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mb: None,
            cpu_millis: None,
            pids: crate::deploy::DEFAULT_PIDS_LIMIT,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub image: String,
    pub port: i32,
    pub health: Health,
    pub stop_timeout_s: i32,
    pub env: BTreeMap<String, String>,
    /// Sealed values, base64.
    pub secrets: BTreeMap<String, String>,
    #[serde(default)]
    pub limits: Limits,
}

impl Snapshot {
    pub fn seal_b64(sealed: &[u8]) -> String {
        B64.encode(sealed)
    }

    pub fn unseal(b64: &str, secrets: &SecretBox) -> Option<SecretString> {
        secrets.open(&B64.decode(b64).ok()?)
    }

    /// The most time a replica may take to become healthy: the start period
    /// plus every allowed failure, each a full interval and timeout.
    pub fn health_budget(&self) -> std::time::Duration {
        let h = &self.health;
        let secs = h.start_period_s + (h.retries + 1) * (h.interval_s + h.timeout_s) + 5;
        std::time::Duration::from_secs(secs as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_budget_covers_start_period_and_every_retry() {
        let s = Snapshot {
            image: "web".into(),
            port: 8080,
            health: Health {
                kind: "http".into(),
                check: "/healthz".into(),
                interval_s: 2,
                timeout_s: 1,
                retries: 3,
                start_period_s: 10,
            },
            stop_timeout_s: 10,
            env: BTreeMap::new(),
            secrets: BTreeMap::new(),
            limits: Limits::default(),
        };
        assert_eq!(s.health_budget().as_secs(), 10 + 4 * 3 + 5);
    }

    #[test]
    fn a_release_recorded_before_limits_runs_with_the_default_pids_limit() {
        let old = r#"{"image":"web","port":80,"health":{"kind":"http","check":"/","interval_s":1,
            "timeout_s":1,"retries":1,"start_period_s":0},"stop_timeout_s":1,"env":{},"secrets":{}}"#;
        let s: Snapshot = serde_json::from_str(old).unwrap();
        assert_eq!(s.limits.pids, crate::deploy::DEFAULT_PIDS_LIMIT);
        assert_eq!((s.limits.memory_mb, s.limits.cpu_millis), (None, None));
    }
}
