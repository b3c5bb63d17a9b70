//! Audit log benchmark (run by bench/audit.sh, not a test): chained appends
//! per second with 1 and 8 concurrent writers, then the audit page's query
//! over a table of 1M events. Needs DATABASE_URL pointing at a scratch
//! database that it may fill.

use app::audit::filter::ParsedFilter;
use app::audit::ssr::{record_alone, search, Record};
use app::audit::Outcome;
use sqlx::postgres::PgPoolOptions;
use std::time::{Duration, Instant};

const APPENDS: usize = 2_000;
const ROWS: i64 = 1_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(&url)
        .await?;
    opsdeck_server::serve::migrate(&pool).await?;
    // The chain is keyed: the bench measures HMAC-SHA256 appends, as the server writes them.
    app::audit::ssr::use_chain_key(app::audit::chain::ChainKey::derive(&[7u8; 32]));
    for writers in [1, 8] {
        let rate = appends_per_second(&pool, writers).await?;
        println!("appends_per_second writers={writers} value={rate:.0}");
    }
    fill(&pool).await?;
    for (name, filter, before) in queries() {
        let best = time_query(&pool, &filter, before).await?;
        println!(
            "page_query case={name} rows={ROWS} best_ms={:.2}",
            best.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

async fn appends_per_second(pool: &sqlx::PgPool, writers: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for i in 0..APPENDS / writers {
                    let r = Record::new(
                        format!("user:w{w}"),
                        app::audit::Action::new("bench.append"),
                        format!("thing:{i}"),
                        Outcome::Success,
                    );
                    record_alone(&pool, r).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    Ok(APPENDS as f64 / start.elapsed().as_secs_f64())
}

/// Bulk rows for the read benchmark. Their hashes are not a valid chain
/// (computing 1M chained hashes through the writer would take minutes and
/// measure the writer again); the page query does not look at them.
async fn fill(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let last: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_event")
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO audit_event (id, at, actor, action, target, outcome, details, prev_hash, hash)
         SELECT $1 + g, now() - make_interval(secs => $2 - g), 'user:u' || (g % 50), 
                (ARRAY['user.login','deploy.start','deploy.finish','backup.run'])[1 + g % 4],
                'service:' || (g % 200), (ARRAY['success','failure','intent','denied'])[1 + g % 4],
                '{}'::jsonb, decode(repeat('00', 32), 'hex'), decode(repeat('11', 32), 'hex')
         FROM generate_series(1, $2) AS g",
    )
    .bind(last)
    .bind(ROWS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE audit_event").execute(pool).await?;
    Ok(())
}

fn queries() -> Vec<(&'static str, ParsedFilter, Option<i64>)> {
    let actor = ParsedFilter {
        actor: Some("user:u7".into()),
        ..Default::default()
    };
    let action = ParsedFilter {
        action_prefix: Some("deploy.".into()),
        ..Default::default()
    };
    let rare = ParsedFilter {
        actor: Some("user:u7".into()),
        action_prefix: Some("backup.".into()),
        ..Default::default()
    };
    vec![
        ("first_page", ParsedFilter::default(), None),
        (
            "deep_page_before_500000",
            ParsedFilter::default(),
            Some(500_000),
        ),
        ("actor_filter", actor, None),
        ("action_prefix_filter", action, None),
        ("actor_and_action_filter", rare, None),
    ]
}

async fn time_query(
    pool: &sqlx::PgPool,
    f: &ParsedFilter,
    before: Option<i64>,
) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..10 {
        let start = Instant::now();
        search(pool, f, before, 51).await?;
        best = best.min(start.elapsed());
    }
    Ok(best)
}
