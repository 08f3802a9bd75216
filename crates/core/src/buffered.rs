//! Buffered I/O over objects: [`BufReader`] reads an object through tokio's `AsyncRead`,
//! `AsyncBufRead` and `AsyncSeek`; [`BufWriter`] writes one through `AsyncWrite`.
//!
//! Object stores have no cursors, so every buffer refill is a request: choose capacities to
//! keep requests few, and prefer ranged gets when the access pattern is known up front.

use crate::path::Path;
use crate::{
    Attributes, DEFAULT_CHUNK_SIZE, Error, Extensions, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayloadMut, Result, TagSet, WriteMultipart,
};
use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use std::fmt;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};

/// The capacity of a [`BufReader`] made with [`BufReader::new`]: 1 MiB.
pub const DEFAULT_BUFFER_SIZE: usize = 1024 * 1024;

/// The capacity of a [`BufWriter`] made with [`BufWriter::new`]: 10 MiB.
const DEFAULT_WRITER_CAPACITY: usize = 10 * 1024 * 1024;

/// The number of parts a [`BufWriter`] uploads at once unless told otherwise.
const DEFAULT_MAX_CONCURRENCY: usize = 8;

/// What a [`BufReader`] holds.
enum Buffer {
    /// Nothing yet, or a buffer that was dropped by a seek away from it.
    Empty,
    /// A fetch of the bytes from `start` on.
    Pending {
        start: u64,
        end: u64,
        fetch: BoxFuture<'static, io::Result<Bytes>>,
    },
    /// The bytes of the object from `start` on.
    Ready { start: u64, data: Bytes },
}

/// Reads one object through tokio's `AsyncRead`, `AsyncBufRead` and `AsyncSeek`, fetching
/// `capacity` bytes at a time with [`ObjectStore::get_range`].
///
/// The object's size comes from the [`ObjectMeta`] given, so no request is made until the
/// first read. Seeking is free: a seek within the buffered bytes keeps them, and a seek
/// elsewhere only takes effect at the next read. Reading at or past the end yields no bytes.
/// If the object changes between reads, the bytes read may mix its versions.
///
/// ```
/// use ostore_core::buffered::BufReader;
/// use ostore_core::{ObjectStore, path::Path};
/// use std::sync::Arc;
/// use tokio::io::{AsyncBufReadExt, AsyncSeekExt};
///
/// async fn last_lines(store: Arc<dyn ObjectStore>) -> std::io::Result<Vec<String>> {
///     let meta = store.head(&Path::from("logs/today.txt")).await?;
///     let mut reader = BufReader::with_capacity(store, &meta, 64 * 1024);
///     let from = meta.size.saturating_sub(4096);
///     reader.seek(std::io::SeekFrom::Start(from)).await?;
///     let mut lines = reader.lines();
///     let mut out = Vec::new();
///     while let Some(line) = lines.next_line().await? {
///         out.push(line);
///     }
///     Ok(out)
/// }
/// ```
pub struct BufReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
    capacity: usize,
    cursor: u64,
    buffer: Buffer,
}

