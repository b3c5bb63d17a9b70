//! Retention by kind of backup. Scheduled backups follow grandfather-father-
//! son: the newest of each of the N most recent days, weeks and months that
//! have one. Manual backups are kept until someone deletes them. Safety
//! (pre-restore) and pre-deploy backups are kept for a minimum time, and
//! the safety backup that undoes the newest restore is kept whatever its
//! age. The newest verified backup of any kind is always kept. Pure logic,
//! so the page's "preview" and the real pass cannot disagree.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// How many of each period to keep (defaults: 30 days, 13 weeks, 12
/// months), and how many days safety and pre-deploy backups are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
    pub safety_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            daily: 30,
            weekly: 13,
            monthly: 12,
            safety_days: 7,
        }
    }
}

/// Why a backup was taken; each kind has its own retention rule. Stored
/// (and sent) as its `as_str` word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Scheduled,
    Manual,
    /// Taken before a restore: restoring it undoes that restore.
    Safety,
    PreDeploy,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Scheduled => "scheduled",
            Kind::Manual => "manual",
            Kind::Safety => "safety",
            Kind::PreDeploy => "pre_deploy",
        }
    }

    /// The stored word; anything unknown counts as manual, the kind that
    /// is never deleted by a pass.
    pub fn parse(s: &str) -> Kind {
        match s {
            "scheduled" => Kind::Scheduled,
            "safety" => Kind::Safety,
            "pre_deploy" => Kind::PreDeploy,
            _ => Kind::Manual,
        }
    }
}

/// A successful backup as retention sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub taken_at: DateTime<Utc>,
    pub verified: bool,
    pub kind: Kind,
    /// The safety backup of the target's newest restore.
    pub undoes_newest_restore: bool,
}

/// Why a backup is kept; shown beside it ("kept by").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeepReason {
    NewestVerified,
    Daily(NaiveDate),
    /// ISO year and week.
    Weekly(i32, u32),
    Monthly(i32, u32),
    /// A manual backup: kept until someone deletes it.
    Manual,
    /// A safety or pre-deploy backup younger than the minimum: kept until then.
    MinimumAge(DateTime<Utc>),
    UndoesNewestRestore,
}

/// The verdict on one backup: kept for these reasons, or deleted when none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub id: i64,
    pub keep: Vec<KeepReason>,
}

impl Decision {
    pub fn deleted(&self) -> bool {
        self.keep.is_empty()
    }
}

/// Decides every backup at `now`, newest first.
pub fn plan(policy: &Policy, backups: &[Candidate], now: DateTime<Utc>) -> Vec<Decision> {
    let mut sorted: Vec<&Candidate> = backups.iter().collect();
    // Newest first; ties broken by id so the plan never depends on input order.
    sorted.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.id.cmp(&a.id)));
    let mut decisions: Vec<Decision> = sorted
        .iter()
        .map(|c| Decision {
            id: c.id,
            keep: Vec::new(),
        })
        .collect();
    if let Some(i) = sorted.iter().position(|c| c.verified) {
        decisions[i].keep.push(KeepReason::NewestVerified);
    }
    let periods: [(u32, Bucket); 3] = [
        (policy.daily, |t| KeepReason::Daily(t.date_naive())),
        (policy.weekly, |t| {
            KeepReason::Weekly(t.iso_week().year(), t.iso_week().week())
        }),
        (policy.monthly, |t| KeepReason::Monthly(t.year(), t.month())),
    ];
    for (limit, bucket) in periods {
        keep_newest_per_bucket(&sorted, &mut decisions, limit, bucket);
    }
    let minimum = TimeDelta::days(i64::from(policy.safety_days));
    for (c, d) in sorted.iter().zip(decisions.iter_mut()) {
        match c.kind {
            Kind::Manual => d.keep.push(KeepReason::Manual),
            Kind::Safety | Kind::PreDeploy if c.taken_at + minimum > now => {
                d.keep.push(KeepReason::MinimumAge(c.taken_at + minimum))
            }
            _ => {}
        }
        if c.undoes_newest_restore {
            d.keep.push(KeepReason::UndoesNewestRestore);
        }
    }
    decisions
}

/// The period a backup falls in, as the reason that keeps it.
type Bucket = fn(&DateTime<Utc>) -> KeepReason;

