//! Live changes for browser streams, across every Opsdeck process.
//!
//! Features announce a changed row with `pg_notify('opsdeck_live',
//! '<topic>:<id>')` (usually from a trigger, so a change made by any process
//! is seen by all). Each process keeps one LISTEN connection and fans the
//! notifications out to its streams over a broadcast channel.

mod browser;
mod tick;
pub use browser::use_event_stream;
pub use tick::use_live_tick;

#[cfg(feature = "ssr")]
mod server;
#[cfg(feature = "ssr")]
pub use server::*;
