//! Server-only machinery of deployments.

pub mod engine;
pub mod finish;
pub mod health;
pub mod lock;
pub mod model;
pub mod places;
pub mod read;
pub mod reconcile;
pub mod resolve;
pub mod rollout;
pub mod service;
pub mod snapshot;
pub mod start;
pub mod steps;
