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
    /// The largest file read whole into memory (see `file`).
    whole_limit: u64,
}

/// Files up to 16 MiB (most attachments; the default upload limit is
/// 25 MiB) go in whole; deflating a larger one costs about 30 ms per MiB.
const WHOLE_FILE_BYTES: u64 = 16 << 20;

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
            whole_limit: WHOLE_FILE_BYTES,
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

    /// A file from disk; `false`, with no entry, when the file is gone
    /// (its message deleted meanwhile, say).
    ///
    /// Every entry must say where it ends before the zip's directory does,
    /// or tools that unzip from a pipe (`bsdtar -xf -`, Java's
    /// `ZipInputStream`, async_zip's own stream reader) cannot read it. A
    /// file up to `whole_limit` bytes is read whole and stored, its size and
    /// checksum ahead of its bytes, as every tool reads it (attachments are
    /// mostly compressed already). A larger one streams through deflate,
    /// whose data marks its own end, so memory stays bounded; a stored
    /// entry streamed in would have its size only after it.
    pub async fn file(&mut self, name: &str, path: &Path) -> Result<bool, ZipError> {
        let mut source = match tokio::fs::File::open(path).await {
            Ok(source) => source,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let size = source.metadata().await?.len();
        if size <= self.whole_limit {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            tokio::io::AsyncReadExt::read_to_end(&mut source, &mut bytes).await?;
            let entry = ZipEntryBuilder::new(name.to_owned().into(), Compression::Stored);
            self.zip.write_entry_whole(entry, &bytes).await?;
            return Ok(true);
        }
        let entry = ZipEntryBuilder::new(name.to_owned().into(), Compression::Deflate);
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

#[cfg(test)]
mod tests {
    use super::*;
    use async_zip::base::read::stream::ZipFileReader;
    use futures::AsyncReadExt;

    /// Both kinds of file entry read back front to back, as from a pipe.
    #[tokio::test]
    async fn every_entry_reads_from_a_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let small: Vec<u8> = (0..100u8).collect();
        let large: Vec<u8> = (0..10_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        std::fs::write(dir.path().join("small"), &small).unwrap();
        std::fs::write(dir.path().join("large"), &large).unwrap();

        let mut out = Vec::new();
        let mut zip = Archive::new(&mut out);
        zip.whole_limit = 1024;
        let mut lines = zip.lines("lines.jsonl").await.unwrap();
        lines.push(&"one").await.unwrap();
        lines.finish().await.unwrap();
        assert!(zip.file("small", &dir.path().join("small")).await.unwrap());
        assert!(zip.file("large", &dir.path().join("large")).await.unwrap());
        assert!(!zip.file("gone", &dir.path().join("gone")).await.unwrap());
        zip.finish().await.unwrap();

        let mut read = Vec::new();
        let mut pipe = ZipFileReader::new(futures::io::Cursor::new(out));
        while let Some(mut entry) = pipe.next_with_entry().await.unwrap() {
            let name = entry
                .reader()
                .entry()
                .filename()
                .as_str()
                .unwrap()
                .to_owned();
            let mut data = Vec::new();
            entry.reader_mut().read_to_end(&mut data).await.unwrap();
            read.push((name, data));
            pipe = entry.done().await.unwrap();
        }
        let expected = [
            ("lines.jsonl".to_owned(), b"\"one\"\n".to_vec()),
            ("small".to_owned(), small),
            ("large".to_owned(), large),
        ];
        assert_eq!(read, expected);
    }
}
