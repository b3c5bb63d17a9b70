//! What deployments write to the audit log: rollouts (`deploy.*`), the
//! services themselves (`service.*`) and where they run.

use crate::audit::Action;

/// A rollout started, one action per kind (see `ssr::run::Kind`).
pub const DEPLOY: Action = Action::new("deploy.deploy");
pub const ROLLBACK: Action = Action::new("deploy.rollback");
pub const RESTART: Action = Action::new("deploy.restart");
pub const SCALE: Action = Action::new("deploy.scale");
/// A rollout ended (its outcome says how).
pub const FINISH: Action = Action::new("deploy.finish");
/// A deployment a crashed Opsdeck left running was settled.
pub const RECONCILE: Action = Action::new("deploy.reconcile");
/// Missing replicas were started again.
pub const REPAIR: Action = Action::new("deploy.repair");
/// Repairs stopped for a service that keeps failing them.
pub const REPAIR_PAUSED: Action = Action::new("deploy.repair.paused");

pub const SERVICE_CREATE: Action = Action::new("service.create");
pub const SERVICE_UPDATE: Action = Action::new("service.update");
pub const SERVICE_REMOVE: Action = Action::new("service.remove");
pub const ENDPOINT_CREATE: Action = Action::new("endpoint.create");
pub const ENVIRONMENT_CREATE: Action = Action::new("environment.create");
