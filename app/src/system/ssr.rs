//! Server-side probes behind `system_status`, `/health` and `/ready`.

use super::{Probe, SystemStatus};
use crate::state::AppState;
use sqlx::PgPool;
use std::time::Duration;

/// Checks that the database answers, within two seconds.
pub async fn database_probe(db: &PgPool) -> Probe {
    let query =
        sqlx::query_scalar::<_, String>("SELECT current_setting('server_version')").fetch_one(db);
    match tokio::time::timeout(Duration::from_secs(2), query).await {
        Ok(Ok(version)) => Probe::up(format!("PostgreSQL {version}")),
        Ok(Err(e)) => Probe::down(format!("database unreachable: {e}")),
        Err(_) => Probe::down("database unreachable: no answer within 2 s"),
    }
}

/// Live database check plus the Docker monitor's latest probe.
pub async fn system_status(state: &AppState) -> SystemStatus {
    SystemStatus {
        database: database_probe(&state.db).await,
        docker: state.docker.last_probe(),
        opsdeck_version: crate::VERSION.to_string(),
    }
}
