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
    let ok = (1..=128).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !tag.starts_with(['.', '-']);
    if ok {
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