impl fmt::Debug for BufReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("path", &self.path)
            .field("size", &self.size)
            .field("capacity", &self.capacity)
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl BufReader {
    /// Reads the object `meta` describes, [`DEFAULT_BUFFER_SIZE`] bytes at a time.
    pub fn new(store: Arc<dyn ObjectStore>, meta: &ObjectMeta) -> Self {
        Self::with_capacity(store, meta, DEFAULT_BUFFER_SIZE)
    }

    /// Reads the object `meta` describes, `capacity` bytes (at least 1) at a time.
    pub fn with_capacity(store: Arc<dyn ObjectStore>, meta: &ObjectMeta, capacity: usize) -> Self {
        Self {
            store,
            path: meta.location.clone(),
            size: meta.size,
            capacity: capacity.max(1),
            cursor: 0,
            buffer: Buffer::Empty,
        }
    }

    /// Polls until the buffer holds the byte at the cursor, or there is none to read: the
    /// cursor is at or past the end, or the object turned out shorter than its metadata said.
    fn poll_buffer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.buffer {
                Buffer::Ready { start, data } => {
                    let end = *start + data.len() as u64;
                    // An empty or short answer to a fetch from the cursor means the object
                    // ends early: report the end rather than fetch again.
                    if (*start..end).contains(&self.cursor)
                        || self.cursor >= self.size
                        || *start == self.cursor
                    {
                        return Poll::Ready(Ok(()));
                    }
                    self.buffer = Buffer::Empty;
                }
                Buffer::Pending { start, fetch, .. } => {
                    let start = *start;
                    match ready!(fetch.poll_unpin(cx)) {
                        Ok(data) => self.buffer = Buffer::Ready { start, data },
                        Err(e) => {
                            self.buffer = Buffer::Empty;
                            return Poll::Ready(Err(e));
                        }
                    }
                }
                Buffer::Empty => {
                    if self.cursor >= self.size {
                        return Poll::Ready(Ok(()));
                    }
                    let start = self.cursor;
                    let end = start.saturating_add(self.capacity as u64).min(self.size);
                    let store = Arc::clone(&self.store);
                    let path = self.path.clone();
                    let fetch = async move {
                        store
                            .get_range(&path, start..end)
                            .await
                            .map_err(io::Error::from)
                    };
                    self.buffer = Buffer::Pending {
                        start,
                        end,
                        fetch: fetch.boxed(),
                    };
                }
            }
        }
    }

    /// The buffered bytes from the cursor on; empty if the buffer does not hold the cursor.
    fn available(&self) -> &[u8] {
        match &self.buffer {
            Buffer::Ready { start, data } if self.cursor >= *start => {
                let offset = self.cursor - *start;
                usize::try_from(offset)
                    .ok()
                    .and_then(|o| data.get(o..))
                    .unwrap_or_default()
            }
            _ => &[],
        }
    }
}

impl AsyncRead for BufReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_buffer(cx))?;
        let available = this.available();
        let n = available.len().min(buf.remaining());
        buf.put_slice(&available[..n]);
        this.cursor += n as u64;
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for BufReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        ready!(this.poll_buffer(cx))?;
        Poll::Ready(Ok(this.available()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let amt = amt.min(this.available().len());
        this.cursor += amt as u64;
    }
}

impl AsyncSeek for BufReader {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        let target = match position {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(offset) => this.size.checked_add_signed(offset),
            SeekFrom::Current(offset) => this.cursor.checked_add_signed(offset),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "seek to {position:?} from {} leaves the object",
                    this.cursor
                ),
            )
        })?;
        this.cursor = target;
        // Keep whatever holds (or will hold) the new position; drop the rest.
        let keep = match &this.buffer {
            Buffer::Empty => true,
            Buffer::Pending { start, end, .. } => (*start..*end).contains(&target),
            Buffer::Ready { start, data } => (*start..*start + data.len() as u64).contains(&target),
        };
        if !keep {
            this.buffer = Buffer::Empty;
        }
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.cursor))
    }
}

