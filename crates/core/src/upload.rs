//! Multipart uploads as a stream of parts: [`MultipartUpload`], and [`WriteMultipart`],
//! which cuts writes into fixed-size parts and uploads them concurrently.

use crate::path::Path;
use crate::{Error, ObjectStore, PutOptions, PutPayload, PutPayloadMut, PutResult, Result};
use async_trait::async_trait;
use bytes::Bytes;
use futures::future::BoxFuture;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::task::JoinSet;

/// The future of one part upload; it owns everything it needs, so it can be spawned.
pub type UploadPart = BoxFuture<'static, Result<()>>;

/// An upload in progress, written as a sequence of parts.
///
/// Parts are numbered in the order `put_part` is called, whatever order their futures finish
/// in. Nothing is visible at the destination until [`complete`](Self::complete) succeeds.
/// Stores may require every part but the last to be of the same size (S3: at least 5 MiB);
/// [`WriteMultipart`] takes care of that.
#[async_trait]
pub trait MultipartUpload: Send + std::fmt::Debug {
    /// Starts uploading the next part.
    fn put_part(&mut self, data: PutPayload) -> UploadPart;

    /// Assembles the uploaded parts into the object, once every part future has finished.
    async fn complete(&mut self) -> Result<PutResult>;

    /// Abandons the upload and frees what was uploaded.
    async fn abort(&mut self) -> Result<()>;
}

#[async_trait]
impl<W: MultipartUpload + ?Sized> MultipartUpload for Box<W> {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        (**self).put_part(data)
    }
    async fn complete(&mut self) -> Result<PutResult> {
        (**self).complete().await
    }
    async fn abort(&mut self) -> Result<()> {
        (**self).abort().await
    }
}

/// The part size [`WriteMultipart::new`] uses: 5 MiB, the smallest S3 accepts.
pub const DEFAULT_CHUNK_SIZE: usize = 5 * 1024 * 1024;

/// Writes an object through a [`MultipartUpload`] in fixed-size parts, uploading parts in
/// parallel on the tokio runtime.
///
/// Writes are synchronous and buffer until a part is full; call
/// [`wait_for_capacity`](Self::wait_for_capacity) to bound the number of parts in flight.
///
/// ```
/// use ostore_core::{ObjectStore, WriteMultipart, Result, path::Path};
///
/// async fn upload(store: &dyn ObjectStore) -> Result<()> {
///     let upload = store.put_multipart(&Path::from("data/large_file")).await?;
///     let mut write = WriteMultipart::new(upload);
///     for _ in 0..100 {
///         write.wait_for_capacity(8).await?;
///         write.write(&[0u8; 1 << 20]);
///     }
///     write.finish().await?;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct WriteMultipart {
    upload: Box<dyn MultipartUpload>,
    buffer: PutPayloadMut,
    chunk_size: usize,
    tasks: JoinSet<Result<()>>,
}

impl WriteMultipart {
    /// Uses parts of [`DEFAULT_CHUNK_SIZE`] bytes.
    pub fn new(upload: Box<dyn MultipartUpload>) -> Self {
        Self::new_with_chunk_size(upload, DEFAULT_CHUNK_SIZE)
    }

    /// Uses parts of `chunk_size` bytes (the last part may be shorter).
    pub fn new_with_chunk_size(upload: Box<dyn MultipartUpload>, chunk_size: usize) -> Self {
        let chunk_size = chunk_size.max(1);
        Self {
            upload,
            buffer: PutPayloadMut::new().with_block_size(chunk_size.min(1 << 20)),
            chunk_size,
            tasks: JoinSet::new(),
        }
    }