/// Marks the first (newest) scheduled backup of each new bucket until
/// `limit` buckets are kept; other kinds neither fill nor take a bucket.
fn keep_newest_per_bucket(
    sorted: &[&Candidate],
    decisions: &mut [Decision],
    limit: u32,
    bucket: Bucket,
) {
    let mut last: Option<KeepReason> = None;
    let mut kept = 0;
    for (i, c) in sorted.iter().enumerate() {
        if kept >= limit {
            break;
        }
        if c.kind != Kind::Scheduled {
            continue;
        }
        let b = bucket(&c.taken_at);
        if last.as_ref() != Some(&b) {
            decisions[i].keep.push(b.clone());
            last = Some(b);
            kept += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashSet};

    fn at(day: i64, minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + day * 86_400 + minute * 60, 0).unwrap()
    }

    fn scheduled(id: i64, taken_at: DateTime<Utc>, verified: bool) -> Candidate {
        Candidate {
            id,
            taken_at,
            verified,
            kind: Kind::Scheduled,
            undoes_newest_restore: false,
        }
    }

    const ZERO: Policy = Policy {
        daily: 0,
        weekly: 0,
        monthly: 0,
        safety_days: 0,
    };

    #[test]
    fn a_backup_every_day_keeps_the_last_thirty_and_older_period_ends() {
        let backups: Vec<Candidate> = (0..400).map(|d| scheduled(d, at(d, 0), true)).collect();
        let plan = plan(&Policy::default(), &backups, at(400, 0));
        let kept: Vec<i64> = plan.iter().filter(|d| !d.deleted()).map(|d| d.id).collect();
        assert!(kept
            .iter()
            .take(30)
            .eq((370..400).rev().collect::<Vec<_>>().iter()));
        assert!(
            kept.len() < 30 + 13 + 12 && kept.len() > 30,
            "{}",
            kept.len()
        );
        assert_eq!(plan[0].keep[0], KeepReason::NewestVerified);
    }

    #[test]
    fn the_newest_verified_backup_survives_even_a_zero_policy() {
        let backups = [scheduled(1, at(0, 0), true), scheduled(2, at(1, 0), false)];
        let plan = plan(&ZERO, &backups, at(2, 0));
        assert_eq!(
            plan,
            vec![
                Decision {
                    id: 2,
                    keep: vec![]
                },
                Decision {
                    id: 1,
                    keep: vec![KeepReason::NewestVerified]
                },
            ]
        );
    }

    #[test]
    fn the_first_scheduled_backup_of_a_day_keeps_the_manual_and_safety_backups_of_that_day() {
        let kinds = [Kind::Manual, Kind::Safety, Kind::PreDeploy];
        let mut backups: Vec<Candidate> = kinds
            .iter()
            .enumerate()
            .map(|(i, &kind)| Candidate {
                kind,
                ..scheduled(i as i64 + 1, at(10, i as i64), true)
            })
            .collect();
        backups.push(scheduled(9, at(10, 30), true));
        let plan = plan(&Policy::default(), &backups, at(10, 31));
        let keep = |id| plan.iter().find(|d| d.id == id).unwrap().keep.clone();
        assert_eq!(keep(1), vec![KeepReason::Manual]);
        assert_eq!(
            keep(2),
            vec![KeepReason::MinimumAge(at(10, 1) + TimeDelta::days(7))]
        );
        assert_eq!(
            keep(3),
            vec![KeepReason::MinimumAge(at(10, 2) + TimeDelta::days(7))]
        );
        assert!(keep(9).contains(&KeepReason::Daily(at(10, 30).date_naive())));
    }

    #[test]
    fn an_old_safety_backup_goes_unless_it_undoes_the_newest_restore() {
        let old = |id, undoes| Candidate {
            kind: Kind::Safety,
            undoes_newest_restore: undoes,
            ..scheduled(id, at(0, id), false)
        };
        let plan = plan(
            &Policy::default(),
            &[old(1, false), old(2, true)],
            at(30, 0),
        );
        assert_eq!(
            plan,
            vec![
                Decision {
                    id: 2,
                    keep: vec![KeepReason::UndoesNewestRestore]
                },
                Decision {
                    id: 1,
                    keep: vec![]
                },
            ]
        );
    }

    /// The reference model of GFS: group the scheduled backups by bucket,
    /// take the N newest buckets, and the newest backup (ties: highest id)
    /// in each.
    fn model(
        backups: &[Candidate],
        limit: u32,
        bucket: fn(&DateTime<Utc>) -> KeepReason,
        order: fn(&KeepReason) -> i64,
    ) -> HashSet<i64> {
        let mut groups: BTreeMap<i64, (DateTime<Utc>, i64)> = BTreeMap::new();
        for c in backups.iter().filter(|c| c.kind == Kind::Scheduled) {
            let key = order(&bucket(&c.taken_at));
            let best = groups.entry(key).or_insert((c.taken_at, c.id));
            if (c.taken_at, c.id) > *best {
                *best = (c.taken_at, c.id);
            }
        }
        groups
            .values()
            .rev()
            .take(limit as usize)
            .map(|(_, id)| *id)
            .collect()
    }

    fn kept_by(plan: &[Decision], is: fn(&KeepReason) -> bool) -> HashSet<i64> {
        plan.iter()
            .filter(|d| d.keep.iter().any(is))
            .map(|d| d.id)
            .collect()
    }

    const KINDS: [Kind; 4] = [Kind::Scheduled, Kind::Manual, Kind::Safety, Kind::PreDeploy];

    /// Random histories of every kind; at most one backup undoes the newest restore.
    fn history() -> impl Strategy<Value = Vec<Candidate>> {
        let one = (0i64..800, 0i64..1440, any::<bool>(), 0usize..4);
        (
            prop::collection::vec(one, 0..120),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(raw, undo)| {
                let undo = (!raw.is_empty()).then(|| undo.index(raw.len()));
                raw.into_iter()
                    .enumerate()
                    .map(|(i, (day, minute, verified, kind))| Candidate {
                        id: i as i64,
                        taken_at: at(day, minute),
                        verified,
                        kind: KINDS[kind],
                        undoes_newest_restore: Some(i) == undo,
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn kept_sets_match_each_kinds_rule_and_nothing_else_is_kept(
            backups in history(), daily in 0u32..40, weekly in 0u32..20, monthly in 0u32..15,
            safety_days in 0u32..60, now_day in 0i64..900,
        ) {
            let policy = Policy { daily, weekly, monthly, safety_days };
            let now = at(now_day, 0);
            let plan = plan(&policy, &backups, now);
            prop_assert_eq!(plan.len(), backups.len());

            let day = |t: &DateTime<Utc>| KeepReason::Daily(t.date_naive());
            let week = |t: &DateTime<Utc>| KeepReason::Weekly(t.iso_week().year(), t.iso_week().week());
            let month = |t: &DateTime<Utc>| KeepReason::Monthly(t.year(), t.month());
            let order = |r: &KeepReason| match r {
                KeepReason::Daily(d) => d.num_days_from_ce() as i64,
                KeepReason::Weekly(y, w) => *y as i64 * 100 + *w as i64,
                KeepReason::Monthly(y, m) => *y as i64 * 100 + *m as i64,
                _ => 0,
            };
            let daily_set = kept_by(&plan, |r| matches!(r, KeepReason::Daily(_)));
            let weekly_set = kept_by(&plan, |r| matches!(r, KeepReason::Weekly(..)));
            let monthly_set = kept_by(&plan, |r| matches!(r, KeepReason::Monthly(..)));
            prop_assert_eq!(&daily_set, &model(&backups, daily, day, order));
            prop_assert_eq!(&weekly_set, &model(&backups, weekly, week, order));
            prop_assert_eq!(&monthly_set, &model(&backups, monthly, month, order));

            let newest_verified = backups.iter().filter(|c| c.verified).max_by_key(|c| (c.taken_at, c.id)).map(|c| c.id);
            let verified_set = kept_by(&plan, |r| matches!(r, KeepReason::NewestVerified));
            prop_assert_eq!(&verified_set, &newest_verified.into_iter().collect::<HashSet<_>>());

            let ids = |keep: &dyn Fn(&Candidate) -> bool| -> HashSet<i64> {
                backups.iter().filter(|c| keep(c)).map(|c| c.id).collect()
            };
            let manual = ids(&|c| c.kind == Kind::Manual);
            let young = ids(&|c| matches!(c.kind, Kind::Safety | Kind::PreDeploy)
                && now - c.taken_at < TimeDelta::days(safety_days as i64));
            let undo = ids(&|c| c.undoes_newest_restore);
            prop_assert_eq!(&kept_by(&plan, |r| matches!(r, KeepReason::Manual)), &manual);
            prop_assert_eq!(&kept_by(&plan, |r| matches!(r, KeepReason::MinimumAge(_))), &young);
            prop_assert_eq!(&kept_by(&plan, |r| matches!(r, KeepReason::UndoesNewestRestore)), &undo);

            // A backup is deleted exactly when no rule keeps it.
            let union: HashSet<i64> = [daily_set, weekly_set, monthly_set, verified_set, manual, young, undo]
                .into_iter().flatten().collect();
            for d in &plan {
                prop_assert_eq!(d.deleted(), !union.contains(&d.id), "backup {}", d.id);
            }
        }
    }
}
