//! Checking the service form: every field, with a message naming it.

use super::places::check_label;
use crate::AppError;
use std::collections::BTreeMap;

/// The service form as submitted: text, checked by [`ServiceForm::check`].
#[derive(Clone, Debug, Default)]
pub struct ServiceForm {
    pub environment: String,
    pub name: String,
    pub image: String,
    pub port: String,
    pub health_kind: String,
    pub health_check: String,
    pub health_interval_s: String,
    pub health_timeout_s: String,
    pub health_retries: String,
    pub health_start_period_s: String,
    pub replicas: String,
    pub stop_timeout_s: String,
    /// Seconds of drain; empty for the default.
    pub drain_s: String,
    /// A checkbox: `on` turns automatic repair off; empty leaves it on.
    pub repair_off: String,
    pub env: String,
    pub secrets: String,
    /// The backup target to back up before each deploy; empty for none.
    pub backup_target: String,
}

/// A checked form. `secrets` maps a name to its new value, or `None` to remove it.
#[derive(Debug)]
pub struct Valid {
    pub environment: String,
    pub name: String,
    pub image: String,
    pub numbers: [i32; 7],
    pub health_kind: String,
    pub health_check: String,
    pub env: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, Option<String>>,
    pub backup_target: Option<String>,
    pub drain_s: i32,
    pub repair: bool,
}

/// Drain when the form leaves it empty: long enough for requests already
/// accepted to finish, short enough not to slow rollouts.
pub const DEFAULT_DRAIN_S: i32 = 3;

pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation {
        field: field.into(),
        message: message.into(),
    }
}

fn number(field: &str, text: &str, range: std::ops::RangeInclusive<i32>) -> Result<i32, AppError> {
    let n: i32 = text
        .trim()
        .parse()
        .map_err(|_| invalid(field, format!("`{}` is not a whole number", text.trim())))?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(invalid(
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

fn check_image(image: &str) -> Result<(), AppError> {
    let last = image.rsplit('/').next().unwrap_or("");
    if image.is_empty() || image.len() > 255 {
        return Err(invalid(
            "image",
            "give the image repository, e.g. registry.example.com/shop/web",
        ));
    }
    if last.contains(':') || image.contains('@') {
        return Err(invalid(
            "image",
            "give the repository without a tag or digest; the tag is chosen when deploying",
        ));
    }
    let ok = image
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:".contains(&b));
    if !ok {
        return Err(invalid(
            "image",
            "a repository is lowercase letters, digits, `.`, `_`, `-` and `/`",
        ));
    }
    Ok(())
}

/// `NAME=value` lines; blank lines and `#` comments are skipped.
fn pairs(field: &str, text: &str) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |m: &str| invalid(field, format!("line {}: {m}", i + 1));
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| at("expected NAME=value"))?;
        let name = name.trim();
        let good = !name.is_empty()
            && name.len() <= 128
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !good {
            return Err(at(&format!(
                "`{name}` is not a variable name (letters, digits, _)"
            )));
        }
        if out.insert(name.to_string(), value.to_string()).is_some() {
            return Err(at(&format!("{name} is given twice")));
        }
    }
    Ok(out)
}

impl ServiceForm {
    pub fn check(&self) -> Result<Valid, AppError> {
        let name = self.name.trim().to_string();
        check_label("name", &name)?;
        let image = self.image.trim().to_string();
        check_image(&image)?;
        let health_kind = self.health_kind.trim().to_string();
        let health_check = self.health_check.trim().to_string();
        match health_kind.as_str() {
            "http"
                if !health_check.starts_with('/') || health_check.contains(char::is_whitespace) =>
            {
                return Err(invalid(
                    "health_check",
                    "an HTTP check is a path starting with /, e.g. /healthz",
                ))
            }
            "command" if health_check.is_empty() => {
                return Err(invalid(
                    "health_check",
                    "give the command to run inside the container, e.g. /bin/check --quick",
                ))
            }
            "http" | "command" => {}
            _ => return Err(invalid("health_kind", "choose `http` or `command`")),
        }
        let numbers = [
            number("port", &self.port, 1..=65535)?,
            number("health_interval_s", &self.health_interval_s, 1..=300)?,
            number("health_timeout_s", &self.health_timeout_s, 1..=300)?,
            number("health_retries", &self.health_retries, 1..=100)?,
            number(
                "health_start_period_s",
                &self.health_start_period_s,
                0..=3600,
            )?,
            number("replicas", &self.replicas, 0..=50)?,
            number("stop_timeout_s", &self.stop_timeout_s, 0..=600)?,
        ];
        let drain_s = match self.drain_s.trim() {
            "" => DEFAULT_DRAIN_S,
            text => number("drain_s", text, 0..=300)?,
        };
        let repair = match self.repair_off.trim() {
            "" | "off" | "false" => true,
            "on" | "true" => false,
            _ => {
                return Err(invalid(
                    "repair_off",
                    "tick the box (`on`) to turn repair off, or leave it empty",
                ))
            }
        };
        let env = pairs("env", &self.env)?;
        let secrets: BTreeMap<String, Option<String>> = pairs("secrets", &self.secrets)?
            .into_iter()
            .map(|(k, v)| (k, (!v.is_empty()).then_some(v)))
            .collect();
        if let Some(both) = env.keys().find(|k| secrets.contains_key(*k)) {
            return Err(invalid(
                "secrets",
                format!("{both} is also a plain variable; keep one"),
            ));
        }
        Ok(Valid {
            environment: self.environment.trim().to_string(),
            name,
            image,
            numbers,
            health_kind,
            health_check,
            env,
            secrets,
            backup_target: Some(self.backup_target.trim().to_string()).filter(|t| !t.is_empty()),
            drain_s,
            repair,
        })
    }
}
