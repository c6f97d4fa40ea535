//! Ways to take the disk away from a running server and give it back:
//! a small tmpfs filled to the last byte (needs the right to mount), or a
//! file-size limit of zero set on the server process (`prlimit`, works for
//! any user on their own processes; the server ignores SIGXFSZ, see
//! `server.rs`, so its writes fail with EFBIG).

use std::ffi::CString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A mounted tmpfs, unmounted when dropped.
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    pub fn mount(path: &Path, bytes: u64) -> io::Result<Self> {
        std::fs::create_dir_all(path)?;
        let target = CString::new(path.as_os_str().as_bytes())?;
        let options = CString::new(format!("size={bytes},mode=0755"))?;
        // SAFETY: every pointer is a valid NUL-terminated string for the call.
        let rc = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                options.as_ptr().cast(),
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if let Ok(target) = CString::new(self.path.as_os_str().as_bytes()) {
            // SAFETY: a valid path string; lazy so a lingering reader cannot block it.
            unsafe {
                libc::umount2(target.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
}

/// Whether this process may mount a tmpfs (tried once).
pub fn tmpfs_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let Ok(dir) = tempfile::tempdir() else {
            return false;
        };
        Tmpfs::mount(&dir.path().join("probe"), 1 << 20).is_ok()
    })
}

/// Fills the file system holding `dir` until a write fails with "no space";
/// returns the filler file, whose removal gives the space back.
pub fn fill(dir: &Path) -> io::Result<PathBuf> {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path)?;
    for chunk in [1 << 20, 4096, 1] {
        let block = vec![0u8; chunk];
        loop {
            match file.write(&block) {
                Ok(n) if n == chunk => {}
                Ok(_) => break,
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(e) => return Err(e),
            }
        }
    }
    file.sync_all().or_else(|e| {
        // A full file system may refuse the metadata; the data is in place.
        if e.raw_os_error() == Some(libc::ENOSPC) {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    Ok(path)
}

/// Sets (`Some`) or lifts (`None`) the soft file-size limit of process `pid`.
pub fn limit_file_size(pid: i32, limit: Option<u64>) -> io::Result<()> {
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reading into a valid struct.
    if unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, std::ptr::null(), &mut current) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let new = libc::rlimit {
        rlim_cur: limit.unwrap_or(current.rlim_max),
        rlim_max: current.rlim_max,
    };
    // SAFETY: a valid struct in, nothing out.
    if unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &new, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