/// Where a [`BufWriter`] is in its life.
enum WriterState {
    /// Everything written so far fits in the buffer.
    Buffer(Path, PutPayloadMut),
    /// A multipart upload is being created and fed the buffer.
    Prepare(BoxFuture<'static, Result<WriteMultipart>>),
    /// Writing through a multipart upload; `None` only while it is being finished.
    Write(Option<WriteMultipart>),
    /// Shutting down: the single put, or the completion of the upload.
    Flush(BoxFuture<'static, Result<()>>),
    /// Shut down or aborted.
    Done,
}

/// Writes one object through tokio's `AsyncWrite`, choosing between a single put and a
/// multipart upload by size.
///
/// Up to `capacity` bytes are buffered in memory and written with one
/// [`put_opts`](ObjectStore::put_opts) on shutdown. Once more than `capacity` bytes have been
/// written, a multipart upload is started and the data flows through a [`WriteMultipart`],
/// with at most `max_concurrency` parts in flight; shutdown then completes the upload. The
/// object appears only when [`shutdown`](tokio::io::AsyncWriteExt::shutdown) succeeds:
/// dropping the writer before that writes nothing (but may leave the parts of an unfinished
/// multipart upload behind; call [`abort`](Self::abort) to clean them up).
///
/// ```
/// use ostore_core::buffered::BufWriter;
/// use ostore_core::{ObjectStore, path::Path};
/// use std::sync::Arc;
/// use tokio::io::AsyncWriteExt;
///
/// async fn write_report(store: Arc<dyn ObjectStore>) -> std::io::Result<()> {
///     let mut writer = BufWriter::new(store, Path::from("reports/daily.csv"));
///     writer.write_all(b"day,total\n").await?;
///     for day in 1..=31 {
///         writer.write_all(format!("{day},{}\n", day * 100).as_bytes()).await?;
///     }
///     writer.shutdown().await
/// }
/// ```
pub struct BufWriter {
    store: Arc<dyn ObjectStore>,
    capacity: usize,
    max_concurrency: usize,
    attributes: Attributes,
    tags: TagSet,
    extensions: Extensions,
    state: WriterState,
}

impl fmt::Debug for BufWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufWriter")
            .field("capacity", &self.capacity)
            .field("max_concurrency", &self.max_concurrency)
            .finish_non_exhaustive()
    }
}

/// The error for using a writer that was shut down or aborted.
fn closed() -> Error {
    Error::generic("BufWriter", "the writer was already shut down or aborted")
}

/// Hands `bytes` to `writer` in pieces of at most one part, waiting before each until fewer
/// than `max_concurrency` parts are in flight. Nothing is copied.
async fn feed(writer: &mut WriteMultipart, mut bytes: Bytes, max_concurrency: usize) -> Result<()> {
    while !bytes.is_empty() {
        writer.wait_for_capacity(max_concurrency).await?;
        let piece = bytes.split_to(bytes.len().min(DEFAULT_CHUNK_SIZE));
        writer.put(piece);
    }
    Ok(())
}

impl BufWriter {
    /// Writes to `path`, switching to a multipart upload past 10 MiB.
    pub fn new(store: Arc<dyn ObjectStore>, path: Path) -> Self {
        Self::with_capacity(store, path, DEFAULT_WRITER_CAPACITY)
    }

    /// Writes to `path`, switching to a multipart upload past `capacity` bytes.
    pub fn with_capacity(store: Arc<dyn ObjectStore>, path: Path, capacity: usize) -> Self {
        Self {
            store,
            capacity,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            attributes: Attributes::new(),
            tags: TagSet::default(),
            extensions: Extensions::new(),
            state: WriterState::Buffer(path, PutPayloadMut::new()),
        }
    }

    /// Uploads at most `max_concurrency` parts at once (default 8).
    pub fn with_max_concurrency(self, max_concurrency: usize) -> Self {
        Self {
            max_concurrency,
            ..self
        }
    }

    /// Stores `attributes` with the object.
    pub fn with_attributes(self, attributes: Attributes) -> Self {
        Self { attributes, ..self }
    }

    /// Sets `tags` on the object.
    pub fn with_tags(self, tags: TagSet) -> Self {
        Self { tags, ..self }
    }

    /// Passes `extensions` to the store with the write.
    pub fn with_extensions(self, extensions: Extensions) -> Self {
        Self { extensions, ..self }
    }

    /// Starts a multipart upload fed with the buffered bytes, if still buffering.
    fn begin_upload(&mut self) {
        let WriterState::Buffer(path, buffer) =
            std::mem::replace(&mut self.state, WriterState::Done)
        else {
            return;
        };
        let store = Arc::clone(&self.store);
        let max_concurrency = self.max_concurrency;
        let opts = PutMultipartOptions {
            tags: std::mem::take(&mut self.tags),
            attributes: std::mem::take(&mut self.attributes),
            extensions: std::mem::take(&mut self.extensions),
        };
        let prepare = async move {
            let upload = store.put_multipart_opts(&path, opts).await?;
            let mut writer = WriteMultipart::new(upload);
            for chunk in buffer.freeze() {
                if let Err(e) = feed(&mut writer, chunk, max_concurrency).await {
                    // The part's failure matters more than a failure to clean up.
                    let _ = writer.abort().await;
                    return Err(e);
                }
            }
            Ok(writer)
        };
        self.state = WriterState::Prepare(prepare.boxed());
    }

