//! `/live`, `/health` and `/ready`: probes for load balancers and orchestrators.

use app::state::AppState;
use app::system::ssr::database_probe;
use app::system::Probe;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(app::auth::registry::plain_route("/live"), get(live))
        .route(app::auth::registry::plain_route("/health"), get(health))
        .route(app::auth::registry::plain_route("/ready"), get(ready))
}

/// The process is up and serving HTTP.
async fn live() -> Json<Value> {
    Json(json!({ "status": "live" }))
}

/// `{"status":"ok"}` while the database answers; 503 otherwise.
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let db = database_probe(&state.db).await;
    if db.ok {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "error", "database": db.detail })),
        )
    }
}

/// Database and Docker states, both checked now. Only a database outage
/// makes Opsdeck unready: without Docker it still serves history, incidents
/// and runbooks. Versions and error texts help an attacker pick exploits, so
/// only a caller who may read the panel gets them; others get the status.
/// Administrators also get every endpoint's health (and a swarm's nodes).
async fn ready(
    State(state): State<AppState>,
    mut request: axum::http::request::Parts,
) -> (StatusCode, Json<Value>) {
    let reader =
        app::auth::authorized::caller_holding(&mut request, &state, app::auth::Permission::Read)
            .await;
    let admin = reader
        .as_ref()
        .is_some_and(|a| a.can(app::auth::Permission::Administer));
    let reader = reader.is_some();
    let (db, docker) = tokio::join!(database_probe(&state.db), state.docker.probe());
    let code = if db.ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let status = match (db.ok, docker.ok) {
        (true, true) => "ok",
        (true, false) => "degraded",
        _ => "unavailable",
    };
    let body = if reader {
        let mut body = json!({
            "status": status,
            "version": app::VERSION,
            "database": probe_json(&db),
            "docker": probe_json(&docker),
        });
        if admin {
            // Every endpoint asked now (each bounded to 3 s): reachable,
            // version, mode, and a swarm's nodes with their state.
            let endpoints = app::deploy::ssr::endpoints::list_endpoints(&state).await;
            body["endpoints"] = match endpoints {
                Ok(list) => json!(list),
                Err(e) => json!({ "error": e.to_string() }),
            };
        }
        body
    } else {
        json!({ "status": status })
    };
    (code, Json(body))
}

fn probe_json(p: &Probe) -> Value {
    if p.ok {
        json!({ "status": "ok", "version": p.detail })
    } else {
        json!({ "status": "error", "error": p.detail })
    }
}
