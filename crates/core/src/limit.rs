//! [`LimitStore`]: caps the number of requests in flight to another store.

use crate::multipart::{MultipartId, MultipartStore, PartId};
use crate::path::Path;
use crate::{
    Error, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result, UploadPart,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use std::fmt;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Store name used in the errors of this module.
const STORE: &str = "LimitStore";

/// Waits for a permit of `semaphore`.
async fn acquire(semaphore: &Arc<Semaphore>) -> Result<OwnedSemaphorePermit> {
    // The semaphores of this module are never closed, so this fails only if that changes.
    Arc::clone(semaphore)
        .acquire_owned()
        .await
        .map_err(|e| Error::generic(STORE, e))
}

/// A semaphore of `n` permits, with `n` clamped to what tokio supports and at least 1 so
/// that a limit of zero cannot block every request forever.
fn semaphore(n: usize) -> (usize, Arc<Semaphore>) {
    let n = n.clamp(1, Semaphore::MAX_PERMITS);
    (n, Arc::new(Semaphore::new(n)))
}

/// Wraps a store so that at most `max_requests` requests run against it at once.
///
/// Every call takes a permit for as long as it runs. Streams keep theirs until they end or
/// are dropped: the payload stream of a get, the stream of a listing, the stream of
/// [`delete_stream`](ObjectStore::delete_stream). A multipart upload takes a permit to start,
/// and each of its part uploads, its completion and its abort take one too. Permits are
/// handed out in the order they are asked for.
///
/// ```
/// use ostore_core::limit::LimitStore;
/// use ostore_core::{ObjectStore, Result, path::Path};
/// use std::sync::Arc;
///
/// async fn sizes(store: Arc<dyn ObjectStore>, paths: &[Path]) -> Result<Vec<u64>> {
///     // However many paths there are, at most 4 requests are in flight.
///     let limited = LimitStore::new(store, 4);
///     let heads = paths.iter().map(|p| limited.head(p));
///     let metas = futures::future::try_join_all(heads).await?;
///     Ok(metas.into_iter().map(|m| m.size).collect())
/// }
/// ```
#[derive(Debug)]
pub struct LimitStore<T: ObjectStore> {
    inner: Arc<T>,
    max_requests: usize,
    semaphore: Arc<Semaphore>,
}

impl<T: ObjectStore> LimitStore<T> {
    /// Wraps `inner`, allowing at most `max_requests` concurrent requests (at least 1).
    pub fn new(inner: T, max_requests: usize) -> Self {
        let (max_requests, semaphore) = semaphore(max_requests);
        Self {
            inner: Arc::new(inner),
            max_requests,
            semaphore,
        }
    }
}

impl<T: ObjectStore> fmt::Display for LimitStore<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LimitStore({}, {})", self.max_requests, self.inner)
    }
}

/// A stream that holds a permit until it ends or is dropped.
struct PermitStream<S> {
    inner: S,
    permit: Option<OwnedSemaphorePermit>,
}

impl<S: Stream + Unpin> Stream for PermitStream<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let next = self.inner.poll_next_unpin(cx);
        if let Poll::Ready(None) = next {
            self.permit = None;
        }
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

/// A stream that first waits for a permit, then yields the items of the stream `start`
/// opens, holding the permit until that stream ends or is dropped.
fn permit_stream<'a, T: Send + 'a>(
    semaphore: &Arc<Semaphore>,
    start: impl FnOnce() -> BoxStream<'a, Result<T>> + Send + 'a,
) -> BoxStream<'a, Result<T>> {
    let semaphore = Arc::clone(semaphore);
    futures::stream::once(async move {
        match acquire(&semaphore).await {
            Ok(permit) => PermitStream {
                inner: start(),
                permit: Some(permit),
            }
            .boxed(),
            Err(e) => futures::stream::iter([Err(e)]).boxed(),
        }
    })
    .flatten()
    .boxed()
}

/// Makes a streamed payload hold `permit` until it is consumed or dropped. A file payload
/// is already open and needs no permit.
fn hold_permit(result: GetResult, permit: OwnedSemaphorePermit) -> GetResult {
    let payload = match result.payload {
        GetResultPayload::Stream(s) => GetResultPayload::Stream(
            PermitStream {
                inner: s,
                permit: Some(permit),
            }
            .boxed(),
        ),
        file @ GetResultPayload::File(..) => file,
    };
    GetResult { payload, ..result }
}

