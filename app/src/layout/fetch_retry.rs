//! Retrying the fetches of the page's own code.
//!
//! A page's code arrives in chunks fetched while it hydrates (see
//! `routes.rs`). When the browser sees its network change (a phone moving
//! between Wi-Fi and mobile data; on a server, Docker adding a bridge) it
//! cuts the requests in flight with `ERR_NETWORK_CHANGED`, the chunk loader
//! gives up and the page stays dead until reloaded. Chunks are immutable
//! files under `/pkg/`, so fetching one again is always safe: this script,
//! run before the page's modules, retries those fetches with backoff.
//!
//! The JS modules (the entry and the chunk loader) come by `import()`, not
//! `fetch`, and a browser remembers a failed module for the life of the
//! document: importing it again fails again. And a wasm response cut while
//! its body streams fails after `fetch` returned. And a chunk whose fetch
//! still fails after the retries leaves the split loader trapped. So a
//! network failure that reaches no handler (an unhandled rejection), or a
//! code fetch that runs out of retries, before the page hydrated reloads
//! the page instead, a few times, backing off; a page that works is never
//! reloaded (it may hold someone's typing).

use leptos::prelude::*;

/// Retries a failed `fetch` of `/pkg/…` (network error or 5xx) for about
/// half a minute, 0.25 s apart then doubling up to 2 s: the page is dead
/// without its code, and a network that keeps changing (a train, a host
/// starting containers) cuts several attempts in a row. Other fetches
/// (server functions, which may change things) are left as they are.
///
/// A code load cut by the network before hydration (a failed module
/// import, a wasm body cut mid-stream, a chunk whose retries ran out: the
/// split loader then traps rather than rejecting with the network error)
/// reloads the page after 0.5 s, then 1, 2, 4 s: at most twelve reloads a
/// minute (counted in `sessionStorage`, so a server that stays down is not
/// hammered and the page stays as it is once the count is spent), one per
/// document however many loads fail at once. Six were spent within a
/// minute by a network changing twice a second (the network test, with
/// Swarm's bridges up), each reload's module graph cut again. The reloaded page finds what
/// did arrive in the HTTP cache (immutable files).
const SCRIPT: &str = "(() => {
  const KEY = 'opsdeck-code-reloads';
  const hydrated = () => document.body && document.body.dataset.hydrated;
  let reloading = false;
  const reload = () => {
    if (reloading || hydrated()) return;
    let last = {};
    try { last = JSON.parse(sessionStorage.getItem(KEY) || '{}'); } catch (e) {}
    const count = Date.now() - (last.at || 0) < 60000 ? last.count || 0 : 0;
    if (count >= 12) return;
    try { sessionStorage.setItem(KEY, JSON.stringify({ count: count + 1, at: Date.now() })); } catch (e) { return; }
    reloading = true;
    setTimeout(() => location.reload(), Math.min(500 * 2 ** count, 4000));
  };
  const fetch = window.fetch.bind(window);
  const own = (input) => new URL(input instanceof Request ? input.url : String(input), location.href)
    .pathname.startsWith('/pkg/');
  window.fetch = async (input, init) => {
    if (!own(input)) return fetch(input, init);
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(input, init);
        if (response.status < 500 || attempt >= 15) return response;
      } catch (e) {
        if (attempt >= 15) { reload(); throw e; }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 2000)));
    }
  };
  const cut = /dynamically imported module|Importing a module script failed|Failed to fetch|network ?error|Load failed/i;
  window.addEventListener('unhandledrejection', (event) => {
    if (cut.test(String((event.reason && event.reason.message) || event.reason))) reload();
  });
})();";

/// The script, inline with this response's nonce (the page's
/// Content-Security-Policy runs no other inline script). Goes in `<head>`
/// before the hydration scripts.
#[component]
pub fn FetchRetry() -> impl IntoView {
    view! { <script nonce=leptos::nonce::use_nonce() inner_html=SCRIPT></script> }
}
