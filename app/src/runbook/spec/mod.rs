//! The action steps of a runbook: a fenced block whose info string is
//! `opsdeck-action` holds `key: value` lines naming one of the panel's own
//! actions. Parsing is plain Rust (no server, no browser) so that the
//! server, which checks every submitted step against the stored text, and
//! the tests use exactly the same reading.
//!
//! Grammar (docs/runbooks.md says it for writers):
//! - one `key: value` per line, split at the first `:`, both sides trimmed;
//!   keys are lowercase; blank lines and lines starting with `#` are skipped;
//! - `action` is required, once; each action has its own required and
//!   optional keys, any other key is an error, and no key may repeat;
//! - `title` (optional, any action): what the step's button says it does;
//! - `approval: required` (optional, any action that changes something):
//!   the step runs only once a second person approved it, within a run;
//! - `service: ask` / `target: ask`: the reader names it when running, so
//!   one procedure serves every service (the starter runbooks do this).

use serde::{Deserialize, Serialize};

/// The info string that makes a fenced block an action step.
pub const FENCE: &str = "opsdeck-action";

/// Most replicas a step may ask for (the service page's limit).
pub const MAX_REPLICAS: u32 = 50;

/// Longest `title`.
pub const MAX_TITLE: usize = 200;

/// A value fixed by the runbook, or typed by the reader (`ask`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input<T> {
    Fixed(T),
    Ask,
}

/// Which release a rollback runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReleaseChoice {
    /// The release numbered just below the live one, resolved by the
    /// server when the step is confirmed and again when it runs.
    Previous,
    Number(i32),
}

/// One action, with what the runbook fixes of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepAction {
    Deploy {
        service: Input<String>,
        tag: Input<String>,
    },
    Rollback {
        service: Input<String>,
        release: ReleaseChoice,
    },
    Scale {
        service: Input<String>,
        replicas: Input<u32>,
    },
    Restart {
        service: Input<String>,
    },
    Backup {
        target: Input<String>,
    },
    /// Test-restores the target's newest usable backup.
    TestRestore {
        target: Input<String>,
    },
    /// Read-only: the service's live release and replica health.
    HealthCheck {
        service: Input<String>,
    },
}

impl StepAction {
    /// The word written after `action:`.
    pub fn name(&self) -> &'static str {
        match self {
            StepAction::Deploy { .. } => "deploy",
            StepAction::Rollback { .. } => "rollback",
            StepAction::Scale { .. } => "scale",
            StepAction::Restart { .. } => "restart",
            StepAction::Backup { .. } => "backup",
            StepAction::TestRestore { .. } => "test-restore",
            StepAction::HealthCheck { .. } => "health-check",
        }
    }

    /// The service (`environment/name`) or backup target it acts on, as
    /// written: a name, or `ask` (the reader picks it when running).
    pub fn subject(&self) -> &Input<String> {
        match self {
            StepAction::Deploy { service, .. }
            | StepAction::Rollback { service, .. }
            | StepAction::Scale { service, .. }
            | StepAction::Restart { service }
            | StepAction::HealthCheck { service } => service,
            StepAction::Backup { target } | StepAction::TestRestore { target } => target,
        }
    }

    /// Whether the step acts on a backup target (else on a service).
    pub fn on_target(&self) -> bool {
        matches!(
            self,
            StepAction::Backup { .. } | StepAction::TestRestore { .. }
        )
    }

    /// The subject's name when the runbook fixes it, else `what`.
    pub fn subject_or<'a>(&'a self, what: &'a str) -> &'a str {
        match self.subject() {
            Input::Fixed(name) => name,
            Input::Ask => what,
        }
    }
}

/// A valid action block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: StepAction,
    pub title: Option<String>,
    /// `approval: required`: a second person holding the permission must
    /// approve it (within a run) before it runs.
    pub approval: bool,
}

/// Why a block is not a step, at the runbook's line `line` (from 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecError {
    pub line: u32,
    pub message: String,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The keys each action takes: required ones, then optional ones.
fn keys_of(action: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match action {
        "deploy" => (&["service", "tag"], &[]),
        "rollback" => (&["service", "release"], &[]),
        "scale" => (&["service", "replicas"], &[]),
        "restart" | "health-check" => (&["service"], &[]),
        "backup" => (&["target"], &[]),
        "test-restore" => (&["target"], &["backup"]),
        _ => return None,
    })
}

/// Keys every action takes besides its own.
const COMMON: [&str; 3] = ["action", "title", "approval"];

const ACTIONS: &str = "deploy, rollback, scale, restart, backup, test-restore, health-check";

/// One `key: value` line, with the runbook line it came from.
struct Entry<'a> {
    line: u32,
    value: &'a str,
}

