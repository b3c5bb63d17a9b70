//! Live streams for the browser (server-sent events): a deployment's steps
//! as they are written, and a service's container logs as they are printed.

use super::ssr::engine;
use super::ssr::model::find_service;
use super::ssr::places::docker_for;
use super::ssr::read::{deployment, steps_after};
use crate::auth::guard::require_in_handler;
use crate::auth::Permission;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use tower_sessions::Session;

async fn reader(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    ext: &Extensions,
    path: &str,
) -> Result<(), Response> {
    require_in_handler(state, session, headers, ext, Permission::Read, path)
        .await
        .map(drop)
        .map_err(IntoResponse::into_response)
}

fn json_event(kind: &str, value: &impl serde::Serialize) -> Event {
    Event::default()
        .event(kind)
        .data(serde_json::to_string(value).unwrap_or_default())
}

#[derive(Deserialize)]
pub struct After {
    #[serde(default)]
    after: i64,
}

/// `GET /deployments/{id}/events?after=<step id>`: `step` events for each
/// step after the given one, a `state` event whenever the deployment
/// changes, and the end of the stream once it has finished.
pub async fn deployment_events(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ext: Extensions,
    Path(id): Path<i64>,
    Query(q): Query<After>,
) -> Response {
    if let Err(r) = reader(&state, &session, &headers, &ext, "/deployments/events").await {
        return r;
    }
    if let Err(e) = deployment(&state.db, id).await {
        return e.into_response();
    }
    let changes = state.live.subscribe(&state.db);
    let stopping = state.background.stopping();
    Sse::new(follow(state, id, q.after, changes).take_until(stopping))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn follow(
    state: AppState,
    id: i64,
    after: i64,
    changes: crate::live::Subscription,
) -> impl Stream<Item = Result<Event, Infallible>> {
    // Each turn waits for a change of this deployment (except the first),
    // then sends the steps after the last one sent and the state; the
    // stream ends with an `end` event once the deployment has finished.
    stream::unfold(Some((after, changes, true)), move |turn| {
        let state = state.clone();
        async move {
            let (last, mut rx, first) = turn?;
            if !first {
                rx.changed("deployment", id).await;
            }
            let deployment = deployment(&state.db, id).await.ok()?;
            let steps = steps_after(&state.db, id, last).await.ok()?;
            let newest = steps.last().map(|s| s.id).unwrap_or(last);
            let finished = deployment.state.is_finished();
            let mut events: Vec<Result<Event, Infallible>> =
                steps.iter().map(|s| Ok(json_event("step", s))).collect();
            events.push(Ok(json_event("state", &deployment)));
            if finished {
                events.push(Ok(end_event()));
            }
            let next = (!finished).then_some((newest, rx, false));
            Some((stream::iter(events), next))
        }
    })
    .flatten()
}

/// Tells the browser the stream is complete, so that it does not reconnect.
fn end_event() -> Event {
    Event::default().event("end").data("")
}

/// `GET /services/{env}/{name}/logs`: the last 100 lines of every running replica,
/// then new lines as they are printed, each as a `line` event prefixed
/// with the container's name.
pub async fn service_logs(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ext: Extensions,
    Path((env, name)): Path<(String, String)>,
) -> Response {
    if let Err(r) = reader(&state, &session, &headers, &ext, "/services/logs").await {
        return r;
    }
    let service = match find_service(&state.db, &format!("{env}/{name}")).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let (handle, docker) = match docker_for(&state, &service) {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let replicas = match engine::replicas(&docker, &service).await {
        Ok(r) => r,
        Err(e) => return engine::engine_error(&handle, e).into_response(),
    };
    let streams = replicas.into_iter().filter(|r| r.running).map(|r| {
        let options = bollard::query_parameters::LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .tail("100")
            .build();
        let name = r.name.clone();
        docker
            .logs(&r.id, Some(options))
            .filter_map(move |chunk| {
                let name = name.clone();
                async move {
                    let text = chunk.ok()?.to_string();
                    let lines: Vec<String> =
                        text.lines().map(|l| format!("{name} | {l}")).collect();
                    Some(stream::iter(lines))
                }
            })
            .flatten()
    });
    let merged = stream::select_all(streams.map(|s| s.boxed()))
        .map(|line| Ok::<_, Infallible>(Event::default().event("line").data(line)))
        .chain(stream::once(async { Ok(end_event()) }))
        .take_until(state.background.stopping());
    Sse::new(merged)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The routes of this feature that are not server functions.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/deployments/{id}/events",
            axum::routing::get(deployment_events),
        )
        .route(
            "/services/{env}/{name}/logs",
            axum::routing::get(service_logs),
        )
}
