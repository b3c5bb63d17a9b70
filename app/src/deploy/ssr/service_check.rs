//! Checking the service form: every field, with a message naming it.

use super::bounds;
use super::endpoints::check_label;
use super::snapshot::Limits;
use crate::deploy::DEFAULT_PIDS_LIMIT;
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
    /// MiB; empty for no limit.
    pub memory_mb: String,
    /// CPUs, e.g. `0.5`; empty for no limit.
    pub cpus: String,
    /// Empty for the default.
    pub pids_limit: String,
    /// The port published on every node of a Swarm; empty for none.
    pub published_port: String,
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
    pub limits: Limits,
    pub drain_s: i32,
    pub repair: bool,
    pub published_port: Option<i32>,
}

/// Drain when the form leaves it empty: long enough for requests already
/// accepted to finish, short enough not to slow rollouts.
pub const DEFAULT_DRAIN_S: i32 = 3;

fn number(field: &str, text: &str, range: std::ops::RangeInclusive<i32>) -> Result<i32, AppError> {
    let n: i32 = text.trim().parse().map_err(|_| {
        AppError::invalid(field, format!("`{}` is not a whole number", text.trim()))
    })?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(AppError::invalid(
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

/// CPUs as a decimal with at most three places, in thousandths.
fn cpus(text: &str) -> Result<Option<i32>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let refuse = || {
        AppError::invalid(
            "cpus",
            format!("`{text}` is not a number of CPUs from 0.01 to 256, e.g. 0.5 or 2"),
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || whole.len() > 3
        || fraction.len() > 3
        || !digits(whole)
        || !digits(fraction)
    {
        return Err(refuse());
    }
    let whole: i32 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| refuse())?
    };
    let fraction: i32 = format!("{fraction:0<3}").parse().map_err(|_| refuse())?;
    let millis = whole * 1000 + fraction;
    if (10..=256_000).contains(&millis) {
        Ok(Some(millis))
    } else {
        Err(refuse())
    }
}

/// The limits of each container; memory and CPUs may be left empty.
fn limits(form: &ServiceForm) -> Result<Limits, AppError> {
    let memory = form.memory_mb.trim();
    let pids = form.pids_limit.trim();
    Ok(Limits {
        memory_mb: match memory {
            "" => None,
            m => Some(number("memory_mb", m, 6..=1_048_576)?),
        },
        cpu_millis: cpus(&form.cpus)?,
        pids: match pids {
            "" => DEFAULT_PIDS_LIMIT,
            p => number("pids_limit", p, 16..=1_000_000)?,
        },
    })
}

fn check_image(image: &str) -> Result<(), AppError> {
    let last = image.rsplit('/').next().unwrap_or("");
    if image.is_empty() || image.len() > 255 {
        return Err(AppError::invalid(
            "image",
            "give the image repository, e.g. registry.example.com/shop/web",
        ));
    }
    if last.contains(':') || image.contains('@') {
        return Err(AppError::invalid(
            "image",
            "give the repository without a tag or digest; the tag is chosen when deploying",
        ));
    }
    let ok = image
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/:".contains(&b));
    if !ok {
        return Err(AppError::invalid(
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
        let at = |m: &str| AppError::invalid(field, format!("line {}: {m}", i + 1));
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
        if value.len() > bounds::VALUE && value.chars().count() > bounds::VALUE {
            return Err(at(&format!(
                "the value of {name} is too long: at most {} characters",
                bounds::VALUE
            )));
        }
        if out.insert(name.to_string(), value.to_string()).is_some() {
            return Err(at(&format!("{name} is given twice")));
        }
    }
    Ok(out)
}

impl ServiceForm {
    /// Every field within its length limit (see [`bounds`]).
    fn bounded(&self) -> Result<(), AppError> {
        use bounds::*;
        let numbers = [
            ("port", &self.port),
            ("health_interval_s", &self.health_interval_s),
            ("health_timeout_s", &self.health_timeout_s),
            ("health_retries", &self.health_retries),
            ("health_start_period_s", &self.health_start_period_s),
            ("replicas", &self.replicas),
            ("stop_timeout_s", &self.stop_timeout_s),
            ("memory_mb", &self.memory_mb),
            ("cpus", &self.cpus),
            ("pids_limit", &self.pids_limit),
            ("health_kind", &self.health_kind),
            ("published_port", &self.published_port),
        ];
        let mut fields: Vec<(&str, &str, usize)> = vec![
            ("environment", &self.environment, NAME),
            ("name", &self.name, NAME),
            ("image", &self.image, REFERENCE),
            ("health_check", &self.health_check, HEALTH_CHECK),
            ("env", &self.env, VARIABLES),
            ("secrets", &self.secrets, VARIABLES),
            ("backup_target", &self.backup_target, REFERENCE),
        ];
        fields.extend(numbers.iter().map(|(f, t)| (*f, t.as_str(), NUMBER)));
        check(&fields)
    }

    pub fn check(&self) -> Result<Valid, AppError> {
        self.bounded()?;
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
                return Err(AppError::invalid(
                    "health_check",
                    "an HTTP check is a path starting with /, e.g. /healthz",
                ))
            }
            "command" if health_check.is_empty() => {
                return Err(AppError::invalid(
                    "health_check",
                    "give the command to run inside the container, e.g. /bin/check --quick",
                ))
            }
            "http" | "command" => {}
            _ => {
                return Err(AppError::invalid(
                    "health_kind",
                    "choose `http` or `command`",
                ))
            }
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
        let limits = limits(self)?;
        let drain_s = match self.drain_s.trim() {
            "" => DEFAULT_DRAIN_S,
            text => number("drain_s", text, 0..=300)?,
        };
        let repair = match self.repair_off.trim() {
            "" | "off" | "false" => true,
            "on" | "true" => false,
            _ => {
                return Err(AppError::invalid(
                    "repair_off",
                    "tick the box (`on`) to turn repair off, or leave it empty",
                ))
            }
        };
        let published_port = match self.published_port.trim() {
            "" => None,
            text => Some(number("published_port", text, 1..=65535)?),
        };
        let env = pairs("env", &self.env)?;
        let secrets: BTreeMap<String, Option<String>> = pairs("secrets", &self.secrets)?
            .into_iter()
            .map(|(k, v)| (k, (!v.is_empty()).then_some(v)))
            .collect();
        if let Some(both) = env.keys().find(|k| secrets.contains_key(*k)) {
            return Err(AppError::invalid(
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
            limits,
            drain_s,
            repair,
            published_port,
        })
    }
}
