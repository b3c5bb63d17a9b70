//! The browser side of live streams: server-sent events into signals.

/// Calls `on(kind, data)` for every server-sent event of one of `kinds`
/// arriving at `url`, from hydration until the calling component is
/// dropped. On the server it does nothing: the page is rendered with what
/// the database holds, and the stream adds what happens afterwards. The
/// browser reconnects by itself after a network error, so `on` must
/// tolerate seeing an event twice. A stream that is complete sends an
/// `end` event; the connection is then closed instead of reopened.
pub fn use_event_stream(
    url: String,
    kinds: &'static [&'static str],
    on: impl Fn(&'static str, String) + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let on = std::rc::Rc::new(on);
        let listeners: Vec<_> = kinds
            .iter()
            .map(|&kind| {
                let on = on.clone();
                let listener = Closure::<dyn Fn(web_sys::MessageEvent)>::new(
                    move |e: web_sys::MessageEvent| {
                        if let Some(data) = e.data().as_string() {
                            on(kind, data);
                        }
                    },
                );
                let _ = source
                    .add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
                listener
            })
            .collect();
        let closer = source.clone();
        let end = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| closer.close());
        let _ = source.add_event_listener_with_callback("end", end.as_ref().unchecked_ref());
        // Both live in the browser's single thread; the wrapper only
        // satisfies `on_cleanup`'s bounds.
        let held = send_wrapper::SendWrapper::new((source, listeners, end));
        leptos::prelude::on_cleanup(move || held.0.close());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, kinds, on);
}
