//! What reads and listings return: [`ObjectMeta`], [`GetResult`] and [`ListResult`].

use crate::path::Path;
use crate::{Attributes, Error, Result, collect_bytes};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

/// The metadata of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Where the object is.
    pub location: Path,
    /// When it was last written.
    pub last_modified: DateTime<Utc>,
    /// Its size in bytes.
    pub size: u64,
    /// Its e-tag: an opaque identifier of this content, if the store has one.
    pub e_tag: Option<String>,
    /// Its version, for stores that keep versions.
    pub version: Option<String>,
}

/// The result of a delimited listing: objects directly under a prefix, and the next level of
/// "directories" below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListResult {
    /// Prefixes one level deeper than the listed prefix that hold at least one object.
    pub common_prefixes: Vec<Path>,
    /// Objects directly under the listed prefix.
    pub objects: Vec<ObjectMeta>,
}

/// Where the bytes of a [`GetResult`] come from.
pub enum GetResultPayload {
    /// An open local file, with its path; the bytes of `GetResult::range` are read from it.
    File(std::fs::File, std::path::PathBuf),
    /// A stream of chunks.
    Stream(BoxStream<'static, Result<Bytes>>),
}

impl fmt::Debug for GetResultPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(_, path) => write!(f, "GetResultPayload::File({})", path.display()),
            Self::Stream(_) => write!(f, "GetResultPayload::Stream"),
        }
    }
}

/// The result of a get: the object's metadata, the byte range served, and its payload.
#[derive(Debug)]
pub struct GetResult {
    /// The payload.
    pub payload: GetResultPayload,
    /// The metadata of the whole object.
    pub meta: ObjectMeta,
    /// The bytes of the object this result holds.
    pub range: Range<u64>,
    /// The attributes of the object.
    pub attributes: Attributes,
}

/// Size of the chunks read from a file when a [`GetResult`] is streamed.
const FILE_CHUNK: u64 = 256 * 1024;

/// Store name used in errors of payload reads.
const STORE: &str = "LocalFileSystem";

impl GetResult {
    /// Reads the whole payload into memory.
    pub async fn bytes(self) -> Result<Bytes> {
        let len = self.range.end - self.range.start;
        match self.payload {
            GetResultPayload::File(mut file, path) => {
                let start = self.range.start;
                tokio::task::spawn_blocking(move || {
                    file.seek(SeekFrom::Start(start))
                        .map_err(|e| read_error(&path, e))?;
                    let mut buf = Vec::with_capacity(to_usize(len)?);
                    file.take(len)
                        .read_to_end(&mut buf)
                        .map_err(|e| read_error(&path, e))?;
                    if buf.len() as u64 != len {
                        return Err(short_read(&path, len, buf.len() as u64));
                    }
                    Ok(buf.into())
                })
                .await?
            }
            GetResultPayload::Stream(s) => collect_bytes(s, Some(len)).await,
        }
    }

    /// Replaces the payload by `f` applied to it as a stream; a file payload is streamed
    /// first. Adapters use this to wrap what they pass on.
    pub(crate) fn map_stream(
        self,
        f: impl FnOnce(BoxStream<'static, Result<Bytes>>) -> BoxStream<'static, Result<Bytes>>,
    ) -> Self {
        let Self {
            payload,
            meta,
            range,
            attributes,
        } = self;
        let stream = match payload {
            GetResultPayload::Stream(s) => s,
            GetResultPayload::File(file, path) => {
                file_stream(file, path, range.start, range.end).boxed()
            }
        };
        Self {
            payload: GetResultPayload::Stream(f(stream)),
            meta,
            range,
            attributes,
        }
    }

    /// Turns the payload into a stream of chunks, whatever its kind.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes>> {
        match self.payload {
            GetResultPayload::Stream(s) => s,
            GetResultPayload::File(file, path) => {
                file_stream(file, path, self.range.start, self.range.end).boxed()
            }
        }
    }
}

fn to_usize(len: u64) -> Result<usize> {
    usize::try_from(len).map_err(|_| Error::generic(STORE, "object larger than address space"))
}

fn read_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::generic(STORE, format!("reading {}: {e}", path.display()))
}

fn short_read(path: &std::path::Path, want: u64, got: u64) -> Error {
    Error::generic(
        STORE,
        format!(
            "{} ended after {got} of {want} bytes: the file was truncated while being read",
            path.display()
        ),
    )
}

/// Streams `start..end` of `file` in chunks, each read on the blocking pool.
///
/// The stream owns the file and reads it front to back, so it seeks once and then reads each
/// chunk into fresh capacity (`read_to_end` does not zero the buffer first).
fn file_stream(
    file: std::fs::File,
    path: std::path::PathBuf,
    start: u64,
    end: u64,
) -> impl futures::Stream<Item = Result<Bytes>> + Send + 'static {
    let path = std::sync::Arc::new(path);
    futures::stream::try_unfold((Some(file), start), move |(file, offset)| {
        let path = std::sync::Arc::clone(&path);
        async move {
            let Some(mut file) = file.filter(|_| offset < end) else {
                return Ok(None);
            };
            let n = (end - offset).min(FILE_CHUNK);
            let (file, chunk) = tokio::task::spawn_blocking(move || -> Result<_> {
                if offset == start {
                    file.seek(SeekFrom::Start(start))
                        .map_err(|e| read_error(&path, e))?;
                }
                let mut buf = Vec::with_capacity(to_usize(n)?);
                (&mut file)
                    .take(n)
                    .read_to_end(&mut buf)
                    .map_err(|e| read_error(&path, e))?;
                if buf.len() as u64 != n {
                    return Err(short_read(&path, end - offset, buf.len() as u64));
                }
                Ok((file, Bytes::from(buf)))
            })
            .await??;
            Ok(Some((chunk, (Some(file), offset + n))))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    fn file_result(data: &[u8], range: Range<u64>) -> GetResult {
        // An unnamed file: nothing is left behind; the path only appears in errors.
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, data).unwrap();
        GetResult {
            payload: GetResultPayload::File(file, "unnamed".into()),
            meta: ObjectMeta {
                location: crate::path::Path::from("f"),
                last_modified: chrono::Utc::now(),
                size: data.len() as u64,
                e_tag: None,
                version: None,
            },
            range,
            attributes: Attributes::default(),
        }
    }

    #[tokio::test]
    async fn file_payload_streams_and_collects_its_range() {
        let data: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
        for range in [
            0..0,
            0..700_000,
            3..600_003,
            262_144..524_289,
            699_999..700_000,
        ] {
            let expected = &data[range.start as usize..range.end as usize];
            let chunks: Vec<Bytes> = file_result(&data, range.clone())
                .into_stream()
                .try_collect()
                .await
                .unwrap();
            assert!(chunks.iter().all(|c| c.len() as u64 <= FILE_CHUNK));
            assert_eq!(chunks.concat(), expected, "stream of {range:?}");
            let all = file_result(&data, range.clone()).bytes().await.unwrap();
            assert_eq!(&all[..], expected, "bytes of {range:?}");
        }
    }

    #[tokio::test]
    async fn truncated_file_is_an_error_not_a_short_object() {
        let result = file_result(b"0123456789", 0..20);
        assert!(result.bytes().await.is_err());
        let result = file_result(b"0123456789", 5..20);
        let streamed: Result<Vec<Bytes>> = result.into_stream().try_collect().await;
        assert!(streamed.is_err());
    }
}
