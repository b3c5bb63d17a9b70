//! The routes of deployments that are not server functions: live streams
//! for the browser (server-sent events) of a deployment's steps as they
//! are written, of a service's container logs as they are printed (its
//! secret values masked), and of changes to services.

use super::ssr::endpoints::docker_for;
use super::ssr::engine;
use super::ssr::feed;
use super::ssr::mask::{MaskedLines, Masker};
use super::ssr::model::find_service;
use super::ssr::read::{deployment, steps_after};
use super::ssr::replica_stats;
use crate::auth::authorized::Authorized;
use crate::auth::stream::{while_allowed, StreamCaller};
use crate::state::AppState;
use crate::AppError;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bollard::models::EventMessage;
use futures_util::stream::{self, BoxStream, SelectAll, Stream, StreamExt};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;

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
    Path(id): Path<i64>,
    Query(q): Query<After>,
    reader: Authorized,
) -> Result<Response, AppError> {
    deployment(&state.db, id).await?;
    let changes = state.live.subscribe(&state.db);
    let steps = follow(state.clone(), id, q.after, changes);
    Ok(Sse::new(while_allowed(&state, reader.caller, steps))
        .keep_alive(KeepAlive::default())
        .into_response())
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
                rx.changed(crate::live::Topic::Deployment, id).await;
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

/// `GET /service-events`: a `change` event at once and whenever any
/// service or deployment changes; the services list reads again on each.
pub async fn all_service_events(State(state): State<AppState>, reader: Authorized) -> Response {
    changes(&state, reader.caller, None, None)
}

/// `GET /services/{env}/{name}/changes`: a `change` event at once and
/// whenever the service or one of its deployments changes, wherever the
/// change was made (another user, a script, another Opsdeck process).
pub async fn service_events(
    State(state): State<AppState>,
    Path((env, name)): Path<(String, String)>,
    reader: Authorized,
) -> Result<Response, AppError> {
    let service = find_service(&state.db, &format!("{env}/{name}")).await?;
    // Replicas that start, die or change health change the page too
    // (healthy / desired) without any row changing; without an engine
    // only the database's changes are followed.
    let engine = docker_for(&state, &service).ok().map(|(_, docker)| {
        let feed = engine_feed(&state, &service, &docker);
        feed::of_service(feed, service.id, &["start", "die", "health_status"])
            .map(drop)
            .boxed()
    });
    Ok(changes(&state, reader.caller, Some(service.id), engine))
}

/// `change` events for service `id` (or any service), and for each of
/// `engine`'s signals, until shutdown.
fn changes(
    state: &AppState,
    caller: StreamCaller,
    id: Option<i64>,
    engine: Option<BoxStream<'static, ()>>,
) -> Response {
    let rows = state
        .live
        .subscribe(&state.db)
        .changes(crate::live::Topic::Service, id);
    let engine = engine.unwrap_or_else(|| stream::pending().boxed());
    let events = stream::select(rows.boxed(), engine)
        .map(|_| Ok::<_, Infallible>(Event::default().event("change").data("changed")));
    Sse::new(while_allowed(state, caller, events))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The shared container-event feed of the service's endpoint.
fn engine_feed(
    state: &AppState,
    service: &super::ssr::model::ServiceRow,
    docker: &bollard::Docker,
) -> BoxStream<'static, feed::FeedItem> {
    let endpoint = service.endpoint_url.as_deref().unwrap_or("local");
    state
        .engine_feeds
        .subscribe(endpoint, docker, &service.installation)
}

/// Tells the browser the stream is complete, so that it does not reconnect.
/// Every event carries data: EventSource drops events whose data is empty,
/// and the browser would then reconnect to a finished stream forever.
fn end_event() -> Event {
    Event::default().event("end").data("end")
}

/// `GET /services/{env}/{name}/logs`: the last 100 lines of every running
/// replica, then new lines as they are printed, each as a `line` event
/// prefixed with the container's name. Replicas started later (a deploy,
/// a scale-up, a restart) join the stream as they start, and a line says
/// when a replica stops, so a rollout can be watched from one stream.
pub async fn service_logs(
    State(state): State<AppState>,
    Path((env, name)): Path<(String, String)>,
    reader: Authorized,
) -> Result<Response, AppError> {
    let service = find_service(&state.db, &format!("{env}/{name}")).await?;
    let (handle, docker) = docker_for(&state, &service)?;
    // Subscribe before listing: a replica that starts in between is then
    // seen by the subscription rather than missed by both.
    let starts = replica_events(&docker, &service, &["start"]);
    let replicas = engine::replicas(&docker, &service)
        .await
        .map_err(|e| engine::engine_error(&handle, e))?;
    let mut following = Following {
        docker,
        logs: SelectAll::new(),
        starts,
        seen: HashSet::new(),
        masks: Masks {
            state: state.clone(),
            service_id: service.id,
        },
    };
    for r in replicas.into_iter().filter(|r| r.running) {
        following.seen.insert(r.id.clone());
        let masker = following.masks.of(r.release_id).await;
        let lines = replica_lines(&following.docker, r.id, r.name, "100", masker);
        following.logs.push(lines);
    }
    let lines = merged_lines(following)
        .map(|line| Ok::<_, Infallible>(Event::default().event("line").data(line)))
        .chain(stream::once(async { Ok(end_event()) }))
        .take_until(state.background.stopping());
    Ok(Sse::new(while_allowed(&state, reader.caller, lines))
        .keep_alive(KeepAlive::default())
        .into_response())
}

type Lines = BoxStream<'static, String>;
type Starts = BoxStream<'static, Result<EventMessage, bollard::errors::Error>>;

/// The engine's `events` (start, die, …) of this service's containers.
fn replica_events(
    docker: &bollard::Docker,
    service: &super::ssr::model::ServiceRow,
    events: &[&str],
) -> Starts {
    let filters = HashMap::from([
        ("type", vec!["container".to_string()]),
        ("event", events.iter().map(|e| e.to_string()).collect()),
        (
            "label",
            vec![
                format!("{}={}", engine::LABEL_INSTALLATION, service.installation),
                format!("{}={}", engine::LABEL_SERVICE, service.id),
            ],
        ),
    ]);
    let options = bollard::query_parameters::EventsOptionsBuilder::default()
        .filters(&filters)
        .build();
    docker.events(Some(options)).boxed()
}

/// One replica's output from `tail` lines back, masked, then a line when
/// it stops. Without a masker (its secrets could not be opened) the output
/// is withheld, saying so.
fn replica_lines(
    docker: &bollard::Docker,
    id: String,
    name: String,
    tail: &str,
    masker: Result<Masker, AppError>,
) -> Lines {
    let masker = match masker {
        Ok(m) => m,
        Err(e) => {
            let why = format!("{name} | — output withheld: its secrets cannot be masked ({e})");
            return stream::once(async move { why }).boxed();
        }
    };
    let options = bollard::query_parameters::LogsOptionsBuilder::default()
        .follow(true)
        .stdout(true)
        .stderr(true)
        .tail(tail)
        .build();
    let prefix = name.clone();
    // `None` marks the end of the output, where a last unfinished line
    // is let out.
    docker
        .logs(&id, Some(options))
        .map(Some)
        .chain(stream::once(async { None }))
        .scan(MaskedLines::new(masker), move |lines, chunk| {
            let out: Vec<String> = match chunk {
                Some(Ok(chunk)) => lines.push(&chunk.to_string()),
                Some(Err(_)) => vec![],
                None => lines.finish().into_iter().collect(),
            };
            let prefixed = out.into_iter().map(|l| format!("{prefix} | {l}"));
            std::future::ready(Some(stream::iter(prefixed.collect::<Vec<_>>())))
        })
        .flatten()
        .chain(stream::once(async move {
            format!("{name} | — stopped printing")
        }))
        .boxed()
}

/// Where the maskers of the followed replicas come from.
struct Masks {
    state: AppState,
    service_id: i64,
}

impl Masks {
    async fn of(&self, release_id: i64) -> Result<Masker, AppError> {
        let s = &self.state;
        Masker::for_replica(&s.db, &s.secrets, self.service_id, release_id).await
    }
}

/// What the merged log stream follows: the engine (to attach replicas),
/// the replicas' lines, the start events, and which containers are followed.
struct Following {
    docker: bollard::Docker,
    logs: SelectAll<Lines>,
    starts: Starts,
    seen: HashSet<String>,
    masks: Masks,
}

/// The lines of the running replicas and of each replica that starts
/// later; ends only when the engine's event stream does (engine gone).
fn merged_lines(following: Following) -> impl Stream<Item = String> {
    stream::unfold(following, |mut f| async move {
        loop {
            tokio::select! {
                Some(line) = f.logs.next(), if !f.logs.is_empty() => return Some((line, f)),
                event = f.starts.next() => {
                    let actor = event?.ok()?.actor?;
                    let Some(id) = actor.id else { continue };
                    // Started between the subscription and the listing:
                    // followed already.
                    if !f.seen.insert(id.clone()) {
                        continue;
                    }
                    let attributes = actor.attributes.unwrap_or_default();
                    let name = attributes
                        .get("name")
                        .cloned()
                        .unwrap_or_else(|| id.chars().take(12).collect());
                    // The event carries the container's labels.
                    let release = attributes.get(engine::LABEL_RELEASE).and_then(|r| r.parse().ok());
                    let masker = match release {
                        Some(release) => f.masks.of(release).await,
                        None => Err(AppError::internal("it names no release")),
                    };
                    // "all": a container seen at its start has printed
                    // only what belongs to this stream.
                    f.logs.push(replica_lines(&f.docker, id, name.clone(), "all", masker));
                    return Some((format!("{name} | — started"), f));
                }
            }
        }
    })
}

/// The routes of this feature that are not server functions.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            crate::auth::registry::plain_route("/deployments/{id}/events"),
            axum::routing::get(deployment_events),
        )
        .route(
            crate::auth::registry::plain_route("/services/{env}/{name}/logs"),
            axum::routing::get(service_logs),
        )
        .route(
            crate::auth::registry::plain_route("/services/{env}/{name}/replicas"),
            axum::routing::get(service_replicas),
        )
        .route(
            crate::auth::registry::plain_route("/services/{env}/{name}/changes"),
            axum::routing::get(service_events),
        )
        .route(
            crate::auth::registry::plain_route("/service-events"),
            axum::routing::get(all_service_events),
        )
}

