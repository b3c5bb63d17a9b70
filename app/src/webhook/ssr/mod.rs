//! Server-only webhook machinery: the destinations (`store`), Standard
//! Webhooks signatures (`sign`) and the sender that delivers and retries
//! what the audit trigger owes (`send`).

pub mod send;
pub mod sign;
pub mod store;
