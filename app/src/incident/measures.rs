//! MTTA and MTTR per severity: how long incidents waited for someone to
//! act (declared → acknowledged) and how long their impact lasted
//! (started → resolved), as median and 90th percentile over a window.

use super::Severity;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The windows the incidents list shows, in days.
pub const WINDOWS: [i64; 2] = [30, 90];

/// The times of one incident that the measures read.
#[derive(Clone, Debug, PartialEq)]
pub struct Times {
    pub severity: Severity,
    pub declared_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Median and 90th percentile of some spans, in seconds, and how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub count: usize,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

impl Spread {
    /// The middle value (the mean of the two middle ones for an even
    /// count), and the nearest-rank 90th percentile: the smallest value
    /// that at least 90 % of them do not exceed.
    pub fn of(mut secs: Vec<i64>) -> Spread {
        secs.sort_unstable();
        let n = secs.len();
        if n == 0 {
            return Spread::default();
        }
        let median = if n % 2 == 1 {
            secs[n / 2]
        } else {
            (secs[n / 2 - 1] + secs[n / 2]) / 2
        };
        let rank = (n * 90).div_ceil(100);
        Spread {
            count: n,
            median: Some(median),
            p90: Some(secs[rank - 1]),
        }
    }
}

/// MTTA and MTTR of one severity over the last `days` days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub severity: Severity,
    pub days: i64,
    /// Declared → acknowledged, of those acknowledged.
    pub mtta: Spread,
    /// Started (impact began) → resolved, of those resolved.
    pub mttr: Spread,
}

/// Every severity in every window: an incident counts in a window when it
/// was declared within it (before `now`).
pub fn measures(incidents: &[Times], now: DateTime<Utc>) -> Vec<Measure> {
    let mut out = Vec::new();
    for days in WINDOWS {
        let since = now - Duration::days(days);
        for severity in Severity::ALL {
            let of: Vec<&Times> = incidents
                .iter()
                .filter(|t| t.severity == severity && t.declared_at > since && t.declared_at <= now)
                .collect();
            let span = |from: DateTime<Utc>, to: Option<DateTime<Utc>>| {
                to.map(|to| (to - from).num_seconds().max(0))
            };
            out.push(Measure {
                severity,
                days,
                mtta: Spread::of(
                    of.iter()
                        .filter_map(|t| span(t.declared_at, t.acknowledged_at))
                        .collect(),
                ),
                mttr: Spread::of(
                    of.iter()
                        .filter_map(|t| span(t.started_at, t.resolved_at))
                        .collect(),
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_is_the_middle_and_p90_the_nearest_rank() {
        assert_eq!(Spread::of(vec![]), Spread::default());
        assert_eq!(
            Spread::of(vec![7]),
            Spread {
                count: 1,
                median: Some(7),
                p90: Some(7)
            }
        );
        assert_eq!(Spread::of(vec![30, 10, 20]).median, Some(20));
        assert_eq!(Spread::of(vec![40, 10, 20, 30]).median, Some(25));
        let ten: Vec<i64> = (1..=10).map(|i| i * 60).collect();
        assert_eq!(Spread::of(ten).p90, Some(540));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(Spread::of(eleven).p90, Some(10));
    }

    #[test]
    fn each_window_counts_incidents_declared_within_it_by_severity() {
        let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
        let at =
            |days_ago: i64, mins: i64| now - Duration::days(days_ago) + Duration::minutes(mins);
        let times = |severity, days_ago, ack: Option<i64>, resolved: Option<i64>| Times {
            severity,
            declared_at: at(days_ago, 0),
            started_at: at(days_ago, -10),
            acknowledged_at: ack.map(|m| at(days_ago, m)),
            resolved_at: resolved.map(|m| at(days_ago, m)),
        };
        let incidents = [
            times(Severity::Sev1, 1, Some(2), Some(50)),
            times(Severity::Sev1, 10, Some(4), None),
            times(Severity::Sev1, 60, Some(30), Some(110)),
            times(Severity::Sev2, 5, None, None),
            times(Severity::Sev3, 100, Some(1), Some(1)),
        ];
        let m = measures(&incidents, now);
        let find = |s, d| {
            m.iter()
                .find(|x| x.severity == s && x.days == d)
                .unwrap()
                .clone()
        };
        let sev1_30 = find(Severity::Sev1, 30);
        assert_eq!(
            sev1_30.mtta,
            Spread {
                count: 2,
                median: Some(180),
                p90: Some(240)
            }
        );
        assert_eq!(
            sev1_30.mttr,
            Spread {
                count: 1,
                median: Some(3600),
                p90: Some(3600)
            }
        );
        let sev1_90 = find(Severity::Sev1, 90);
        assert_eq!(sev1_90.mtta.count, 3);
        assert_eq!(sev1_90.mtta.median, Some(240));
        assert_eq!(
            sev1_90.mttr,
            Spread {
                count: 2,
                median: Some(5400),
                p90: Some(7200)
            }
        );
        assert_eq!(
            find(Severity::Sev2, 30).mtta,
            Spread::default(),
            "open, never acknowledged"
        );
        assert_eq!(
            find(Severity::Sev3, 90).mtta.count,
            0,
            "declared before the window"
        );
        assert_eq!(m.len(), 6);
    }
}
