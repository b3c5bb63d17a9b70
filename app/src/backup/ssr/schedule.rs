//! Schedules: a five-field cron expression per target (UTC) with its GFS
//! retention policy, validated with a message that says what is wrong.

use super::target::find;
use crate::audit::ssr::{record, Record};
use crate::audit::Outcome;
use crate::auth::guard::Actor;
use crate::backup::actions;
use crate::backup::retention::Policy;
use crate::backup::ScheduleView;
use crate::state::AppState;
use crate::AppError;
use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;
use serde_json::json;

/// Parses a cron expression: minute hour day-of-month month day-of-week
/// (or `@daily`, `@hourly`, …), evaluated in UTC.
pub fn parse_cron(text: &str) -> Result<Cron, AppError> {
    let text = text.trim();
    let fields = text.split_whitespace().count();
    if !text.starts_with('@') && fields != 5 {
        return Err(AppError::invalid(
            "cron",
            format!("`{text}` has {fields} fields; use five: minute hour day-of-month month day-of-week, e.g. `30 2 * * *` for 02:30 UTC every day"),
        ));
    }
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    let cron = parser.parse(text).map_err(|e| {
        AppError::invalid(
            "cron",
            format!("`{text}` is not a valid cron expression: {e}"),
        )
    })?;
    if cron.find_next_occurrence(&Utc::now(), false).is_err() {
        return Err(AppError::invalid("cron", format!("`{text}` never runs")));
    }
    Ok(cron)
}

/// The next `n` runs after `now`.
pub fn next_runs(cron: &Cron, now: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    cron.iter_after(now).take(n).collect()
}

/// The newest run at or before `now`.
pub fn latest_slot(cron: &Cron, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    cron.find_previous_occurrence(&now, true).ok()
}

/// A schedule as the page shows it.
pub fn view(cron_text: &str, policy: Policy, now: DateTime<Utc>) -> ScheduleView {
    let cron = parse_cron(cron_text).ok();
    ScheduleView {
        cron: cron_text.to_string(),
        description: cron
            .as_ref()
            .map(|c| format!("{} (UTC)", c.describe()))
            .unwrap_or_else(|| "not a valid expression any more".into()),
        keep_daily: policy.daily as i32,
        keep_weekly: policy.weekly as i32,
        keep_monthly: policy.monthly as i32,
        keep_safety_days: policy.safety_days as i32,
        next_runs: cron.map(|c| next_runs(&c, now, 3)).unwrap_or_default(),
    }
}

fn count(field: &str, text: &str, default: u32) -> Result<u32, AppError> {
    count_up_to(field, text, default, 1000)
}

fn count_up_to(field: &str, text: &str, default: u32, most: u32) -> Result<u32, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    match text.parse::<u32>() {
        Ok(n) if n <= most => Ok(n),
        _ => Err(AppError::invalid(
            field,
            format!("a whole number from 0 to {most}"),
        )),
    }
}

/// The policy of a schedule form: empty fields take the defaults.
fn parse_policy(keep: [&str; 4]) -> Result<Policy, AppError> {
    let defaults = Policy::default();
    Ok(Policy {
        daily: count("keep_daily", keep[0], defaults.daily)?,
        weekly: count("keep_weekly", keep[1], defaults.weekly)?,
        monthly: count("keep_monthly", keep[2], defaults.monthly)?,
        safety_days: count_up_to("keep_safety_days", keep[3], defaults.safety_days, 3650)?,
    })
}

/// Sets (or, with an empty expression, removes) the schedule of `target`.
/// Slots before now never run: saving does not fire one of the past.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    target: &str,
    cron: &str,
    keep: [&str; 4],
) -> Result<(), AppError> {
    let row = find(&state.db, target).await?;
    let cron = cron.trim();
    let policy = parse_policy(keep)?;
    if !cron.is_empty() {
        parse_cron(cron)?;
    }
    let mut tx = state.db.begin().await?;
    write(&mut tx, row.id, cron, &policy).await?;
    let r = Record::new(
        actor.audit_name(),
        actions::SCHEDULE,
        row.audit_target(),
        Outcome::Success,
    )
    .details(
        json!({ "cron": (!cron.is_empty()).then_some(cron), "keep_daily": policy.daily,
                      "keep_weekly": policy.weekly, "keep_monthly": policy.monthly,
                      "keep_safety_days": policy.safety_days }),
    )
    .meta(&actor.meta);
    record(&mut tx, r).await?;
    tx.commit().await.map_err(AppError::from)
}

async fn write(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    target_id: i64,
    cron: &str,
    policy: &Policy,
) -> Result<(), AppError> {
    let query = if cron.is_empty() {
        sqlx::query("DELETE FROM backup_schedule WHERE target_id = $1").bind(target_id)
    } else {
        sqlx::query(
            "INSERT INTO backup_schedule (target_id, cron, keep_daily, keep_weekly, keep_monthly, keep_safety_days)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (target_id) DO UPDATE SET cron = $2, keep_daily = $3, keep_weekly = $4,
               keep_monthly = $5, keep_safety_days = $6, active_since = now(), updated_at = now()",
        )
        .bind(target_id)
        .bind(cron)
        .bind(policy.daily as i32)
        .bind(policy.weekly as i32)
        .bind(policy.monthly as i32)
        .bind(policy.safety_days as i32)
    };
    query.execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_daily_expression_is_described_and_its_next_runs_listed() {
        let cron = parse_cron("30 2 * * *").unwrap();
        assert_eq!(
            next_runs(&cron, at("2026-11-23T12:00:00Z"), 3),
            vec![
                at("2026-11-24T02:30:00Z"),
                at("2026-11-25T02:30:00Z"),
                at("2026-11-26T02:30:00Z")
            ]
        );
        let v = view("30 2 * * *", Policy::default(), at("2026-11-23T12:00:00Z"));
        assert!(v.description.contains("02:30"), "{}", v.description);
        assert_eq!(v.next_runs.len(), 3);
    }

    #[test]
    fn the_latest_slot_is_the_newest_run_not_after_now() {
        let cron = parse_cron("*/15 * * * *").unwrap();
        assert_eq!(
            latest_slot(&cron, at("2026-11-23T12:14:59Z")),
            Some(at("2026-11-23T12:00:00Z"))
        );
        assert_eq!(
            latest_slot(&cron, at("2026-11-23T12:15:00Z")),
            Some(at("2026-11-23T12:15:00Z"))
        );
    }

    #[test]
    fn bad_expressions_are_refused_naming_the_field_and_the_problem() {
        for (bad, says) in [
            ("* * *", "has 3 fields"),
            ("0 0 * * * *", "has 6 fields"),
            ("61 * * * *", "not a valid cron expression"),
            ("0 0 31 2 *", "never runs"),
            ("", "has 0 fields"),
        ] {
            let e = parse_cron(bad).unwrap_err();
            assert!(
                matches!(&e, AppError::Validation { field, .. } if field == "cron"),
                "{e}"
            );
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
        assert!(parse_cron("@daily").is_ok());
    }
}
