//! Server-side state shared by every request and server function.

use crate::auth::guard::AuthConfig;
use crate::docker::DockerHandle;
use crate::secrets::SecretBox;
use crate::AppError;
use axum::extract::FromRef;
use leptos::prelude::{use_context, LeptosOptions};
use sqlx::PgPool;

/// Built once at startup by the `server` crate and handed to every request.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: PgPool,
    pub docker: DockerHandle,
    pub auth: AuthConfig,
    /// Seals and opens secrets stored in the database.
    pub secrets: SecretBox,
    /// Live row changes for browser streams.
    pub live: crate::live::LiveEvents,
    /// Where backup files are kept (`OPSDECK_BACKUP_DIR`).
    pub backups: crate::backup::ssr::store::BackupStore,
}

/// The state of the running server, from inside a server function or page.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| AppError::internal("AppState missing from the request context"))
}
