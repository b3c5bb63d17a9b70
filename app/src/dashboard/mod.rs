//! `/`: the managers' dashboard — what runs where, open incidents, backup
//! freshness against each RPO, and DORA figures computed from Opsdeck's own
//! records (see `dora.rs` for the exact definitions), with the records
//! behind each figure one click away.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
mod charts;
mod dashboard_page;
#[cfg(feature = "ssr")]
mod dora;
#[cfg(feature = "ssr")]
mod ssr;

pub use dashboard_page::DashboardPage;

/// Where a figure falls among the DORA 2024 performance clusters
/// (Accelerate State of DevOps Report 2024).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Elite => "elite",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }
}

/// The periods the dashboard offers, in days.
pub const PERIODS: [u32; 3] = [7, 30, 90];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub days: u32,
    /// `""` (everything), an environment, or `environment/name`.
    pub scope: String,
    /// What the scope may be: each environment, then each service.
    pub scopes: Vec<String>,
    pub services: Vec<crate::deploy::ServiceSummary>,
    pub open_incidents: Vec<crate::incident::IncidentSummary>,
    /// MTTA and MTTR per severity over 30 and 90 days (all incidents).
    pub incident_measures: Vec<crate::incident::measures::Measure>,
    pub backups: Vec<BackupFreshness>,
    pub dora: Dora,
    pub weeks: Vec<WeekBar>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackupFreshness {
    pub target: String,
    pub rpo_hours: i32,
    pub last_good_at: Option<DateTime<Utc>>,
    /// Age of the newest good backup ÷ RPO; `None` without one.
    pub age_ratio: Option<f64>,
    pub last_test_restore_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dora {
    pub deployments: usize,
    pub services: usize,
    pub per_service_per_day: f64,
    pub frequency_band: Band,
    pub change_failure_rate: Option<f64>,
    pub failure_band: Option<Band>,
    pub failed: Vec<FailedDeployment>,
    pub recovery_median_secs: Option<i64>,
    pub recovery_p90_secs: Option<i64>,
    pub recovery_band: Option<Band>,
    /// How soon a person's rollback makes a deployment failed.
    pub rollback_window_hours: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedDeployment {
    pub deployment: i64,
    pub service: String,
    /// Why it counts as failed, for people.
    pub why: String,
    /// The deployment that undid it, when a person rolled it back.
    pub undone_by: Option<i64>,
    pub recovery_secs: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeekBar {
    pub monday: NaiveDate,
    pub deployments: usize,
    pub failed: usize,
}
