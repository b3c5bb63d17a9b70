//! Feeding a backup file to a restoring process through its standard
//! input, so that Opsdeck counts the bytes (progress) and hashes them on the
//! way. The last block is held back until the whole file has been hashed:
//! the restore cannot finish (and its single transaction cannot commit)
//! without it, so a file that changed since it was checked is caught and
//! the restore rolled back, changing nothing. Both restore modes use it.

use super::failure::Failure;
use super::run::report_progress;
use sha2::{Digest, Sha256};
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// How feeding the file ended.
pub(super) enum Fed {
    Done,
    /// The file's sha256 is not the recorded one (found, hex).
    Mismatch(String),
    /// Writing stopped: pg_restore ended early (its stderr says why) or
    /// the file could not be read.
    Stopped(Failure),
}

/// Copies the file into `to` (closing it at the end), hashing as it goes and
/// holding the last block back until the hash is known.
pub(super) async fn pipe_checked(
    path: &Path,
    to: &mut tokio::process::ChildStdin,
    expected: &str,
    progress: &watch::Sender<i64>,
) -> Fed {
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) => return Fed::Stopped(format!("cannot read the backup file: {e}").into()),
    };
    let mut hasher = Sha256::new();
    let mut held: Option<Vec<u8>> = None;
    let mut sent: i64 = 0;
    loop {
        let mut block = vec![0u8; 1 << 20];
        let n = match file.read(&mut block).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Fed::Stopped(format!("reading the backup file failed: {e}").into()),
        };
        block.truncate(n);
        hasher.update(&block);
        if let Some(previous) = held.replace(block) {
            if let Err(e) = to.write_all(&previous).await {
                return Fed::Stopped(format!("pg_restore stopped reading: {e}").into());
            }
            sent += previous.len() as i64;
            progress.send_replace(sent);
        }
    }
    let found = hex::encode(hasher.finalize());
    if found != expected {
        return Fed::Mismatch(found);
    }
    if let Some(last) = held {
        if let Err(e) = to.write_all(&last).await {
            return Fed::Stopped(format!("pg_restore stopped reading: {e}").into());
        }
    }
    match to.shutdown().await {
        Ok(()) => Fed::Done,
        Err(e) => Fed::Stopped(format!("pg_restore stopped reading: {e}").into()),
    }
}

/// Stores how much of the file a running restore has fed (plain and exact
/// restores alike), until `seen` closes.
pub async fn report_restore_progress(
    db: sqlx::PgPool,
    restore_id: i64,
    seen: tokio::sync::watch::Receiver<i64>,
) {
    report_progress(
        db,
        "UPDATE backup_restore SET bytes_read = $2 WHERE id = $1 AND state = 'running'",
        restore_id,
        seen,
    )
    .await
}
