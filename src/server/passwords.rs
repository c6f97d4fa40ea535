//! Password hashing with argon2id, off the async runtime and bounded.
//!
//! Hashes run on their own threads at the lowest CPU priority
//! (`idle_threads.rs`), so a burst of log-ins takes only the CPU that
//! message delivery leaves over; a semaphore
//! sized to the cores bounds them, and a second, small waiting room turns
//! the excess away at once instead of queueing without bound. Each thread
//! keeps its 19 MiB of argon2 memory between hashes (`passwords/argon.rs`).

mod argon;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use self::argon::{dummy_hash, hash_phc, release_memory, verify_phc};
use super::idle_threads::IdleThreads;

use crate::model::Password;

/// A hashing thread idle this long gives its memory back.
const KEEP_MEMORY_WHILE_IDLE: Duration = Duration::from_secs(30);

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

/// The threads hashes run on (`idle_threads.rs`), started on first use.
fn hashing_threads() -> &'static IdleThreads {
    static THREADS: OnceLock<IdleThreads> = OnceLock::new();
    THREADS.get_or_init(|| {
        return_big_blocks_to_the_system();
        IdleThreads::start("hash", KEEP_MEMORY_WHILE_IDLE, release_memory)
    })
}

/// A hashing thread's memory is one 19 MiB block. After the first is freed,
/// glibc raises its mmap threshold and serves later blocks from the heap,
/// where small allocations in between keep the freed memory from going
/// back: when every hash allocated its own block, a burst of log-ins grew
/// the resident size by ~230 MiB though only one block per thread is ever
/// live. A fixed threshold keeps such blocks mmapped, so each returns to
/// the system when freed.
fn return_big_blocks_to_the_system() {
    #[cfg(target_env = "gnu")]
    // SAFETY: `mallopt` only tunes the allocator; it is called once, before
    // any hashing thread allocates a block.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

impl Hasher {
    /// Takes a waiting place for one hash, or answers `Busy` at once. Take
    /// it before any other work for the request, so a log-in that will be
    /// turned away costs nothing more.
    pub fn reserve(&self) -> Result<Slot, HashError> {
        let waiting = Arc::clone(&self.waiting)
            .try_acquire_owned()
            .map_err(|_| HashError::Busy)?;
        Ok(Slot {
            running: Arc::clone(&self.running),
            waiting,
        })
    }
}

/// A reserved place for one hash: spent by `hash` or `verify`.
pub struct Slot {
    running: Arc<Semaphore>,
    waiting: OwnedSemaphorePermit,
}

impl Slot {
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| HashError::Busy)?;
        let waiting = self.waiting;
        hashing_threads()
            .run("password hashing", move || {
                // Both places stay taken until the hash is done, even if the
                // caller has gone: clients that hang up cannot queue more
                // hashing than the cores do.
                let _places = (running, waiting);
                work()
            })
            .await
            .map_err(|e| HashError::Failed(e.to_string()))
    }

    #[tracing::instrument(skip_all)]
    pub async fn hash(self, password: Password) -> Result<PasswordHashString, HashError> {
        self.run(move || {
            hash_phc(password.expose().as_bytes())
                .map(PasswordHashString)
                .map_err(|e| HashError::Failed(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches `hash`; with `None` (no such user) it checks
    /// against a dummy hash and answers `false`, taking the same time. A
    /// stored hash that cannot be read answers `false` too (and is logged).
    #[tracing::instrument(skip_all)]
    pub async fn verify(
        self,
        password: String,
        hash: Option<PasswordHashString>,
    ) -> Result<bool, HashError> {
        self.run(move || {
            let real = hash.is_some();
            let phc = hash.map_or_else(|| dummy_hash().to_owned(), |h| h.0);
            let ok = verify_phc(password.as_bytes(), &phc).unwrap_or_else(|e| {
                // The same answer as a wrong password: no sign to the caller
                // that this name exists.
                tracing::error!(error = %e, "a stored password hash cannot be read");
                false
            });
            ok && real
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_and_verify() {
        let hasher = Hasher::default();
        let h = hasher
            .reserve()
            .unwrap()
            .hash(Password::parse("correct horse".into()).unwrap())
            .await
            .unwrap();
        assert!(
            h.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            h.as_str()
        );
        let verify = |password: &str, hash| {
            let slot = hasher.reserve().unwrap();
            slot.verify(password.to_owned(), hash)
        };
        assert!(verify("correct horse", Some(h.clone())).await.unwrap());
        assert!(!verify("wrong horse", Some(h)).await.unwrap());
        assert!(!verify("correct horse", None).await.unwrap());
        // A stored hash that cannot be read is a wrong password, not an error.
        let unreadable = PasswordHashString::from_db("$argon2id$v=19$m=8,t=1,p=1$bm8".into());
        assert!(!verify("correct horse", Some(unreadable)).await.unwrap());
    }

    /// Once every waiting place is taken, the next reservation is refused
    /// at once; a place comes back when its slot is dropped.
    #[test]
    fn reservations_beyond_the_waiting_room_are_refused() {
        let hasher = Hasher::default();
        let mut slots = Vec::new();
        while let Ok(slot) = hasher.reserve() {
            slots.push(slot);
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(slots.len(), cores * 8);
        assert!(matches!(hasher.reserve(), Err(HashError::Busy)));
        slots.pop();
        assert!(hasher.reserve().is_ok());
    }
}
