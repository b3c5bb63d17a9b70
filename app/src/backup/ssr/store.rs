//! The backup store: a folder (`OPSDECK_BACKUP_DIR`, by default `backups/`
//! in the data folder) with one sub-folder per target. A dump is written to
//! a hidden `.partial` file and renamed into place only once complete and
//! flushed, so a file under its final name is always a whole backup.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use tokio::io::AsyncReadExt;

/// Where backup files live. Cheap to clone.
#[derive(Clone, Debug)]
pub struct BackupStore {
    root: PathBuf,
}

impl BackupStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BackupStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The store-relative name of backup `id` of `target`, taken at `at`.
    pub fn file_name(target: &str, id: i64, at: DateTime<Utc>) -> String {
        format!(
            "{target}/{target}-{}-{id}.dump",
            at.format("%Y%m%dT%H%M%SZ")
        )
    }

    /// The full path of a store-relative name; `None` for a name that would
    /// leave the store (names come from the database, which is not trusted
    /// to point at arbitrary files).
    pub fn path(&self, relative: &str) -> Option<PathBuf> {
        let rel = Path::new(relative);
        let inside = rel.components().all(|c| matches!(c, Component::Normal(_)));
        inside.then(|| self.root.join(rel))
    }

    /// The in-progress file of backup `id`.
    pub fn partial(&self, target: &str, id: i64) -> PathBuf {
        self.root.join(target).join(format!(".{id}.partial"))
    }

    /// Creates the target's folder (0700: dumps hold the data) and the
    /// partial file of backup `id` (0600), refusing to reuse one.
    pub async fn create_partial(
        &self,
        target: &str,
        id: i64,
    ) -> std::io::Result<(PathBuf, tokio::fs::File)> {
        let dir = self.root.join(target);
        let path = self.partial(target, id);
        let open_path = path.clone();
        let file = tokio::task::spawn_blocking(move || {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)?;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&open_path)
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok((path, tokio::fs::File::from_std(file)))
    }
}

/// The sha256 of a whole file, hex, read in large blocks.
pub async fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_stay_inside_the_store() {
        let store = BackupStore::new("/var/lib/opsdeck/backups");
        let at = DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let name = BackupStore::file_name("shop", 7, at);
        assert_eq!(name, "shop/shop-20261118T110640Z-7.dump");
        assert_eq!(
            store.path(&name),
            Some(PathBuf::from(
                "/var/lib/opsdeck/backups/shop/shop-20261118T110640Z-7.dump"
            ))
        );
        assert_eq!(store.path("../etc/passwd"), None);
        assert_eq!(store.path("/etc/passwd"), None);
        assert_eq!(store.path("shop/../../x"), None);
    }

    #[tokio::test]
    async fn partial_files_are_private_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = BackupStore::new(dir.path().join("backups"));
        let (path, _file) = store.create_partial("shop", 1).await.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        assert!(store.create_partial("shop", 1).await.is_err());
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_of(&path).await.unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
