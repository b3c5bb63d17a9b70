//! Masking secret values in container output, as CI systems do: whatever a
//! container prints is streamed to every reader of the service and copied
//! into step logs, and a program that prints its configuration (or a stack
//! trace with its connection string) must not hand its secrets to them.
//!
//! Each sealed value the container can have been given is replaced by
//! `****`, and so is each line of a multi-line value (output is read line
//! by line). Values shorter than [`SHORTEST`] characters are left alone:
//! masking `1` or `on` would star out every occurrence of those characters
//! in all output, making logs unreadable, while a value that short protects
//! nothing anyway (it is guessed in a few thousand tries).

use super::model::release_by_id;
use super::snapshot::Snapshot;
use crate::secrets::SecretBox;
use crate::AppError;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use std::sync::Arc;

pub const MASK: &str = "****";
/// The shortest value that is masked, in characters.
pub const SHORTEST: usize = 3;
/// A line longer than this (in bytes) is passed on in pieces rather than
/// held until its end.
const LONGEST_PENDING: usize = 16 * 1024;

/// The values to hide, longest first (so that a value containing another
/// is hidden whole). Cheap to clone.
#[derive(Clone, Default)]
pub struct Masker {
    values: Arc<Vec<SecretString>>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Masker({} values)", self.values.len())
    }
}

impl Masker {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Masker {
        let mut parts: Vec<&str> = values
            .into_iter()
            .flat_map(|v| v.split(['\n', '\r']).chain([v]))
            .map(str::trim)
            .filter(|p| p.chars().count() >= SHORTEST)
            .collect();
        parts.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        parts.dedup();
        let values = parts.into_iter().map(|p| SecretString::from(p.to_string()));
        Masker {
            values: Arc::new(values.collect()),
        }
    }

    /// `text` with every value replaced by [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in self.values.iter() {
            let v = v.expose_secret();
            if out.contains(v) {
                out = out.replace(v, MASK);
            }
        }
        out
    }

    /// The length in bytes of the longest value (0 without any).
    fn longest(&self) -> usize {
        self.values.first().map_or(0, |v| v.expose_secret().len())
    }

    /// The secrets of `snapshots`, the releases whose replicas a rollout
    /// starts: what those print can hold no other values. A value that
    /// cannot be opened was given to none of them (starting one fails).
    pub fn for_releases(secrets: &SecretBox, snapshots: &[&Snapshot]) -> Masker {
        let open: Vec<SecretString> = snapshots
            .iter()
            .flat_map(|s| s.secrets.values())
            .filter_map(|b64| Snapshot::unseal(b64, secrets))
            .collect();
        Masker::new(open.iter().map(|s| s.expose_secret()))
    }

    /// For the output of a replica of release `release_id`: that
    /// release's secrets and the service's current ones. Fails when one
    /// cannot be opened (say, sealed under an older key): output that may
    /// hold it cannot be shown safely.
    pub async fn for_replica(
        db_pool: &PgPool,
        secrets: &SecretBox,
        service_id: i64,
        release_id: i64,
    ) -> Result<Masker, AppError> {
        let release = release_by_id(db_pool, release_id).await?;
        let sealed: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT sealed FROM service_env WHERE service_id = $1 AND sealed IS NOT NULL",
        )
        .bind(service_id)
        .fetch_all(db_pool)
        .await?;
        let unopenable = || AppError::internal("a secret of the service cannot be opened");
        let mut open = Vec::new();
        for s in &sealed {
            open.push(secrets.open(s).ok_or_else(unopenable)?);
        }
        for b64 in release.config.0.secrets.values() {
            open.push(Snapshot::unseal(b64, secrets).ok_or_else(unopenable)?);
        }
        Ok(Masker::new(open.iter().map(|s| s.expose_secret())))
    }
}

/// Cuts a stream of output chunks into masked lines. A value split across
/// two chunks is still masked: a line is passed on only once complete, and
/// an overlong one in pieces that keep back enough of its end to hold the
/// start of any value.
pub struct MaskedLines {
    masker: Masker,
    pending: String,
}

impl MaskedLines {
    pub fn new(masker: Masker) -> Self {
        MaskedLines {
            masker,
            pending: String::new(),
        }
    }

    /// The lines `chunk` completes, masked.
    pub fn push(&mut self, chunk: &str) -> Vec<String> {
        self.pending.push_str(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.pending.find('\n') {
            let line: String = self.pending.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            out.push(self.masker.mask(line));
        }
        if self.pending.len() > LONGEST_PENDING {
            let masked = self.masker.mask(&self.pending);
            // Whatever could still be the start of a value stays.
            let mut cut = masked.len() - self.masker.longest().saturating_sub(1).min(masked.len());
            while !masked.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push(masked[..cut].to_string());
            self.pending = masked[cut..].to_string();
        }
        out
    }

    /// The unfinished last line, masked, when the output ends.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        (!rest.is_empty()).then(|| self.masker.mask(&rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_of_every_value_is_masked_longest_first() {
        let m = Masker::new(["s3cret", "s3cret-and-more", "xy"]);
        assert_eq!(
            m.mask("a=s3cret b=s3cret-and-more c=s3cret xy"),
            "a=**** b=**** c=**** xy",
            "values under three characters are left alone"
        );
    }

    #[test]
    fn each_line_of_a_multi_line_value_is_masked() {
        let m = Masker::new(["-----BEGIN KEY-----\nAbCdEf0123\n-----END KEY-----"]);
        assert_eq!(m.mask("key line: AbCdEf0123"), "key line: ****");
    }

    #[test]
    fn a_value_split_across_chunks_is_masked_in_the_line_it_completes() {
        let mut lines = MaskedLines::new(Masker::new(["hunter2-value"]));
        assert!(lines.push("password is hun").is_empty());
        assert_eq!(lines.push("ter2-value\nnext"), vec!["password is ****"]);
        assert_eq!(lines.finish().as_deref(), Some("next"));
        assert_eq!(lines.finish(), None);
    }

    #[test]
    fn an_overlong_line_passes_in_pieces_that_never_cut_a_value() {
        let value = "0123456789-secret";
        let mut lines = MaskedLines::new(Masker::new([value]));
        let filler = "x".repeat(LONGEST_PENDING - 5);
        let mut out = lines.push(&format!("{filler}{}", &value[..10]));
        out.extend(lines.push(&value[10..]));
        out.extend(lines.push("\n"));
        let all = out.concat();
        assert_eq!(all, format!("{filler}****"));
        assert!(out.len() >= 2, "the long line was not held whole: {out:?}");
    }
}