/// Parses the text of an action block whose fence is on runbook line
/// `fence_line`: its first text line is `fence_line + 1`. Missing keys are
/// reported at the fence.
pub fn parse(text: &str, fence_line: u32) -> Result<Step, SpecError> {
    let at = |line: u32, message: String| SpecError { line, message };
    let mut entries: Vec<(&str, Entry)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = fence_line + 1 + i as u32;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            return Err(at(line, format!("`{trimmed}` is not `key: value`")));
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
            return Err(at(
                line,
                format!("`{key}` is not a key: keys are lowercase words like `service`"),
            ));
        }
        if let Some((_, first)) = entries.iter().find(|(k, _)| *k == key) {
            return Err(at(
                line,
                format!("`{key}` is given twice (first on line {})", first.line),
            ));
        }
        if value.is_empty() {
            return Err(at(line, format!("`{key}` has no value")));
        }
        entries.push((key, Entry { line, value }));
    }
    let Some((_, action)) = entries.iter().find(|(k, _)| *k == "action") else {
        return Err(at(
            fence_line,
            format!("no `action:` line: say which one ({ACTIONS})"),
        ));
    };
    let Some((required, optional)) = keys_of(action.value) else {
        return Err(at(
            action.line,
            format!("unknown action `{}`: use one of {ACTIONS}", action.value),
        ));
    };
    let name = action.value;
    for (key, entry) in &entries {
        let known = COMMON.contains(key) || required.contains(key) || optional.contains(key);
        if !known {
            let mut allowed: Vec<&str> = required.iter().chain(optional).copied().collect();
            allowed.extend(["title", "approval"]);
            return Err(at(
                entry.line,
                format!(
                    "`{key}` is not a key of `{name}`: it takes {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    if let Some(missing) = required
        .iter()
        .find(|k| !entries.iter().any(|(key, _)| key == *k))
    {
        return Err(at(fence_line, format!("`{name}` needs `{missing}:`")));
    }
    let get = |key: &str| entries.iter().find(|(k, _)| *k == key).map(|(_, e)| e);
    let field = |key: &str| get(key).expect("required keys are present");
    let title = match get("title") {
        Some(e) if e.value.chars().count() > MAX_TITLE => {
            return Err(at(
                e.line,
                format!("`title` is too long: at most {MAX_TITLE} characters"),
            ))
        }
        other => other.map(|e| e.value.to_string()),
    };
    let approval = match get("approval") {
        None => false,
        Some(e) if e.value == "required" => true,
        Some(e) if e.value == "none" => false,
        Some(e) => {
            return Err(at(
                e.line,
                format!("`approval: {}` is neither `required` nor `none`", e.value),
            ))
        }
    };
    if approval && name == "health-check" {
        let line = get("approval").map_or(fence_line, |e| e.line);
        return Err(at(
            line,
            "a health check changes nothing: it needs no approval".into(),
        ));
    }
    let action = match name {
        "deploy" => StepAction::Deploy {
            service: service(field("service"))?,
            tag: tag(field("tag"))?,
        },
        "rollback" => StepAction::Rollback {
            service: service(field("service"))?,
            release: release(field("release"))?,
        },
        "scale" => StepAction::Scale {
            service: service(field("service"))?,
            replicas: replicas(field("replicas"))?,
        },
        "restart" => StepAction::Restart {
            service: service(field("service"))?,
        },
        "health-check" => StepAction::HealthCheck {
            service: service(field("service"))?,
        },
        "backup" => StepAction::Backup {
            target: label("target", field("target"))?,
        },
        _ => {
            if let Some(b) = get("backup").filter(|b| b.value != "newest") {
                return Err(at(
                    b.line,
                    format!(
                        "`backup: {}`: only `newest` can be test-restored from a runbook",
                        b.value
                    ),
                ));
            }
            StepAction::TestRestore {
                target: label("target", field("target"))?,
            }
        }
    };
    Ok(Step {
        action,
        title,
        approval,
    })
}

/// A DNS label, as environments, services and backup targets are named.
fn is_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn label(key: &str, e: &Entry) -> Result<Input<String>, SpecError> {
    if e.value == "ask" {
        return Ok(Input::Ask);
    }
    if is_label(e.value) {
        return Ok(Input::Fixed(e.value.to_string()));
    }
    Err(SpecError {
        line: e.line,
        message: format!(
            "`{key}: {}` is neither `ask` nor a name: 1 to 63 lowercase letters, digits or `-`",
            e.value
        ),
    })
}

fn service(e: &Entry) -> Result<Input<String>, SpecError> {
    if e.value == "ask" {
        return Ok(Input::Ask);
    }
    match e.value.split_once('/') {
        Some((env, name)) if is_label(env) && is_label(name) => {
            Ok(Input::Fixed(e.value.to_string()))
        }
        _ => Err(SpecError {
            line: e.line,
            message: format!(
                "`service: {}` is neither `ask` nor `environment/name` (e.g. `production/web`)",
                e.value
            ),
        }),
    }
}

fn tag(e: &Entry) -> Result<Input<String>, SpecError> {
    if e.value == "ask" {
        return Ok(Input::Ask);
    }
    if crate::deploy::is_image_tag(e.value) {
        return Ok(Input::Fixed(e.value.to_string()));
    }
    Err(SpecError {
        line: e.line,
        message: format!(
            "`tag: {}` is not an image tag (letters, digits, `_`, `.`, `-`) nor `ask`",
            e.value
        ),
    })
}

fn release(e: &Entry) -> Result<ReleaseChoice, SpecError> {
    if e.value == "previous" {
        return Ok(ReleaseChoice::Previous);
    }
    match e.value.trim_start_matches('#').parse::<i32>() {
        Ok(n) if n >= 1 => Ok(ReleaseChoice::Number(n)),
        _ => Err(SpecError {
            line: e.line,
            message: format!(
                "`release: {}` is neither `previous` nor a release number like `3`",
                e.value
            ),
        }),
    }
}

fn replicas(e: &Entry) -> Result<Input<u32>, SpecError> {
    if e.value == "ask" {
        return Ok(Input::Ask);
    }
    match e.value.parse::<u32>() {
        Ok(n) if n <= MAX_REPLICAS => Ok(Input::Fixed(n)),
        _ => Err(SpecError {
            line: e.line,
            message: format!(
                "`replicas: {}` is neither `ask` nor a whole number from 0 to {MAX_REPLICAS}",
                e.value
            ),
        }),
    }
}

#[cfg(test)]
mod tests;
