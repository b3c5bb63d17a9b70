//! Server integration tests, in one binary: each test binary links all of
//! Opsdeck and its dependencies, so one binary instead of nine saves
//! gigabytes of disk and minutes of linking.

mod support;

mod api_fuzz;
mod api_input;
mod audit;
mod audit_page;
mod auth;
mod backup_http;
mod backup_pages;
mod backup_restore;
mod backup_run;
mod backup_schedule;
mod backup_scrub;
mod backup_secrets;
mod dashboard;
mod deploy;
mod deploy_backup;
mod deploy_bounds;
mod deploy_control;
mod deploy_crash;
mod deploy_drain;
mod deploy_limits;
mod deploy_list;
mod deploy_live;
mod deploy_masking;
mod deploy_pull;
mod deploy_repair;
mod deploy_tls;
mod docker_engine;
mod embedded_pg;
mod embedded_pg_restart;
mod http;
mod incident;
mod incident_act;
mod incident_backup;
mod incident_cause;
mod incident_measures;
mod incident_postmortem;
mod incident_process;
mod incident_roles;
mod incident_touch;
mod metrics;
mod runbook;
mod runbook_api;
mod runbook_pages;
mod runbook_steps;
mod security;
mod sessions;
mod signin_abuse;
mod stream_access;
mod tokens;
mod users;
mod users_admin;
mod webhooks;
