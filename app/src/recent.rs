//! Values that are costly to learn and may be a moment old: learned at most
//! once per period per key, and shared by every request that asks meanwhile.
//!
//! Pages show things only the engine knows (how many replicas of a service
//! answer their health check, which tags of an image exist). Asking the
//! engine for each page view put one container listing, one inspect and one
//! HTTP probe per replica behind every request: at 100 clients the engine
//! became the queue. With this, 100 concurrent views of one service cost one
//! look, and the others wait for it instead of repeating it.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
// Tokio's clock, so tests can run it paused.
use tokio::time::Instant;

/// One value per key, at most `period` old when waited for.
pub struct Recent<K, V> {
    period: Duration,
    /// Whether a little-old value is handed out while it refreshes.
    serve_stale: bool,
    slots: Arc<Mutex<HashMap<K, Arc<Slot<V>>>>>,
}

/// The last value of a key and when it was learned. `looking` makes
/// concurrent askers without a usable value wait for the one look under
/// way; `refreshing` keeps background refreshes to one at a time.
struct Slot<V> {
    value: Mutex<Option<(Instant, V)>>,
    looking: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Slot {
            value: Mutex::new(None),
            looking: tokio::sync::Mutex::new(()),
            refreshing: AtomicBool::new(false),
        }
    }
}

impl<V: Clone> Slot<V> {
    fn value(&self) -> Option<(Duration, V)> {
        let held = self.value.lock().expect("recent value");
        held.as_ref().map(|(at, v)| (at.elapsed(), v.clone()))
    }

    fn store(&self, value: V) {
        *self.value.lock().expect("recent value") = Some((Instant::now(), value));
    }
}

/// How many periods old a value may be and still be handed out at once
/// (while one look refreshes it in the background).
const STALE_PERIODS: u32 = 5;
/// Keys not asked for in this many periods are forgotten when the map grows.
const FORGET_AFTER_PERIODS: u32 = 30;
const TIDY_ABOVE: usize = 1024;

impl<K, V> Clone for Recent<K, V> {
    fn clone(&self) -> Self {
        Recent {
            period: self.period,
            serve_stale: self.serve_stale,
            slots: self.slots.clone(),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone + Send + 'static> Recent<K, V> {
    pub fn new(period: Duration) -> Self {
        Recent {
            period,
            serve_stale: true,
            slots: Arc::default(),
        }
    }

    /// Never hands out a value older than `period`: for a value other
    /// looks are built from, so that their staleness does not add up.
    pub fn fresh_only(period: Duration) -> Self {
        Recent {
            serve_stale: false,
            ..Recent::new(period)
        }
    }

    /// The value of `key`: the remembered one while it is younger than the
    /// period. One up to `STALE_PERIODS` periods old is handed out at once
    /// while a single look refreshes it in the background, so no page view
    /// waits on the engine for a value it had a moment ago; without a
    /// usable value, askers wait for one look (one at a time per key).
    pub async fn get<F, Fut>(&self, key: K, look: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        let slot = self.slot(key);
        match slot.value() {
            Some((age, value)) if age < self.period => return value,
            Some((age, value)) if self.serve_stale && age < self.period * STALE_PERIODS => {
                if !slot.refreshing.swap(true, Ordering::SeqCst) {
                    let (slot, refresh) = (slot.clone(), look());
                    tokio::spawn(async move {
                        slot.store(refresh.await);
                        slot.refreshing.store(false, Ordering::SeqCst);
                    });
                }
                return value;
            }
            _ => {}
        }
        let _one_look = slot.looking.lock().await;
        // Someone else may have looked while this one waited.
        if let Some((age, value)) = slot.value() {
            if age < self.period {
                return value;
            }
        }
        let value = look().await;
        slot.store(value.clone());
        value
    }

    fn slot(&self, key: K) -> Arc<Slot<V>> {
        let mut slots = self.slots.lock().expect("recent values");
        if slots.len() > TIDY_ABOVE {
            let stale = self.period * FORGET_AFTER_PERIODS;
            slots.retain(|_, slot| match slot.value.try_lock() {
                Ok(held) => held.as_ref().is_some_and(|(at, _)| at.elapsed() < stale),
                // Someone is reading it right now: keep it.
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
    async fn askers_share_one_look_a_little_old_value_is_refreshed_behind_and_an_old_one_waited_for(
    ) {
        let recent: Recent<&str, usize> = Recent::new(Duration::from_secs(2));
        let looks = Arc::new(AtomicUsize::new(0));
        let ask = || {
            let (recent, looks) = (recent.clone(), looks.clone());
            async move {
                recent
                    .get("web", || async move {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        looks.fetch_add(1, Ordering::SeqCst) + 1
                    })
                    .await
            }
        };
        let seen = futures_util::future::join_all((0..20).map(|_| ask())).await;
        assert_eq!(seen, vec![1; 20], "twenty askers, one look");
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(ask().await, 1, "a little old: handed out, refreshed behind");
        assert_eq!(
            ask().await,
            1,
            "one refresh at a time, the old value meanwhile"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(ask().await, 2, "the refresh landed");
        assert_eq!(looks.load(Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(ask().await, 3, "too old to hand out: waited for");
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresh_only_value_is_always_waited_for_once_old() {
        let recent: Recent<&str, u32> = Recent::fresh_only(Duration::from_secs(1));
        assert_eq!(recent.get("k", || async { 1 }).await, 1);
        assert_eq!(
            recent.get("k", || async { 2 }).await,
            1,
            "young: remembered"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(recent.get("k", || async { 3 }).await, 3, "old: looked up");
    }
}
