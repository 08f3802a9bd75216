//! [`ThrottledStore`]: adds configurable delays to the calls of another store, to simulate a
//! slow or distant service in tests and benchmarks.

use crate::multipart::{MultipartId, MultipartStore, PartId};
use crate::path::Path;
use crate::{
    GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result, UploadPart,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The delays a [`ThrottledStore`] adds. Every delay defaults to zero, and a zero delay adds
/// no sleep at all.
///
/// Per-call delays are slept before the inner store is called, whether or not the call then
/// succeeds. Per-byte and per-entry delays are slept as the data is handed to the caller, and
/// only for data actually received.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Before each delete: every [`delete`](ObjectStore::delete) and each path of a
    /// [`delete_stream`](ObjectStore::delete_stream).
    pub wait_delete_per_call: Duration,
    /// For each byte of a get, slept as the bytes are streamed; for
    /// [`get_range`](ObjectStore::get_range) and [`get_ranges`](ObjectStore::get_ranges),
    /// slept up front for the bytes asked for.
    pub wait_get_per_byte: Duration,
    /// Before each get, range read or head.
    pub wait_get_per_call: Duration,
    /// Before each [`list`](ObjectStore::list), when its stream is first polled.
    pub wait_list_per_call: Duration,
    /// For each entry of a [`list`](ObjectStore::list), slept as the entry is yielded.
    pub wait_list_per_entry: Duration,
    /// Before each [`list_with_delimiter`](ObjectStore::list_with_delimiter).
    pub wait_list_with_delimiter_per_call: Duration,
    /// For each object returned by a [`list_with_delimiter`](ObjectStore::list_with_delimiter),
    /// slept once the listing has returned.
    pub wait_list_with_delimiter_per_entry: Duration,
    /// Before each put, copy and rename, and before each part of a multipart upload.
    pub wait_put_per_call: Duration,
}

/// Sleeps for `duration`, skipping the timer entirely when it is zero.
async fn pause(duration: Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}

/// `per_unit * count`, saturating at `u64::MAX` nanoseconds (centuries).
fn times(per_unit: Duration, count: u64) -> Duration {
    if per_unit.is_zero() || count == 0 {
        return Duration::ZERO;
    }
    let nanos = per_unit.as_nanos().saturating_mul(u128::from(count));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Delays each successful item of `stream` by `delay(item)` before yielding it.
fn delay_items<'a, T, F>(stream: BoxStream<'a, Result<T>>, delay: F) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    F: Fn(&T) -> Duration + Send + 'a,
{
    stream
        .then(move |item| {
            let wait = item.as_ref().map(&delay).unwrap_or_default();
            async move {
                pause(wait).await;
                item
            }
        })
        .boxed()
}

/// Sleeps `wait` when the stream is first polled, then yields the items of `stream`.
fn delay_start<'a, S>(wait: Duration, stream: S) -> BoxStream<'a, S::Item>
where
    S: Stream + Send + 'a,
{
    if wait.is_zero() {
        return stream.boxed();
    }
    futures::stream::once(async move {
        pause(wait).await;
        stream
    })
    .flatten()
    .boxed()
}

/// Wraps a store, sleeping before and during its calls as a [`ThrottleConfig`] says.
///
/// The configuration can be changed while the store is in use; each call reads it when it
/// starts. The delays are deterministic, so they model a slow service only roughly; use
/// tokio's paused time in tests to make them free.
///
/// ```
/// use ostore_core::throttle::{ThrottleConfig, ThrottledStore};
/// use ostore_core::{ObjectStore, Result, path::Path};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// async fn slow_reads(store: Arc<dyn ObjectStore>) -> Result<()> {
///     let config = ThrottleConfig {
///         wait_get_per_call: Duration::from_millis(50),
///         ..Default::default()
///     };
///     let throttled = ThrottledStore::new(store, config);
///     // Every byte now costs a microsecond too.
///     throttled.config_mut(|c| c.wait_get_per_byte = Duration::from_micros(1));
///     throttled.get(&Path::from("data.bin")).await?.bytes().await?;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct ThrottledStore<T> {
    inner: T,
    config: Arc<Mutex<ThrottleConfig>>,
}

impl<T> ThrottledStore<T> {
    /// Wraps `inner` with the delays of `config`.
    pub fn new(inner: T, config: ThrottleConfig) -> Self {
        Self {
            inner,
            config: Arc::new(Mutex::new(config)),
        }
    }

    /// Changes the configuration; calls already running keep the delays they started with.
    pub fn config_mut(&self, f: impl Fn(&mut ThrottleConfig)) {
        f(&mut self.lock())
    }

