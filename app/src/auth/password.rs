//! Password hashing with argon2id (OWASP parameters), off the async threads.

use crate::AppError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// argon2id, m = 19 MiB, t = 2, p = 1: OWASP's password storage recommendation.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How much argon2 work runs at once, and how much may wait for it. Each
/// check holds 19 MiB and a core for tens of milliseconds, so a flood of
/// sign-ins with nothing to stop it exhausts memory (and starves every other
/// blocking task). With `workers` checks running and `queue` waiting, the
/// next one is refused at once (503) instead of piling up.
#[derive(Clone, Debug)]
pub struct Argon2Limit {
    /// Running plus waiting.
    admitted: Arc<Semaphore>,
    working: Arc<Semaphore>,
}

impl Argon2Limit {
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Argon2Limit {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            working: Arc::new(Semaphore::new(workers)),
        }
    }

    /// The process's limit: one worker per core, four waiting per worker.
    /// Everything that hashes shares it (sign-in, user administration).
    pub fn shared() -> Self {
        static SHARED: OnceLock<Argon2Limit> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                Argon2Limit::new(cores, 4 * cores)
            })
            .clone()
    }

    /// Runs `work` on a blocking thread once a worker is free, or refuses at
    /// once when the queue is full. The permits go with the work, so a
    /// caller that gives up waiting does not free a worker still busy.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let Ok(admitted) = self.admitted.clone().try_acquire_owned() else {
            return Err(AppError::Unavailable(BUSY.into()));
        };
        let working = self
            .working
            .clone()
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permits = (admitted, working);
            work()
        })
        .await
        .map_err(AppError::internal)
    }
}

/// What a caller refused by [`Argon2Limit`] reads.
pub const BUSY: &str = "The server is busy checking other passwords: try again in a few seconds.";

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for `password`.
pub async fn hash(limit: &Argon2Limit, password: SecretString) -> Result<String, AppError> {
    limit
        .run(move || {
            let salt = SaltString::generate(&mut OsRng);
            hasher()
                .hash_password(password.expose_secret().as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await?
        .map_err(AppError::internal)
}

/// Whether `password` matches `phc`. With `None` (unknown user) it checks
/// against a fixed dummy hash, so both cases cost the same time.
pub async fn verify(
    limit: &Argon2Limit,
    password: SecretString,
    phc: Option<String>,
) -> Result<bool, AppError> {
    let known = phc.is_some();
    let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_string());
    limit
        .run(move || {
            let parsed = PasswordHash::new(&phc).map_err(AppError::internal)?;
            let ok = hasher()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok();
            Ok(ok && known)
        })
        .await?
}

/// The hash of a random password nobody knows, with the same parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Wq0wVUHvN1nZ8qYAt3qxKmvnLwTzvhyCbxTT7hnYqzY";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let limit = Argon2Limit::shared();
        let phc = hash(&limit, SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let right = SecretString::from("correct horse battery");
        assert!(verify(&limit, right, Some(phc.clone())).await.unwrap());
        let wrong = SecretString::from("wrong horse battery");
        assert!(!verify(&limit, wrong, Some(phc)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let anything = SecretString::from("anything at all");
        assert!(!verify(&Argon2Limit::shared(), anything, None)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn work_beyond_the_workers_and_the_queue_is_refused_at_once() {
        let limit = Argon2Limit::new(1, 1);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let running = tokio::spawn({
            let limit = limit.clone();
            async move { limit.run(move || wait.recv().is_ok()).await }
        });
        let queued = tokio::spawn({
            let limit = limit.clone();
            async move { limit.run(|| 2).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(
            limit.run(|| 3).await,
            Err(AppError::Unavailable(BUSY.into()))
        );
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap(), Ok(true));
        assert_eq!(queued.await.unwrap(), Ok(2));
        assert_eq!(limit.run(|| 4).await, Ok(4), "free again");
    }
}
