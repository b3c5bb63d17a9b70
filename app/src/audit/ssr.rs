//! Writing, verifying and exporting audit events (server only).

use super::chain::{event_hash, keyed_event_hash, ChainKey, Fields, GENESIS, KEYED, PLAIN};
use super::{Action, AuditEvent, Outcome};
use crate::audit::actions;
use chrono::{DateTime, SubsecRound, Utc};
use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::{PgPool, Postgres, Transaction};

/// An event to append. Build it with [`Record::new`] and the setters.
#[derive(Clone, Debug)]
pub struct Record {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub details: Value,
}

impl Record {
    /// `actor` is `user:<name>`, `token:<id>`, `system` or `anonymous`;
    /// `action` one of a feature's `actions` (`deploy::actions::SCALE`).
    pub fn new(
        actor: impl Into<String>,
        action: Action,
        target: impl Into<String>,
        outcome: Outcome,
    ) -> Self {
        Record {
            actor: actor.into(),
            action: action.as_str().to_string(),
            target: target.into(),
            outcome,
            request_id: None,
            client_addr: None,
            details: Value::Object(Default::default()),
        }
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The request id and client address of the request that caused it.
    pub fn meta(mut self, meta: &crate::request::RequestMeta) -> Self {
        self.request_id = meta.request_id.clone();
        self.client_addr = meta.client_addr.clone();
        self
    }
}

/// Keys whose values are never stored, whatever a caller passes.
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "token",
    "key",
    "authorization",
    "cookie",
    "dsn",
    "url",
];

