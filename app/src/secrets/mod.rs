//! Secrets at rest: AES-256-GCM under one key (`OPSDECK_SECRET_KEY`, or a key
//! file generated in the data directory). Service env values marked secret
//! and backup connection URLs go through here; nothing else ever sees the key.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;
use std::sync::Arc;

const NONCE_LEN: usize = 12;

/// The sealing key. Cheap to clone; its `Debug` never shows the key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<Aes256Gcm>,
    /// The audit chain's HMAC key, derived from the same installation key.
    chain_key: crate::audit::chain::ChainKey,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// Why a key could not be loaded; never contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "OPSDECK_SECRET_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)"
    )]
    BadKey,
    #[error("secret key file {path}: {err}")]
    File { path: String, err: std::io::Error },
}

impl SecretBox {
    /// From 32 raw key bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Self, KeyError> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| KeyError::BadKey)?;
        Ok(SecretBox {
            cipher: Arc::new(cipher),
            chain_key: crate::audit::chain::ChainKey::derive(key),
        })
    }

    /// The key of the audit chain: a sub-key, never the sealing key itself.
    pub fn chain_key(&self) -> crate::audit::chain::ChainKey {
        self.chain_key.clone()
    }

    /// From the base64 text of `OPSDECK_SECRET_KEY`.
    pub fn from_base64(text: &SecretString) -> Result<Self, KeyError> {
        let bytes = B64
            .decode(text.expose_secret().trim())
            .map_err(|_| KeyError::BadKey)?;
        Self::from_bytes(&bytes)
    }

    /// Loads `path`, or creates it with a fresh random key and mode 0600.
    pub fn from_key_file(path: &Path) -> Result<Self, KeyError> {
        let file_err = |err| KeyError::File {
            path: path.display().to_string(),
            err,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&SecretString::from(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|e| file_err(std::io::Error::other(e)))?;
                write_private(path, B64.encode(key).as_bytes()).map_err(file_err)?;
                Self::from_bytes(&key)
            }
            Err(e) => Err(file_err(e)),
        }
    }

    /// Encrypts `plain` with a fresh random nonce; the result is nonce ‖ ciphertext.
    pub fn seal(&self, plain: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the OS random source failed");
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// Decrypts what [`seal`](Self::seal) produced; `None` when it was sealed
    /// under another key or altered.
    pub fn open(&self, sealed: &[u8]) -> Option<SecretString> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), body).ok()?;
        String::from_utf8(plain).ok().map(SecretString::from)
    }
}

/// Creates `path` readable by its owner only, refusing to overwrite.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn sealed_secret_opens_with_the_same_key_and_not_another() {
        let a = SecretBox::from_bytes(&[7u8; 32]).unwrap();
        let b = SecretBox::from_bytes(&[8u8; 32]).unwrap();
        let sealed = a.seal("hunter2");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(a.open(&sealed).unwrap().expose_secret(), "hunter2");
        assert!(b.open(&sealed).is_none());
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let a = SecretBox::from_bytes(&[7u8; 32]).unwrap();
        assert_ne!(a.seal("x"), a.seal("x"));
    }

    #[test]
    fn altered_ciphertext_is_refused() {
        let a = SecretBox::from_bytes(&[7u8; 32]).unwrap();
        let mut sealed = a.seal("hunter2");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(a.open(&sealed).is_none());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let first = SecretBox::from_key_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = SecretBox::from_key_file(&path).unwrap();
        assert_eq!(again.open(&first.seal("v")).unwrap().expose_secret(), "v");
    }

    #[test]
    fn short_or_malformed_key_is_refused_without_echoing_it() {
        let err = SecretBox::from_base64(&SecretString::from("c2hvcnQ=")).unwrap_err();
        assert!(!err.to_string().contains("c2hvcnQ"));
        assert!(SecretBox::from_base64(&SecretString::from("not base64!")).is_err());
    }
}