    /// Polls the creation of the multipart upload, if one is being created.
    fn poll_prepare(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if let WriterState::Prepare(prepare) = &mut self.state {
            match ready!(prepare.poll_unpin(cx)) {
                Ok(writer) => self.state = WriterState::Write(Some(writer)),
                Err(e) => {
                    self.state = WriterState::Done;
                    return Poll::Ready(Err(e));
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Writes `bytes` without copying them, unlike `AsyncWrite::poll_write`: the better
    /// choice when the data already is in [`Bytes`].
    pub async fn put(&mut self, bytes: Bytes) -> Result<()> {
        loop {
            match &mut self.state {
                WriterState::Buffer(_, buffer) => {
                    if buffer.content_length().saturating_add(bytes.len()) <= self.capacity {
                        buffer.push(bytes);
                        return Ok(());
                    }
                    self.begin_upload();
                }
                WriterState::Prepare(_) => {
                    futures::future::poll_fn(|cx| self.poll_prepare(cx)).await?;
                }
                WriterState::Write(Some(writer)) => {
                    return feed(writer, bytes, self.max_concurrency).await;
                }
                WriterState::Write(None) | WriterState::Flush(_) | WriterState::Done => {
                    return Err(closed());
                }
            }
        }
    }

    /// Abandons the write: nothing is written, and a multipart upload in progress is
    /// aborted so its parts are freed. The writer cannot be used afterwards.
    pub async fn abort(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.state, WriterState::Done) {
            WriterState::Prepare(prepare) => match prepare.await {
                Ok(writer) => writer.abort().await,
                // The upload was never created, or was aborted when feeding it failed.
                Err(_) => Ok(()),
            },
            WriterState::Write(Some(writer)) => writer.abort().await,
            WriterState::Buffer(..)
            | WriterState::Write(None)
            | WriterState::Flush(_)
            | WriterState::Done => Ok(()),
        }
    }
}

impl AsyncWrite for BufWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                WriterState::Buffer(_, buffer) => {
                    if buffer.content_length().saturating_add(buf.len()) <= this.capacity {
                        buffer.extend_from_slice(buf);
                        return Poll::Ready(Ok(buf.len()));
                    }
                    this.begin_upload();
                }
                WriterState::Prepare(_) => ready!(this.poll_prepare(cx))?,
                WriterState::Write(Some(writer)) => {
                    ready!(writer.poll_for_capacity(cx, this.max_concurrency))?;
                    // At most one part per call, so parts in flight stay within the limit.
                    let n = buf.len().min(DEFAULT_CHUNK_SIZE);
                    writer.write(&buf[..n]);
                    return Poll::Ready(Ok(n));
                }
                WriterState::Write(None) | WriterState::Flush(_) | WriterState::Done => {
                    return Poll::Ready(Err(closed().into()));
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Parts are uploaded as they fill; a part cannot be sent before it is full, so there
        // is nothing more to flush than the creation of the upload.
        Poll::Ready(Ok(ready!(self.get_mut().poll_prepare(cx))?))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                WriterState::Buffer(..) => {
                    let WriterState::Buffer(path, buffer) =
                        std::mem::replace(&mut this.state, WriterState::Done)
                    else {
                        continue;
                    };
                    let store = Arc::clone(&this.store);
                    let opts = PutOptions {
                        tags: std::mem::take(&mut this.tags),
                        attributes: std::mem::take(&mut this.attributes),
                        extensions: std::mem::take(&mut this.extensions),
                        ..Default::default()
                    };
                    let put = async move {
                        store.put_opts(&path, buffer.freeze(), opts).await?;
                        Ok(())
                    };
                    this.state = WriterState::Flush(put.boxed());
                }
                WriterState::Prepare(_) => ready!(this.poll_prepare(cx))?,
                WriterState::Write(writer) => {
                    let Some(writer) = writer.take() else {
                        return Poll::Ready(Err(closed().into()));
                    };
                    let finish = async move {
                        writer.finish().await?;
                        Ok(())
                    };
                    this.state = WriterState::Flush(finish.boxed());
                }
                WriterState::Flush(flush) => {
                    let outcome = ready!(flush.poll_unpin(cx));
                    this.state = WriterState::Done;
                    return Poll::Ready(outcome.map_err(io::Error::from));
                }
                WriterState::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{TestStore, pattern};
    use rand::Rng;
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

    async fn setup(len: usize) -> (TestStore, Arc<dyn ObjectStore>, ObjectMeta, Bytes) {
        let inner = TestStore::new();
        let store: Arc<dyn ObjectStore> = Arc::new(inner.clone());
        let data = pattern(len);
        let path = Path::from("obj");
        store.put(&path, data.clone().into()).await.unwrap();
        let meta = store.head(&path).await.unwrap();
        (inner, store, meta, data)
    }

    fn gets(store: &TestStore) -> usize {
        store.calls.get_opts.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn random_seeks_read_the_right_bytes() {
        let (_, store, meta, data) = setup(10_000).await;
        let mut reader = BufReader::with_capacity(store, &meta, 1_000);
        let mut rng = rand::rng();
        for _ in 0..300 {
            let position = match rng.random_range(0..3) {
                0 => SeekFrom::Start(rng.random_range(0..11_000)),
                1 => SeekFrom::End(-rng.random_range(0..10_000)),
                _ => SeekFrom::Current(rng.random_range(-500..500)),
            };
            let Ok(at) = reader.seek(position).await else {
                continue; // before the start: checked in its own test
            };
            let mut buf = vec![0; rng.random_range(0..3_000)];
            let mut filled = 0;
            while filled < buf.len() {
                match reader.read(&mut buf[filled..]).await.unwrap() {
                    0 => break,
                    n => filled += n,
                }
            }
            let start = (at as usize).min(data.len());
            let end = (start + buf.len()).min(data.len());
            assert_eq!(&buf[..filled], &data[start..end], "at {at}");
            assert_eq!(reader.stream_position().await.unwrap(), at + filled as u64);
        }
    }

    #[tokio::test]
    async fn seeks_within_the_buffer_keep_it() {
        let (inner, store, meta, data) = setup(5_000).await;
        let before = gets(&inner);
        let mut reader = BufReader::with_capacity(store, &meta, 1_000);
        assert_eq!(gets(&inner), before, "no request before the first read");
        let mut buf = [0u8; 10];
        reader.read_exact(&mut buf).await.unwrap();
        reader.seek(SeekFrom::Start(900)).await.unwrap();
        reader.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, &data[900..910]);
        reader.seek(SeekFrom::Current(-905)).await.unwrap();
        reader.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, &data[5..15]);
        assert_eq!(gets(&inner), before + 1);

        reader.seek(SeekFrom::Start(4_000)).await.unwrap();
        assert_eq!(reader.fill_buf().await.unwrap(), &data[4_000..5_000]);
        assert_eq!(gets(&inner), before + 2);

        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, &data[4_000..]);
    }

    #[tokio::test]
    async fn seeking_out_of_the_object() {
        let (_, store, meta, data) = setup(100).await;
        let mut reader = BufReader::new(store, &meta);
        let err = reader.seek(SeekFrom::End(-101)).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(reader.seek(SeekFrom::Start(500)).await.unwrap(), 500);
        let mut buf = Vec::new();
        assert_eq!(reader.read_to_end(&mut buf).await.unwrap(), 0);
        reader.rewind().await.unwrap();
        reader.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, data);
    }