    /// A copy of the current configuration.
    pub fn config(&self) -> ThrottleConfig {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ThrottleConfig> {
        // The config is plain data, so a panic while it was locked cannot have broken it.
        self.config
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<T: ObjectStore> fmt::Display for ThrottledStore<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ThrottledStore({})", self.inner)
    }
}

/// Makes the payload of `result` sleep `per_byte` for each byte as it is streamed. A file
/// payload is turned into a stream only when there is a delay to add.
fn throttle_payload(result: GetResult, per_byte: Duration) -> GetResult {
    if per_byte.is_zero() {
        return result;
    }
    result.map_stream(|s| delay_items(s, move |b: &Bytes| times(per_byte, b.len() as u64)))
}

#[async_trait]
impl<T: ObjectStore> ObjectStore for ThrottledStore<T> {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        pause(self.config().wait_put_per_call).await;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let upload = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(ThrottledUpload {
            upload,
            wait: self.config().wait_put_per_call,
        }))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let config = self.config();
        pause(config.wait_get_per_call).await;
        let result = self.inner.get_opts(location, options).await?;
        Ok(throttle_payload(result, config.wait_get_per_byte))
    }

    async fn get_range(&self, location: &Path, range: Range<u64>) -> Result<Bytes> {
        let config = self.config();
        let len = range.end.saturating_sub(range.start);
        pause(config.wait_get_per_call + times(config.wait_get_per_byte, len)).await;
        self.inner.get_range(location, range).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let config = self.config();
        let total = ranges
            .iter()
            .map(|r| r.end.saturating_sub(r.start))
            .fold(0u64, u64::saturating_add);
        pause(config.wait_get_per_call + times(config.wait_get_per_byte, total)).await;
        self.inner.get_ranges(location, ranges).await
    }

    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        pause(self.config().wait_get_per_call).await;
        self.inner.head(location).await
    }

    async fn delete(&self, location: &Path) -> Result<()> {
        pause(self.config().wait_delete_per_call).await;
        self.inner.delete(location).await
    }

    fn delete_stream<'a>(
        &'a self,
        locations: BoxStream<'a, Result<Path>>,
    ) -> BoxStream<'a, Result<Path>> {
        let wait = self.config().wait_delete_per_call;
        let locations = if wait.is_zero() {
            locations
        } else {
            delay_items(locations, move |_| wait)
        };
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let config = self.config();
        let stream = self.inner.list(prefix);
        let per_entry = config.wait_list_per_entry;
        let stream = if per_entry.is_zero() {
            stream
        } else {
            delay_items(stream, move |_| per_entry)
        };
        delay_start(config.wait_list_per_call, stream)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let config = self.config();
        let stream = self.inner.list_with_offset(prefix, offset);
        let per_entry = config.wait_list_per_entry;
        let stream = if per_entry.is_zero() {
            stream
        } else {
            delay_items(stream, move |_| per_entry)
        };
        delay_start(config.wait_list_per_call, stream)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let config = self.config();
        pause(config.wait_list_with_delimiter_per_call).await;
        let result = self.inner.list_with_delimiter(prefix).await?;
        let entries = result.objects.len() as u64;
        pause(times(config.wait_list_with_delimiter_per_entry, entries)).await;
        Ok(result)
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        pause(self.config().wait_put_per_call).await;
        self.inner.copy(from, to).await
    }

    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        pause(self.config().wait_put_per_call).await;
        self.inner.rename(from, to).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        pause(self.config().wait_put_per_call).await;
        self.inner.copy_if_not_exists(from, to).await
    }

    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        pause(self.config().wait_put_per_call).await;
        self.inner.rename_if_not_exists(from, to).await
    }
}

#[async_trait]
impl<T: MultipartStore> MultipartStore for ThrottledStore<T> {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        self.inner.create_multipart(path).await
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        pause(self.config().wait_put_per_call).await;
        self.inner.put_part(path, id, part_idx, data).await
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        self.inner.complete_multipart(path, id, parts).await
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()> {
        self.inner.abort_multipart(path, id).await
    }
}

/// A multipart upload whose parts each wait `wait` before uploading.
#[derive(Debug)]
struct ThrottledUpload {
    upload: Box<dyn MultipartUpload>,
    wait: Duration,
}

