//! Reads that many people make at once and that only a row change can
//! alter: the service list, a service's page, the dashboard board and the
//! records behind its figures. Each is computed once
//! per (change, question) and at most once a `PERIOD`, and shared by every
//! request meanwhile.
//!
//! Measured before (bench/RESULTS.md, 2026-11-27): at 100 signed-in clients
//! every view of `/` decoded 10,000 rollouts and 200 services again, and the
//! row decoding alone took over half the CPU.
//!
//! What may have changed is known from PostgreSQL itself: two reads under
//! the same snapshot (`pg_current_snapshot()`: the transactions committed
//! and in flight) see exactly the same rows, and any write that commits
//! changes it. So a view is shared only between requests whose snapshots
//! are equal: a request made after a change committed never gets a view
//! from before it, with no list of tables to keep in step. One tiny query
//! per view instead of thousands of rows.

use crate::dashboard::{Asked, Behind, Dashboard, Records};
use crate::deploy::{ServiceDetail, ServiceSummary};
use crate::state::AppState;
use crate::AppError;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

// The storage is its own module so that `state` can hold it without
// importing the reads (which import `state`).
pub mod store;
pub use store::{PerChange, SharedViews, PERIOD};

/// Every service with its live release, health and last deployment, as
/// `deploy::ssr::read::list_services` reads it, shared.
pub async fn services(state: &AppState) -> Result<Arc<Vec<ServiceSummary>>, AppError> {
    let state2 = state.clone();
    shared(state, &state.views.services, (), move || async move {
        crate::deploy::ssr::read::list_services(&state2).await
    })
    .await
}

/// One service (`reference`: id or `environment/name`) with its releases
/// and history, as `deploy::ssr::read::read_service` reads it, shared.
pub async fn service(state: &AppState, reference: &str) -> Result<Arc<ServiceDetail>, AppError> {
    let (state2, reference2) = (state.clone(), reference.to_string());
    let key = reference.to_string();
    shared(state, &state.views.service_pages, key, move || async move {
        crate::deploy::ssr::read::read_service(&state2, &reference2).await
    })
    .await
}

/// The dashboard for `asked`, shared.
pub async fn board(state: &AppState, asked: &Asked) -> Result<Arc<Dashboard>, AppError> {
    let (state2, asked2) = (state.clone(), asked.clone());
    shared(
        state,
        &state.views.boards,
        asked.clone(),
        move || async move {
            let all = services(&state2).await?.as_ref().clone();
            crate::dashboard::ssr::read(&state2, &asked2, all).await
        },
    )
    .await
}

/// The deployments behind one of the dashboard's figures, shared.
pub async fn records(
    state: &AppState,
    asked: &Asked,
    behind: Behind,
) -> Result<Arc<Records>, AppError> {
    let (state2, asked2) = (state.clone(), asked.clone());
    let key = (asked.clone(), behind);
    shared(state, &state.views.records, key, move || async move {
        crate::dashboard::ssr::records(&state2, &asked2, behind).await
    })
    .await
}

async fn shared<K, V, F, Fut>(
    state: &AppState,
    per_change: &PerChange<K, Result<Arc<V>, AppError>>,
    key: K,
    compute: F,
) -> Result<Arc<V>, AppError>
where
    K: Eq + Hash,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<V, AppError>>,
{
    let compute = || async move { compute().await.map(Arc::new) };
    match snapshot(state).await {
        Ok(snapshot) => per_change.get(snapshot, key, compute).await,
        Err(_) => compute().await,
    }
}

/// The database's current snapshot, as text (`xmin:xmax:in-flight xids`).
async fn snapshot(state: &AppState) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_current_snapshot()::text")
        .fetch_one(&state.db)
        .await
}
