//! Password hashing with argon2id, off the async runtime and bounded.
//!
//! Hashes run in `spawn_blocking` behind a semaphore sized to the cores, so a
//! burst of log-ins cannot stall message delivery; a second, small waiting
//! room turns the excess away at once instead of queueing without bound.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::model::Password;

/// OWASP's floor for argon2id: 19 MiB, 2 passes, 1 lane.
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

/// A PHC-format argon2id hash. Deliberately not `Serialize` and not `Display`.
#[derive(Clone)]
pub struct PasswordHashString(String);

impl PasswordHashString {
    pub fn from_db(s: String) -> Self {
        Self(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot and waiting place is taken.
    #[error("too many log-ins at once")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// Runs hashes on the blocking pool, at most one per core at a time.
#[derive(Clone)]
pub struct Hasher {
    running: Arc<Semaphore>,
    waiting: Arc<Semaphore>,
}

impl Default for Hasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            running: Arc::new(Semaphore::new(cores)),
            waiting: Arc::new(Semaphore::new(cores * 8)),
        }
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password, so that verifying an unknown user's login
/// costs the same as verifying a real one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(salt.as_str().as_bytes(), &salt)
            .expect("hashing a dummy password")
            .to_string()
    })
}

impl Hasher {
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _waiting = self.waiting.try_acquire().map_err(|_| HashError::Busy)?;
        let _running = self.running.acquire().await.map_err(|_| HashError::Busy)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError::Failed(e.to_string()))
    }

    #[tracing::instrument(skip_all)]
    pub async fn hash(&self, password: Password) -> Result<PasswordHashString, HashError> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|h| PasswordHashString(h.to_string()))
                .map_err(|e| HashError::Failed(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches `hash`; with `None` (no such user) it checks
    /// against a dummy hash and answers `false`, taking the same time.
    #[tracing::instrument(skip_all)]
    pub async fn verify(
        &self,
        password: String,
        hash: Option<PasswordHashString>,
    ) -> Result<bool, HashError> {
        self.run(move || {
            let real = hash.is_some();
            let phc = hash.map_or_else(|| dummy_hash().to_owned(), |h| h.0);
            let parsed = PasswordHash::new(&phc).map_err(|e| HashError::Failed(e.to_string()))?;
            let ok = argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(ok && real)
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_and_verify() {
        let hasher = Hasher::default();
        let h = hasher
            .hash(Password::parse("correct horse".into()).unwrap())
            .await
            .unwrap();
        assert!(
            h.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            h.as_str()
        );
        assert!(
            hasher
                .verify("correct horse".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!hasher.verify("correct horse".into(), None).await.unwrap());
    }
}
