//! A zip written as it goes: each entry is handed on (to a response body or
//! a file) as soon as it is made, so the archive is never held whole in
//! memory; only the entry being written is.
//!
//! Every entry is written whole, its size and checksum in its header ahead
//! of its bytes. A zip can also stream an entry of unknown size, with the
//! size in a descriptor after the data, but tools that unzip from a pipe
//! (`curl … | bsdtar -xf -`, Java's `ZipInputStream`) then have to trust
//! that descriptor, and async_zip 0.0.19 writes it wrong for deflated
//! entries (the two sizes swapped, or 32-bit where zip64 wants 64): bsdtar
//! extracted such entries empty. So the messages go in parts of a page each
//! (`export.rs`), and each file is read whole, one at a time (attachments
//! are at most `limits.max-attachment-bytes`).

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipDateTime, ZipDateTimeBuilder, ZipEntryBuilder};
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncWrite};
use tokio_util::compat::Compat;

pub type ZipError = async_zip::error::ZipError;

/// A zip being written to `W`.
pub struct Archive<W: AsyncWrite + Unpin> {
    zip: ZipFileWriter<Compat<W>>,
    /// Every entry's date: when the export was made.
    made: ZipDateTime,
}

fn upstream(e: serde_json::Error) -> ZipError {
    ZipError::UpstreamReadError(std::io::Error::other(e))
}

/// A zip's date (UTC; zip dates carry no zone) of `at_ms` since 1970.
fn zip_date(at_ms: i64) -> ZipDateTime {
    let at = time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    ZipDateTimeBuilder::new()
        .year(at.year())
        .month(u8::from(at.month()).into())
        .day(at.day().into())
        .hour(at.hour().into())
        .minute(at.minute().into())
        .second(at.second().into())
        .build()
}

impl<W: AsyncWrite + Unpin> Archive<W> {
    /// An archive whose entries are dated `made_ms` (since 1970).
    pub fn new(out: W, made_ms: i64) -> Self {
        Self {
            zip: ZipFileWriter::with_tokio(out),
            made: zip_date(made_ms),
        }
    }

    fn entry(&self, name: &str, compression: Compression) -> ZipEntryBuilder {
        ZipEntryBuilder::new(name.to_owned().into(), compression).last_modification_date(self.made)
    }

    /// A small JSON entry.
    pub async fn json(
        &mut self,
        name: &str,
        value: &impl serde::Serialize,
    ) -> Result<(), ZipError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(upstream)?;
        self.deflated(name, &bytes).await
    }

    /// An entry of JSON Lines: one value per line.
    pub async fn json_lines<T: serde::Serialize>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = T>,
    ) -> Result<(), ZipError> {
        let mut bytes = Vec::new();
        for value in values {
            serde_json::to_writer(&mut bytes, &value).map_err(upstream)?;
            bytes.push(b'\n');
        }
        self.deflated(name, &bytes).await
    }

    async fn deflated(&mut self, name: &str, bytes: &[u8]) -> Result<(), ZipError> {
        let entry = self.entry(name, Compression::Deflate);
        self.zip.write_entry_whole(entry, bytes).await
    }

    /// A file from disk, stored as it is (attachments are mostly
    /// compressed already); `false`, with no entry, when the file is gone
    /// (its message deleted meanwhile, say).
    pub async fn file(&mut self, name: &str, path: &Path) -> Result<bool, ZipError> {
        let mut source = match tokio::fs::File::open(path).await {
            Ok(source) => source,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let size = source.metadata().await?.len();
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        source.read_to_end(&mut bytes).await?;
        let entry = self.entry(name, Compression::Stored);
        self.zip.write_entry_whole(entry, &bytes).await?;
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

    /// Every kind of entry reads back front to back, as from a pipe, and
    /// none has its size after its data (bit 3 of its header's flags).
    #[tokio::test]
    async fn every_entry_reads_from_a_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let file: Vec<u8> = (0..10_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        std::fs::write(dir.path().join("file"), &file).unwrap();

        let mut out = Vec::new();
        // 2026-12-07 10:30:15 UTC.
        let mut zip = Archive::new(&mut out, 1_796_639_415_000);
        zip.json_lines("lines.jsonl", ["one", "two"]).await.unwrap();
        assert!(zip.file("file", &dir.path().join("file")).await.unwrap());
        assert!(!zip.file("gone", &dir.path().join("gone")).await.unwrap());
        zip.json("about.json", &1).await.unwrap();
        zip.finish().await.unwrap();

        let mut read = Vec::new();
        let mut dates = Vec::new();
        let mut pipe = ZipFileReader::new(futures::io::Cursor::new(&out));
        while let Some(mut entry) = pipe.next_with_entry().await.unwrap() {
            let name = entry
                .reader()
                .entry()
                .filename()
                .as_str()
                .unwrap()
                .to_owned();
            let d = entry.reader().entry().last_modification_date();
            dates.push((
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minute(),
                d.second(),
            ));
            let mut data = Vec::new();
            entry.reader_mut().read_to_end(&mut data).await.unwrap();
            read.push((name, data));
            pipe = entry.done().await.unwrap();
        }
        let expected = [
            ("lines.jsonl".to_owned(), b"\"one\"\n\"two\"\n".to_vec()),
            ("file".to_owned(), file),
            ("about.json".to_owned(), b"1".to_vec()),
        ];
        assert_eq!(read, expected);
        assert_eq!(dates, [(2026, 12, 7, 10, 30, 14); 3], "to the even second");
        let headers: Vec<usize> = out
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == b"PK\x03\x04")
            .map(|(i, _)| i)
            .collect();
        assert_eq!(headers.len(), 3);
        for at in headers {
            let flags = u16::from_le_bytes([out[at + 6], out[at + 7]]);
            assert_eq!(flags & 0x8, 0, "no size comes after its data");
        }
    }
}
