//! Grandfather-father-son retention: keep the newest backup of each of the
//! N most recent days, weeks and months that have one, and always the newest
//! verified backup. Everything else is deleted by a retention pass. Pure
//! logic, so the page's "preview" and the real pass cannot disagree.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How many of each period to keep (defaults: 30 days, 13 weeks, 12 months).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            daily: 30,
            weekly: 13,
            monthly: 12,
        }
    }
}

/// A successful backup as retention sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub taken_at: DateTime<Utc>,
    pub verified: bool,
}

/// Why a backup is kept; shown beside it ("kept by").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeepReason {
    NewestVerified,
    Daily(NaiveDate),
    /// ISO year and week.
    Weekly(i32, u32),
    Monthly(i32, u32),
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

/// Decides every backup, newest first.
pub fn plan(policy: &Policy, backups: &[Candidate]) -> Vec<Decision> {
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
    decisions
}

/// The period a backup falls in, as the reason that keeps it.
type Bucket = fn(&DateTime<Utc>) -> KeepReason;

/// Marks the first (newest) backup of each new bucket until `limit` buckets are kept.
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

    #[test]
    fn a_backup_every_day_keeps_the_last_thirty_and_older_period_ends() {
        let backups: Vec<Candidate> = (0..400)
            .map(|d| Candidate {
                id: d,
                taken_at: at(d, 0),
                verified: true,
            })
            .collect();
        let plan = plan(&Policy::default(), &backups);
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
        let backups = [
            Candidate {
                id: 1,
                taken_at: at(0, 0),
                verified: true,
            },
            Candidate {
                id: 2,
                taken_at: at(1, 0),
                verified: false,
            },
        ];
        let plan = plan(
            &Policy {
                daily: 0,
                weekly: 0,
                monthly: 0,
            },
            &backups,
        );
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

    /// The reference model: group by bucket, take the N newest buckets, and
    /// the newest backup (ties: highest id) in each.
    fn model(
        backups: &[Candidate],
        limit: u32,
        bucket: fn(&DateTime<Utc>) -> KeepReason,
        order: fn(&KeepReason) -> i64,
    ) -> HashSet<i64> {
        let mut groups: BTreeMap<i64, (DateTime<Utc>, i64)> = BTreeMap::new();
        for c in backups {
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

    fn history() -> impl Strategy<Value = Vec<Candidate>> {
        prop::collection::vec((0i64..800, 0i64..1440, any::<bool>()), 0..120).prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (day, minute, verified))| Candidate {
                    id: i as i64,
                    taken_at: at(day, minute),
                    verified,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn kept_sets_match_gfs_and_nothing_else_is_kept(
            backups in history(), daily in 0u32..40, weekly in 0u32..20, monthly in 0u32..15,
        ) {
            let policy = Policy { daily, weekly, monthly };
            let plan = plan(&policy, &backups);
            prop_assert_eq!(plan.len(), backups.len());

            let day = |t: &DateTime<Utc>| KeepReason::Daily(t.date_naive());
            let week = |t: &DateTime<Utc>| KeepReason::Weekly(t.iso_week().year(), t.iso_week().week());
            let month = |t: &DateTime<Utc>| KeepReason::Monthly(t.year(), t.month());
            let order = |r: &KeepReason| match r {
                KeepReason::Daily(d) => d.num_days_from_ce() as i64,
                KeepReason::Weekly(y, w) => *y as i64 * 100 + *w as i64,
                KeepReason::Monthly(y, m) => *y as i64 * 100 + *m as i64,
                KeepReason::NewestVerified => 0,
            };
            let daily_set = kept_by(&plan, |r| matches!(r, KeepReason::Daily(_)));
            let weekly_set = kept_by(&plan, |r| matches!(r, KeepReason::Weekly(..)));
            let monthly_set = kept_by(&plan, |r| matches!(r, KeepReason::Monthly(..)));
            prop_assert_eq!(&daily_set, &model(&backups, daily, day, order));
            prop_assert_eq!(&weekly_set, &model(&backups, weekly, week, order));
            prop_assert_eq!(&monthly_set, &model(&backups, monthly, month, order));

            let newest_verified = backups.iter().filter(|c| c.verified).max_by_key(|c| (c.taken_at, c.id)).map(|c| c.id);
            let verified_set = kept_by(&plan, |r| matches!(r, KeepReason::NewestVerified));
            prop_assert_eq!(verified_set, newest_verified.into_iter().collect::<HashSet<_>>());

            // A backup is deleted exactly when no rule keeps it.
            let mut union = daily_set;
            union.extend(weekly_set);
            union.extend(monthly_set);
            union.extend(newest_verified);
            for d in &plan {
                prop_assert_eq!(d.deleted(), !union.contains(&d.id), "backup {}", d.id);
            }
        }
    }
}
