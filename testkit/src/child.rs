//! Children that die with the process that started them.
//!
//! A test binary keeps its services in statics, which are never dropped, and
//! may itself be killed; so each child is started with `PR_SET_PDEATHSIG`,
//! which kills it when the thread that started it ends. That thread is one
//! that never ends on its own: every child is spawned from it.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

type Job = (Command, mpsc::Sender<io::Result<Child>>);

/// Starts `command` so that it is killed when this process ends.
pub fn spawn(mut command: Command) -> io::Result<Child> {
    // SAFETY: prctl and getppid are async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have gone between fork and prctl.
            if libc::getppid() == 1 {
                return Err(io::Error::other("the parent process is gone"));
            }
            Ok(())
        });
    }
    let (reply, answer) = mpsc::channel();
    spawner()
        .lock()
        .map_err(|_| io::Error::other("the spawning thread panicked"))?
        .send((command, reply))
        .map_err(|_| io::Error::other("the spawning thread is gone"))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("the spawning thread is gone"))?
}

/// The thread every child is started from; it lives as long as the process.
fn spawner() -> &'static Mutex<mpsc::Sender<Job>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("testkit-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
                // Every sender is gone only when the process is ending:
                // stay, so the children are not killed before it does.
                loop {
                    std::thread::park();
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| panic!("cannot start the spawning thread: {e}"));
        Mutex::new(jobs)
    })
}
