//! Opsdeck's application: routes, pages, server functions and shared types.
//!
//! One folder per feature; server-only code sits behind the `ssr` feature.
// The islands bundle links only the `#[island]` exports; much else is
// compiled there and never used.
#![cfg_attr(feature = "island-bundle", allow(dead_code, unused_imports))]

/// Declares an island (see `page_code::ISLAND_PAGES`): an `#[island]`
/// where its `<leptos-island>` is written (the server) and hydrated (the
/// islands bundle), a plain `#[component]` in the app's bundle, which
/// renders it after a client-side move. An `#[island]` is a wasm export
/// wherever it is compiled, and the split build keeps every export in the
/// main module that every hydrated page loads: four islands made that
/// module 170 KiB gzip heavier (bench/RESULTS.md, 2026-11-28). In the
/// islands bundle it is `#[island(lazy)]`: its code is split off into
/// chunks that only the pages showing it fetch (`style/src/islands.rs`).
#[macro_export]
macro_rules! island {
    ($item:item) => {
        #[cfg_attr(feature = "ssr", ::leptos::prelude::island)]
        #[cfg_attr(
            all(feature = "island-bundle", not(feature = "ssr")),
            ::leptos::prelude::island(lazy)
        )]
        #[cfg_attr(
            not(any(feature = "ssr", feature = "island-bundle")),
            ::leptos::prelude::component
        )]
        $item
    };
}

pub mod audit;
pub mod auth;
pub mod backup;
pub mod dashboard;
pub mod deploy;
pub mod engine;
pub mod error;
pub mod format;
pub mod home;
pub mod incident;
#[cfg(test)]
mod layering;
pub mod layout;
pub mod live;
mod page_code;
mod pages;
#[cfg(not(feature = "island-bundle"))]
mod root;
#[cfg(not(feature = "island-bundle"))]
pub mod routes;
pub mod runbook;
pub mod system;
pub mod tokens;
pub mod users;
pub mod webhook;

#[cfg(feature = "ssr")]
pub mod docker;
#[cfg(feature = "ssr")]
pub mod locks;
#[cfg(feature = "ssr")]
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod recent;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod views;

pub use error::AppError;
pub use page_code::{page_code, PageCode, ISLAND_PAGES, SERVER_ONLY};
pub use pages::PAGES;
#[cfg(not(feature = "island-bundle"))]
pub use root::{shell, App};

/// Opsdeck's version, shown in the footer and reported by `/ready`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
