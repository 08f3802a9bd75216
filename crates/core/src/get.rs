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

/// Streams `start..end` of `file` in chunks, each read on the blocking pool with a positional
/// read so no seek state is shared.
fn file_stream(
    file: std::fs::File,
    path: std::path::PathBuf,
    start: u64,
    end: u64,
) -> impl futures::Stream<Item = Result<Bytes>> + Send + 'static {
    use std::os::unix::fs::FileExt;
    let file = std::sync::Arc::new(file);
    let path = std::sync::Arc::new(path);
    futures::stream::try_unfold(start, move |offset| {
        let file = file.clone();
        let path = path.clone();
        async move {
            if offset >= end {
                return Ok(None);
            }
            let n = (end - offset).min(FILE_CHUNK);
            let chunk = tokio::task::spawn_blocking(move || -> Result<Bytes> {
                let mut buf = vec![0u8; n as usize];
                let mut filled = 0usize;
                while filled < buf.len() {
                    match file.read_at(&mut buf[filled..], offset + filled as u64) {
                        Ok(0) => return Err(short_read(&path, end - offset, filled as u64)),
                        Ok(k) => filled += k,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(read_error(&path, e)),
                    }
                }
                Ok(buf.into())
            })
            .await??;
            Ok(Some((chunk, offset + n)))
        }
    })
}
