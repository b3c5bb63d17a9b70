//! What the deploy pages show of the engines (healthy replicas, local tags),
//! looked up at most once per `ENGINE_LOOK_PERIOD` per service and shared by
//! every page view meanwhile; see `crate::recent`.

use super::engine::Listed;
use crate::recent::Recent;
use std::sync::Arc;
use std::time::Duration;

/// How old an engine fact on a page may be. Pages that follow a service
/// reload when its deployments change, and those changes make new keys.
pub const ENGINE_LOOK_PERIOD: Duration = Duration::from_secs(2);

/// How old the container listing a count is made from may be.
pub const LISTING_PERIOD: Duration = Duration::from_secs(1);

/// Service, live release, and its last deployment (id, ended?).
pub type HealthKey = (i64, i64, Option<(i64, bool)>);

#[derive(Clone)]
pub struct EngineLooks {
    pub healthy: Recent<HealthKey, Option<i32>>,
    /// One container listing per endpoint (by its URL, `None` the local
    /// engine, and whether it is a Swarm endpoint: then a task listing),
    /// shared by every service counted from it. Fresh only: the counts
    /// built from it may themselves be a little old.
    pub listings: Recent<(Option<String>, bool), Option<Arc<Vec<Listed>>>>,
    /// Service and image repository.
    pub tags: Recent<(i64, String), Vec<String>>,
}

impl Default for EngineLooks {
    fn default() -> Self {
        EngineLooks {
            healthy: Recent::new(ENGINE_LOOK_PERIOD),
            listings: Recent::fresh_only(LISTING_PERIOD),
            tags: Recent::new(ENGINE_LOOK_PERIOD),
        }
    }
}
