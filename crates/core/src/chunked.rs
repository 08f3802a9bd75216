//! [`ChunkedStore`]: re-chunks the payloads of gets to a fixed size, to exercise code that
//! consumes streams chunk by chunk.

use crate::path::Path;
use crate::{
    GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use async_trait::async_trait;
use bytes::{Buf, Bytes, BytesMut};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use std::fmt;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// The most a re-chunking buffer reserves up front; larger chunks grow as they fill.
const MAX_RESERVE: usize = 1 << 20;

/// Wraps a store so that the payload of every get arrives in chunks of exactly
/// `chunk_size` bytes, except the last, which may be shorter.
///
/// Both streamed and file payloads are turned into such a stream. Chunks of the inner
/// stream are split without copying where they can be; only chunks that straddle an
/// output boundary are copied. Every other call goes to the inner store unchanged.
///
/// ```
/// use ostore_core::chunked::ChunkedStore;
/// use ostore_core::{ObjectStore, Result, path::Path};
/// use futures::TryStreamExt;
/// use std::sync::Arc;
///
/// async fn byte_by_byte(store: Arc<dyn ObjectStore>) -> Result<()> {
///     let chunked = ChunkedStore::new(store, 1);
///     let mut stream = chunked.get(&Path::from("data.csv")).await?.into_stream();
///     while let Some(chunk) = stream.try_next().await? {
///         assert_eq!(chunk.len(), 1);
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct ChunkedStore {
    inner: Arc<dyn ObjectStore>,
    chunk_size: usize,
}

impl ChunkedStore {
    /// Wraps `inner`, re-chunking get payloads into `chunk_size` bytes (at least 1).
    pub fn new(inner: Arc<dyn ObjectStore>, chunk_size: usize) -> Self {
        Self {
            inner,
            chunk_size: chunk_size.max(1),
        }
    }
}

impl fmt::Display for ChunkedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChunkedStore({})", self.inner)
    }
}

/// Re-chunks a stream of bytes into chunks of exactly `chunk_size` bytes (the last may be
/// shorter). Errors of the inner stream are passed on where they occur.
struct Rechunk {
    inner: BoxStream<'static, Result<Bytes>>,
    /// The unconsumed rest of the last chunk received.
    pending: Bytes,
    /// The output chunk being assembled from pieces of several input chunks.
    buffer: BytesMut,
    chunk_size: usize,
    done: bool,
}

impl Rechunk {
    fn new(inner: BoxStream<'static, Result<Bytes>>, chunk_size: usize) -> Self {
        Self {
            inner,
            pending: Bytes::new(),
            buffer: BytesMut::new(),
            chunk_size,
            done: false,
        }
    }
}

impl Stream for Rechunk {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if !this.pending.is_empty() {
                if this.buffer.is_empty() && this.pending.len() >= this.chunk_size {
                    return Poll::Ready(Some(Ok(this.pending.split_to(this.chunk_size))));
                }
                if this.buffer.is_empty() {
                    this.buffer.reserve(this.chunk_size.min(MAX_RESERVE));
                }
                let n = (this.chunk_size - this.buffer.len()).min(this.pending.len());
                this.buffer.extend_from_slice(&this.pending[..n]);
                this.pending.advance(n);
                if this.buffer.len() == this.chunk_size {
                    return Poll::Ready(Some(Ok(this.buffer.split().freeze())));
                }
                continue;
            }
            if this.done {
                if this.buffer.is_empty() {
                    return Poll::Ready(None);
                }
                return Poll::Ready(Some(Ok(this.buffer.split().freeze())));
            }
            match ready!(this.inner.poll_next_unpin(cx)) {
                Some(Ok(bytes)) => this.pending = bytes,
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => this.done = true,
            }
        }
    }
}

/// Turns the payload of `result` into a stream of `chunk_size` chunks.
fn rechunk(result: GetResult, chunk_size: usize) -> GetResult {
    result.map_stream(|s| Rechunk::new(s, chunk_size).boxed())
}

