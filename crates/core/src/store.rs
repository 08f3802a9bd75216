//! The [`ObjectStore`] trait: one async API over every storage backend.

use crate::path::Path;
use crate::{
    GetOptions, GetResult, ListResult, MultipartUpload, OBJECT_STORE_COALESCE_DEFAULT, ObjectMeta,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result, coalesce_ranges,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use std::fmt::{Debug, Display};
use std::ops::Range;
use std::sync::Arc;

/// A dynamically dispatched object store.
pub type DynObjectStore = dyn ObjectStore;

/// Universal API over object stores and local files.
///
/// Every write is atomic: a reader sees either the old object or the new one, never a part.
/// Methods with a default implementation express their semantics in terms of the required
/// ones; stores override them where the service offers something faster.
///
/// ```
/// use ostore_core::{ObjectStore, PutPayload, Result, path::Path};
///
/// async fn roundtrip(store: &dyn ObjectStore) -> Result<()> {
///     let path = Path::from("data/file1");
///     store.put(&path, PutPayload::from_static(b"hello")).await?;
///     let bytes = store.get(&path).await?.bytes().await?;
///     assert_eq!(&bytes[..], b"hello");
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait ObjectStore: Display + Send + Sync + Debug + 'static {
    /// Writes `payload` to `location`, replacing any object there.
    async fn put(&self, location: &Path, payload: PutPayload) -> Result<PutResult> {
        self.put_opts(location, payload, PutOptions::default())
            .await
    }

    /// Writes `payload` to `location` with options (mode, tags, attributes).
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult>;

    /// Starts a multipart upload to `location`; the object appears only on completion.
    async fn put_multipart(&self, location: &Path) -> Result<Box<dyn MultipartUpload>> {
        self.put_multipart_opts(location, PutMultipartOptions::default())
            .await
    }

    /// Starts a multipart upload with options.
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>>;

    /// Reads the object at `location`.
    async fn get(&self, location: &Path) -> Result<GetResult> {
        self.get_opts(location, GetOptions::default()).await
    }

    /// Reads the object at `location` with conditions, a range or a version.
    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult>;

    /// Reads the bytes `range` of the object at `location`.
    async fn get_range(&self, location: &Path, range: Range<u64>) -> Result<Bytes> {
        let options = GetOptions {
            range: Some(range.into()),
            ..Default::default()
        };
        self.get_opts(location, options).await?.bytes().await
    }

    /// Reads several ranges of one object, coalescing close ranges into fewer requests.
    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        coalesce_ranges(
            ranges,
            |range| self.get_range(location, range),
            OBJECT_STORE_COALESCE_DEFAULT,
        )
        .await
    }

    /// Reads the metadata of the object at `location`.
    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        let options = GetOptions {
            head: true,
            ..Default::default()
        };
        Ok(self.get_opts(location, options).await?.meta)
    }

    /// Deletes the object at `location`.
    async fn delete(&self, location: &Path) -> Result<()>;

    /// Deletes a stream of paths, yielding each path once it is deleted.
    ///
    /// The order of the output may differ from the input. Stores with a bulk delete API
    /// override this.
    fn delete_stream<'a>(
        &'a self,
        locations: BoxStream<'a, Result<Path>>,
    ) -> BoxStream<'a, Result<Path>> {
        locations
            .map(move |location| async move {
                let location = location?;
                self.delete(&location).await?;
                Ok(location)
            })
            .buffered(10)
            .boxed()
    }

    /// Lists every object under `prefix` (segment-wise: `foo` matches `foo/bar`, not
    /// `foobar`), recursively.
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>>;

    /// Lists every object under `prefix` whose path sorts strictly after `offset`.
    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let offset = offset.clone();
        self.list(prefix)
            .try_filter(move |meta| futures::future::ready(meta.location > offset))
            .boxed()
    }

    /// Lists the objects directly under `prefix` and the prefixes one level below it.
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult>;

    /// Copies an object, replacing any object at `to`.
    async fn copy(&self, from: &Path, to: &Path) -> Result<()>;

    /// Moves an object, replacing any object at `to`.
    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.copy(from, to).await?;
        self.delete(from).await
    }

    /// Copies an object only if nothing exists at `to`, else fails with `AlreadyExists`.
    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()>;

    /// Moves an object only if nothing exists at `to`, else fails with `AlreadyExists`.
    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.copy_if_not_exists(from, to).await?;
        self.delete(from).await
    }
}

/// Implements [`ObjectStore`] for a smart pointer to a store by forwarding every method, so
/// that overridden methods of the inner store are used.
macro_rules! forward_object_store {
    ($ty:ty) => {
        #[async_trait]
        impl ObjectStore for $ty {
            async fn put(&self, location: &Path, payload: PutPayload) -> Result<PutResult> {
                self.as_ref().put(location, payload).await
            }
            async fn put_opts(
                &self,
                location: &Path,
                payload: PutPayload,
                opts: PutOptions,
            ) -> Result<PutResult> {
                self.as_ref().put_opts(location, payload, opts).await
            }
            async fn put_multipart(&self, location: &Path) -> Result<Box<dyn MultipartUpload>> {
                self.as_ref().put_multipart(location).await
            }
            async fn put_multipart_opts(
                &self,
                location: &Path,
                opts: PutMultipartOptions,
            ) -> Result<Box<dyn MultipartUpload>> {
                self.as_ref().put_multipart_opts(location, opts).await
            }
            async fn get(&self, location: &Path) -> Result<GetResult> {
                self.as_ref().get(location).await
            }
            async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
                self.as_ref().get_opts(location, options).await
            }
            async fn get_range(&self, location: &Path, range: Range<u64>) -> Result<Bytes> {
                self.as_ref().get_range(location, range).await
            }
            async fn get_ranges(
                &self,
                location: &Path,
                ranges: &[Range<u64>],
            ) -> Result<Vec<Bytes>> {
                self.as_ref().get_ranges(location, ranges).await
            }
            async fn head(&self, location: &Path) -> Result<ObjectMeta> {
                self.as_ref().head(location).await
            }
            async fn delete(&self, location: &Path) -> Result<()> {
                self.as_ref().delete(location).await
            }
            fn delete_stream<'a>(
                &'a self,
                locations: BoxStream<'a, Result<Path>>,
            ) -> BoxStream<'a, Result<Path>> {
                self.as_ref().delete_stream(locations)
            }
            fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
                self.as_ref().list(prefix)
            }
            fn list_with_offset(
                &self,
                prefix: Option<&Path>,
                offset: &Path,
            ) -> BoxStream<'static, Result<ObjectMeta>> {
                self.as_ref().list_with_offset(prefix, offset)
            }
            async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
                self.as_ref().list_with_delimiter(prefix).await
            }
            async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
                self.as_ref().copy(from, to).await
            }
            async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
                self.as_ref().rename(from, to).await
            }
            async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
                self.as_ref().copy_if_not_exists(from, to).await
            }
            async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
                self.as_ref().rename_if_not_exists(from, to).await
            }
        }
    };
}

forward_object_store!(Arc<dyn ObjectStore>);
forward_object_store!(Box<dyn ObjectStore>);