#[async_trait]
impl MultipartUpload for ThrottledUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        // The part is created now so that parts keep the order of the calls.
        let part = self.upload.put_part(data);
        if self.wait.is_zero() {
            return part;
        }
        let wait = self.wait;
        Box::pin(async move {
            pause(wait).await;
            part.await
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        self.upload.complete().await
    }

    async fn abort(&mut self) -> Result<()> {
        self.upload.abort().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TestStore;
    use futures::TryStreamExt;
    use tokio::time::Instant;

    const MS: Duration = Duration::from_millis(1);

    /// The virtual time `fut` takes.
    async fn elapsed<F: Future>(fut: F) -> (Duration, F::Output) {
        let start = Instant::now();
        let out = fut.await;
        (start.elapsed(), out)
    }

    async fn store_with(objects: &[(&str, usize)]) -> ThrottledStore<TestStore> {
        let inner = TestStore::new();
        for (path, len) in objects {
            inner
                .put(&Path::from(*path), vec![b'x'; *len].into())
                .await
                .unwrap();
        }
        ThrottledStore::new(inner, ThrottleConfig::default())
    }

    #[tokio::test(start_paused = true)]
    async fn zero_config_adds_no_delay() {
        let store = store_with(&[("a", 10), ("d/b", 10)]).await;
        assert_eq!(store.to_string(), "ThrottledStore(TestStore)");
        let (t, _) = elapsed(async {
            store.put(&"c".into(), "x".into()).await.unwrap();
            store.get(&"a".into()).await.unwrap().bytes().await.unwrap();
            store.head(&"a".into()).await.unwrap();
            let _: Vec<_> = store.list(None).try_collect().await.unwrap();
            store.list_with_delimiter(None).await.unwrap();
            store.delete(&"c".into()).await.unwrap();
        })
        .await;
        assert_eq!(t, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn get_waits_per_call_and_per_byte() {
        let store = store_with(&[("a", 10)]).await;
        store.config_mut(|c| {
            c.wait_get_per_call = 100 * MS;
            c.wait_get_per_byte = MS;
        });
        assert_eq!(store.config().wait_get_per_byte, MS);

        let (t, result) = elapsed(store.get(&"a".into())).await;
        assert_eq!(t, 100 * MS, "per-byte delay is not paid before streaming");
        let (t, bytes) = elapsed(result.unwrap().bytes()).await;
        assert_eq!(bytes.unwrap().len(), 10);
        assert_eq!(t, 10 * MS);

        let (t, _) = elapsed(store.get_range(&"a".into(), 2..6)).await;
        assert_eq!(t, 104 * MS);
        let (t, _) = elapsed(store.get_ranges(&"a".into(), &[0..1, 5..7])).await;
        assert_eq!(t, 103 * MS);
        let (t, _) = elapsed(store.head(&"a".into())).await;
        assert_eq!(t, 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn list_waits_per_call_and_per_entry() {
        let store = store_with(&[("a", 1), ("b", 1), ("d/c", 1)]).await;
        store.config_mut(|c| {
            c.wait_list_per_call = 50 * MS;
            c.wait_list_per_entry = 10 * MS;
            c.wait_list_with_delimiter_per_call = 7 * MS;
            c.wait_list_with_delimiter_per_entry = 3 * MS;
        });
        let (t, listed) = elapsed(store.list(None).try_collect::<Vec<_>>()).await;
        assert_eq!(listed.unwrap().len(), 3);
        assert_eq!(t, 80 * MS);
        let (t, _) = elapsed(
            store
                .list_with_offset(None, &"a".into())
                .try_collect::<Vec<_>>(),
        )
        .await;
        assert_eq!(t, 70 * MS);
        // Two objects and one common prefix: only objects count as entries.
        let (t, _) = elapsed(store.list_with_delimiter(None)).await;
        assert_eq!(t, 13 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn writes_and_deletes_wait() {
        let store = store_with(&[("a", 1)]).await;
        store.config_mut(|c| {
            c.wait_put_per_call = 20 * MS;
            c.wait_delete_per_call = 5 * MS;
        });
        let (t, _) = elapsed(store.put(&"b".into(), "x".into())).await;
        assert_eq!(t, 20 * MS);
        let (t, _) = elapsed(store.copy(&"a".into(), &"c".into())).await;
        assert_eq!(t, 20 * MS);
        let (t, _) = elapsed(store.rename_if_not_exists(&"c".into(), &"e".into())).await;
        assert_eq!(t, 20 * MS);
        let (t, _) = elapsed(store.delete(&"b".into())).await;
        assert_eq!(t, 5 * MS);
        let paths = futures::stream::iter([Ok(Path::from("a")), Ok(Path::from("e"))]).boxed();
        let (t, deleted) = elapsed(store.delete_stream(paths).try_collect::<Vec<_>>()).await;
        assert_eq!(deleted.unwrap().len(), 2);
        assert_eq!(t, 10 * MS, "each path waits before it is deleted");

        let mut upload = store.put_multipart(&"m".into()).await.unwrap();
        let (t, _) = elapsed(upload.put_part("ab".into())).await;
        assert_eq!(t, 20 * MS);
        upload.complete().await.unwrap();
        let got = store.inner.get(&"m".into()).await.unwrap().bytes().await;
        assert_eq!(got.unwrap(), "ab");
    }
}
