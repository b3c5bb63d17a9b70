//! The browser half of island pages (`app::ISLAND_PAGES`).
//!
//! The server sends such a page as plain HTML with each `#[island]`
//! component wrapped in `<leptos-island data-component=… data-props=…>`.
//! This bundle holds only the islands' code and Leptos' reactive runtime:
//! no router, no page, no layout. The page's script (`layout::IslandScripts`)
//! loads it, calls [`hydrate`], then calls each island's export, named by
//! its `data-component`, with its element.

// The `#[island]` macro puts each island's hydrate function in `app` as a
// `#[wasm_bindgen]` export; linking `app` is what brings them here.
extern crate app as _;

/// Sets up the reactive runtime for islands; the page's script hydrates
/// the islands themselves.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
