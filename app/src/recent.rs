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
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One value per key, at most `period` old when handed out.
pub struct Recent<K, V> {
    period: Duration,
    slots: Arc<Mutex<HashMap<K, Arc<Slot<V>>>>>,
}

/// The last value of a key and when it was learned; the async lock makes
/// concurrent askers wait for the one look under way.
type Slot<V> = tokio::sync::Mutex<Option<(Instant, V)>>;

/// Keys not asked for in this many periods are forgotten when the map grows.
const FORGET_AFTER_PERIODS: u32 = 30;
const TIDY_ABOVE: usize = 1024;

impl<K, V> Clone for Recent<K, V> {
    fn clone(&self) -> Self {
        Recent {
            period: self.period,
            slots: self.slots.clone(),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Recent<K, V> {
    pub fn new(period: Duration) -> Self {
        Recent {
            period,
            slots: Arc::default(),
        }
    }

    /// The value of `key`: the remembered one while it is younger than the
    /// period, otherwise what `look` finds (one `look` at a time per key).
    pub async fn get<F, Fut>(&self, key: K, look: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let slot = self.slot(key);
        let mut held = slot.lock().await;
        if let Some((at, value)) = held.as_ref() {
            if at.elapsed() < self.period {
                return value.clone();
            }
        }
        let value = look().await;
        *held = Some((Instant::now(), value.clone()));
        value
    }

    fn slot(&self, key: K) -> Arc<Slot<V>> {
        let mut slots = self.slots.lock().expect("recent values");
        if slots.len() > TIDY_ABOVE {
            let stale = self.period * FORGET_AFTER_PERIODS;
            slots.retain(|_, slot| match slot.try_lock() {
                Ok(held) => held.as_ref().is_some_and(|(at, _)| at.elapsed() < stale),
                // Someone is looking right now: keep it.
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

    #[tokio::test]
    async fn concurrent_askers_share_one_look_and_an_old_value_is_looked_up_again() {
        let recent: Recent<&str, usize> = Recent::new(Duration::from_millis(200));
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
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(ask().await, 2, "older than the period: looked up again");
        assert_eq!(ask().await, 2, "young again: remembered");
    }
}
