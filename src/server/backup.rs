//! `hearth backup <file>`: a consistent copy of the database, taken while
//! the server runs.
//!
//! `VACUUM INTO` reads the database in one transaction (WAL lets the server
//! keep writing meanwhile) and writes a compact, self-contained file: every
//! message committed before the backup began is in it, nothing half-written
//! is.

//!
//! The copy is written to a file this command creates itself, with mode
//! 0600 and `O_EXCL|O_NOFOLLOW`: it never overwrites a file, never writes
//! through a planted symlink, and no one else can read it. `VACUUM INTO`
//! cannot be told how to open its file, so it writes into the data
//! directory (0700) first, and the copy goes from there.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sqlx::ConnectOptions;
use tokio::io::AsyncWriteExt;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "this Hearth keeps its data in PostgreSQL (database-url): back it up with pg_dump, \
         as the README's deployment section shows"
    )]
    Postgres,
    #[error("there is no database at {0}; is the data directory right (HEARTH_DATA_DIR)?")]
    NoDatabase(PathBuf),
    #[error("{0} already exists (or is a link); choose a new file name so nothing is overwritten")]
    Exists(PathBuf),
    #[error("cannot create {0}: {1}")]
    Create(PathBuf, std::io::Error),
    #[error("writing the backup failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("backing up failed: {0}")]
    Sqlite(#[from] sqlx::Error),
}

/// `hearth backup <file>` for the configured store: SQLite's file is
/// copied (`backup`); PostgreSQL has its own tools, which it names.
pub async fn backup_configured(
    config: &super::config::Config,
    dest: &Path,
) -> Result<(), BackupError> {
    if config.database_url.is_some() {
        return Err(BackupError::Postgres);
    }
    backup(&config.data_dir, dest).await
}

/// Copies `<data dir>/hearth.db` to `dest`, which must not exist yet.
pub async fn backup(data_dir: &Path, dest: &Path) -> Result<(), BackupError> {
    let source = data_dir.join("hearth.db");
    if !source.exists() {
        return Err(BackupError::NoDatabase(source));
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dest)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => BackupError::Exists(dest.to_owned()),
            _ if e.raw_os_error() == Some(libc::ELOOP) => BackupError::Exists(dest.to_owned()),
            _ => BackupError::Create(dest.to_owned(), e),
        })?;
    let staged = data_dir.join(format!(".backup-{}.db", super::random::token::<12>()));
    let result = copy_into(&source, &staged, tokio::fs::File::from_std(file)).await;
    let _ = tokio::fs::remove_file(&staged).await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(dest).await;
    }
    result
}

async fn copy_into(
    source: &Path,
    staged: &Path,
    mut dest: tokio::fs::File,
) -> Result<(), BackupError> {
    let mut conn = super::db::connect_options(source)
        .create_if_missing(false)
        .connect()
        .await?;
    let staged_name = staged.to_string_lossy().into_owned();
    sqlx::query("VACUUM INTO ?")
        .bind(staged_name)
        .execute(&mut conn)
        .await?;
    let mut from = tokio::fs::File::open(staged).await?;
    tokio::io::copy(&mut from, &mut dest).await?;
    dest.flush().await?;
    dest.sync_all().await?;
    Ok(())
}
