//! Routes of backups that are not server functions: the live stream a
//! target's page follows, and the streamed, audited download of a file.

use super::ssr::model::find_backup;
use super::ssr::target::find;
use crate::audit::ssr::{record_alone, Record};
use crate::audit::AuditTarget;
use crate::audit::Outcome;
use crate::auth::authorized::Authorized;
use crate::auth::guard::Actor;
use crate::auth::stream::while_allowed;
use crate::backup::actions;
use crate::state::AppState;
use crate::AppError;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use std::convert::Infallible;
use tokio::io::AsyncReadExt;

/// `GET /backup-events/{target}`: a `change` event at once and then
/// whenever a backup or restore of the target changes (progress included);
/// the page reads the target again on each.
pub async fn target_events(
    State(state): State<AppState>,
    Path(target): Path<String>,
    reader: Authorized,
) -> Result<Response, AppError> {
    let row = find(&state.db, &target).await?;
    let changes = state.live.subscribe(&state.db);
    Ok(Sse::new(while_allowed(
        &state,
        reader.caller,
        follow(row.id, changes),
    ))
    .keep_alive(KeepAlive::default())
    .into_response())
}

fn follow(
    target_id: i64,
    changes: crate::live::Subscription,
) -> impl Stream<Item = Result<Event, Infallible>> {
    changes
        .changes(crate::live::Topic::BackupTarget, Some(target_id))
        .map(move |()| Ok(Event::default().event("change").data(target_id.to_string())))
}

/// `GET /backup-files/{id}`: the dump file, streamed (administrators only,
/// audited). `x-backup-sha256` carries the checksum recorded at backup time.
/// The file is hashed as it is sent: when it does not match, the body ends
/// with an error instead of its last piece (the client sees a broken
/// transfer, never a clean 200 with a wrong file) and the backup is marked
/// corrupted. Hashing while streaming costs no second read of the file.
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    admin: Authorized,
) -> Result<Response, AppError> {
    open_download(&state, &admin.actor, id).await
}

async fn open_download(state: &AppState, actor: &Actor, id: i64) -> Result<Response, AppError> {
    let backup = find_backup(&state.db, id).await?;
    let path = backup.usable_path(state)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| AppError::NotFound(format!("the file of backup #{id} ({e})")))?;
    let size = file.metadata().await.map_err(AppError::internal)?.len();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("backup.dump")
        .to_string();
    let r = Record::new(
        actor.audit_name(),
        actions::DOWNLOAD,
        AuditTarget::BackupTarget(&backup.target),
        Outcome::Success,
    )
    .details(serde_json::json!({ "backup": id, "file": name, "size": size }))
    .meta(&actor.meta);
    record_alone(&state.db, r).await?;
    let check = Check {
        state: state.clone(),
        actor: actor.audit_name(),
        id,
        target: backup.target.clone(),
        expected: backup.sha256.clone().unwrap_or_default(),
    };
    let body = Body::from_stream(chunks(file, check));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, size.to_string()),
            // Dumps are compressed already: this keeps the compression
            // layer from spending a core on gzipping them again.
            (header::CONTENT_ENCODING, "identity".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static("x-backup-sha256"),
                backup.sha256.unwrap_or_default(),
            ),
        ],
        body,
    )
        .into_response())
}

/// What a download checks its file against at the end.
struct Check {
    state: AppState,
    actor: String,
    id: i64,
    target: String,
    expected: String,
}

impl Check {
    /// The error that ends a body whose content is not the recorded one.
    async fn mismatch(self, found: String) -> std::io::Error {
        let what = format!(
            "the file has sha256 {found}, but {} was recorded when it was taken",
            self.expected
        );
        let meta = crate::request::RequestMeta::default();
        let who = super::ssr::scrub::Scrubber {
            actor: &self.actor,
            meta: &meta,
        };
        let _ = super::ssr::scrub::mark_corrupted(&self.state, &who, self.id, &self.target, &what)
            .await;
        std::io::Error::other(format!("backup #{} is corrupted: {what}", self.id))
    }
}

/// The file in 256 KiB pieces, read as the client takes them and hashed;
/// each piece is sent only once the next read succeeded, so the last one
/// is held back until the whole file's hash is known.
fn chunks(
    file: tokio::fs::File,
    check: Check,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    use sha2::{Digest, Sha256};
    let start = Some((file, Sha256::new(), None::<Bytes>, check));
    stream::unfold(start, |reading| async move {
        let (mut file, mut hasher, mut held, check) = reading?;
        loop {
            let mut buf = vec![0u8; 256 * 1024];
            match file.read(&mut buf).await {
                Ok(0) => {
                    let found = hex::encode(hasher.finalize());
                    if found != check.expected {
                        return Some((Err(check.mismatch(found).await), None));
                    }
                    return held.map(|last| (Ok(last), None));
                }
                Ok(n) => {
                    buf.truncate(n);
                    hasher.update(&buf);
                    if let Some(previous) = held.replace(Bytes::from(buf)) {
                        return Some((Ok(previous), Some((file, hasher, held, check))));
                    }
                }
                Err(e) => return Some((Err(e), None)),
            }
        }
    })
}

/// The routes of this feature that are not server functions.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            crate::auth::registry::plain_route("/backup-events/{target}"),
            axum::routing::get(target_events),
        )
        .route(
            crate::auth::registry::plain_route("/backup-files/{id}"),
            axum::routing::get(download),
        )
}