    #[tokio::test]
    async fn missing_object_is_an_io_error() {
        let (_, store, mut meta, _) = setup(10).await;
        meta.location = Path::from("gone");
        let mut reader = BufReader::new(store, &meta);
        let err = reader.read_u8().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    fn counts(store: &TestStore) -> (usize, usize, usize) {
        let c = &store.calls;
        (
            c.put_opts.load(Ordering::SeqCst),
            c.put_multipart_opts.load(Ordering::SeqCst),
            c.put_part.load(Ordering::SeqCst),
        )
    }

    async fn read(store: &TestStore, path: &str) -> Bytes {
        store
            .get(&Path::from(path))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn small_writes_are_one_put() {
        let inner = TestStore::new();
        let store: Arc<dyn ObjectStore> = Arc::new(inner.clone());
        let mut writer = BufWriter::with_capacity(store, "small".into(), 100);
        for _ in 0..10 {
            writer.write_all(b"0123456789").await.unwrap();
        }
        writer.flush().await.unwrap();
        assert!(
            inner.head(&"small".into()).await.is_err(),
            "nothing before shutdown"
        );
        writer.shutdown().await.unwrap();
        assert_eq!(counts(&inner), (1, 0, 0));
        assert_eq!(read(&inner, "small").await, b"0123456789".repeat(10));
        writer.shutdown().await.unwrap();
        assert!(writer.write_all(b"late").await.is_err());

        let store: Arc<dyn ObjectStore> = Arc::new(inner.clone());
        let mut writer = BufWriter::new(store, "empty".into());
        writer.shutdown().await.unwrap();
        assert_eq!(counts(&inner), (2, 0, 0));
        assert!(read(&inner, "empty").await.is_empty());
    }

    #[tokio::test]
    async fn large_writes_go_multipart() {
        let inner = TestStore::new();
        let store: Arc<dyn ObjectStore> = Arc::new(inner.clone());
        let data = pattern(12 * 1024 * 1024 + 7);
        let mut writer =
            BufWriter::with_capacity(store, "large".into(), 1_000).with_max_concurrency(2);
        for chunk in data.chunks(64 * 1024 + 3) {
            writer.write_all(chunk).await.unwrap();
        }
        assert_eq!(counts(&inner).1, 1, "switched to multipart");
        writer.shutdown().await.unwrap();
        assert_eq!(counts(&inner), (0, 1, 3));
        assert_eq!(read(&inner, "large").await, data);
    }

    #[tokio::test]
    async fn put_without_copying() {
        let inner = TestStore::new();
        let store: Arc<dyn ObjectStore> = Arc::new(inner.clone());
        let mut writer = BufWriter::with_capacity(Arc::clone(&store), "a".into(), 10);
        writer.put(Bytes::from_static(b"01234")).await.unwrap();
        writer.put(Bytes::from_static(b"56789")).await.unwrap();
        writer.shutdown().await.unwrap();
        assert_eq!(
            counts(&inner),
            (1, 0, 0),
            "exactly `capacity` bytes is still one put"
        );
        assert_eq!(read(&inner, "a").await, "0123456789");

        let data = pattern(11 * 1024 * 1024);
        let mut writer = BufWriter::with_capacity(store, "b".into(), 10);
        writer.put(data.slice(..5)).await.unwrap();
        writer.put(data.slice(5..)).await.unwrap();
        writer.shutdown().await.unwrap();
        assert_eq!(counts(&inner), (1, 1, 3));
        assert_eq!(read(&inner, "b").await, data);
    }

    #[tokio::test]
    async fn abort_writes_nothing() {
        let inner = TestStore::new();
        let store: Arc<dyn ObjectStore> = Arc::new(inner.clone());
        let mut writer = BufWriter::with_capacity(Arc::clone(&store), "x".into(), 10)
            .with_tags(TagSet::default())
            .with_attributes(Attributes::new())
            .with_extensions(Extensions::new());
        writer.write_all(&pattern(6 * 1024 * 1024)).await.unwrap();
        writer.abort().await.unwrap();
        assert!(writer.shutdown().await.is_ok());
        assert!(writer.write_all(b"more").await.is_err());
        assert!(inner.head(&"x".into()).await.is_err());

        let mut writer = BufWriter::new(store, "y".into());
        writer.write_all(b"small").await.unwrap();
        writer.abort().await.unwrap();
        assert!(inner.head(&"y".into()).await.is_err());
    }
}
