//! The browser half of Opsdeck: hydrates the server-rendered page.

use leptos::prelude::document;

/// Hydrates `<body>`, then marks it `data-hydrated="true"`.
///
/// Pages are lazy routes (see `app::routes`): the page's own code arrives as
/// a separate chunk, so hydration is asynchronous and finishes only once that
/// chunk is fetched and the page's view has hydrated. The mark is set then,
/// not when the app shell has hydrated, so that whoever waits for it (people
/// reading the DOM, the browser tests) finds a page whose buttons work.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `hydrate_from_async` sets up Leptos' executor itself; this outer task
    // only has to be driven by the browser's.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
