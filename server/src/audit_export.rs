//! `GET /admin/audit/export?format=csv|json&<filter>`: the audit page's
//! current filter as a streamed download, in constant memory at any size.

use app::audit::actions;
use app::audit::filter::AuditFilter;
use app::audit::ssr::{record_alone, stream_filtered, Record};
use app::audit::{AuditEvent, Outcome};
use app::auth::authorized::Authorized;
use app::state::AppState;
use app::AppError;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::{stream, StreamExt};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ExportQuery {
    format: String,
    #[serde(flatten)]
    filter: AuditFilter,
}

pub async fn export(
    State(state): State<AppState>,
    Query(q): Query<ExportQuery>,
    auditor: Authorized,
) -> Result<Response, AppError> {
    let actor = auditor.actor;
    let filter = q.filter.parse()?;
    let csv = match q.format.as_str() {
        "csv" => true,
        "json" => false,
        other => {
            return Err(AppError::invalid(
                "format",
                format!("`{other}` must be csv or json"),
            ))
        }
    };
    let r = Record::new(
        actor.audit_name(),
        actions::EXPORT,
        "audit",
        Outcome::Success,
    )
    .details(serde_json::json!({ "format": q.format, "filter": q.filter }))
    .meta(&actor.meta);
    record_alone(&state.db, r).await?;
    Ok(stream_response(state, filter, csv))
}

/// Streams rows as they come from PostgreSQL; a database error mid-way ends
/// the download early (the client sees a truncated file, never a fake one).
fn stream_response(
    state: AppState,
    filter: app::audit::filter::ParsedFilter,
    csv: bool,
) -> Response {
    let body = async_stream(state, filter, csv);
    let (kind, name) = if csv {
        ("text/csv; charset=utf-8", "audit.csv")
    } else {
        ("application/json", "audit.json")
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

fn async_stream(
    state: AppState,
    filter: app::audit::filter::ParsedFilter,
    csv: bool,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    tokio::spawn(async move {
        let head = if csv {
            Bytes::from_static(CSV_HEADER.as_bytes())
        } else {
            Bytes::from_static(b"[")
        };
        if tx.send(Ok(head)).await.is_err() {
            return;
        }
        let mut rows = std::pin::pin!(stream_filtered(&state.db, &filter));
        let mut first = true;
        while let Some(row) = rows.next().await {
            let chunk = match row {
                Ok(e) => Ok(Bytes::from(if csv {
                    csv_line(&e)
                } else {
                    json_item(&e, first)
                })),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            first = false;
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                return;
            }
        }
        if !csv {
            let _ = tx.send(Ok(Bytes::from_static(b"\n]\n"))).await;
        }
    });
    tokio_stream_from(rx)
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send {
    stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// The CSV header row of every audit export (web and CLI).
pub const CSV_HEADER: &str =
    "id,at,actor,action,target,outcome,request_id,client_addr,details,prev_hash,hash\n";

/// One event as a CSV row, line ending included.
pub fn csv_line(e: &AuditEvent) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        e.id.to_string(),
        e.at.to_rfc3339(),
        e.actor.clone(),
        e.action.clone(),
        e.target.clone(),
        e.outcome.as_str().to_string(),
        e.request_id.clone().unwrap_or_default(),
        e.client_addr.clone().unwrap_or_default(),
        e.details.to_string(),
        e.prev_hash.clone(),
        e.hash.clone(),
    ]);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One event as an element of a streamed JSON array.
pub fn json_item(e: &AuditEvent, first: bool) -> String {
    format!(
        "{}{}",
        if first { "\n" } else { ",\n" },
        serde_json::to_string(e).unwrap_or_default()
    )
}