#[async_trait]
impl ObjectStore for ChunkedStore {
    async fn put(&self, location: &Path, payload: PutPayload) -> Result<PutResult> {
        self.inner.put(location, payload).await
    }

    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart(&self, location: &Path) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart(location).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let result = self.inner.get_opts(location, options).await?;
        Ok(rechunk(result, self.chunk_size))
    }

    async fn get_range(&self, location: &Path, range: Range<u64>) -> Result<Bytes> {
        self.inner.get_range(location, range).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        self.inner.head(location).await
    }

    async fn delete(&self, location: &Path) -> Result<()> {
        self.inner.delete(location).await
    }

    fn delete_stream<'a>(
        &'a self,
        locations: BoxStream<'a, Result<Path>>,
    ) -> BoxStream<'a, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        self.inner.copy(from, to).await
    }

    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.inner.rename(from, to).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.inner.copy_if_not_exists(from, to).await
    }

    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.inner.rename_if_not_exists(from, to).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{TestStore, pattern};
    use crate::{Attributes, Error, GetResultPayload};
    use futures::TryStreamExt;
    use rand::Rng;

    async fn chunk_lens(stream: BoxStream<'static, Result<Bytes>>) -> (Vec<usize>, Bytes) {
        let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
        let lens = chunks.iter().map(Bytes::len).collect();
        (lens, chunks.concat().into())
    }

    #[tokio::test]
    async fn get_payloads_have_exact_chunk_sizes() {
        let inner = Arc::new(TestStore::new());
        let data = pattern(10);
        inner.put(&"a".into(), data.clone().into()).await.unwrap();
        inner.put(&"empty".into(), PutPayload::new()).await.unwrap();
        let store = ChunkedStore::new(inner, 3);
        assert_eq!(store.to_string(), "ChunkedStore(TestStore)");

        let (lens, all) = chunk_lens(store.get(&"a".into()).await.unwrap().into_stream()).await;
        assert_eq!(lens, [3, 3, 3, 1]);
        assert_eq!(all, data);

        let ranged = store
            .get_opts(
                &"a".into(),
                GetOptions {
                    range: Some((1..7).into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(ranged.range, 1..7);
        let (lens, all) = chunk_lens(ranged.into_stream()).await;
        assert_eq!(lens, [3, 3]);
        assert_eq!(all, data.slice(1..7));

        let (lens, _) = chunk_lens(store.get(&"empty".into()).await.unwrap().into_stream()).await;
        assert!(lens.is_empty());
        assert_eq!(store.head(&"a".into()).await.unwrap().size, 10);
        assert_eq!(
            store.get_range(&"a".into(), 2..4).await.unwrap(),
            data.slice(2..4)
        );
    }

    #[tokio::test]
    async fn random_input_chunks_are_rechunked_exactly() {
        let data = pattern(5_000);
        let mut rng = rand::rng();
        for _ in 0..50 {
            let chunk_size = rng.random_range(1..700);
            let mut input = Vec::new();
            let mut at = 0;
            while at < data.len() {
                let n = rng.random_range(0..900).min(data.len() - at);
                input.push(Ok(data.slice(at..at + n)));
                at += n;
            }
            let stream = Rechunk::new(futures::stream::iter(input).boxed(), chunk_size).boxed();
            let (lens, all) = chunk_lens(stream).await;
            assert_eq!(all, data);
            let (last, full) = lens.split_last().unwrap();
            assert!(
                full.iter().all(|&l| l == chunk_size),
                "{lens:?} for {chunk_size}"
            );
            assert!(*last > 0 && *last <= chunk_size);
        }
    }

    #[tokio::test]
    async fn errors_pass_through() {
        let input = vec![
            Ok(Bytes::from_static(b"abcd")),
            Err(Error::generic("Test", "broken")),
        ];
        let mut s = Rechunk::new(futures::stream::iter(input).boxed(), 3);
        assert_eq!(s.try_next().await.unwrap().unwrap(), "abc");
        assert!(s.try_next().await.is_err());
    }

    #[tokio::test]
    async fn file_payloads_are_streamed_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data = pattern(1_000);
        std::fs::write(&path, &data).unwrap();
        let result = GetResult {
            payload: GetResultPayload::File(std::fs::File::open(&path).unwrap(), path),
            meta: ObjectMeta {
                location: "f".into(),
                last_modified: chrono::Utc::now(),
                size: 1_000,
                e_tag: None,
                version: None,
            },
            range: 100..1_000,
            attributes: Attributes::new(),
        };
        let result = rechunk(result, 256);
        assert!(matches!(result.payload, GetResultPayload::Stream(_)));
        let (lens, all) = chunk_lens(result.into_stream()).await;
        assert_eq!(lens, [256, 256, 256, 132]);
        assert_eq!(all, data.slice(100..));
    }
}