    /// Polls until fewer than `max_concurrency` parts are in flight, surfacing the error of
    /// any part that failed.
    pub fn poll_for_capacity(
        &mut self,
        cx: &mut Context<'_>,
        max_concurrency: usize,
    ) -> Poll<Result<()>> {
        while !self.tasks.is_empty() && self.tasks.len() >= max_concurrency {
            match self.tasks.poll_join_next(cx) {
                Poll::Ready(Some(done)) => done??,
                Poll::Ready(None) => break,
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Waits until fewer than `max_concurrency` parts are in flight; `0` waits for all.
    pub async fn wait_for_capacity(&mut self, max_concurrency: usize) -> Result<()> {
        futures::future::poll_fn(|cx| self.poll_for_capacity(cx, max_concurrency)).await
    }

    /// Appends a copy of `buf`, starting a part upload each time a part fills.
    pub fn write(&mut self, mut buf: &[u8]) {
        while !buf.is_empty() {
            let room = self.chunk_size - self.buffer.content_length();
            let n = room.min(buf.len());
            self.buffer.extend_from_slice(&buf[..n]);
            buf = &buf[n..];
            if n == room {
                self.flush_part();
            }
        }
    }

    /// Appends `bytes` without copying them, starting a part upload each time a part fills.
    pub fn put(&mut self, mut bytes: Bytes) {
        while !bytes.is_empty() {
            let room = self.chunk_size - self.buffer.content_length();
            if bytes.len() < room {
                self.buffer.push(bytes);
                return;
            }
            self.buffer.push(bytes.split_to(room));
            self.flush_part();
        }
    }

    fn flush_part(&mut self) {
        let block = self.chunk_size.min(1 << 20);
        let full = std::mem::replace(
            &mut self.buffer,
            PutPayloadMut::new().with_block_size(block),
        );
        let part = self.upload.put_part(full.freeze());
        self.tasks.spawn(part);
    }

    /// Cancels the parts in flight and aborts the upload.
    pub async fn abort(mut self) -> Result<()> {
        self.tasks.shutdown().await;
        self.upload.abort().await
    }

    /// Uploads what is buffered, waits for every part and completes the upload. On failure
    /// the upload is aborted so no parts are left behind.
    pub async fn finish(mut self) -> Result<PutResult> {
        if self.buffer.content_length() > 0 {
            self.flush_part();
        }
        let outcome = match self.wait_for_capacity(0).await {
            Ok(()) => self.upload.complete().await,
            Err(e) => Err(e),
        };
        if outcome.is_err() {
            self.tasks.shutdown().await;
            // The original error matters more than a failure to clean up.
            let _ = self.upload.abort().await;
        }
        outcome
    }
}

/// A [`MultipartUpload`] for stores without a multipart API of their own (memory, WebDAV):
/// parts are kept in the order `put_part` was called, whatever order their futures finish
/// in, and `complete` writes them with one [`ObjectStore::put_opts`] whose payload is the
/// parts' chunks, so nothing is copied. Nothing is written before `complete`, so the object
/// appears whole or not at all.
///
/// ```
/// use ostore_core::{BufferedUpload, MultipartUpload, ObjectStore, PutOptions, Result};
/// use ostore_core::path::Path;
/// use std::sync::Arc;
///
/// async fn two_parts(store: Arc<dyn ObjectStore>) -> Result<()> {
///     let mut upload = BufferedUpload::new(store, Path::from("a"), PutOptions::default());
///     let first = upload.put_part("hello ".into());
///     let second = upload.put_part("world".into());
///     second.await?; // finishing out of order is fine
///     first.await?;
///     upload.complete().await?; // "hello world"
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct BufferedUpload {
    store: Arc<dyn ObjectStore>,
    location: Path,
    /// `None` once completed or aborted.
    opts: Option<PutOptions>,
    parts: Vec<PutPayload>,
}

impl BufferedUpload {
    /// An upload that will write `location` in `store` with `opts` on completion.
    pub fn new(store: Arc<dyn ObjectStore>, location: Path, opts: PutOptions) -> Self {
        Self {
            store,
            location,
            opts: Some(opts),
            parts: Vec::new(),
        }
    }
}

#[async_trait]
impl MultipartUpload for BufferedUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.parts.push(data);
        Box::pin(futures::future::ready(Ok(())))
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let opts = self.opts.take().ok_or_else(|| Error::Generic {
            store: "BufferedUpload",
            source: format!(
                "the multipart upload to {} was already completed or aborted",
                self.location
            )
            .into(),
        })?;
        let payload: PutPayload = std::mem::take(&mut self.parts)
            .iter()
            .flat_map(|part| part.iter().cloned())
            .collect();
        self.store.put_opts(&self.location, payload, opts).await
    }

    async fn abort(&mut self) -> Result<()> {
        self.opts = None;
        self.parts.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TestStore;

    #[tokio::test]
    async fn buffered_upload_keeps_call_order_without_copying() {
        let store = Arc::new(TestStore::new());
        let location = Path::from("x");
        let mut upload =
            BufferedUpload::new(store.clone(), location.clone(), PutOptions::default());
        let a = bytes::Bytes::from_static(b"first ");
        let b = bytes::Bytes::from_static(b"second ");
        let fa = upload.put_part(a.clone().into());
        let fb = upload.put_part(PutPayload::from_iter([b.clone(), a.clone()]));
        fb.await.unwrap();
        fa.await.unwrap();
        assert!(matches!(
            store.head(&location).await,
            Err(Error::NotFound { .. })
        ));
        let chunks: Vec<&bytes::Bytes> = upload.parts.iter().flat_map(|p| p.iter()).collect();
        assert_eq!(chunks[1].as_ptr(), b.as_ptr(), "parts are not copied");
        upload.complete().await.unwrap();
        let got = store.get(&location).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"first second first ");
        assert!(upload.complete().await.is_err(), "completed twice");
    }

    #[tokio::test]
    async fn aborted_buffered_upload_writes_nothing() {
        let store = Arc::new(TestStore::new());
        let location = Path::from("y");
        let mut upload =
            BufferedUpload::new(store.clone(), location.clone(), PutOptions::default());
        upload.put_part("data".into()).await.unwrap();
        upload.abort().await.unwrap();
        assert!(upload.complete().await.is_err(), "complete after abort");
        assert!(matches!(
            store.head(&location).await,
            Err(Error::NotFound { .. })
        ));
    }
}
