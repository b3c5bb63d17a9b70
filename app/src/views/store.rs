//! Where shared reads are kept: one value per question, valid while the
//! database snapshot it was read under is current (see `crate::views`).

use crate::dashboard::{Asked, Behind, Dashboard, Records};
use crate::deploy::{ServiceDetail, ServiceSummary};
use crate::AppError;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;
// Tokio's clock, so tests can run it paused.
use tokio::time::Instant;

/// Longest a shared value is handed out, even with nothing written: the
/// engine facts in it (replica health) are not in the database.
pub const PERIOD: Duration = Duration::from_secs(1);
/// Values this old are forgotten when the map grows (they would not be
/// handed out again anyway).
const FORGET_AFTER: Duration = PERIOD;
const TIDY_ABOVE: usize = 64;

/// The shared reads of one server (one per `AppState`, so that tests with
/// their own databases never share).
#[derive(Clone, Default)]
pub struct SharedViews {
    pub services: PerChange<(), Result<Arc<Vec<ServiceSummary>>, AppError>>,
    pub boards: PerChange<Asked, Result<Arc<Dashboard>, AppError>>,
    pub records: PerChange<(Asked, Behind), Result<Arc<Records>, AppError>>,
    /// By the reference asked for (id or `environment/name`).
    pub service_pages: PerChange<String, Result<Arc<ServiceDetail>, AppError>>,
}

/// One value per key, valid while the snapshot it was computed under is
/// current and it is younger than `PERIOD`.
pub struct PerChange<K, V> {
    slots: Arc<Mutex<HashMap<K, Arc<Slot<V>>>>>,
}

/// The value and what it was computed under. The async mutex makes
/// concurrent askers of a stale value wait for one computation, then
/// share it.
type Slot<V> = tokio::sync::Mutex<Option<(String, Instant, V)>>;

impl<K, V> Clone for PerChange<K, V> {
    fn clone(&self) -> Self {
        PerChange {
            slots: self.slots.clone(),
        }
    }
}

impl<K, V> Default for PerChange<K, V> {
    fn default() -> Self {
        PerChange {
            slots: Arc::default(),
        }
    }
}

impl<K: Eq + Hash, V: Clone> PerChange<K, V> {
    pub async fn get<F, Fut>(&self, snapshot: String, key: K, compute: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let slot = self.slot(key);
        let mut held = slot.lock().await;
        if let Some((g, at, value)) = held.as_ref() {
            if *g == snapshot && at.elapsed() < PERIOD {
                return value.clone();
            }
        }
        let value = compute().await;
        *held = Some((snapshot, Instant::now(), value.clone()));
        value
    }

    fn slot(&self, key: K) -> Arc<Slot<V>> {
        let mut slots = self.slots.lock().expect("shared views");
        if slots.len() > TIDY_ABOVE {
            slots.retain(|_, slot| match slot.try_lock() {
                Ok(held) => held
                    .as_ref()
                    .is_some_and(|(_, at, _)| at.elapsed() < FORGET_AFTER),
                // Someone is computing or reading it right now: keep it.
                Err(_) => true,
            });
        }
        slots.entry(key).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn concurrent_askers_share_one_computation_until_a_change_or_the_period_ends() {
        let views: PerChange<&str, usize> = PerChange::default();
        let computed = Arc::new(AtomicUsize::new(0));
        let ask = |snapshot: &str| {
            let (views, computed, snapshot) =
                (views.clone(), computed.clone(), snapshot.to_string());
            async move {
                views
                    .get(snapshot, "board", || async move {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        computed.fetch_add(1, Ordering::SeqCst) + 1
                    })
                    .await
            }
        };
        let seen = futures_util::future::join_all((0..50).map(|_| ask("7:9:"))).await;
        assert_eq!(seen, vec![1; 50], "fifty askers, one computation");
        assert_eq!(ask("7:9:").await, 1, "same snapshot, young: shared");
        assert_eq!(
            ask("7:10:").await,
            2,
            "a write committed since: computed afresh"
        );
        tokio::time::sleep(PERIOD).await;
        assert_eq!(
            ask("7:10:").await,
            3,
            "older than the period: computed afresh"
        );
        assert_eq!(computed.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn questions_not_asked_for_a_while_are_forgotten() {
        let views: PerChange<usize, usize> = PerChange::default();
        for key in 0..=TIDY_ABOVE {
            views.get("1:1:".into(), key, || async move { key }).await;
        }
        tokio::time::sleep(FORGET_AFTER).await;
        views.get("1:1:".into(), 1000, || async { 0 }).await;
        assert_eq!(views.slots.lock().unwrap().len(), 1);
    }
}
