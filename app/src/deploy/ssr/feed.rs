//! One engine event feed per endpoint, shared by every open page.
//!
//! Each service page follows its replicas (the healthy count, the replica
//! table). With a `docker events` request per page, fifty open pages hold
//! fifty requests on the engine; here the first page to ask opens the
//! endpoint's feed (every container event of this installation), later
//! pages subscribe to it, and the last one to leave closes it.

use super::engine::{LABEL_INSTALLATION, LABEL_SERVICE};
use bollard::models::EventMessage;
use bollard::Docker;
use futures_util::stream::{self, BoxStream, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::broadcast;

/// Events a slow page may fall behind by before it is told it missed some.
const BACKLOG: usize = 256;

/// What a subscriber gets: an event, or `Missed` when it fell behind (read
/// the state again). The stream ends when the engine's feed ends.
#[derive(Clone, Debug)]
pub enum FeedItem {
    Event(Arc<EventMessage>),
    Missed,
}

/// The open feeds, by endpoint (its URL, or `local`).
#[derive(Clone, Default)]
pub struct EngineFeeds {
    feeds: Arc<Mutex<HashMap<String, Weak<Feed>>>>,
}

struct Feed {
    /// Cloned for each subscriber (`resubscribe`); the sender lives in the
    /// task, so subscribers see the end when the engine's feed ends.
    template: Mutex<broadcast::Receiver<Arc<EventMessage>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Feed {
    /// The last subscriber gone: the engine request is dropped with it.
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EngineFeeds {
    /// The container events of this installation on `endpoint` (reached
    /// through `docker`), shared with every other subscriber to it.
    pub fn subscribe(
        &self,
        endpoint: &str,
        docker: &Docker,
        installation: &str,
    ) -> BoxStream<'static, FeedItem> {
        let feed = {
            let mut feeds = self.feeds.lock().expect("engine feeds lock");
            feeds.retain(|_, f| f.strong_count() > 0);
            match feeds.get(endpoint).and_then(Weak::upgrade) {
                Some(feed) if !feed.task.is_finished() => feed,
                _ => {
                    let feed = Arc::new(open(docker, installation));
                    feeds.insert(endpoint.to_string(), Arc::downgrade(&feed));
                    feed
                }
            }
        };
        let rx = feed
            .template
            .lock()
            .expect("feed template lock")
            .resubscribe();
        // The subscriber holds the feed: it stays open while someone reads.
        stream::unfold((rx, feed), |(mut rx, feed)| async move {
            let item = match rx.recv().await {
                Ok(event) => FeedItem::Event(event),
                Err(broadcast::error::RecvError::Lagged(_)) => FeedItem::Missed,
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            Some((item, (rx, feed)))
        })
        .boxed()
    }

    /// How many engine feeds are open now.
    pub fn open(&self) -> usize {
        let feeds = self.feeds.lock().expect("engine feeds lock");
        feeds.values().filter(|f| f.strong_count() > 0).count()
    }
}

fn open(docker: &Docker, installation: &str) -> Feed {
    let (tx, template) = broadcast::channel(BACKLOG);
    let filters = HashMap::from([
        ("type", vec!["container".to_string()]),
        (
            "label",
            vec![format!("{LABEL_INSTALLATION}={installation}")],
        ),
    ]);
    let options = bollard::query_parameters::EventsOptionsBuilder::default()
        .filters(&filters)
        .build();
    let mut events = docker.events(Some(options));
    let task = tokio::spawn(async move {
        while let Some(Ok(event)) = events.next().await {
            // No subscriber at this instant is fine: the feed closes only
            // when the last one drops it.
            let _ = tx.send(Arc::new(event));
        }
    });
    Feed {
        template: Mutex::new(template),
        task,
    }
}

/// Whether `event` is one of `actions` (`health_status: healthy` counts as
/// `health_status`) of a replica of service `service_id`.
pub fn concerns(event: &EventMessage, service_id: i64, actions: &[&str]) -> bool {
    let action = event.action.as_deref().unwrap_or_default();
    let action = action.split(':').next().unwrap_or_default().trim();
    let service = event
        .actor
        .as_ref()
        .and_then(|a| a.attributes.as_ref())
        .and_then(|a| a.get(LABEL_SERVICE))
        .and_then(|v| v.parse::<i64>().ok());
    service == Some(service_id) && actions.contains(&action)
}

/// The items of `feed` about service `service_id` and `actions`; a missed
/// stretch passes (the reader cannot tell whether it held one).
pub fn of_service(
    feed: BoxStream<'static, FeedItem>,
    service_id: i64,
    actions: &'static [&'static str],
) -> BoxStream<'static, FeedItem> {
    feed.filter(move |item| {
        std::future::ready(match item {
            FeedItem::Event(e) => concerns(e, service_id, actions),
            FeedItem::Missed => true,
        })
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::EventActor;

    fn event(action: &str, service: &str) -> EventMessage {
        EventMessage {
            action: Some(action.into()),
            actor: Some(EventActor {
                id: Some("c1".into()),
                attributes: Some(HashMap::from([(
                    LABEL_SERVICE.to_string(),
                    service.to_string(),
                )])),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn an_event_concerns_its_service_and_the_actions_asked_for() {
        let wanted = &["start", "health_status"];
        assert!(concerns(&event("start", "7"), 7, wanted));
        assert!(concerns(&event("health_status: healthy", "7"), 7, wanted));
        assert!(!concerns(&event("start", "8"), 7, wanted));
        assert!(!concerns(&event("exec_start: wget -q", "7"), 7, wanted));
    }
}