/// Replaces the values of secret-looking keys, at any depth, with `[redacted]`.
pub fn redact(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
                        (k, Value::String("[redacted]".into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

/// The chain key of this process: every Opsdeck process on one database
/// derives the same one from the installation secret key.
static CHAIN_KEY: std::sync::OnceLock<ChainKey> = std::sync::OnceLock::new();

/// Installs the chain key, once per process, before the first event is
/// written or verified (the server and the CLI do it when they open the
/// database). A later call keeps the first key.
pub fn use_chain_key(key: ChainKey) {
    let _ = CHAIN_KEY.set(key);
}

fn chain_key() -> Result<&'static ChainKey, sqlx::Error> {
    CHAIN_KEY.get().ok_or_else(|| {
        sqlx::Error::Configuration("the audit chain key is not installed (use_chain_key)".into())
    })
}

/// Appends `record` inside `tx`, the transaction of the change it records,
/// so both commit or neither does. Concurrent writers queue on the chain
/// head's row lock until this transaction ends. Returns the event id.
#[tracing::instrument(skip_all, fields(action = %record.action))]
pub async fn record(
    tx: &mut Transaction<'_, Postgres>,
    record: Record,
) -> Result<i64, sqlx::Error> {
    let (last_id, prev_hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_chain_head FOR UPDATE")
            .fetch_one(&mut **tx)
            .await?;
    let id = last_id + 1;
    // PostgreSQL keeps microseconds: hash exactly what will be stored.
    let at = Utc::now().trunc_subsecs(6);
    let details = redact(record.details);
    let hash = keyed_event_hash(
        chain_key()?,
        &prev_hash,
        &Fields {
            id,
            at_micros: at.timestamp_micros(),
            actor: &record.actor,
            action: &record.action,
            target: &record.target,
            outcome: record.outcome.as_str(),
            request_id: record.request_id.as_deref(),
            client_addr: record.client_addr.as_deref(),
            details: &details,
        },
    );
    sqlx::query(
        "INSERT INTO audit_event (id, at, actor, action, target, outcome, request_id, client_addr, details, prev_hash, hash, hash_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id)
    .bind(at)
    .bind(&record.actor)
    .bind(&record.action)
    .bind(&record.target)
    .bind(record.outcome.as_str())
    .bind(&record.request_id)
    .bind(&record.client_addr)
    .bind(&details)
    .bind(&prev_hash)
    .bind(hash.as_slice())
    .bind(KEYED)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_chain_head SET last_id = $1, last_hash = $2")
        .bind(id)
        .bind(hash.as_slice())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Keys a log written before the chain was keyed: appends one keyed event
/// whose HMAC covers the last unkeyed hash, so that no unkeyed event can be
/// rewritten afterwards. Does nothing on an empty or already keyed log.
/// Returns whether it wrote the event.
pub async fn key_unkeyed_chain(db: &PgPool) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let unkeyed: Option<i64> = sqlx::query_scalar(
        "SELECT last_id FROM audit_chain_head
         WHERE last_id > 0 AND NOT EXISTS (SELECT 1 FROM audit_event WHERE hash_version = $1)
         FOR UPDATE",
    )
    .bind(KEYED)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(events) = unkeyed else {
        return Ok(false);
    };
    let r = Record::new("system", actions::KEY_CHAIN, "audit", Outcome::Success)
        .details(serde_json::json!({ "unkeyed_events": events }));
    record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(true)
}

/// Records an event that accompanies no other change (a failed login, a denial).
pub async fn record_alone(db: &PgPool, r: Record) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let id = record(&mut tx, r).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    request_id: Option<String>,
    client_addr: Option<String>,
    details: Value,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    hash_version: i16,
}

impl Row {
    /// The hash this row's contents deserve under its own version; `None`
    /// for an unknown version.
    fn recomputed_hash(&self, key: &ChainKey) -> Option<[u8; 32]> {
        let fields = Fields {
            id: self.id,
            at_micros: self.at.timestamp_micros(),
            actor: &self.actor,
            action: &self.action,
            target: &self.target,
            outcome: &self.outcome,
            request_id: self.request_id.as_deref(),
            client_addr: self.client_addr.as_deref(),
            details: &self.details,
        };
        match self.hash_version {
            PLAIN => Some(event_hash(&self.prev_hash, &fields)),
            KEYED => Some(keyed_event_hash(key, &self.prev_hash, &fields)),
            _ => None,
        }
    }

    fn into_event(self) -> AuditEvent {
        AuditEvent {
            id: self.id,
            at: self.at,
            outcome: Outcome::parse(&self.outcome).unwrap_or(Outcome::Failure),
            actor: self.actor,
            action: self.action,
            target: self.target,
            request_id: self.request_id,
            client_addr: self.client_addr,
            details: self.details,
            prev_hash: hex::encode(self.prev_hash),
            hash: hex::encode(self.hash),
        }
    }
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact { events: i64 },
    Broken { id: i64, reason: String },
}

/// Walks every event in id order (streamed, constant memory) and checks ids,
/// links and hashes, then the chain head: finds an altered, removed or
/// reordered event at its exact id. Uses this process's chain key.
pub async fn verify(db: &PgPool) -> Result<ChainReport, sqlx::Error> {
    verify_with(db, chain_key()?).await
}

/// [`verify`] under `key`.
///
/// The downgrade rule: unkeyed (version 1) events count only before the
/// first keyed (version 2) one, and a log with events must hold a keyed one
/// (an upgraded log is keyed when Opsdeck first opens it). Without the key a
/// rewrite can produce only unkeyed hashes, so it is caught wherever it
/// starts: after a keyed event it is an unkeyed event out of place; from the
/// first event on it leaves no keyed event; inside the unkeyed prefix it
/// breaks the link of the first keyed event, whose HMAC covers that link.
pub async fn verify_with(db: &PgPool, key: &ChainKey) -> Result<ChainReport, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM audit_event ORDER BY id");
    let mut rows = sqlx::query_as::<_, Row>(&sql).fetch(db);
    let (mut expected, mut prev, mut keyed) = (1i64, GENESIS.to_vec(), false);
    while let Some(row) = rows.try_next().await? {
        if let Some(broken) = check_row(&row, expected, &prev, keyed, key) {
            return Ok(broken);
        }
        keyed |= row.hash_version == KEYED;
        prev = row.hash;
        expected += 1;
    }
    drop(rows);
    let (last_id, last_hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_chain_head")
            .fetch_one(db)
            .await?;
    let events = expected - 1;
    if last_id != events || last_hash != prev {
        return Ok(ChainReport::Broken {
            id: events + 1,
            reason: format!("the chain head names event {last_id}, but the log ends at event {events}: later events were removed"),
        });
    }
    if events > 0 && !keyed {
        return Ok(ChainReport::Broken {
            id: 1,
            reason:
                "no event carries the keyed hash: the log was rehashed without the installation key"
                    .into(),
        });
    }
    Ok(ChainReport::Intact { events })
}

fn check_row(
    row: &Row,
    expected: i64,
    prev: &[u8],
    after_keyed: bool,
    key: &ChainKey,
) -> Option<ChainReport> {
    let broken = |id, reason: String| Some(ChainReport::Broken { id, reason });
    if row.id != expected {
        return broken(
            expected,
            format!(
                "event {expected} is missing (the next one present is {})",
                row.id
            ),
        );
    }
    if row.prev_hash != prev {
        return broken(
            row.id,
            format!("its previous hash does not match event {}", row.id - 1),
        );
    }
    if after_keyed && row.hash_version != KEYED {
        return broken(
            row.id,
            "it carries an unkeyed hash after keyed events: it was rewritten without the installation key".into(),
        );
    }
    match row.recomputed_hash(key) {
        Some(hash) if hash.as_slice() == row.hash.as_slice() => None,
        Some(_) => broken(
            row.id,
            "its contents do not match its hash: it was altered (or OPSDECK_SECRET_KEY is not the installation's key)".into(),
        ),
        None => broken(row.id, format!("unknown hash version {}", row.hash_version)),
    }
}

/// `%`, `_` and `\` typed by a person match themselves in a LIKE prefix.
fn like_prefix(s: &str) -> String {
    format!(
        "{}%",
        s.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

macro_rules! filter_where {
    () => {
        "($1::text IS NULL OR actor = $1)
          AND ($2::text IS NULL OR action LIKE $2)
          AND ($3::text IS NULL OR target = $3)
          AND ($4::text IS NULL OR outcome = $4)
          AND ($5::timestamptz IS NULL OR at >= $5)
          AND ($6::timestamptz IS NULL OR at < $6)"
    };
}

macro_rules! columns {
    () => {
        "id, at, actor, action, target, outcome, request_id, client_addr, details, prev_hash, hash, hash_version"
    };
}

const COLUMNS: &str = columns!();

/// One page of events matching `f`, newest first, older than event `before`
/// (keyset pagination: the cost does not grow with the page number).
pub async fn search(
    db: &PgPool,
    f: &super::filter::ParsedFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM audit_event WHERE ",
        filter_where!(),
        " AND ($7::bigint IS NULL OR id < $7) ORDER BY id DESC LIMIT $8"
    );
    let rows = sqlx::query_as::<_, Row>(SQL)
        .bind(&f.actor)
        .bind(f.action_prefix.as_deref().map(like_prefix))
        .bind(&f.target)
        .bind(&f.outcome)
        .bind(f.since)
        .bind(f.until)
        .bind(before)
        .bind(limit)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(Row::into_event).collect())
}

/// The newest event of `action` (index `audit_event_action_idx`).
///
/// Not a prepared statement: after five runs PostgreSQL plans a prepared
/// one generically, without the action's value, and with a few frequent
/// actions in the statistics it expects a backward walk of the primary key
/// to meet a match at once — for a rare action such as `audit.verify` that
/// walk reads the whole log (157 ms over 1M events, measured 2026-11-29,
/// and the audit page's p50 went from 4 to 101 ms). An unnamed statement is
/// planned with the value: the action index, 0.07 ms.
pub async fn latest(db: &PgPool, action: Action) -> Result<Option<AuditEvent>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM audit_event WHERE action = $1 ORDER BY id DESC LIMIT 1"
    );
    let row = sqlx::query_as::<_, Row>(SQL)
        .bind(action.as_str())
        .persistent(false)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Row::into_event))
}

/// Every event matching `f`, oldest first, streamed (exports of any size).
pub fn stream_filtered<'a>(
    db: &'a PgPool,
    f: &super::filter::ParsedFilter,
) -> impl futures_util::Stream<Item = Result<AuditEvent, sqlx::Error>> + Send + 'a {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM audit_event WHERE ",
        filter_where!(),
        " ORDER BY id"
    );
    sqlx::query_as::<_, Row>(SQL)
        .bind(f.actor.clone())
        .bind(f.action_prefix.as_deref().map(like_prefix))
        .bind(f.target.clone())
        .bind(f.outcome.clone())
        .bind(f.since)
        .bind(f.until)
        .fetch(db)
        .map_ok(Row::into_event)
}
