//! Suspected causes: deployments an incident is linked to, and the recent
//! changes a commander chooses one from when declaring.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A deployment (deploy, rollback, scale, restart) of a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub deployment: i64,
    /// `environment/name`.
    pub service: String,
    pub kind: String,
    pub release: Option<i32>,
    pub started_at: DateTime<Utc>,
}

impl Change {
    /// `rollback of production/web to release #3 (deployment #12)`.
    pub fn describe(&self) -> String {
        let release = self
            .release
            .map(|r| format!(" to release #{r}"))
            .unwrap_or_default();
        format!(
            "{} of {}{release} (deployment #{})",
            self.kind, self.service, self.deployment
        )
    }
}

/// A deployment an incident names as its suspected cause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuspectedCause {
    pub change: Change,
    pub linked_by: String,
    pub linked_at: DateTime<Utc>,
}

/// A recent change as the declare form offers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecentChange {
    pub change: Change,
    pub state: String,
    pub actor: String,
}
