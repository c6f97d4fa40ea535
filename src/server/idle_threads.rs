//! Threads for heavy work that must never delay message delivery: password
//! hashing (`passwords.rs`) and attached and profile pictures and files
//! (`files/upload.rs`, `media.rs`). They run only when no other thread of
//! any priority wants the CPU (`SCHED_IDLE`, or the lowest nice value where
//! that is refused), so a burst of log-ins or uploads takes only the CPU
//! the fan-out leaves over. One thread per core, started on first use.

use std::time::Duration;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// A pool of lowest-priority threads.
pub struct IdleThreads {
    jobs: flume::Sender<Job>,
}

/// The job could not run: the pool's threads are gone, or it panicked.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    #[error("the {0} threads are gone")]
    Gone(&'static str),
    #[error("a {0} job panicked")]
    Panicked(&'static str),
}

impl IdleThreads {
    /// Starts one thread per core, named `hearth-<name>-<i>`. A thread idle
    /// for `idle_after` runs `on_idle` (to give memory back, say).
    pub fn start(name: &'static str, idle_after: Duration, on_idle: fn()) -> Self {
        // Many receivers, so each idle thread times out on its own.
        let (jobs, queue) = flume::unbounded::<Job>();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for i in 0..cores {
            let queue = queue.clone();
            let started = std::thread::Builder::new()
                .name(format!("hearth-{name}-{i}"))
                .spawn(move || {
                    lowest_priority();
                    loop {
                        match queue.recv_timeout(idle_after) {
                            // A panic drops the job's answer: that caller gets an error.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(flume::RecvTimeoutError::Timeout) => on_idle(),
                            Err(flume::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                });
            // Fewer threads only means fewer jobs at once. With none, no one
            // receives the jobs, and every one fails as "gone".
            if let Err(e) = started {
                tracing::error!(error = %e, pool = name, "a background thread did not start");
            }
        }
        Self { jobs }
    }

    /// Runs `work` on one of the threads and waits for its answer. `name`
    /// says whose work failed, if it does.
    pub async fn run<T: Send + 'static>(
        &self,
        name: &'static str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Failed> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                if !done.is_closed() {
                    let _ = done.send(work());
                }
            }))
            .map_err(|_| Failed::Gone(name))?;
        result.await.map_err(|_| Failed::Panicked(name))
    }
}

/// Makes this thread run only when no other thread wants the CPU.
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[tokio::test]
    async fn jobs_run_at_the_lowest_priority_and_a_panic_is_an_error() {
        let pool = super::IdleThreads::start("test", Duration::from_secs(60), || {});
        // SAFETY: a plain system call about the calling thread.
        let policy = pool
            .run("test", || unsafe { libc::sched_getscheduler(0) })
            .await
            .unwrap();
        assert_eq!(policy, libc::SCHED_IDLE);
        let failed = pool.run("test", || panic!("a bug")).await;
        assert!(matches!(failed, Err(super::Failed::Panicked("test"))));
        assert_eq!(
            pool.run("test", || 2 + 2).await.unwrap(),
            4,
            "the thread lives on"
        );
    }
}
