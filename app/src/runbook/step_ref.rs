//! The runbook step an action was started from, once the server has
//! checked it against the stored text. The actions' own audit events carry
//! it, so the log says which procedure, in which words, led to a change.

use serde::Serialize;
use serde_json::Value;

/// Runbook `slug` (row `id`), its version `version` whose text hashes to
/// `content_hash`, and the action block `step` (from 1) in it; within run
/// `run`, and allowed by approval `approval` when the step needed one.
/// An event naming `run` lands on the run (and its incident) by trigger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunbookStepRef {
    pub id: i64,
    pub slug: String,
    pub version: i32,
    pub content_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<i64>,
}

/// Adds `"runbook": {…}` to an audit event's details when the action came
/// from a runbook step; leaves them as they are otherwise.
pub fn with_runbook(mut details: Value, runbook: Option<&RunbookStepRef>) -> Value {
    if let (Some(r), Value::Object(map)) = (runbook, &mut details) {
        map.insert(
            "runbook".into(),
            serde_json::to_value(r).unwrap_or(Value::Null),
        );
    }
    details
}
