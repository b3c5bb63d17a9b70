//! A page's "something changed" counter, fed by a live stream.

use leptos::prelude::*;

/// A counter that goes up on each `change` event from the stream at `url`
/// (after hydration); resources that read it load again. The stream
/// follows `url`: when a client-side navigation changes it (another service,
/// another backup target), the old stream is closed and the new one opened.
pub fn use_live_tick(url: impl Fn() -> String + Send + Sync + 'static) -> ReadSignal<u32> {
    let tick = RwSignal::new(0u32);
    // A memo, so that a re-read of the same URL keeps the open stream.
    let url = Memo::new(move |_| url());
    // Effects run only in the browser; each run's stream is closed when the
    // effect runs again or the page is left.
    Effect::new(move |_| {
        super::use_event_stream(url.get(), &["change"], move |_, _| tick.update(|n| *n += 1));
    });
    tick.read_only()
}
