//! Every server function and who may call it. A test walks all registered
//! server functions: one missing here fails it, so no new endpoint ships
//! without a decision about its permission.

use super::Permission;
use crate::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Callable without signing in (sign-in itself, first-run setup, who am I).
    Public,
    /// Needs a signed-in user holding this permission.
    Requires(Permission),
}

/// Reads a server fn's form arguments again after they failed to decode, to
/// name the field at fault (server_fn's own message says only "invalid digit
/// found in string"): the error naming it, or `None`.
pub type ArgsCheck = fn(&[u8]) -> Option<AppError>;

/// Path, access, a well-formed form body for the permission test (the
/// guard runs after the arguments are decoded, so each needs valid ones),
/// and the check that names a field its arguments cannot be read from.
pub const SERVER_FNS: &[(&str, Access, &str, ArgsCheck)] = &[
    (
        "/api/whoami",
        Access::Public,
        "",
        args::<crate::auth::api::Whoami>,
    ),
    (
        "/api/setup_needed",
        Access::Public,
        "",
        args::<crate::auth::api::SetupNeeded>,
    ),
    (
        "/api/login",
        Access::Public,
        "username=x&password=y",
        args::<crate::auth::api::Login>,
    ),
    (
        "/api/logout",
        Access::Public,
        "",
        args::<crate::auth::api::Logout>,
    ),
    (
        "/api/setup",
        Access::Public,
        "username=x&display_name=x&password=y&confirm=y",
        args::<crate::auth::api::Setup>,
    ),
    (
        "/api/read_system_status",
        Access::Requires(Permission::Read),
        "",
        args::<crate::system::ReadSystemStatus>,
    ),
    (
        "/api/read_engine",
        Access::Requires(Permission::Read),
        "",
        args::<crate::engine::ReadEngine>,
    ),
    (
        "/api/list_users",
        Access::Requires(Permission::Administer),
        "",
        args::<crate::users::ListUsers>,
    ),
    (
        "/api/create_user",
        Access::Requires(Permission::Administer),
        "username=zed&password=long+enough+password&viewer=on",
        args::<crate::users::api::CreateUser>,
    ),
    (
        "/api/set_user_roles",
        Access::Requires(Permission::Administer),
        "username=nobody&viewer=on",
        args::<crate::users::api::SetUserRoles>,
    ),
    (
        "/api/set_user_disabled",
        Access::Requires(Permission::Administer),
        "username=nobody&disabled=false",
        args::<crate::users::api::SetUserDisabled>,
    ),
    (
        "/api/unlock_user",
        Access::Requires(Permission::Administer),
        "username=nobody",
        args::<crate::users::api::UnlockUser>,
    ),
    (
        "/api/reset_user_password",
        Access::Requires(Permission::Administer),
        "username=nobody&password=long+enough+password",
        args::<crate::users::api::ResetUserPassword>,
    ),
    (
        "/api/list_tokens",
        Access::Requires(Permission::Read),
        "",
        args::<crate::tokens::ListTokens>,
    ),
    (
        "/api/create_token",
        Access::Requires(Permission::Read),
        "name=ci&days=30&permissions[0]=read",
        args::<crate::tokens::CreateToken>,
    ),
    (
        "/api/revoke_token",
        Access::Requires(Permission::Read),
        "id=999999",
        args::<crate::tokens::RevokeToken>,
    ),
    (
        "/api/list_audit",
        Access::Requires(Permission::ReadAudit),
        "",
        args::<crate::audit::api::ListAudit>,
    ),
    (
        "/api/verify_audit",
        Access::Requires(Permission::ReadAudit),
        "",
        args::<crate::audit::api::VerifyAudit>,
    ),
    (
        "/api/list_services",
        Access::Requires(Permission::Read),
        "",
        args::<crate::deploy::api::ListServices>,
    ),
    (
        "/api/read_service",
        Access::Requires(Permission::Read),
        "service=nope%2Fnope",
        args::<crate::deploy::api::ReadService>,
    ),
    (
        "/api/read_deployment",
        Access::Requires(Permission::Read),
        "id=0",
        args::<crate::deploy::api::ReadDeployment>,
    ),
    (
        "/api/list_environments",
        Access::Requires(Permission::Read),
        "",
        args::<crate::deploy::api::ListEnvironments>,
    ),
    (
        "/api/list_endpoints",
        Access::Requires(Permission::Administer),
        "",
        args::<crate::deploy::api::ListEndpoints>,
    ),
    (
        "/api/create_endpoint",
        Access::Requires(Permission::Administer),
        "name=x&url=y",
        args::<crate::deploy::api::CreateEndpoint>,
    ),
    (
        "/api/create_environment",
        Access::Requires(Permission::Administer),
        "name=x&endpoint=y",
        args::<crate::deploy::api::CreateEnvironment>,
    ),
    (
        "/api/save_service",
        Access::Requires(Permission::Deploy),
        "name=x",
        args::<crate::deploy::api::SaveService>,
    ),
    (
        "/api/deploy",
        Access::Requires(Permission::Deploy),
        "service=nope&tag=v1",
        args::<crate::deploy::api::Deploy>,
    ),
    (
        "/api/rollback",
        Access::Requires(Permission::Deploy),
        "service=nope&release=1",
        args::<crate::deploy::api::Rollback>,
    ),
    (
        "/api/scale",
        Access::Requires(Permission::Deploy),
        "service=nope&replicas=1",
        args::<crate::deploy::api::Scale>,
    ),
    (
        "/api/restart",
        Access::Requires(Permission::Deploy),
        "service=nope",
        args::<crate::deploy::api::Restart>,
    ),
    (
        "/api/remove_service",
        Access::Requires(Permission::Deploy),
        "service=nope&confirm=nope",
        args::<crate::deploy::api::RemoveService>,
    ),
    (
        "/api/list_backup_targets",
        Access::Requires(Permission::Read),
        "",
        args::<crate::backup::api::ListBackupTargets>,
    ),
    (
        "/api/read_backup_target",
        Access::Requires(Permission::Read),
        "target=nope",
        args::<crate::backup::api::ReadBackupTarget>,
    ),
    (
        "/api/create_backup_target",
        Access::Requires(Permission::Administer),
        "name=x&url=y",
        args::<crate::backup::api::CreateBackupTarget>,
    ),
    (
        "/api/update_backup_target",
        Access::Requires(Permission::Administer),
        "target=nope",
        args::<crate::backup::api::UpdateBackupTarget>,
    ),
    (
        "/api/test_backup_target",
        Access::Requires(Permission::Administer),
        "target=nope",
        args::<crate::backup::api::TestBackupTarget>,
    ),
    (
        "/api/save_backup_schedule",
        Access::Requires(Permission::Administer),
        "target=nope&cron=x",
        args::<crate::backup::api::SaveBackupSchedule>,
    ),
    (
        "/api/run_backup",
        Access::Requires(Permission::RunBackup),
        "target=nope",
        args::<crate::backup::api::RunBackup>,
    ),
    (
        "/api/read_backup",
        Access::Requires(Permission::Read),
        "id=0",
        args::<crate::backup::api::ReadBackup>,
    ),
    (
        "/api/list_backups",
        Access::Requires(Permission::Read),
        "target=nope",
        args::<crate::backup::api::ListBackups>,
    ),
    (
        "/api/test_restore_backup",
        Access::Requires(Permission::RunBackup),
        "id=0",
        args::<crate::backup::api::TestRestoreBackup>,
    ),
    (
        "/api/restore_backup",
        Access::Requires(Permission::RestoreBackup),
        "id=0&confirm=x",
        args::<crate::backup::api::RestoreBackup>,
    ),
    (
        "/api/delete_backup",
        Access::Requires(Permission::Administer),
        "id=0",
        args::<crate::backup::api::DeleteBackup>,
    ),
    (
        "/api/scrub_backups",
        Access::Requires(Permission::RunBackup),
        "target=nope",
        args::<crate::backup::api::ScrubBackups>,
    ),
    (
        "/api/read_restore",
        Access::Requires(Permission::Read),
        "id=0",
        args::<crate::backup::api::ReadRestore>,
    ),
    (
        "/api/declare_incident",
        Access::Requires(Permission::ManageIncidents),
        "title=x&severity=SEV3",
        args::<crate::incident::api::DeclareIncident>,
    ),
    (
        "/api/list_incidents",
        Access::Requires(Permission::Read),
        "",
        args::<crate::incident::api::ListIncidents>,
    ),
    (
        "/api/read_incident",
        Access::Requires(Permission::Read),
        "id=0",
        args::<crate::incident::api::ReadIncident>,
    ),
    (
        "/api/add_incident_note",
        Access::Requires(Permission::ManageIncidents),
        "id=0&text=x",
        args::<crate::incident::api::AddIncidentNote>,
    ),
    (
        "/api/set_incident_status",
        Access::Requires(Permission::ManageIncidents),
        "id=0&status=resolved",
        args::<crate::incident::api::SetIncidentStatus>,
    ),
    (
        "/api/set_incident_severity",
        Access::Requires(Permission::ManageIncidents),
        "id=0&severity=SEV1",
        args::<crate::incident::api::SetIncidentSeverity>,
    ),
    (
        "/api/save_incident_postmortem",
        Access::Requires(Permission::ManageIncidents),
        "id=0&summary=x",
        args::<crate::incident::api::SaveIncidentPostmortem>,
    ),
    (
        "/api/add_incident_action_item",
        Access::Requires(Permission::ManageIncidents),
        "id=0&text=x",
        args::<crate::incident::api::AddIncidentActionItem>,
    ),
    (
        "/api/set_incident_action_item_done",
        Access::Requires(Permission::ManageIncidents),
        "id=0&item=0&done=true",
        args::<crate::incident::api::SetIncidentActionItemDone>,
    ),
    (
        "/api/link_incident_deployment",
        Access::Requires(Permission::ManageIncidents),
        "id=0&deployment=0",
        args::<crate::incident::api::LinkIncidentDeployment>,
    ),
    (
        "/api/list_recent_changes",
        Access::Requires(Permission::Read),
        "",
        args::<crate::incident::api::ListRecentChanges>,
    ),
    (
        "/api/read_incident_measures",
        Access::Requires(Permission::Read),
        "",
        args::<crate::incident::api::ReadIncidentMeasures>,
    ),
    (
        "/api/assign_incident_role",
        Access::Requires(Permission::ManageIncidents),
        "id=0&role=scribe&user=x",
        args::<crate::incident::api::AssignIncidentRole>,
    ),
    (
        "/api/set_incident_started_at",
        Access::Requires(Permission::ManageIncidents),
        "id=0&started_at=2026-01-01T00:00",
        args::<crate::incident::api::SetIncidentStartedAt>,
    ),
    (
        "/api/pin_incident_entry",
        Access::Requires(Permission::ManageIncidents),
        "id=0&entry=0&pinned=true",
        args::<crate::incident::api::PinIncidentEntry>,
    ),
    (
        "/api/list_runbooks",
        Access::Requires(Permission::Read),
        "",
        args::<crate::runbook::api::ListRunbooks>,
    ),
    (
        "/api/search_runbooks",
        Access::Requires(Permission::Read),
        "q=roll+back",
        args::<crate::runbook::api::SearchRunbooks>,
    ),
    (
        "/api/read_runbook",
        Access::Requires(Permission::Read),
        "slug=nope",
        args::<crate::runbook::api::ReadRunbook>,
    ),
    (
        "/api/save_runbook",
        Access::Requires(Permission::EditRunbooks),
        "slug=x&title=x&body=x&message=x",
        args::<crate::runbook::api::SaveRunbook>,
    ),
    (
        "/api/runbook_diff",
        Access::Requires(Permission::Read),
        "slug=nope&from=1&to=2",
        args::<crate::runbook::api::RunbookDiff>,
    ),
    (
        "/api/revert_runbook",
        Access::Requires(Permission::EditRunbooks),
        "slug=nope&version=1",
        args::<crate::runbook::api::RevertRunbook>,
    ),
    (
        "/api/preview_runbook",
        Access::Requires(Permission::EditRunbooks),
        "body=x",
        args::<crate::runbook::api::PreviewRunbook>,
    ),
    (
        "/api/read_dashboard",
        Access::Requires(Permission::Read),
        "days=30&scope=&window=24",
        args::<crate::dashboard::api::ReadDashboard>,
    ),
    (
        "/api/read_dashboard_records",
        Access::Requires(Permission::Read),
        "days=30&scope=&window=24&show=failed",
        args::<crate::dashboard::api::ReadDashboardRecords>,
    ),
    (
        "/api/list_webhooks",
        Access::Requires(Permission::Administer),
        "",
        args::<crate::webhook::api::ListWebhooks>,
    ),
    (
        "/api/create_webhook",
        Access::Requires(Permission::Administer),
        "name=x&url=http%3A%2F%2F127.0.0.1%3A9%2F&format=standard&events[0]=backup.failed",
        args::<crate::webhook::api::CreateWebhook>,
    ),
    (
        "/api/delete_webhook",
        Access::Requires(Permission::Administer),
        "id=0",
        args::<crate::webhook::api::DeleteWebhook>,
    ),
    (
        "/api/send_test_webhook",
        Access::Requires(Permission::Administer),
        "id=0",
        args::<crate::webhook::api::SendTestWebhook>,
    ),
];

