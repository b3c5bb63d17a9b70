//! Server-side state shared by every request and server function.

use crate::auth::config::AuthConfig;
use crate::docker::{DockerHandle, EngineClients};
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
    /// Clients of the remote endpoints' engines, reused across requests.
    pub engines: EngineClients,
    pub auth: AuthConfig,
    /// Seals and opens secrets stored in the database.
    pub secrets: SecretBox,
    /// Live row changes for browser streams.
    pub live: crate::live::LiveEvents,
    /// Work that outlives its request, and the signal that the server stops.
    pub background: Background,
    /// Where backup files are kept (`OPSDECK_BACKUP_DIR`).
    pub backups: crate::backup::ssr::store::BackupStore,
    /// Engine facts pages show, looked up once per period, not per view.
    pub engine_looks: crate::deploy::ssr::looks::EngineLooks,
    /// One engine event feed per endpoint, shared by every open page.
    pub engine_feeds: crate::deploy::ssr::feed::EngineFeeds,
    /// Reads many people make at once, computed once per change.
    pub views: crate::views::store::SharedViews,
}

/// Rollouts (and other long work) run on after the request that started
/// them has been answered. At shutdown the server stops taking requests,
/// ends its streams, and gives this work a grace period to finish.
#[derive(Clone, Default)]
pub struct Background {
    tasks: tokio_util::task::TaskTracker,
    stopping: tokio_util::sync::CancellationToken,
}

impl Background {
    pub fn spawn<F>(&self, work: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(work);
    }

    /// Resolves once the server has begun to stop; streams end then, or
    /// an open one would hold the shutdown forever.
    pub fn stopping(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.stopping.clone().cancelled_owned()
    }

    /// Waits for the stop signal, then tells every stream.
    pub async fn stop_on(&self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.stopping.cancel();
    }

    /// Waits up to `grace` for the work under way; returns how much of it
    /// is still running (the reconciler repairs that at the next start).
    pub async fn drain(&self, grace: std::time::Duration) -> usize {
        self.tasks.close();
        let _ = tokio::time::timeout(grace, self.tasks.wait()).await;
        self.tasks.len()
    }
}

/// The state of the running server, from inside a server function or page.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| AppError::internal("AppState missing from the request context"))
}
