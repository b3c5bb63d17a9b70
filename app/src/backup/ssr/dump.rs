//! `pg_dump -Fc` streamed into a file, hashed on the way, with the bytes
//! written so far published for the progress display.

use super::conn::Conn;
use super::failure::Failure;
use sha2::{Digest, Sha256};
use std::process::Stdio;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// What a complete dump produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dumped {
    pub size: i64,
    pub sha256: String,
}

/// The most of a program's stderr kept as a failure reason.
const STDERR_LIMIT: usize = 8 * 1024;

/// Dumps the database of `conn` into `file` (flushed to disk before this
/// returns). The error is pg_dump's stderr, scrubbed of the password.
pub async fn dump(
    conn: &Conn,
    file: &mut tokio::fs::File,
    progress: &watch::Sender<i64>,
) -> Result<Dumped, Failure> {
    let mut cmd = conn.command("pg_dump").map_err(|e| e.to_string())?;
    // The connection comes from the environment; these are only formats.
    cmd.args(["--format=custom", "--no-password"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start pg_dump: {e}"))?;
    let stderr = tokio::spawn(read_limited(child.stderr.take()));
    let stdout = child.stdout.take();
    let copied = match stdout {
        Some(out) => copy_hashing(out, file, progress).await,
        None => Err("pg_dump has no output".into()),
    };
    if copied.is_err() {
        // pg_dump would block on a full pipe nobody reads any more.
        let _ = child.start_kill();
    }
    let status = child.wait().await.map_err(|e| e.to_string())?;
    let stderr = stderr.await.unwrap_or_default();
    if !status.success() {
        return Err(failure("pg_dump", status, conn.scrub(&stderr)));
    }
    let dumped = copied?;
    file.sync_all()
        .await
        .map_err(|e| format!("cannot flush the backup file: {e}"))?;
    Ok(dumped)
}

/// A failed program's reason: its own words, or its exit status.
pub fn failure(program: &str, status: std::process::ExitStatus, stderr: String) -> Failure {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        format!("{program} failed ({status})").into()
    } else {
        stderr.into()
    }
}

/// Copies `from` into `to` in 256 KiB blocks, hashing and counting.
async fn copy_hashing(
    mut from: impl AsyncRead + Unpin,
    to: &mut tokio::fs::File,
    progress: &watch::Sender<i64>,
) -> Result<Dumped, Failure> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size: i64 = 0;
    loop {
        let n = from
            .read(&mut buf)
            .await
            .map_err(|e| format!("reading pg_dump's output failed: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])
            .await
            .map_err(|e| format!("writing the backup file failed: {e}"))?;
        size += n as i64;
        progress.send_replace(size);
    }
    to.flush().await.map_err(|e| e.to_string())?;
    Ok(Dumped {
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Reads a child's stderr to its end, keeping the last [`STDERR_LIMIT`]
/// bytes (the end says what finally went wrong).
pub async fn read_limited(from: Option<impl AsyncRead + Unpin>) -> String {
    let Some(mut from) = from else {
        return String::new();
    };
    let mut kept: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > 2 * STDERR_LIMIT {
            kept.drain(..kept.len() - STDERR_LIMIT);
        }
    }
    if kept.len() > STDERR_LIMIT {
        kept.drain(..kept.len() - STDERR_LIMIT);
    }
    String::from_utf8_lossy(&kept).into_owned()
}
