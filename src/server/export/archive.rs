//! A zip written as it goes: each entry streams into the writer, which
//! hands the bytes on (to a response body or a file) as they are made, so
//! nothing is ever held whole in memory.

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use futures::AsyncWriteExt;
use std::path::Path;
use tokio::io::AsyncWrite;
use tokio_util::compat::{Compat, FuturesAsyncWriteCompatExt};

pub type ZipError = async_zip::error::ZipError;

/// A zip being written to `W`.
pub struct Archive<W: AsyncWrite + Unpin> {
    zip: ZipFileWriter<Compat<W>>,
}

/// An entry of JSON Lines being written: one value per line.
pub struct Lines<'a, W: AsyncWrite + Unpin> {
    entry: async_zip::base::write::EntryStreamWriter<'a, Compat<W>>,
    buf: Vec<u8>,
}

impl<W: AsyncWrite + Unpin> Lines<'_, W> {
    pub async fn push(&mut self, value: &impl serde::Serialize) -> Result<(), ZipError> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, value)
            .map_err(|e| ZipError::UpstreamReadError(std::io::Error::other(e)))?;
        self.buf.push(b'\n');
        self.entry.write_all(&self.buf).await?;
        Ok(())
    }

    pub async fn finish(self) -> Result<(), ZipError> {
        self.entry.close().await
    }
}

impl<W: AsyncWrite + Unpin> Archive<W> {
    pub fn new(out: W) -> Self {
        Self {
            zip: ZipFileWriter::with_tokio(out),
        }
    }

    /// A small JSON entry, written whole.
    pub async fn json(
        &mut self,
        name: &str,
        value: &impl serde::Serialize,
    ) -> Result<(), ZipError> {
        let bytes = serde_json::to_vec_pretty(value)
            .map_err(|e| ZipError::UpstreamReadError(std::io::Error::other(e)))?;
        let entry = ZipEntryBuilder::new(name.to_owned().into(), Compression::Deflate);
        self.zip.write_entry_whole(entry, &bytes).await
    }

    /// A JSON Lines entry, compressed; finish it before the next entry.
    pub async fn lines(&mut self, name: &str) -> Result<Lines<'_, W>, ZipError> {
        let entry = ZipEntryBuilder::new(name.to_owned().into(), Compression::Deflate);
        Ok(Lines {
            entry: self.zip.write_entry_stream(entry).await?,
            buf: Vec::new(),
        })
    }

    /// A file from disk, copied in as it is read (stored: attachments are
    /// mostly compressed already); `false`, with no entry, when the file is
    /// gone (its message deleted meanwhile, say).
    pub async fn file(&mut self, name: &str, path: &Path) -> Result<bool, ZipError> {
        let mut source = match tokio::fs::File::open(path).await {
            Ok(source) => source,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let entry = ZipEntryBuilder::new(name.to_owned().into(), Compression::Stored);
        let mut entry = self.zip.write_entry_stream(entry).await?;
        {
            let mut sink = (&mut entry).compat_write();
            tokio::io::copy(&mut source, &mut sink).await?;
        }
        entry.close().await?;
        Ok(true)
    }

    /// Writes the zip's directory; the archive is complete.
    pub async fn finish(self) -> Result<(), ZipError> {
        let mut out = self.zip.close().await?.into_inner();
        tokio::io::AsyncWriteExt::shutdown(&mut out).await?;
        Ok(())
    }
}
