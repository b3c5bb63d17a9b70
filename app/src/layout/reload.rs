//! Data an island keeps: it starts from what the server read (a prop) and
//! reads it again after something the island did changed it.

use leptos::prelude::*;
use std::future::Future;

/// Sets `target` to what `fetch` answers each time `trigger`'s value
/// changes (not at start: the island starts from the server's reading).
/// An answer that arrives after a later request's is dropped, so two quick
/// actions end with the list as the second left it.
pub fn reload_on<D, T, Fut>(
    trigger: impl FnMut() -> D + 'static,
    target: RwSignal<T>,
    fetch: impl Fn() -> Fut + 'static,
) where
    D: 'static,
    T: Send + Sync + 'static,
    Fut: Future<Output = T> + 'static,
{
    let asked = StoredValue::new(0u64);
    Effect::watch(
        trigger,
        move |_, _, _| {
            let n = asked.get_value() + 1;
            asked.set_value(n);
            let answer = fetch();
            leptos::task::spawn_local(async move {
                let value = answer.await;
                if asked.get_value() == n {
                    target.set(value);
                }
            });
        },
        false,
    );
}