#[async_trait]
impl<T: ObjectStore> ObjectStore for LimitStore<T> {
    async fn put(&self, location: &Path, payload: PutPayload) -> Result<PutResult> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.put(location, payload).await
    }

    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart(&self, location: &Path) -> Result<Box<dyn MultipartUpload>> {
        let _permit = acquire(&self.semaphore).await?;
        let upload = self.inner.put_multipart(location).await?;
        Ok(Box::new(LimitUpload {
            upload,
            semaphore: Arc::clone(&self.semaphore),
        }))
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let _permit = acquire(&self.semaphore).await?;
        let upload = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(LimitUpload {
            upload,
            semaphore: Arc::clone(&self.semaphore),
        }))
    }

    async fn get(&self, location: &Path) -> Result<GetResult> {
        let permit = acquire(&self.semaphore).await?;
        let result = self.inner.get(location).await?;
        Ok(hold_permit(result, permit))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let permit = acquire(&self.semaphore).await?;
        let result = self.inner.get_opts(location, options).await?;
        Ok(hold_permit(result, permit))
    }

    async fn get_range(&self, location: &Path, range: Range<u64>) -> Result<Bytes> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.get_range(location, range).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.get_ranges(location, ranges).await
    }

    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.head(location).await
    }

    async fn delete(&self, location: &Path) -> Result<()> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.delete(location).await
    }

    fn delete_stream<'a>(
        &'a self,
        locations: BoxStream<'a, Result<Path>>,
    ) -> BoxStream<'a, Result<Path>> {
        permit_stream(&self.semaphore, move || self.inner.delete_stream(locations))
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let prefix = prefix.cloned();
        let inner = Arc::clone(&self.inner);
        permit_stream(&self.semaphore, move || inner.list(prefix.as_ref()))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let (prefix, offset) = (prefix.cloned(), offset.clone());
        let inner = Arc::clone(&self.inner);
        permit_stream(&self.semaphore, move || {
            inner.list_with_offset(prefix.as_ref(), &offset)
        })
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.copy(from, to).await
    }

    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.rename(from, to).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.copy_if_not_exists(from, to).await
    }

    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.rename_if_not_exists(from, to).await
    }
}

#[async_trait]
impl<T: ObjectStore + MultipartStore> MultipartStore for LimitStore<T> {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.create_multipart(path).await
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.put_part(path, id, part_idx, data).await
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.complete_multipart(path, id, parts).await
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()> {
        let _permit = acquire(&self.semaphore).await?;
        self.inner.abort_multipart(path, id).await
    }
}

/// A [`MultipartUpload`] whose part uploads, completion and abort each wait for a permit of
/// a shared semaphore, bounding how many run at once.
///
/// [`LimitStore`] returns these, sharing the store's own limit; [`LimitUpload::new`] wraps any
/// upload with a limit of its own.
#[derive(Debug)]
pub struct LimitUpload {
    upload: Box<dyn MultipartUpload>,
    semaphore: Arc<Semaphore>,
}

impl LimitUpload {
    /// Wraps `upload` so that at most `max_concurrency` (at least 1) of its requests run at
    /// once.
    pub fn new(upload: Box<dyn MultipartUpload>, max_concurrency: usize) -> Self {
        let (_, semaphore) = semaphore(max_concurrency);
        Self { upload, semaphore }
    }
}

