//! Password hashing with argon2id, off the async runtime and bounded.
//!
//! Hashes run on their own threads at the lowest CPU priority, so a burst of
//! log-ins takes only the CPU that message delivery leaves over; a semaphore
//! sized to the cores bounds them, and a second, small waiting room turns
//! the excess away at once instead of queueing without bound.

use std::sync::{Arc, Mutex, OnceLock, mpsc};

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{Semaphore, oneshot};

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

/// Runs hashes on the hashing threads, at most one per core at a time.
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

type Job = Box<dyn FnOnce() + Send>;

/// The threads hashes run on, one per core, started on first use.
fn hashing_threads() -> &'static mpsc::Sender<Job> {
    static JOBS: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    JOBS.get_or_init(|| {
        return_big_blocks_to_the_system();
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for i in 0..cores {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("hearth-hash-{i}"))
                .spawn(move || {
                    lowest_priority();
                    loop {
                        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok(job) = job else { return };
                        // A panic drops the job's answer: that caller gets an error.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .expect("starting a hashing thread");
        }
        jobs
    })
}

/// Makes this thread run only when no other thread of any priority wants
/// the CPU (`SCHED_IDLE`; the lowest nice value where that is refused), so
/// hashing never delays delivering messages.
fn lowest_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain system calls on the calling thread (pid 0) with a valid
    // parameter; failure only leaves the priority as it was.
    unsafe {
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            libc::setpriority(libc::PRIO_PROCESS, 0, 19);
        }
    }
}

/// Each hash allocates a 19 MiB block. After the first is freed, glibc
/// raises its mmap threshold and serves later blocks from the heap, where
/// small allocations in between keep the freed memory from going back:
/// under a burst of log-ins the resident size grew by ~230 MiB though only
/// one block per thread is ever live. A fixed threshold keeps such blocks
/// mmapped, so each returns to the system when freed.
fn return_big_blocks_to_the_system() {
    #[cfg(target_env = "gnu")]
    // SAFETY: `mallopt` only tunes the allocator; it is called once, before
    // any hashing thread allocates a block.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

impl Hasher {
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _waiting = self.waiting.try_acquire().map_err(|_| HashError::Busy)?;
        let _running = self.running.acquire().await.map_err(|_| HashError::Busy)?;
        let (done, result) = oneshot::channel();
        hashing_threads()
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| HashError::Failed("the hashing threads are gone".into()))?;
        result
            .await
            .map_err(|_| HashError::Failed("a hash panicked".into()))
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
