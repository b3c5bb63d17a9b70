//! Retrying the fetches of the page's own code.
//!
//! A page's code arrives in chunks fetched while it hydrates (see
//! `routes.rs`). When the browser sees its network change (a phone moving
//! between Wi-Fi and mobile data; on a server, Docker adding a bridge) it
//! cuts the requests in flight with `ERR_NETWORK_CHANGED`, the chunk loader
//! gives up and the page stays dead until reloaded. Chunks are immutable
//! files under `/pkg/`, so fetching one again is always safe: this script,
//! run before the page's modules, retries those fetches with backoff.

use leptos::prelude::*;

/// Retries a failed `fetch` of `/pkg/…` (network error or 5xx) for about
/// half a minute, 0.25 s apart then doubling up to 2 s: the page is dead
/// without its code, and a network that keeps changing (a train, a host
/// starting containers) cuts several attempts in a row. Other fetches
/// (server functions, which may change things) are left as they are.
const SCRIPT: &str = "(() => {
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
        if (attempt >= 15) throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 2000)));
    }
  };
})();";

/// The script, inline with this response's nonce (the page's
/// Content-Security-Policy runs no other inline script). Goes in `<head>`
/// before the hydration scripts.
#[component]
pub fn FetchRetry() -> impl IntoView {
    view! { <script nonce=leptos::nonce::use_nonce() inner_html=SCRIPT></script> }
}
