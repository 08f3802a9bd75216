//! [`InMemory`]: an object store kept in process memory, for tests and caches. It is the
//! reference for the semantics every other ostore backend is checked against.

mod error;
mod multipart;
mod paginated;
mod storage;

use crate::error::RangeSnafu;
use crate::storage::{Entry, Storage, read, write};
use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use ostore_core::path::Path;
use ostore_core::{
    BufferedUpload, GetOptions, GetRange, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use snafu::ResultExt;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, RwLock};

/// An object store that keeps every object in memory.
///
/// Objects are kept in key order, so listings come out sorted by path. Every write gets a
/// fresh e-tag from a store-wide counter, which makes [`PutMode::Update`] a reliable
/// compare-and-swap. All operations complete without waiting: the returned futures never
/// block and hold no lock across an `.await`.
///
/// Clones of an `Arc<InMemory>` share the contents; [`InMemory::fork`] makes an independent
/// copy.
///
/// [`PutMode::Update`]: ostore_core::PutMode::Update
///
/// ```
/// # futures::executor::block_on(async {
/// use futures::TryStreamExt;
/// use ostore_core::{ObjectStore, PutMode, path::Path};
/// use ostore_memory::InMemory;
///
/// let store = InMemory::new();
/// let path = Path::from("data/greeting.txt");
/// let put = store.put(&path, "hello".into()).await?;
///
/// let bytes = store.get(&path).await?.bytes().await?;
/// assert_eq!(&bytes[..], b"hello");
///
/// // Compare-and-swap: replace the object only if nobody changed it since.
/// store.put_opts(&path, "hello again".into(), PutMode::Update(put.into()).into()).await?;
///
/// let listed: Vec<_> = store.list(Some(&Path::from("data"))).try_collect().await?;
/// assert_eq!(listed.len(), 1);
/// assert_eq!(listed[0].location, path);
/// assert_eq!(listed[0].size, 11);
/// # Ok::<_, ostore_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Default)]
pub struct InMemory {
    storage: Arc<RwLock<Storage>>,
}

impl InMemory {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An independent store holding a copy of this store's current contents, including
    /// unfinished [`MultipartStore`](ostore_core::MultipartStore) uploads. The copy shares
    /// the object bytes (they are immutable), so forking is cheap even for large objects.
    pub fn fork(&self) -> Self {
        let copy = read(&self.storage).clone();
        Self {
            storage: Arc::new(RwLock::new(copy)),
        }
    }
}

impl fmt::Debug for InMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The contents may be large, so only their size is shown.
        let storage = read(&self.storage);
        f.debug_struct("InMemory")
            .field("objects", &storage.map.len())
            .field("uploads", &storage.uploads.len())
            .finish()
    }
}

impl fmt::Display for InMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InMemory")
    }
}

/// Slices `data` like a [`GetRange::Bounded`] read: a range starting at or past the end is
/// an error, one ending past the end is cut. An empty or reversed range yields no bytes,
/// as the default `get_ranges` of [`ObjectStore`] does.
fn slice_range(data: &Bytes, range: &Range<u64>) -> Result<Bytes> {
    if range.start >= range.end {
        return Ok(Bytes::new());
    }
    let r = GetRange::Bounded(range.clone())
        .as_range(data.len() as u64)
        .context(RangeSnafu)?;
    // `as_range` keeps the range within `data.len()`, so both ends fit in `usize`.
    Ok(data.slice(r.start as usize..r.end as usize))
}

impl InMemory {
    /// The work of a put; it never waits, so the trait methods call it without an extra
    /// boxed future.
    fn put_now(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        // Joining chunks (free for a single chunk), stamping the e-tag and cloning the key
        // happen before the lock is taken, so it covers the map update alone.
        let entry = Entry::new(Bytes::from(payload), opts.attributes);
        let key = location.clone();
        let e_tag = write(&self.storage).put(key, entry, opts.mode)?;
        Ok(PutResult {
            e_tag: Some(e_tag),
            version: None,
        })
    }

