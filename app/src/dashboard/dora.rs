//! DORA figures computed exactly from Opsdeck's own records, not guessed
//! from labels: Opsdeck knows which deployment its health gate rolled back,
//! which one a person rolled back, and when the service was healthy again.
//!
//! - A **deployment** is a `deploy` that reached an outcome on the engine:
//!   succeeded, or rolled back by the health gate. One that failed before
//!   changing anything (an image that cannot be found) changed nothing.
//! - A deployment **failed** when the gate rolled it back; when a person
//!   rolled its release back within the window (default 24 h) of it going
//!   live; or when an incident names it as suspected cause. Each counts
//!   once, so the rate is a share of the deployments: never above 100 %.
//! - **Recovery** from a gate rollback is the rollout itself (it began when
//!   the rollout started, it ended when the previous release was back);
//!   from a person's rollback, from going live to that rollback's end; a
//!   suspected cause without a rollback has no measured recovery.
//! - **Lead time** of a deployment that went live is from the commit it
//!   ships (`committed_at`, as the deployer reported it) to going live;
//!   deployments that reported no commit are left out, never guessed.
//! - **Rework rate** is the share of deployments the deployer marked as
//!   fixing an incident (`fixes_incident`).

use super::Band;
use crate::incident::measures::Spread;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One rollout as the records hold it.
#[derive(Clone, Debug)]
pub struct Rollout {
    pub id: i64,
    /// `environment/name`.
    pub service: String,
    /// `deploy`, `rollback`, `scale` or `restart`.
    pub kind: String,
    /// `succeeded`, `rolled_back`, `failed`, `interrupted`, `running`.
    pub state: String,
    pub release_id: i64,
    pub previous_release_id: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When the commit it ships was made, if the deployer said.
    pub committed_at: Option<DateTime<Utc>>,
    /// The incident it fixes, if the deployer said.
    pub fixes_incident: Option<i64>,
}

