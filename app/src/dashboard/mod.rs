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
mod records_page;
#[cfg(feature = "ssr")]
pub(crate) mod ssr;

pub use dashboard_page::DashboardPage;
pub use records_page::RecordsPage;

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
/// How soon after going live a person's rollback makes a deployment failed,
/// in hours, unless the reader picks another window (1 hour to 30 days).
pub const DEFAULT_WINDOW_HOURS: u32 = 24;
pub const MAX_WINDOW_HOURS: u32 = 720;
/// Failed deployments listed on the dashboard itself; the records page
/// lists the rest.
pub const FAILED_SHOWN: usize = 10;
/// Rows the records page shows at most, newest first.
pub const RECORDS_SHOWN: usize = 1000;

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
    /// Time to resolve of the incidents resolved each week (all services).
    pub mttr_weeks: Vec<MttrWeek>,
}

/// The median time to resolve of the incidents resolved in one week.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MttrWeek {
    pub monday: NaiveDate,
    pub resolved: usize,
    pub median_secs: Option<i64>,
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
    /// How many failed; `failed` holds the newest few of them.
    pub failed_total: usize,
    pub failed: Vec<FailedDeployment>,
    pub recovery_median_secs: Option<i64>,
    pub recovery_p90_secs: Option<i64>,
    pub recovery_band: Option<Band>,
    /// How soon a person's rollback makes a deployment failed.
    pub rollback_window_hours: u32,
    /// Deployments that went live having reported their commit's time.
    pub lead_time_reported: usize,
    pub lead_time_median_secs: Option<i64>,
    pub lead_time_p90_secs: Option<i64>,
    pub lead_time_band: Option<Band>,
    /// Deployments marked as fixing an incident.
    pub rework: usize,
    pub rework_rate: Option<f64>,
}

/// Which deployments the records page lists: those behind one figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Behind {
    /// Every counted deployment (deployment frequency).
    All,
    /// The failed ones (change failure rate, recovery time).
    Failed,
    /// Those that reported a commit and went live (lead time).
    LeadTime,
    /// Those marked as fixing an incident (rework rate).
    Rework,
}

impl Behind {
    pub const ALL: [Behind; 4] = [
        Behind::All,
        Behind::Failed,
        Behind::LeadTime,
        Behind::Rework,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Behind::All => "all",
            Behind::Failed => "failed",
            Behind::LeadTime => "lead-time",
            Behind::Rework => "rework",
        }
    }

    pub fn parse(s: &str) -> Option<Behind> {
        Behind::ALL.into_iter().find(|b| b.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Behind::All => "Deployments",
            Behind::Failed => "Failed deployments",
            Behind::LeadTime => "Deployments with a reported commit",
            Behind::Rework => "Deployments fixing an incident",
        }
    }
}

/// The deployments behind a figure, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Records {
    pub days: u32,
    pub scope: String,
    pub window_hours: u32,
    pub behind: Behind,
    /// How many there are; `rows` holds the newest `RECORDS_SHOWN`.
    pub total: usize,
    pub rows: Vec<RecordRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordRow {
    pub deployment: i64,
    pub service: String,
    pub state: String,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it counts as failed, when it does.
    pub failed_because: Option<String>,
    pub recovery_secs: Option<i64>,
    pub lead_secs: Option<i64>,
    pub fixes_incident: Option<i64>,
}

/// The records page listing the deployments behind one figure of a view.
pub fn records_href(query: &str, behind: Behind) -> String {
    format!("/dashboard/deployments?{query}&show={}", behind.as_str())
}

/// The query string of a dashboard view, for links between the pages.
pub fn view_query(days: u32, scope: &str, window_hours: u32) -> String {
    let mut q = format!("days={days}");
    if !scope.is_empty() {
        q.push_str("&scope=");
        // Scopes are service names (letters, digits, `-`, `/`); anything
        // else is percent-encoded all the same.
        for b in scope.bytes() {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                    q.push(char::from(b))
                }
                _ => q.push_str(&format!("%{b:02X}")),
            }
        }
    }
    if window_hours != DEFAULT_WINDOW_HOURS {
        q.push_str(&format!("&window={window_hours}"));
    }
    q
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

/// The period, scope and rollback window a reader asked for, checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Asked {
    pub days: u32,
    pub scope: String,
    pub window_hours: u32,
}

impl Asked {
    pub fn check(days: u32, scope: &str, window: u32) -> Result<Asked, crate::AppError> {
        crate::error::check_length("scope", scope, 130)?;
        let days = match days {
            0 => 30,
            d if PERIODS.contains(&d) => d,
            _ => return Err(crate::AppError::invalid("days", "7, 30 or 90")),
        };
        let window_hours = match window {
            0 => DEFAULT_WINDOW_HOURS,
            w if w <= MAX_WINDOW_HOURS => w,
            _ => {
                return Err(crate::AppError::invalid(
                    "window",
                    format!("hours from 1 to {MAX_WINDOW_HOURS}"),
                ))
            }
        };
        Ok(Asked {
            days,
            scope: scope.trim().to_string(),
            window_hours,
        })
    }
}