    /// The work of a get; see [`InMemory::put_now`].
    fn get_now(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        // This store keeps no versions. Serving the current object for a request that names
        // a version would hand back content the caller did not ask for, so it is refused.
        if let Some(version) = options.version {
            return Err(error::VersionUnsupportedSnafu { version }.build().into());
        }
        // Everything is taken from the entry under the (shared) lock, so the object's bytes
        // are referenced once, by the slice handed out: no clone of the whole buffer that
        // is sliced and dropped again (each is an atomic update of a shared count).
        let (meta, range, chunk, attributes) = {
            let storage = read(&self.storage);
            let entry = storage.get(location)?;
            let meta = entry.meta(location);
            options.check_preconditions(&meta)?;
            let range = match &options.range {
                Some(range) => range.as_range(meta.size).context(RangeSnafu)?,
                None => 0..meta.size,
            };
            // `range` lies within the object, so both ends fit in `usize`.
            let chunk =
                (!options.head).then(|| entry.data.slice(range.start as usize..range.end as usize));
            (meta, range, chunk, entry.attributes.clone())
        };
        let payload = match chunk {
            Some(chunk) => futures::stream::once(futures::future::ready(Ok(chunk))).boxed(),
            None => futures::stream::empty().boxed(),
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(payload),
            meta,
            range,
            attributes,
        })
    }
}

/// How many objects a listing copies out per acquisition of the lock.
const LIST_BATCH: usize = 1000;

impl InMemory {
    /// Lists in batches: each batch is read under the lock and the next resumes after the
    /// last key, so a large listing neither copies the whole store at once nor holds the
    /// lock for long. Like a paginated listing on S3, it sees every object that exists for
    /// its whole duration, in order.
    fn list_stream(
        &self,
        prefix: Option<&Path>,
        offset: Option<&Path>,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let storage = Arc::clone(&self.storage);
        let prefix = prefix.map_or_else(String::new, |p| p.as_ref().to_string());
        let after = offset.map(|o| o.as_ref().to_string());
        futures::stream::unfold(Some(after), move |state| {
            let Some(after) = state else {
                return futures::future::ready(None);
            };
            let batch = read(&storage).list_batch(&prefix, after.as_deref(), LIST_BATCH);
            let next = (batch.len() == LIST_BATCH)
                .then(|| batch.last().map(|m| m.location.as_ref().to_string()));
            futures::future::ready(Some((
                futures::stream::iter(batch.into_iter().map(Ok)),
                next,
            )))
        })
        .flatten()
        .boxed()
    }
}

#[async_trait]
impl ObjectStore for InMemory {
    async fn put(&self, location: &Path, payload: PutPayload) -> Result<PutResult> {
        self.put_now(location, payload, PutOptions::default())
    }

    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.put_now(location, payload, opts)
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        // The parts are kept until completion, which writes them as one put: the object
        // appears atomically, with the attributes given here.
        let opts = PutOptions {
            attributes: opts.attributes,
            tags: opts.tags,
            extensions: opts.extensions,
            ..Default::default()
        };
        let handle = Self {
            storage: Arc::clone(&self.storage),
        };
        Ok(Box::new(BufferedUpload::new(
            Arc::new(handle),
            location.clone(),
            opts,
        )))
    }

    async fn get(&self, location: &Path) -> Result<GetResult> {
        self.get_now(location, GetOptions::default())
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.get_now(location, options)
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let data = read(&self.storage).get(location)?.data.clone();
        ranges.iter().map(|r| slice_range(&data, r)).collect()
    }

    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        Ok(read(&self.storage).get(location)?.meta(location))
    }

    /// Deleting a path where there is no object succeeds.
    async fn delete(&self, location: &Path) -> Result<()> {
        write(&self.storage).map.remove(location);
        Ok(())
    }

    fn delete_stream<'a>(
        &'a self,
        locations: BoxStream<'a, Result<Path>>,
    ) -> BoxStream<'a, Result<Path>> {
        locations
            .map(move |location| {
                let location = location?;
                write(&self.storage).map.remove(&location);
                Ok(location)
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.list_stream(prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.list_stream(prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let prefix = prefix.map_or("", |p| p.as_ref());
        Ok(read(&self.storage).list_level(prefix))
    }

    /// The copy is a new write: it gets a fresh e-tag and modification time, and the
    /// attributes of the source.
    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        write(&self.storage).copy(from, to, false, false)
    }

    /// Atomic: the object disappears from `from` and appears at `to` in one step.
    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        write(&self.storage).copy(from, to, false, true)
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        write(&self.storage).copy(from, to, true, false)
    }

    /// Atomic: no other writer can create `to` between the check and the move.
    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        write(&self.storage).copy(from, to, true, true)
    }
}
