//! The scheduler and retention passes against a real database: two
//! "processes" (two pools, two states) share one schedule; retention
//! deletes exactly what the GFS plan says.

use crate::support::backup::*;
use crate::support::{dead_docker_host, state};
use app::backup::retention::{plan, Candidate, Kind, Policy};
use app::backup::ssr::scheduler::run_due;
use app::state::AppState;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

/// A second Opsdeck process on the same database: its own pool and state,
/// the same (shared) backup folder.
async fn second_process(first: &AppState) -> AppState {
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(first.db.connect_options().as_ref().clone())
        .await
        .unwrap();
    let mut other = state(pool, &dead_docker_host());
    other.backups = first.backups.clone();
    other
}

async fn schedule(s: &AppState, target: &str, cron: &str, active_since: DateTime<Utc>) {
    let admin = system_admin(s).await;
    app::backup::ssr::schedule::save(s, &admin, target, cron, ["", "", "", ""])
        .await
        .unwrap();
    sqlx::query("UPDATE backup_schedule SET active_since = $1")
        .bind(active_since)
        .execute(&s.db)
        .await
        .unwrap();
}

/// One scheduler pass in each process at the same moment, run to the end.
async fn both_passes(a: &AppState, b: &AppState, at: DateTime<Utc>) {
    let (ra, rb) = tokio::join!(run_due(a, at), run_due(b, at));
    for handle in ra.unwrap().into_iter().chain(rb.unwrap()) {
        handle.await.unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn two_schedulers_on_one_database_run_each_minute_slot_exactly_once(pool: PgPool) {
    let a = state(pool.clone(), &dead_docker_host());
    let b = second_process(&a).await;
    let source = SourceDb::with_data("sched").await;
    add_target(&a, "shop", &source.url).await;
    let base = Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap();
    schedule(&a, "shop", "* * * * *", base).await;

    both_passes(&a, &b, base + TimeDelta::seconds(30)).await;
    for minute in 1..=4 {
        let at = base + TimeDelta::minutes(minute) + TimeDelta::seconds(2);
        both_passes(&a, &b, at).await;
        // A late second tick within the same minute finds nothing to do.
        both_passes(&a, &b, at + TimeDelta::seconds(40)).await;
    }
    let runs: Vec<(DateTime<Utc>, String, String)> =
        sqlx::query_as("SELECT slot, state, actor FROM backup ORDER BY slot")
            .fetch_all(&pool)
            .await
            .unwrap();
    let slots: Vec<DateTime<Utc>> = runs.iter().map(|r| r.0).collect();
    let expected: Vec<DateTime<Utc>> = (1..=4).map(|m| base + TimeDelta::minutes(m)).collect();
    assert_eq!(
        slots, expected,
        "each slot once; none for the slot the schedule was saved in"
    );
    assert!(
        runs.iter().all(|r| r.1 == "succeeded" && r.2 == "system"),
        "{runs:?}"
    );
    source.drop_db().await;
    remove_store(&a);
}

#[sqlx::test(migrations = "../migrations")]
async fn slots_missed_while_opsdeck_was_down_run_once_at_start(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let source = SourceDb::with_data("missed").await;
    add_target(&s, "shop", &source.url).await;
    let now = Utc::now();
    let base = now.duration_trunc(TimeDelta::minutes(5)).unwrap();
    // Saved three hours ago; nothing ran since: 36 slots of five minutes were missed.
    schedule(&s, "shop", "*/5 * * * *", base - TimeDelta::hours(3)).await;
    for _ in 0..3 {
        for handle in run_due(&s, now).await.unwrap() {
            handle.await.unwrap();
        }
    }
    let slots: Vec<DateTime<Utc>> = sqlx::query_scalar("SELECT slot FROM backup")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(slots, [base], "one run, for the newest missed slot");
    source.drop_db().await;
    remove_store(&s);
}

/// One stored backup: (day, minute, verified, a test restore failed, kind).
type Entry = (i64, i64, bool, bool, usize);
/// Keep daily, weekly, monthly, safety days.
type Keep = (u32, u32, u32, u32);

const KINDS: [(&str, Kind); 4] = [
    ("scheduled", Kind::Scheduled),
    ("manual", Kind::Manual),
    ("safety", Kind::Safety),
    ("pre_deploy", Kind::PreDeploy),
];

/// Random histories of every kind (mostly scheduled) and policies.
fn histories() -> impl Strategy<Value = (Vec<Entry>, Keep)> {
    let backup = (
        0i64..120,
        0i64..1440,
        proptest::bool::weighted(0.7),
        proptest::bool::weighted(0.1),
        proptest::sample::select(vec![0usize, 0, 0, 1, 2, 3]),
    );
    (
        proptest::collection::vec(backup, 1..30),
        (0u32..6, 0u32..4, 0u32..3, 0u32..200),
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn a_retention_pass_deletes_exactly_what_the_plan_says_for_every_kind(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let mut runner = TestRunner::deterministic();
    for case in 0..16 {
        let (history, keep) = histories().new_tree(&mut runner).unwrap().current();
        check_pass(&s, &format!("t{case}"), &history, keep).await;
    }
    remove_store(&s);
}

/// One case: a target `name` with this history and policy, one pass.
async fn check_pass(s: &AppState, name: &str, history: &[Entry], (d, w, m, days): Keep) {
    let target_id = add_target(s, name, &url_for("anything")).await;
    let policy = Policy {
        daily: d,
        weekly: w,
        monthly: m,
        safety_days: days,
    };
    let keep = [d, w, m, days].map(|n| n.to_string());
    let admin = system_admin(s).await;
    let keep_refs = [&keep[0], &keep[1], &keep[2], &keep[3]].map(String::as_str);
    app::backup::ssr::schedule::save(s, &admin, name, "@daily", keep_refs)
        .await
        .unwrap();
    let stored = insert_history(s, target_id, name, history).await;
    let target = app::backup::ssr::target::find(&s.db, name).await.unwrap();
    let mut deleted = app::backup::ssr::prune::apply(s, &target).await.unwrap();
    deleted.sort();

    let candidates: Vec<Candidate> = stored.iter().map(|(c, _)| *c).collect();
    for c in candidates.iter().filter(|c| c.kind == Kind::Manual) {
        assert!(!deleted.contains(&c.id), "{name}: manual #{} deleted", c.id);
    }
    let mut planned: Vec<i64> = plan(&policy, &candidates, Utc::now())
        .iter()
        .filter(|d| d.deleted())
        .map(|d| d.id)
        .collect();
    planned.sort();
    assert_eq!(deleted, planned, "{name}: {history:?} {policy:?}");
    let newest_verified = candidates
        .iter()
        .filter(|c| c.verified)
        .max_by_key(|c| (c.taken_at, c.id));
    if let Some(n) = newest_verified {
        assert!(
            !deleted.contains(&n.id),
            "{name}: the newest verified was deleted"
        );
    }
    for (c, path) in &stored {
        assert_eq!(
            path.exists(),
            !deleted.contains(&c.id),
            "{name}: file of #{}",
            c.id
        );
    }
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'backup.delete' AND target = $1",
    )
    .bind(format!("backup_target:{name}"))
    .fetch_one(&s.db)
    .await
    .unwrap();
    assert_eq!(
        audited,
        deleted.len() as i64,
        "{name}: every deletion audited"
    );
}

/// Stores one succeeded backup row (and a small file) per history entry.
async fn insert_history(
    s: &AppState,
    target_id: i64,
    name: &str,
    history: &[Entry],
) -> Vec<(Candidate, std::path::PathBuf)> {
    let epoch = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let mut out = Vec::new();
    for (i, (day, minute, verified, test_failed, kind)) in history.iter().enumerate() {
        let taken_at = epoch + TimeDelta::days(*day) + TimeDelta::minutes(*minute);
        let file = format!("{name}/{name}-{i}.dump");
        let path = s.backups.path(&file).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"dump").unwrap();
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO backup (target_id, kind, slot, state, file, size_bytes, sha256, actor, started_at, finished_at,
                                 verified_at, test_state, test_started_at)
             VALUES ($1, $6, CASE WHEN $6 = 'scheduled' THEN $3 END, 'succeeded', $2, 4, repeat('a', 64), 'user:test', $3, $3,
                     CASE WHEN $4 THEN $3 END, CASE WHEN $5 THEN 'failed' END, CASE WHEN $5 THEN $3 END)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(target_id)
        .bind(&file)
        .bind(taken_at)
        .bind(verified)
        .bind(test_failed)
        .bind(KINDS[*kind].0)
        .fetch_optional(&s.db)
        .await
        .unwrap();
        // Two scheduled backups cannot share a slot: the second is left out.
        let Some(id) = id else { continue };
        let candidate = Candidate {
            id,
            taken_at,
            verified: *verified && !test_failed,
            kind: KINDS[*kind].1,
            undoes_newest_restore: false,
        };
        out.push((candidate, path));
    }
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn the_first_scheduled_backup_of_a_day_keeps_its_manual_and_safety_backups(pool: PgPool) {
    let s = state(pool.clone(), &dead_docker_host());
    let BackedUp {
        source,
        backup: manual,
        ..
    } = backed_up(&s, "kinds").await;
    let admin = system_admin(&s).await;
    let started = app::backup::ssr::restore::start(&s, &admin, manual, "shop", "")
        .await
        .unwrap();
    assert_eq!(restore_done(&pool, started.restore).await, "succeeded");
    let safety: i64 =
        sqlx::query_scalar("SELECT safety_backup_id FROM backup_restore WHERE id = $1")
            .bind(started.restore)
            .fetch_one(&pool)
            .await
            .unwrap();
    let base = Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap();
    schedule(&s, "shop", "* * * * *", base).await;
    for handle in run_due(&s, base + TimeDelta::seconds(62)).await.unwrap() {
        handle.await.unwrap();
    }
    let rows: Vec<(String, String, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT kind, state, deleted_at FROM backup ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(kinds, ["manual", "safety", "scheduled"]);
    assert!(
        rows.iter().all(|r| r.1 == "succeeded" && r.2.is_none()),
        "nothing deleted: {rows:?}"
    );
    let kept = |id| {
        let s = s.clone();
        async move {
            app::backup::ssr::read::read_backup(&s, id)
                .await
                .unwrap()
                .kept_by
                .join(", ")
        }
    };
    assert_eq!(kept(manual).await, "manual: kept until deleted");
    let safety_kept = kept(safety).await;
    assert!(
        safety_kept.contains("minimum age: until")
            && safety_kept.contains("undoes the newest restore"),
        "{safety_kept}"
    );

    // By hand: the undo of the newest restore is refused, a manual backup goes.
    let refused = app::backup::ssr::delete::delete(&s, &admin, safety)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, app::AppError::Conflict(m) if m.contains("undoes restore")),
        "{refused}"
    );
    let file = file_of(&s, manual).await;
    app::backup::ssr::delete::delete(&s, &admin, manual)
        .await
        .unwrap();
    assert!(!file.exists(), "the file is removed");
    let (by, audited): (Option<String>, i64) = sqlx::query_as(
        "SELECT (SELECT deleted_by FROM backup WHERE id = $1),
                (SELECT count(*) FROM audit_event WHERE action = 'backup.delete' AND actor = 'user:backup-admin')",
    )
    .bind(manual)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((by.as_deref(), audited), (Some("user:backup-admin"), 1));
    source.drop_db().await;
    remove_store(&s);
}