#[async_trait]
impl MultipartUpload for LimitUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        // The part is created now so that parts keep the order of the calls.
        let part = self.upload.put_part(data);
        let semaphore = Arc::clone(&self.semaphore);
        Box::pin(async move {
            let _permit = acquire(&semaphore).await?;
            part.await
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let _permit = acquire(&self.semaphore).await?;
        self.upload.complete().await
    }

    async fn abort(&mut self) -> Result<()> {
        let _permit = acquire(&self.semaphore).await?;
        self.upload.abort().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TestStore;
    use futures::TryStreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Tracks how many operations run at once, and the most ever seen.
    #[derive(Debug, Default)]
    struct Gauge {
        active: AtomicUsize,
        max: AtomicUsize,
    }

    impl Gauge {
        /// Counts one operation in flight for 10 ms.
        async fn busy(&self) {
            let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
            self.max.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(10)).await;
            self.active.fetch_sub(1, Ordering::SeqCst);
        }

        fn max(&self) -> usize {
            self.max.load(Ordering::SeqCst)
        }
    }

    /// A [`TestStore`] whose puts, gets and heads take a while and are gauged.
    #[derive(Debug, Default)]
    struct SlowStore {
        inner: TestStore,
        gauge: Arc<Gauge>,
    }

    impl fmt::Display for SlowStore {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("SlowStore")
        }
    }

    #[async_trait]
    impl ObjectStore for SlowStore {
        async fn put_opts(&self, l: &Path, p: PutPayload, o: PutOptions) -> Result<PutResult> {
            self.gauge.busy().await;
            self.inner.put_opts(l, p, o).await
        }
        async fn put_multipart_opts(
            &self,
            l: &Path,
            o: PutMultipartOptions,
        ) -> Result<Box<dyn MultipartUpload>> {
            self.inner.put_multipart_opts(l, o).await
        }
        async fn get_opts(&self, l: &Path, o: GetOptions) -> Result<GetResult> {
            self.gauge.busy().await;
            self.inner.get_opts(l, o).await
        }
        async fn delete(&self, l: &Path) -> Result<()> {
            self.inner.delete(l).await
        }
        fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
            self.inner.list(prefix)
        }
        async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
            self.inner.list_with_delimiter(prefix).await
        }
        async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
            self.inner.copy(from, to).await
        }
        async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
            self.inner.copy_if_not_exists(from, to).await
        }
    }

    /// Whether `fut` finishes within a (virtual) second.
    async fn finishes<F: Future>(fut: F) -> bool {
        tokio::time::timeout(Duration::from_secs(1), fut)
            .await
            .is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_max_requests() {
        let slow = SlowStore::default();
        let gauge = Arc::clone(&slow.gauge);
        let store = LimitStore::new(slow, 3);
        assert_eq!(store.to_string(), "LimitStore(3, SlowStore)");

        let paths: Vec<Path> = (0..20).map(|i| Path::from(format!("{i}"))).collect();
        let puts = paths.iter().map(|p| store.put(p, "x".into()));
        futures::future::try_join_all(puts).await.unwrap();
        assert_eq!(gauge.max(), 3);

        let heads = paths.iter().map(|p| store.head(p));
        futures::future::try_join_all(heads).await.unwrap();
        let ranges = paths.iter().map(|p| store.get_range(p, 0..1));
        futures::future::try_join_all(ranges).await.unwrap();
        assert_eq!(gauge.max(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn get_stream_holds_its_permit_until_dropped() {
        let store = LimitStore::new(TestStore::new(), 1);
        let path = Path::from("a");
        store.put(&path, "abc".into()).await.unwrap();

        let pending = store.get(&path).await.unwrap();
        assert!(
            !finishes(store.head(&path)).await,
            "the get stream holds the only permit"
        );
        drop(pending);
        assert!(finishes(store.head(&path)).await);

        // A stream read to its end gives its permit back even if it is kept.
        let mut stream = store.get(&path).await.unwrap().into_stream();
        while stream.try_next().await.unwrap().is_some() {}
        assert!(finishes(store.head(&path)).await);
        drop(stream);
    }

    #[tokio::test(start_paused = true)]
    async fn list_stream_holds_its_permit() {
        let store = LimitStore::new(TestStore::new(), 1);
        store.put(&"a".into(), "1".into()).await.unwrap();
        store.put(&"b".into(), "2".into()).await.unwrap();

        let mut list = store.list(None);
        assert!(list.try_next().await.unwrap().is_some());
        assert!(!finishes(store.head(&"a".into())).await);
        assert!(list.try_next().await.unwrap().is_some());
        assert!(list.try_next().await.unwrap().is_none());
        assert!(finishes(store.head(&"a".into())).await);

        let listed: Vec<_> = store
            .list_with_offset(None, &"a".into())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            store.list_with_delimiter(None).await.unwrap().objects.len(),
            2
        );
    }

    /// An upload whose parts take a while and are gauged.
    #[derive(Debug, Default)]
    struct SlowUpload {
        gauge: Arc<Gauge>,
    }

    #[async_trait]
    impl MultipartUpload for SlowUpload {
        fn put_part(&mut self, _data: PutPayload) -> UploadPart {
            let gauge = Arc::clone(&self.gauge);
            Box::pin(async move {
                gauge.busy().await;
                Ok(())
            })
        }
        async fn complete(&mut self) -> Result<PutResult> {
            Ok(PutResult {
                e_tag: None,
                version: None,
            })
        }
        async fn abort(&mut self) -> Result<()> {
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn upload_parts_are_limited() {
        let slow = SlowUpload::default();
        let gauge = Arc::clone(&slow.gauge);
        let mut upload = LimitUpload::new(Box::new(slow), 2);
        let parts: Vec<_> = (0..10).map(|_| upload.put_part("p".into())).collect();
        futures::future::try_join_all(parts).await.unwrap();
        assert_eq!(gauge.max(), 2);
        upload.complete().await.unwrap();
    }

    #[tokio::test]
    async fn multipart_through_the_limit() {
        let inner = TestStore::new();
        let store = LimitStore::new(inner.clone(), 2);
        let mut upload = store.put_multipart(&"m".into()).await.unwrap();
        let (a, b) = (upload.put_part("ab".into()), upload.put_part("cd".into()));
        // Completed in reverse order, the parts still keep the order of the calls.
        b.await.unwrap();
        a.await.unwrap();
        upload.complete().await.unwrap();
        let got = store.get(&"m".into()).await.unwrap().bytes().await.unwrap();
        assert_eq!(got, "abcd");

        let id = store.create_multipart(&"n".into()).await.unwrap();
        let part = store
            .put_part(&"n".into(), &id, 0, "x".into())
            .await
            .unwrap();
        store
            .complete_multipart(&"n".into(), &id, vec![part])
            .await
            .unwrap();
        let deleted: Vec<Path> = store
            .delete_stream(futures::stream::iter([Ok(Path::from("n"))]).boxed())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(deleted, vec![Path::from("n")]);
    }
}
