//! Authentication settings (server only), part of `AppState`.

/// Session lifetimes and cookie security, from the server's settings.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// A session ends this long after sign-in, however active.
    pub absolute_lifetime: chrono::Duration,
    /// Failed sign-ins before an account locks.
    pub lockout_threshold: i32,
    pub lockout_duration: chrono::Duration,
    /// Failed sign-ins from one address within `lockout_duration` before it is refused.
    pub per_address_limit: i64,
    /// Bounds the password checks running and waiting at once.
    pub argon2: super::password::Argon2Limit,
    /// How often an open event stream checks its caller's access again.
    pub stream_recheck: std::time::Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            absolute_lifetime: chrono::Duration::hours(12),
            lockout_threshold: 5,
            lockout_duration: chrono::Duration::minutes(15),
            per_address_limit: 20,
            argon2: super::password::Argon2Limit::shared(),
            stream_recheck: std::time::Duration::from_secs(30),
        }
    }
}
