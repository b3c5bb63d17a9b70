//! The server side: one LISTEN per process, fanned out to streams.

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::broadcast;

use super::Topic;

const CHANNEL: &str = "opsdeck_live";

/// One notification: a row of `topic` changed, or `Resync` after the
/// listener reconnected (anything may have been missed, so every stream
/// re-reads what it shows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Row { topic: Topic, id: i64 },
    Resync,
}

impl Change {
    /// `None` for a payload no stream could wait for (an unknown topic).
    fn parse(payload: &str) -> Option<Change> {
        let (topic, id) = payload.split_once(':')?;
        Some(Change::Row {
            topic: Topic::parse(topic)?,
            id: id.parse().ok()?,
        })
    }
}

/// The process's fan-out; cheap to clone, started on first subscription.
#[derive(Clone, Default)]
pub struct LiveEvents {
    sender: Arc<OnceLock<broadcast::Sender<Change>>>,
}

impl LiveEvents {
    /// Every change from now on.
    pub fn subscribe(&self, pool: &PgPool) -> Subscription {
        let rx = self
            .sender
            .get_or_init(|| {
                let (tx, _) = broadcast::channel(1024);
                tokio::spawn(listen(pool.clone(), tx.clone()));
                tx
            })
            .subscribe();
        Subscription { rx }
    }
}

/// A stream's view of the changes.
pub struct Subscription {
    rx: broadcast::Receiver<Change>,
}

impl Subscription {
    /// Waits until row `id` of `topic` changes, or until the stream should
    /// re-read anyway (reconnect, or it fell behind and may have missed it).
    pub async fn changed(&mut self, topic: Topic, id: i64) {
        self.changed_where(topic, |i| i == id).await
    }

    /// Waits until any row of `topic` changes (or a re-read is due).
    pub async fn changed_any(&mut self, topic: Topic) {
        self.changed_where(topic, |_| true).await
    }

    /// `()` at once, then each time row `id` of `topic` (any row when
    /// `None`) changes or a re-read is due: what a page that follows it
    /// needs to know to read again.
    pub fn changes(self, topic: Topic, id: Option<i64>) -> impl futures_util::Stream<Item = ()> {
        use futures_util::StreamExt;
        let later = futures_util::stream::unfold(self, move |mut rx| async move {
            match id {
                Some(id) => rx.changed(topic, id).await,
                None => rx.changed_any(topic).await,
            }
            Some(((), rx))
        });
        futures_util::stream::once(std::future::ready(())).chain(later)
    }

    async fn changed_where(&mut self, topic: Topic, wanted: impl Fn(i64) -> bool) {
        use broadcast::error::RecvError;
        loop {
            match self.rx.recv().await {
                Ok(Change::Row { topic: t, id: i }) if t == topic && wanted(i) => return,
                Ok(Change::Row { .. }) => continue,
                Ok(Change::Resync) | Err(RecvError::Lagged(_)) => return,
                Err(RecvError::Closed) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    return;
                }
            }
        }
    }
}

async fn listen(pool: PgPool, tx: broadcast::Sender<Change>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "live listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        if listener.listen(CHANNEL).await.is_err() {
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        let _ = tx.send(Change::Resync);
        // `None`/`Err`: the connection dropped; reconnect and resync.
        while let Ok(Some(n)) = listener.try_recv().await {
            if let Some(change) = Change::parse(n.payload()) {
                let _ = tx.send(change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Change, Topic};

    #[test]
    fn payload_names_topic_and_row() {
        assert_eq!(
            Change::parse("deployment:42"),
            Some(Change::Row {
                topic: Topic::Deployment,
                id: 42
            })
        );
        assert_eq!(Change::parse("nothing:42"), None);
        assert_eq!(Change::parse("deployment"), None);
        assert_eq!(Change::parse("deployment:x"), None);
    }
}
