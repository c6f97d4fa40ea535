//! `hearth backup <file>`: a consistent copy of the database, taken while
//! the server runs.
//!
//! `VACUUM INTO` reads the database in one transaction (WAL lets the server
//! keep writing meanwhile) and writes a compact, self-contained file: every
//! message committed before the backup began is in it, nothing half-written
//! is.

use std::path::{Path, PathBuf};

use sqlx::ConnectOptions;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no database at {0}; is the data directory right (HEARTH_DATA_DIR)?")]
    NoDatabase(PathBuf),
    #[error("{0} already exists; choose a new file name so nothing is overwritten")]
    Exists(PathBuf),
    #[error("the backup file name must be valid UTF-8: {0}")]
    BadName(PathBuf),
    #[error("backing up failed: {0}")]
    Sqlite(#[from] sqlx::Error),
}

/// Copies `<data dir>/hearth.db` to `dest`, which must not exist yet.
pub async fn backup(data_dir: &Path, dest: &Path) -> Result<(), BackupError> {
    let source = data_dir.join("hearth.db");
    if !source.exists() {
        return Err(BackupError::NoDatabase(source));
    }
    if dest.exists() {
        return Err(BackupError::Exists(dest.to_owned()));
    }
    let dest_str = dest
        .to_str()
        .ok_or_else(|| BackupError::BadName(dest.to_owned()))?;
    let mut conn = super::db::connect_options(&source)
        .create_if_missing(false)
        .connect()
        .await?;
    sqlx::query("VACUUM INTO ?")
        .bind(dest_str)
        .execute(&mut conn)
        .await?;
    Ok(())
}
