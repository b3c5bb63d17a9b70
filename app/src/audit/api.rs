//! Server functions of the audit page (admins: the `ReadAudit` permission).

use super::filter::AuditFilter;
use super::AuditEvent;
#[cfg(feature = "ssr")]
use crate::audit::actions;
use crate::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Events shown per page.
pub const PAGE_SIZE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPageData {
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the next (older) page; `None` on the last page.
    pub older_than: Option<i64>,
    /// The newest check of the chain (`audit.verify`), whatever the filter.
    pub last_check: Option<AuditEvent>,
}

/// One page of events matching `filter`, newest first, older than `before`.
#[server(endpoint = "list_audit")]
pub async fn list_audit(
    #[server(default)] filter: AuditFilter,
    #[server(default)] before: Option<i64>,
) -> Result<AuditPageData, AppError> {
    let _actor = crate::auth::guard::require(crate::auth::Permission::ReadAudit).await?;
    let parsed = filter.parse()?;
    let state = crate::state::app_state()?;
    let mut events = super::ssr::search(&state.db, &parsed, before, PAGE_SIZE + 1).await?;
    let older_than = (events.len() as i64 > PAGE_SIZE).then(|| {
        events.truncate(PAGE_SIZE as usize);
        events.last().map(|e| e.id)
    });
    let last_check = super::ssr::latest(&state.db, actions::VERIFY).await?;
    Ok(AuditPageData {
        events,
        older_than: older_than.flatten(),
        last_check,
    })
}

/// The result of checking the whole chain, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCheck {
    pub intact: bool,
    pub summary: String,
}

/// Walks the whole chain now; the check itself is audited. The audit page
/// posts it as a plain form and shows the recorded check it is sent back to.
#[server(endpoint = "verify_audit")]
pub async fn verify_audit() -> Result<ChainCheck, AppError> {
    use super::ssr::{record_alone, verify, ChainReport, Record};
    let actor = crate::auth::guard::require(crate::auth::Permission::ReadAudit).await?;
    let state = crate::state::app_state()?;
    let check = match verify(&state.db).await? {
        ChainReport::Intact { events } => ChainCheck {
            intact: true,
            summary: format!("{events} events, chain intact"),
        },
        ChainReport::Broken { id, reason } => ChainCheck {
            intact: false,
            summary: format!("Chain broken at event {id}: {reason}"),
        },
    };
    let outcome = if check.intact {
        super::Outcome::Success
    } else {
        super::Outcome::Failure
    };
    let r = Record::new(actor.audit_name(), actions::VERIFY, "audit", outcome)
        .details(serde_json::json!({ "result": check.summary }))
        .meta(&actor.meta);
    record_alone(&state.db, r).await?;
    Ok(check)
}
