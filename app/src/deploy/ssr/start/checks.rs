//! Checking a deploy request before anything is taken or written: what the
//! deployer typed, and whether what they ask for can still run.

use crate::deploy::ssr::engine;
use crate::deploy::ssr::model::{ReleaseRow, ServiceRow};
use crate::docker::DockerHandle;
use crate::format::short_id;
use crate::AppError;
use bollard::Docker;

/// The reason for skipping the pre-deploy backup, when the box is ticked:
/// it is required, since it is audited and shown with the deployment.
pub fn skip_reason(skip: Option<&str>, reason: &str) -> Result<Option<String>, AppError> {
    let ticked = skip.is_some_and(|s| !matches!(s.trim(), "" | "false" | "off"));
    if !ticked {
        return Ok(None);
    }
    let reason = reason.trim();
    match reason.chars().count() {
        0 => Err(AppError::invalid(
            "skip_reason",
            "say why the pre-deploy backup is skipped (it is audited)",
        )),
        n if n > 500 => Err(AppError::invalid(
            "skip_reason",
            "keep the reason under 500 characters",
        )),
        _ => Ok(Some(reason.to_string())),
    }
}

/// A tag as the engine accepts it.
pub(super) fn check_tag(tag: &str) -> Result<(), AppError> {
    if crate::deploy::is_image_tag(tag) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "tag",
            "a tag is 1 to 128 letters, digits, `_`, `.` or `-` (not first)",
        ))
    }
}

/// The replica count the deployer typed.
pub(super) fn replicas(typed: &str) -> Result<i32, AppError> {
    typed
        .trim()
        .parse()
        .ok()
        .filter(|n| (0..=50).contains(n))
        .ok_or_else(|| AppError::invalid("replicas", "give a whole number from 0 to 50"))
}

/// Refuses to run `release` again once its image is gone from the endpoint:
/// it runs exactly what was recorded, never a tag looked up anew.
pub(super) async fn image_still_there(
    (handle, docker): (&DockerHandle, &Docker),
    service: &ServiceRow,
    release: &ReleaseRow,
) -> Result<(), AppError> {
    let found = engine::local_image(docker, &release.image_id)
        .await
        .map_err(|e| engine::engine_error(handle, e))?;
    if found.is_some() {
        return Ok(());
    }
    Err(AppError::invalid(
        "release",
        format!(
            "the image of release #{} ({}) is no longer on endpoint {}: it cannot be run again",
            release.number,
            short_id(&release.image_id),
            service.endpoint
        ),
    ))
}

/// What a deploy says about the change it ships: the commit (and when it
/// was made, for lead time) and the incident it fixes (for rework rate).
/// Reported by the deployer, so only checked for shape and existence.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    pub commit_sha: Option<String>,
    pub committed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub fixes_incident: Option<i64>,
}

impl Change {
    /// Parses the three optional fields as typed; empty means not reported.
    pub fn parse(
        commit_sha: &str,
        committed_at: &str,
        fixes_incident: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Change, AppError> {
        let sha = commit_sha.trim().to_ascii_lowercase();
        let commit_sha = match sha.len() {
            0 => None,
            7..=64 if sha.bytes().all(|b| b.is_ascii_hexdigit()) => Some(sha),
            _ => {
                return Err(AppError::invalid(
                    "commit_sha",
                    "a commit id is 7 to 64 hexadecimal digits",
                ))
            }
        };
        let committed_at = match committed_at.trim() {
            "" => None,
            _ if commit_sha.is_none() => {
                return Err(AppError::invalid(
                    "committed_at",
                    "give the commit_sha it belongs to",
                ))
            }
            t => Some(commit_time(t, now)?),
        };
        let fixes_incident = match fixes_incident.trim().trim_start_matches('#') {
            "" => None,
            n => Some(n.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                AppError::invalid("fixes_incident", "an incident number, such as 12")
            })?),
        };
        Ok(Change {
            commit_sha,
            committed_at,
            fixes_incident,
        })
    }
}

/// An RFC 3339 time (as `git log --format=%cI` prints it) not in the
/// future: a commit made after its deploy started would give a negative
/// lead time. Five minutes of clock skew are forgiven.
fn commit_time(
    typed: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    let at = chrono::DateTime::parse_from_rfc3339(typed)
        .map_err(|_| {
            AppError::invalid(
                "committed_at",
                "an RFC 3339 time such as 2026-11-27T09:30:00+01:00 (git log --format=%cI)",
            )
        })?
        .with_timezone(&chrono::Utc);
    if at > now + chrono::Duration::minutes(5) {
        return Err(AppError::invalid(
            "committed_at",
            "is in the future; check the committer's clock",
        ));
    }
    Ok(at.min(now))
}

/// Refuses a fix of an incident that does not exist, before anything runs.
pub(super) async fn incident_exists(
    db: &sqlx::PgPool,
    incident: Option<i64>,
) -> Result<(), AppError> {
    let Some(id) = incident else { return Ok(()) };
    let found: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM incident WHERE id = $1)")
        .bind(id)
        .fetch_one(db)
        .await?;
    if found {
        Ok(())
    } else {
        Err(AppError::invalid(
            "fixes_incident",
            format!("there is no incident #{id}"),
        ))
    }
}

#[cfg(test)]
mod change_tests {
    use super::Change;

    fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-11-27T12:00:00Z".parse().unwrap()
    }

    fn field_of(sha: &str, at: &str, fixes: &str) -> String {
        match Change::parse(sha, at, fixes, now()) {
            Err(crate::AppError::Validation { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn empty_fields_report_nothing_and_full_ones_are_kept() {
        assert_eq!(Change::parse("", "", "", now()).unwrap(), Change::default());
        let c = Change::parse(" ABCDEF1234 ", "2026-11-27T09:30:00+01:00", "#12", now()).unwrap();
        assert_eq!(c.commit_sha.as_deref(), Some("abcdef1234"));
        assert_eq!(
            c.committed_at,
            Some("2026-11-27T08:30:00Z".parse().unwrap())
        );
        assert_eq!(c.fixes_incident, Some(12));
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(field_of("xyz", "", ""), "commit_sha");
        assert_eq!(field_of("abc", "", ""), "commit_sha");
        assert_eq!(field_of("", "2026-11-27T09:30:00Z", ""), "committed_at");
        assert_eq!(field_of("abcdef1", "yesterday", ""), "committed_at");
        assert_eq!(
            field_of("abcdef1", "2026-11-28T12:00:00Z", ""),
            "committed_at"
        );
        assert_eq!(field_of("", "", "twelve"), "fixes_incident");
        assert_eq!(field_of("", "", "0"), "fixes_incident");
    }
}
