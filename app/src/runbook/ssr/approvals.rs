//! Steps marked `approval: required`: asked for within a run, approved (or
//! declined) by a second person holding the step's permission, then run
//! once. People are compared by user, not by how they signed in, so an API
//! token of the requester cannot approve the requester's own step.

use crate::audit::ssr::{record, Record};
use crate::audit::{Action, AuditTarget, Outcome};
use crate::auth::guard::Actor;
use crate::error::OnUnique;
use crate::runbook::step_ref::RunbookStepRef;
use crate::runbook::{actions, Approval, ApprovalState};
use crate::AppError;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sqlx::PgPool;

/// The person behind an actor, whichever way they signed in.
fn person(actor: &Actor) -> String {
    format!("user:{}", actor.user.username)
}

#[derive(sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: i64,
    pub run_id: i64,
    pub step: i32,
    pub typed: Value,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
}

impl ApprovalRow {
    /// What the requester typed, `(key, value)`, for the step to run with.
    pub fn typed(&self, key: &str) -> String {
        self.typed
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    fn view(self) -> Approval {
        let typed = match &self.typed {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect(),
            _ => Vec::new(),
        };
        Approval {
            id: self.id,
            step: self.step,
            typed,
            requested_by: self.requested_by,
            requested_at: self.requested_at,
            state: match self.state.as_str() {
                "pending" => ApprovalState::Pending,
                "approved" => ApprovalState::Approved,
                _ => ApprovalState::Declined,
            },
            decided: self.decided_by.zip(self.decided_at),
            used: self.used_at,
        }
    }
}

const SELECT: &str = "SELECT id, run_id, step, typed, requested_by, requested_at, state,
        decided_by, decided_at, used_at FROM runbook_approval";

/// Approval `id`, or a 404 naming it.
pub async fn find(db: &PgPool, id: i64) -> Result<ApprovalRow, AppError> {
    sqlx::query_as::<_, ApprovalRow>(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("approval #{id}")))
}

/// Every approval asked for in run `run`, oldest first.
pub async fn for_run(db: &PgPool, run: i64) -> Result<Vec<Approval>, AppError> {
    let rows = sqlx::query_as::<_, ApprovalRow>(&format!("{SELECT} WHERE run_id = $1 ORDER BY id"))
        .bind(run)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(ApprovalRow::view).collect())
}

/// Audits `action` on the approval `approval` of the step `at` names.
async fn audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    actor: &Actor,
    action: Action,
    at: &RunbookStepRef,
    approval: i64,
    typed: &Value,
) -> Result<(), AppError> {
    let mut at = at.clone();
    at.approval = Some(approval);
    let r = Record::new(
        actor.audit_name(),
        action,
        AuditTarget::Runbook(&at.slug),
        Outcome::Success,
    )
    .details(json!({ "runbook": at, "typed": typed }))
    .meta(&actor.meta);
    record(tx, r).await?;
    Ok(())
}

/// Asks for the step `at` names (in the open run it names) to be
/// approved, with what the requester typed for its `ask` values.
pub async fn request(
    db: &PgPool,
    actor: &Actor,
    at: &RunbookStepRef,
    typed: Map<String, Value>,
) -> Result<i64, AppError> {
    let (Some(run), Some(step)) = (at.run, at.step) else {
        return Err(AppError::internal("an approval names a run and a step"));
    };
    let typed = Value::Object(typed);
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO runbook_approval (run_id, step, typed, requested_by)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(run)
    .bind(step)
    .bind(&typed)
    .bind(person(actor))
    .fetch_one(&mut *tx)
    .await
    .on_unique(
        "runbook_step",
        format!("step {step} already waits for approval in this run (or was approved and has not run yet)"),
    )?;
    audit(&mut tx, actor, actions::APPROVAL_REQUEST, at, id, &typed).await?;
    tx.commit().await?;
    Ok(id)
}

/// Approves `approval` as `actor`, who must not be its requester.
pub async fn approve(
    db: &PgPool,
    actor: &Actor,
    at: &RunbookStepRef,
    approval: &ApprovalRow,
) -> Result<(), AppError> {
    decide(db, actor, at, approval, "approved", actions::APPROVE).await
}

/// Declines `approval`; its requester may withdraw it this way too.
pub async fn decline(
    db: &PgPool,
    actor: &Actor,
    at: &RunbookStepRef,
    approval: &ApprovalRow,
) -> Result<(), AppError> {
    decide(db, actor, at, approval, "declined", actions::DECLINE).await
}

async fn decide(
    db: &PgPool,
    actor: &Actor,
    at: &RunbookStepRef,
    approval: &ApprovalRow,
    state: &str,
    action: Action,
) -> Result<(), AppError> {
    let me = person(actor);
    if state == "approved" && approval.requested_by == me {
        return Err(AppError::Forbidden(format!(
            "you asked for step {}: another person holding the permission must approve it",
            approval.step
        )));
    }
    // Approved but not run (the action was refused, e.g. the service was
    // busy): approving again runs it; declining clears it.
    let unused = approval.state == "approved" && approval.used_at.is_none();
    if state == "approved" && unused {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let decided = sqlx::query(
        "UPDATE runbook_approval SET state = $2, decided_by = $3, decided_at = now()
         WHERE id = $1 AND (state = 'pending' OR (state = 'approved' AND used_at IS NULL))",
    )
    .bind(approval.id)
    .bind(state)
    .bind(&me)
    .execute(&mut *tx)
    .await?;
    if decided.rows_affected() == 0 {
        return Err(AppError::Conflict(format!(
            "approval #{} was decided already",
            approval.id
        )));
    }
    audit(&mut tx, actor, action, at, approval.id, &approval.typed).await?;
    tx.commit().await?;
    Ok(())
}

/// Uses the approval of step `step` in run `run` for the action being
/// checked, whose typed values (`sent`) must be the ones approved. Once
/// used it allows nothing more: an approved step runs once.
pub async fn use_approval(
    db: &PgPool,
    run: i64,
    step: i32,
    sent: impl Fn(&str) -> Option<String>,
) -> Result<i64, AppError> {
    let row = sqlx::query_as::<_, ApprovalRow>(&format!(
        "{SELECT} WHERE run_id = $1 AND step = $2 AND state = 'approved' AND used_at IS NULL"
    ))
    .bind(run)
    .bind(step)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| {
        AppError::Forbidden(format!(
            "step {step} needs approval: ask for it in the run, and a second person holding the permission approves it"
        ))
    })?;
    if let Value::Object(typed) = &row.typed {
        for (key, value) in typed {
            let approved = value.as_str().unwrap_or_default();
            if sent(key).as_deref() != Some(approved) {
                return Err(AppError::invalid(
                    key,
                    format!("step {step} was approved with {key} `{approved}`"),
                ));
            }
        }
    }
    let used = sqlx::query(
        "UPDATE runbook_approval SET used_at = now() WHERE id = $1 AND used_at IS NULL",
    )
    .bind(row.id)
    .execute(db)
    .await?;
    if used.rows_affected() == 0 {
        return Err(AppError::Conflict(format!(
            "the approval of step {step} was used already: it allows one run"
        )));
    }
    Ok(row.id)
}