/// `GET /services/{env}/{name}/replicas`: a `replicas` event with the
/// service's replicas (release, state, health) at first and whenever the
/// engine reports one created, started, stopped, changing health or gone;
/// a `usage` event per stats sample of each running replica (CPU, memory,
/// uptime; about once a second each, as the engine pushes them).
pub async fn service_replicas(
    State(state): State<AppState>,
    Path((env, name)): Path<(String, String)>,
    reader: Authorized,
) -> Result<Response, AppError> {
    let service = find_service(&state.db, &format!("{env}/{name}")).await?;
    let (handle, docker) = docker_for(&state, &service)?;
    // Subscribed before the first listing, so that nothing falls between.
    // Exec events of health checks are left out, or every check would
    // re-read the set.
    let changes = feed::of_service(
        engine_feed(&state, &service, &docker),
        service.id,
        &[
            "create",
            "start",
            "die",
            "destroy",
            "pause",
            "unpause",
            "health_status",
        ],
    );
    let mut started = HashMap::new();
    let first = replica_stats::replica_states(&docker, &state.db, &service, &mut started)
        .await
        .map_err(|e| engine::engine_error(&handle, e))?;
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    // The engine reports no task events, and container events only of its
    // own node: a Swarm service's task list is read again now and then,
    // to see tasks on other nodes come and go.
    let resync = service.swarm().then(|| {
        let every = std::time::Duration::from_secs(5);
        let mut i = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    });
    let watch = ReplicaWatch {
        docker,
        db: state.db.clone(),
        service,
        resync,
        last: Vec::new(),
        started,
        samples: SelectAll::new(),
        sampled: HashSet::new(),
        tx,
    };
    tokio::spawn(watch.run(first, changes, state.background.stopping()));
    let events = stream::unfold(rx, |mut rx| async { rx.recv().await.map(|e| (e, rx)) })
        .map(Ok::<_, Infallible>)
        .chain(stream::once(async { Ok(end_event()) }));
    Ok(Sse::new(while_allowed(&state, reader.caller, events))
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The engine side of one replica panel; ends when the browser leaves
/// (the channel closes), the engine's event feed ends, or Opsdeck stops.
struct ReplicaWatch {
    docker: bollard::Docker,
    db: sqlx::PgPool,
    service: super::ssr::model::ServiceRow,
    started: HashMap<String, chrono::DateTime<chrono::Utc>>,
    /// Swarm services only: when to read the task list again.
    resync: Option<tokio::time::Interval>,
    /// The set last sent, so a resync that finds nothing new sends nothing.
    last: Vec<crate::deploy::ReplicaState>,
    samples: SelectAll<BoxStream<'static, (String, bollard::models::ContainerStatsResponse)>>,
    /// Replicas whose stats stream is open.
    sampled: HashSet<String>,
    tx: tokio::sync::mpsc::Sender<Event>,
}

impl ReplicaWatch {
    async fn run(
        mut self,
        first: Vec<crate::deploy::ReplicaState>,
        mut changes: BoxStream<'static, feed::FeedItem>,
        stopping: tokio_util::sync::WaitForCancellationFutureOwned,
    ) {
        tokio::pin!(stopping);
        if !self.publish(first).await {
            return;
        }
        loop {
            tokio::select! {
                _ = &mut stopping => return,
                _ = self.tx.closed() => return,
                change = changes.next() => {
                    // An event or a missed stretch: read the set again.
                    if change.is_none() || !self.reread(true).await {
                        return;
                    }
                }
                _ = next_tick(&mut self.resync) => {
                    if !self.reread(false).await {
                        return;
                    }
                }
                Some((id, sample)) = self.samples.next() => {
                    let usage = replica_stats::usage(id.clone(), &sample, self.started.get(&id).copied());
                    if self.tx.send(json_event("usage", &usage)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Reads the set again and sends it (`always`, or only when it changed);
    /// false once the engine or the browser has gone.
    async fn reread(&mut self, always: bool) -> bool {
        let read =
            replica_stats::replica_states(&self.docker, &self.db, &self.service, &mut self.started);
        match read.await {
            Ok(set) if always || set != self.last => self.publish(set).await,
            Ok(_) => true,
            Err(_) => false,
        }
    }

    /// Sends the set and opens a stats stream for each running replica not
    /// yet followed; false once the browser has gone.
    async fn publish(&mut self, set: Vec<crate::deploy::ReplicaState>) -> bool {
        self.sampled
            .retain(|id| set.iter().any(|r| &r.id == id && r.running));
        for r in set.iter().filter(|r| r.running) {
            if self.sampled.insert(r.id.clone()) {
                self.samples
                    .push(replica_stats::usage_samples(&self.docker, r.id.clone()));
            }
        }
        let sent = self.tx.send(json_event("replicas", &set)).await.is_ok();
        self.last = set;
        sent
    }
}

/// The next tick of `interval`; never without one.
async fn next_tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}
