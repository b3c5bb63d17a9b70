//! How long each text field of the deployment server fns may be. Checked
//! first, right after the permission check: a field's own rules (a DNS
//! label, a tag) would refuse most overlong values anyway, but not all, and
//! what passes is stored, audited and put on every page that shows it. A
//! 1 MB variable or a 200 kB health command helps nobody.

use crate::AppError;

/// Environment, service, endpoint and backup target names.
pub const NAME: usize = 63;
/// A service as `environment/name` or its id, image repositories, URLs.
pub const REFERENCE: usize = 255;
/// A number typed into a form (port, seconds, replicas, limits).
pub const NUMBER: usize = 16;
/// A health check path or command.
pub const HEALTH_CHECK: usize = 1024;
/// One variable's value, plain or secret (a PEM key fits).
pub const VALUE: usize = 8 * 1024;
/// All variables (or all secrets) of a service as `NAME=value` lines.
pub const VARIABLES: usize = 64 * 1024;
/// An image tag (Docker's own limit).
pub const TAG: usize = 128;
/// Why the pre-deploy backup is skipped.
pub const REASON: usize = 500;
/// A file path on Opsdeck's host.
pub const PATH: usize = 4096;

/// Refuses the first of `fields` (name, text, most characters) that is too long.
pub fn check(fields: &[(&str, &str, usize)]) -> Result<(), AppError> {
    for (field, text, most) in fields {
        // Bytes first: a long text is refused without counting its characters.
        if text.len() > *most && text.chars().count() > *most {
            return Err(too_long(field, *most));
        }
    }
    Ok(())
}

pub fn too_long(field: &str, most: usize) -> AppError {
    AppError::invalid(field, format!("too long: at most {most} characters"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_overlong_field_is_refused_by_name_counting_characters() {
        assert!(check(&[("tag", "ü".repeat(128).as_str(), TAG)]).is_ok());
        let e = check(&[("tag", "v1", TAG), ("service", &"x".repeat(256), REFERENCE)]);
        assert_eq!(
            e.unwrap_err().to_string(),
            "service: too long: at most 255 characters"
        );
    }
}
