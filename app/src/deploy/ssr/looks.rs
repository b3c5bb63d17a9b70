//! What the deploy pages show of the engines (healthy replicas, local tags),
//! looked up at most once per `ENGINE_LOOK_PERIOD` per service and shared by
//! every page view meanwhile; see `crate::recent`.

use crate::recent::Recent;
use std::time::Duration;

/// How old an engine fact on a page may be. Pages that follow a service
/// reload when its deployments change, and those changes make new keys.
pub const ENGINE_LOOK_PERIOD: Duration = Duration::from_secs(2);

/// Service, live release, and its last deployment (id, ended?).
pub type HealthKey = (i64, i64, Option<(i64, bool)>);

#[derive(Clone)]
pub struct EngineLooks {
    pub healthy: Recent<HealthKey, Option<i32>>,
    /// Service and image repository.
    pub tags: Recent<(i64, String), Vec<String>>,
}

impl Default for EngineLooks {
    fn default() -> Self {
        EngineLooks {
            healthy: Recent::new(ENGINE_LOOK_PERIOD),
            tags: Recent::new(ENGINE_LOOK_PERIOD),
        }
    }
}
