//! Attached files on disk, by content: the file whose SHA-256 is `abcd…`
//! lives at `<files dir>/ab/cd/abcd…`, so the same bytes sent twice are
//! kept once and a file never changes once written. It is written to a
//! temporary name and renamed into place, so no reader ever sees half of
//! one. The database names files by their hash (`db/attachments.rs`).
//!
//! Writing a file and recording it, and finding a file unnamed and
//! removing it, each happen under `Files::lock`, so the sweep cannot take
//! a file an upload is about to name.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub struct Files {
    dir: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl Files {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Held while a file is written and recorded, or found unnamed and
    /// removed.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.lock.lock().await
    }

    /// Where the file `hash` is kept; `None` for anything but 64 lower-case
    /// hex digits, so nothing else ever reaches the disk.
    pub fn path(&self, hash: &str) -> Option<PathBuf> {
        if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        Some(self.dir.join(&hash[..2]).join(&hash[2..4]).join(hash))
    }

    /// Keeps `bytes` (once: the same bytes are already there under the
    /// same name), durably; returns their hash. Blocking: run it off the
    /// runtime.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let hash = hash(bytes);
        let folder = self.dir.join(&hash[..2]).join(&hash[2..4]);
        let path = folder.join(&hash);
        if path.exists() {
            return Ok(hash);
        }
        std::fs::create_dir_all(&folder)?;
        let tmp = folder.join(format!(".{}.tmp", super::super::random::token::<12>()));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map(|()| hash)
    }

    /// Every file kept, by hash (temporary files being written are not).
    /// Blocking.
    pub fn all(&self) -> std::io::Result<Vec<String>> {
        let mut found = Vec::new();
        let Ok(top) = std::fs::read_dir(&self.dir) else {
            return Ok(found);
        };
        for a in top {
            for b in std::fs::read_dir(a?.path())? {
                for file in std::fs::read_dir(b?.path())? {
                    let name = file?.file_name().to_string_lossy().into_owned();
                    if self.path(&name).is_some() {
                        found.push(name);
                    }
                }
            }
        }
        Ok(found)
    }

    /// Removes file `hash`, if it is there. Blocking.
    pub fn remove(&self, hash: &str) -> std::io::Result<()> {
        let Some(path) = self.path(hash) else {
            return Ok(());
        };
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_kept_once_by_content_and_only_hashes_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::new(dir.path().join("attachments"));
        let a = files.put(b"hello").unwrap();
        assert_eq!(a, files.put(b"hello").unwrap());
        let path = files.path(&a).unwrap();
        assert!(path.starts_with(dir.path().join("attachments").join(&a[..2]).join(&a[2..4])));
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        assert_eq!(files.all().unwrap(), vec![a.clone()]);
        assert!(files.path("../../hearth.db").is_none());
        assert!(files.path(&a.to_uppercase()).is_none());
        files.remove(&a).unwrap();
        files.remove(&a).unwrap();
        assert!(files.all().unwrap().is_empty());
    }
}
