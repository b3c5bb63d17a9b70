//! `GET /metrics`: Prometheus' text exposition of what Opsdeck's own records
//! say — deployments by outcome and how long they took, replicas desired and
//! healthy, backup freshness against each target's RPO, test restores, open
//! incidents, the audit log and its last chain check.
//!
//! Every figure is read from PostgreSQL (and the engine listing the pages
//! share) at scrape time, not counted in this process: several Opsdeck
//! processes on one database, or a restart, give the same answer. A scrape
//! needs the `read` permission, in practice an API token holding it
//! (Prometheus' `authorization` setting); see docs/api.md.

mod exposition;
mod facts;
pub mod routes;