impl Rollout {
    /// Commit → live, in seconds: for a deployment that went live having
    /// reported its commit's time; `None` otherwise.
    pub fn lead_secs(&self) -> Option<i64> {
        if self.state != "succeeded" {
            return None;
        }
        Some(
            (self.finished_at? - self.committed_at?)
                .num_seconds()
                .max(0),
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// The health gate put the previous release back.
    HealthGate,
    /// A person rolled its release back (the rollback's deployment id).
    RolledBackBy(i64),
    /// An incident names it as suspected cause.
    SuspectedCause,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FailedChange {
    pub deployment: i64,
    pub why: Why,
    pub recovery: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    /// Counted deployments, oldest first.
    pub deployments: Vec<i64>,
    pub failed: Vec<FailedChange>,
    /// Deployments per service per day.
    pub per_service_per_day: f64,
    /// `None` without deployments.
    pub change_failure_rate: Option<f64>,
    pub recovery_median: Option<Duration>,
    pub recovery_p90: Option<Duration>,
    /// Commit → live, in seconds, of the deployments that reported one.
    pub lead_time: Spread,
    /// Deployments marked as fixing an incident, oldest first.
    pub rework: Vec<i64>,
    /// `None` without deployments.
    pub rework_rate: Option<f64>,
}

fn counted(r: &Rollout) -> bool {
    r.kind == "deploy" && matches!(r.state.as_str(), "succeeded" | "rolled_back")
}

/// The figures for deployments that ended in `[since, until)` over
/// `services` services. `window` is how soon a person's rollback makes a
/// deployment failed; `suspected` the deployments incidents blame.
pub fn figures(
    rollouts: &[Rollout],
    suspected: &HashSet<i64>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    services: usize,
    window: Duration,
) -> Figures {
    let mut deployments: Vec<&Rollout> = rollouts
        .iter()
        .filter(|r| counted(r) && r.finished_at.is_some_and(|t| t >= since && t < until))
        .collect();
    deployments.sort_by_key(|r| (r.finished_at, r.id));
    let undoers = person_rollbacks(rollouts);
    let failed: Vec<FailedChange> = deployments
        .iter()
        .filter_map(|d| failure(d, &undoers, suspected, window))
        .collect();
    let days = ((until - since).num_seconds() as f64 / 86_400.0).max(1.0 / 24.0);
    // The same median and p90 as the incidents' MTTA and MTTR.
    let recoveries = Spread::of(
        failed
            .iter()
            .filter_map(|f| f.recovery)
            .map(|d| d.num_seconds())
            .collect(),
    );
    let lead_time = Spread::of(deployments.iter().filter_map(|d| d.lead_secs()).collect());
    let rework: Vec<i64> = deployments
        .iter()
        .filter(|d| d.fixes_incident.is_some())
        .map(|d| d.id)
        .collect();
    Figures {
        per_service_per_day: deployments.len() as f64 / services.max(1) as f64 / days,
        rework_rate: (!deployments.is_empty())
            .then(|| rework.len() as f64 / deployments.len() as f64),
        rework,
        lead_time,
        change_failure_rate: (!deployments.is_empty())
            .then(|| failed.len() as f64 / deployments.len() as f64),
        recovery_median: recoveries.median.map(Duration::seconds),
        recovery_p90: recoveries.p90.map(Duration::seconds),
        deployments: deployments.iter().map(|d| d.id).collect(),
        failed,
    }
}

/// Succeeded rollbacks by service and the release they took away, oldest
/// first: looked up once per deployment instead of a scan of every rollout.
type Undoers<'a> = HashMap<(&'a str, i64), Vec<&'a Rollout>>;

fn person_rollbacks(rollouts: &[Rollout]) -> Undoers<'_> {
    let mut by_release: Undoers<'_> = HashMap::new();
    for r in rollouts
        .iter()
        .filter(|r| r.kind == "rollback" && r.state == "succeeded")
    {
        if let Some(taken_away) = r.previous_release_id {
            by_release
                .entry((r.service.as_str(), taken_away))
                .or_default()
                .push(r);
        }
    }
    for list in by_release.values_mut() {
        list.sort_by_key(|r| (r.started_at, r.id));
    }
    by_release
}

fn failure(
    d: &Rollout,
    undoers: &Undoers<'_>,
    suspected: &HashSet<i64>,
    window: Duration,
) -> Option<FailedChange> {
    let failed = |why, recovery| {
        Some(FailedChange {
            deployment: d.id,
            why,
            recovery,
        })
    };
    if d.state == "rolled_back" {
        return failed(Why::HealthGate, d.finished_at.map(|end| end - d.started_at));
    }
    let live_at = d.finished_at?;
    let undone = undoers
        .get(&(d.service.as_str(), d.release_id))
        .and_then(|list| {
            list.iter()
                .find(|r| r.started_at >= live_at && r.started_at - live_at <= window)
        });
    match undone {
        Some(r) => failed(
            Why::RolledBackBy(r.id),
            r.finished_at.map(|end| end - live_at),
        ),
        None if suspected.contains(&d.id) => failed(Why::SuspectedCause, None),
        None => None,
    }
}

/// The Monday (UTC) of the week holding `t`.
fn monday(t: DateTime<Utc>) -> NaiveDate {
    let day = t.date_naive();
    day - chrono::Days::new(u64::from(
        chrono::Datelike::weekday(&day).num_days_from_monday(),
    ))
}

/// Every week of `[since, until)`, oldest first, each with `T::default()`.
fn empty_weeks<T: Default>(since: DateTime<Utc>, until: DateTime<Utc>) -> BTreeMap<NaiveDate, T> {
    let mut weeks = BTreeMap::new();
    let mut week = monday(since);
    while week <= monday(until - Duration::seconds(1)) {
        weeks.insert(week, T::default());
        week = week + chrono::Days::new(7);
    }
    weeks
}

/// Counted deployments and failed ones per week (weeks start on Monday,
/// UTC), every week of `[since, until)` present, oldest first.
pub fn weekly(
    rollouts: &[Rollout],
    figures: &Figures,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<(NaiveDate, usize, usize)> {
    let mut weeks: BTreeMap<NaiveDate, (usize, usize)> = empty_weeks(since, until);
    let failed: HashSet<i64> = figures.failed.iter().map(|f| f.deployment).collect();
    let counted: HashSet<i64> = figures.deployments.iter().copied().collect();
    for r in rollouts.iter().filter(|r| counted.contains(&r.id)) {
        if let Some(bar) = r.finished_at.and_then(|t| weeks.get_mut(&monday(t))) {
            bar.0 += 1;
            bar.1 += usize::from(failed.contains(&r.id));
        }
    }
    weeks.into_iter().map(|(w, (n, f))| (w, n, f)).collect()
}

/// Time to resolve (impact start → resolved) of the incidents resolved in
/// each week of `[since, until)`: the MTTR trend, every week present.
pub fn weekly_time_to_resolve(
    incidents: &[(DateTime<Utc>, DateTime<Utc>)],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<(NaiveDate, Spread)> {
    let mut weeks: BTreeMap<NaiveDate, Vec<i64>> = empty_weeks(since, until);
    for (started, resolved) in incidents {
        if let Some(spans) = weeks.get_mut(&monday(*resolved)) {
            spans.push((*resolved - *started).num_seconds().max(0));
        }
    }
    weeks
        .into_iter()
        .map(|(w, spans)| (w, Spread::of(spans)))
        .collect()
}

/// Elite: on demand, several a day; high: daily to weekly; medium: weekly
/// to monthly; low: less often.
pub fn frequency_band(per_day: f64) -> Band {
    match per_day {
        f if f > 1.0 => Band::Elite,
        f if f >= 1.0 / 7.0 => Band::High,
        f if f >= 1.0 / 30.0 => Band::Medium,
        _ => Band::Low,
    }
}

/// Elite 5 %, high 20 %, low 40 % (the report's medium cluster sits at
/// 10 %, between elite and high: a rate is placed by the elite and high
/// bounds, above 20 % it is low).
pub fn failure_rate_band(rate: f64) -> Band {
    match rate {
        r if r <= 0.05 => Band::Elite,
        r if r <= 0.20 => Band::High,
        _ => Band::Low,
    }
}

/// Elite under a day; high under a week; medium under a month; low beyond.
pub fn lead_time_band(median: Duration) -> Band {
    if median < Duration::days(1) {
        Band::Elite
    } else if median < Duration::weeks(1) {
        Band::High
    } else if median < Duration::days(30) {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Elite under an hour; high (and medium) under a day; low beyond.
pub fn recovery_band(median: Duration) -> Band {
    if median < Duration::hours(1) {
        Band::Elite
    } else if median < Duration::days(1) {
        Band::High
    } else {
        Band::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    /// A rollout of `web` over `[start, end]` minutes.
    fn rollout(
        id: i64,
        kind: &str,
        state: &str,
        release: i64,
        previous: i64,
        start: i64,
        end: i64,
    ) -> Rollout {
        Rollout {
            id,
            service: "production/web".into(),
            kind: kind.into(),
            state: state.into(),
            release_id: release,
            previous_release_id: Some(previous),
            started_at: at(start),
            finished_at: Some(at(end)),
            committed_at: None,
            fixes_incident: None,
        }
    }

    /// Deploys 1 (fine), 2 (rolled back by the gate after 3 minutes),
    /// 3 (live, rolled back by a person 2 hours later, done in 5 minutes),
    /// 4 (live, rolled back after 2 days: not a failure of it), 5 (failed
    /// before changing anything: not a deployment), 6 (blamed by an
    /// incident), and a scale.
    fn history() -> Vec<Rollout> {
        vec![
            rollout(1, "deploy", "succeeded", 11, 10, 0, 2),
            rollout(2, "deploy", "rolled_back", 12, 11, 10, 13),
            rollout(3, "deploy", "succeeded", 13, 11, 20, 22),
            rollout(4, "rollback", "succeeded", 11, 13, 142, 147),
            rollout(5, "deploy", "succeeded", 14, 11, 200, 202),
            rollout(
                6,
                "rollback",
                "succeeded",
                11,
                14,
                200 + 2 * 24 * 60,
                200 + 2 * 24 * 60 + 1,
            ),
            rollout(7, "deploy", "failed", 15, 11, 300, 300),
            rollout(8, "deploy", "succeeded", 16, 11, 400, 402),
            rollout(9, "scale", "succeeded", 16, 16, 500, 501),
        ]
    }

    #[test]
    fn a_known_history_gives_the_hand_computed_figures() {
        let suspected = HashSet::from([8]);
        let f = figures(
            &history(),
            &suspected,
            at(0),
            at(10 * 24 * 60),
            1,
            Duration::hours(24),
        );
        assert_eq!(f.deployments, [1, 2, 3, 5, 8]);
        let why: Vec<(i64, Why)> = f.failed.iter().map(|c| (c.deployment, c.why)).collect();
        assert_eq!(
            why,
            [
                (2, Why::HealthGate),
                (3, Why::RolledBackBy(4)),
                (8, Why::SuspectedCause)
            ]
        );
        assert_eq!(f.change_failure_rate, Some(3.0 / 5.0));
        // Recoveries: 3 min (gate), 125 min (live at 22, back at 147).
        assert_eq!(f.recovery_median, Some(Duration::minutes(64)));
        assert_eq!(f.recovery_p90, Some(Duration::minutes(125)));
        assert!(
            (f.per_service_per_day - 0.5).abs() < 1e-9,
            "{}",
            f.per_service_per_day
        );
    }

    #[test]
    fn a_wider_window_makes_a_late_rollback_a_failure_and_the_period_bounds_count() {
        let f = figures(
            &history(),
            &HashSet::new(),
            at(0),
            at(10 * 24 * 60),
            1,
            Duration::days(3),
        );
        assert!(f
            .failed
            .iter()
            .any(|c| c.deployment == 5 && c.why == Why::RolledBackBy(6)));
        let early = figures(
            &history(),
            &HashSet::new(),
            at(0),
            at(15),
            1,
            Duration::hours(24),
        );
        assert_eq!(early.deployments, [1, 2]);
        let none = figures(&[], &HashSet::new(), at(0), at(60), 3, Duration::hours(24));
        assert_eq!(
            (none.change_failure_rate, none.recovery_median),
            (None, None)
        );
    }

    #[test]
    fn weeks_start_on_monday_and_empty_weeks_are_kept() {
        let f = figures(
            &history(),
            &HashSet::new(),
            at(0),
            at(21 * 24 * 60),
            1,
            Duration::hours(24),
        );
        let weeks = weekly(&history(), &f, at(0), at(21 * 24 * 60));
        assert!(weeks.len() >= 3, "{weeks:?}");
        for (monday, ..) in &weeks {
            assert_eq!(chrono::Datelike::weekday(monday), chrono::Weekday::Mon);
        }
        let total: usize = weeks.iter().map(|w| w.1).sum();
        let failed: usize = weeks.iter().map(|w| w.2).sum();
        assert_eq!((total, failed), (5, 2));
    }

    /// Deploy 1 reported a commit made 90 minutes before it went live,
    /// deploy 3 one made 10 minutes before, deploy 8 none; deploy 2 (rolled
    /// back by the gate) never went live, so its commit has no lead time.
    /// Deploy 5 fixes an incident.
    #[test]
    fn lead_time_counts_reported_commits_that_went_live_and_rework_counts_fixes() {
        let mut h = history();
        h[0].committed_at = Some(at(2 - 90));
        h[1].committed_at = Some(at(0));
        h[2].committed_at = Some(at(22 - 10));
        h[4].fixes_incident = Some(7);
        let f = figures(
            &h,
            &HashSet::new(),
            at(0),
            at(10 * 24 * 60),
            1,
            Duration::hours(24),
        );
        assert_eq!(f.lead_time.count, 2);
        assert_eq!(f.lead_time.median, Some(50 * 60));
        assert_eq!(f.lead_time.p90, Some(90 * 60));
        assert_eq!(f.rework, [5]);
        assert_eq!(f.rework_rate, Some(1.0 / 5.0));
        let none = figures(
            &history(),
            &HashSet::new(),
            at(0),
            at(10 * 24 * 60),
            1,
            Duration::hours(24),
        );
        assert_eq!((none.lead_time.count, none.lead_time.median), (0, None));
        assert_eq!(none.rework_rate, Some(0.0));
    }

    #[test]
    fn the_mttr_trend_puts_each_incident_in_the_week_it_was_resolved() {
        // at(0) is Monday 2026-09-21 14:13 UTC: the first two are resolved
        // in its week, the third eight days later in the next.
        let incidents = [
            (at(0), at(30)),
            (at(60), at(60 + 90)),
            (at(8 * 24 * 60), at(8 * 24 * 60 + 600)),
            // Resolved before the period: not shown.
            (at(-9000), at(-8000)),
        ];
        let weeks = weekly_time_to_resolve(&incidents, at(0), at(21 * 24 * 60));
        let with: Vec<(usize, Option<i64>)> = weeks
            .iter()
            .map(|(_, s)| (s.count, s.median))
            .filter(|(n, _)| *n > 0)
            .collect();
        assert_eq!(with, [(2, Some(60 * 60)), (1, Some(600 * 60))]);
        assert!(weeks.len() >= 3);
    }

    #[test]
    fn bands_follow_the_2024_clusters() {
        assert_eq!(lead_time_band(Duration::hours(3)), Band::Elite);
        assert_eq!(lead_time_band(Duration::days(3)), Band::High);
        assert_eq!(lead_time_band(Duration::days(10)), Band::Medium);
        assert_eq!(lead_time_band(Duration::days(60)), Band::Low);
        assert_eq!(frequency_band(3.0), Band::Elite);
        assert_eq!(frequency_band(0.5), Band::High);
        assert_eq!(frequency_band(0.05), Band::Medium);
        assert_eq!(frequency_band(0.01), Band::Low);
        assert_eq!(failure_rate_band(0.04), Band::Elite);
        assert_eq!(failure_rate_band(0.15), Band::High);
        assert_eq!(failure_rate_band(0.5), Band::Low);
        assert_eq!(recovery_band(Duration::minutes(30)), Band::Elite);
        assert_eq!(recovery_band(Duration::hours(5)), Band::High);
        assert_eq!(recovery_band(Duration::days(3)), Band::Low);
    }

    fn any_rollout() -> impl Strategy<Value = Rollout> {
        let kinds = prop::sample::select(vec!["deploy", "rollback", "scale"]);
        let states =
            prop::sample::select(vec!["succeeded", "rolled_back", "failed", "interrupted"]);
        (
            0i64..40,
            kinds,
            states,
            0i64..6,
            0i64..6,
            0i64..5000,
            0i64..300,
        )
            .prop_map(
                |(id, kind, state, release, previous, start, took)| Rollout {
                    id,
                    service: format!("production/s{}", id % 3),
                    kind: kind.into(),
                    state: state.into(),
                    release_id: release,
                    previous_release_id: Some(previous),
                    started_at: at(start),
                    finished_at: Some(at(start + took)),
                    committed_at: (id % 2 == 0).then(|| at(start - took)),
                    fixes_incident: (id % 5 == 0).then_some(1),
                },
            )
    }

    proptest! {
        /// Whatever the history — duplicate ids, rollbacks of anything,
        /// every deployment blamed — the rate is a share: 0 to 100 %.
        #[test]
        fn the_change_failure_rate_stays_between_0_and_100_percent(
            rollouts in prop::collection::vec(any_rollout(), 0..60),
            blamed in prop::collection::hash_set(0i64..40, 0..40),
        ) {
            let f = figures(&rollouts, &blamed, at(0), at(6000), 3, Duration::hours(24));
            if let Some(rate) = f.change_failure_rate {
                prop_assert!((0.0..=1.0).contains(&rate), "{rate}");
            }
            prop_assert!(f.failed.len() <= f.deployments.len());
            if let Some(rate) = f.rework_rate {
                prop_assert!((0.0..=1.0).contains(&rate), "{rate}");
            }
            prop_assert!(f.lead_time.median.is_none_or(|m| m >= 0));
        }
    }
}