/// Decodes `body` as server_fn does (serde_qs, depth 5, non-strict) into the
/// arguments `T`; when a field's value cannot be read, names that field. A
/// failure that names none (a missing field: serde's message names it
/// already) is left to server_fn's answer.
pub fn args<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<AppError> {
    let config = serde_qs::Config::new(5, false);
    let deserializer = serde_qs::Deserializer::with_config(&config, body).ok()?;
    let refused = serde_path_to_error::deserialize::<_, T>(deserializer).err()?;
    let field = refused.path().to_string();
    (refused.path().iter().next().is_some()).then(|| AppError::Validation {
        field,
        message: format!("cannot be read: {}", refused.inner()),
    })
}

/// Why the arguments `body` sent to the server fn at `path` were refused,
/// naming the field, or `None` (they decode, name no field, or the path is
/// unknown).
pub fn explain_refused_args(path: &str, body: &[u8]) -> Option<AppError> {
    let (_, _, _, check) = SERVER_FNS.iter().find(|(p, ..)| *p == path)?;
    check(body)
}

/// Every plain axum route (streams, downloads, exports, probes: what is
/// not a server fn), who may call it, and a sample path for the every-role
/// test. Routers name their paths through [`plain_route`], so a route
/// missing here fails every test that builds the router; guarded handlers
/// take `auth::authorized::Authorized`, which reads the permission here.
pub const PLAIN_ROUTES: &[(&str, Access, &str)] = &[
    ("/live", Access::Public, "/live"),
    ("/health", Access::Public, "/health"),
    ("/ready", Access::Public, "/ready"),
    (
        "/deployments/{id}/events",
        Access::Requires(Permission::Read),
        "/deployments/1/events",
    ),
    (
        "/services/{env}/{name}/logs",
        Access::Requires(Permission::Read),
        "/services/production/web/logs",
    ),
    (
        "/services/{env}/{name}/changes",
        Access::Requires(Permission::Read),
        "/services/production/web/changes",
    ),
    (
        "/service-events",
        Access::Requires(Permission::Read),
        "/service-events",
    ),
    (
        "/backup-events/{target}",
        Access::Requires(Permission::Read),
        "/backup-events/main",
    ),
    (
        "/backup-files/{id}",
        Access::Requires(Permission::Administer),
        "/backup-files/1",
    ),
    (
        "/incidents/{id}/events",
        Access::Requires(Permission::Read),
        "/incidents/1/events",
    ),
    (
        "/incidents/{id}/postmortem.md",
        Access::Requires(Permission::Read),
        "/incidents/1/postmortem.md",
    ),
    (
        "/incident-events",
        Access::Requires(Permission::Read),
        "/incident-events",
    ),
    ("/metrics", Access::Requires(Permission::Read), "/metrics"),
    (
        "/webhook-events",
        Access::Requires(Permission::Administer),
        "/webhook-events",
    ),
    (
        "/admin/audit/export",
        Access::Requires(Permission::ReadAudit),
        "/admin/audit/export?format=csv",
    ),
];

/// `path`, once it is known to be listed in [`PLAIN_ROUTES`] (panics
/// otherwise, when the router is built: in every test).
pub fn plain_route(path: &'static str) -> &'static str {
    assert!(
        PLAIN_ROUTES.iter().any(|(p, ..)| *p == path),
        "plain route {path} is missing from app::auth::registry::PLAIN_ROUTES"
    );
    path
}
