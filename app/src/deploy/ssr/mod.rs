//! Server-only machinery of deployments.

pub mod bounds;
pub mod endpoints;
pub mod engine;
pub mod feed;
pub mod health;
pub mod inspect;
pub mod lock;
pub mod looks;
pub mod mask;
pub mod model;
pub mod network;
pub mod read;
pub mod reconcile;
pub mod remove;
pub mod repair;
pub mod repair_watch;
pub mod replica_stats;
pub mod resolve;
pub mod rollout;
pub mod run;
pub mod self_join;
pub mod service;
pub mod service_check;
pub mod snapshot;
pub mod start;
pub mod steps;
