//! [`PrefixStore`]: a view of another store rooted at a fixed path prefix.

use crate::multipart::{MultipartId, MultipartStore, PartId};
use crate::path::Path;
use crate::{
    GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use std::fmt;
use std::ops::Range;

/// Wraps a store so that every path is relative to `prefix`.
///
/// Paths given to the wrapper are joined onto the prefix before reaching the inner store,
/// and paths coming back (listings, metadata) have it removed again, so the wrapper looks
/// like a store of its own that holds only what lies under the prefix.
///
/// ```
/// use ostore_core::prefix::PrefixStore;
/// use ostore_core::{ObjectStore, PutPayload, Result, path::Path};
/// use std::sync::Arc;
///
/// async fn tenant(store: Arc<dyn ObjectStore>) -> Result<()> {
///     let tenant = PrefixStore::new(store, "tenants/42");
///     // Written to `tenants/42/config.json` in the inner store.
///     tenant.put(&Path::from("config.json"), PutPayload::from_static(b"{}")).await?;
///     let meta = tenant.head(&Path::from("config.json")).await?;
///     assert_eq!(meta.location, Path::from("config.json"));
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct PrefixStore<T: ObjectStore> {
    prefix: Path,
    inner: T,
}

impl<T: ObjectStore> fmt::Display for PrefixStore<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrefixObjectStore({})", self.prefix)
    }
}

impl<T: ObjectStore> PrefixStore<T> {
    /// Wraps `store` so that every path is taken relative to `prefix`.
    pub fn new(store: T, prefix: impl Into<Path>) -> Self {
        Self {
            prefix: prefix.into(),
            inner: store,
        }
    }

    /// The inner path for `location`: the prefix followed by its parts.
    fn full_path(&self, location: &Path) -> Path {
        self.prefix.parts().chain(location.parts()).collect()
    }

    /// The inner path of an optional listing prefix; `None` lists the whole prefix.
    fn full_prefix(&self, prefix: Option<&Path>) -> Path {
        match prefix {
            Some(p) => self.full_path(p),
            None => self.prefix.clone(),
        }
    }

    /// Removes the prefix from an inner path. Paths outside the prefix, which a correct
    /// inner store never returns, are passed through unchanged.
    fn strip_prefix(prefix: &Path, path: Path) -> Path {
        let stripped: Option<Path> = path.prefix_match(prefix).map(Iterator::collect);
        stripped.unwrap_or(path)
    }

    fn strip_meta(prefix: &Path, meta: ObjectMeta) -> ObjectMeta {
        ObjectMeta {
            location: Self::strip_prefix(prefix, meta.location),
            ..meta
        }
    }
}

#[async_trait]
impl<T: ObjectStore> ObjectStore for PrefixStore<T> {
    async fn put(&self, location: &Path, payload: PutPayload) -> Result<PutResult> {
        self.inner.put(&self.full_path(location), payload).await
    }

    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let full = self.full_path(location);
        self.inner.put_opts(&full, payload, opts).await
    }

    async fn put_multipart(&self, location: &Path) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart(&self.full_path(location)).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let full = self.full_path(location);
        self.inner.put_multipart_opts(&full, opts).await
    }

    async fn get(&self, location: &Path) -> Result<GetResult> {
        let result = self.inner.get(&self.full_path(location)).await?;
        Ok(GetResult {
            meta: Self::strip_meta(&self.prefix, result.meta),
            ..result
        })
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let full = self.full_path(location);
        let result = self.inner.get_opts(&full, options).await?;
        Ok(GetResult {
            meta: Self::strip_meta(&self.prefix, result.meta),
            ..result
        })
    }

    async fn get_range(&self, location: &Path, range: Range<u64>) -> Result<Bytes> {
        self.inner.get_range(&self.full_path(location), range).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner
            .get_ranges(&self.full_path(location), ranges)
            .await
    }

    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        let meta = self.inner.head(&self.full_path(location)).await?;
        Ok(Self::strip_meta(&self.prefix, meta))
    }

    async fn delete(&self, location: &Path) -> Result<()> {
        self.inner.delete(&self.full_path(location)).await
    }

    fn delete_stream<'a>(
        &'a self,
        locations: BoxStream<'a, Result<Path>>,
    ) -> BoxStream<'a, Result<Path>> {
        let inner_locations = locations.map_ok(|p| self.full_path(&p)).boxed();
        self.inner
            .delete_stream(inner_locations)
            .map_ok(|p| Self::strip_prefix(&self.prefix, p))
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let full = self.full_prefix(prefix);
        let strip = self.prefix.clone();
        self.inner
            .list(Some(&full))
            .map_ok(move |meta| Self::strip_meta(&strip, meta))
            .boxed()
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let full = self.full_prefix(prefix);
        let offset = self.full_path(offset);
        let strip = self.prefix.clone();
        self.inner
            .list_with_offset(Some(&full), &offset)
            .map_ok(move |meta| Self::strip_meta(&strip, meta))
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let full = self.full_prefix(prefix);
        let result = self.inner.list_with_delimiter(Some(&full)).await?;
        Ok(ListResult {
            common_prefixes: result
                .common_prefixes
                .into_iter()
                .map(|p| Self::strip_prefix(&self.prefix, p))
                .collect(),
            objects: result
                .objects
                .into_iter()
                .map(|m| Self::strip_meta(&self.prefix, m))
                .collect(),
        })
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        let (from, to) = (self.full_path(from), self.full_path(to));
        self.inner.copy(&from, &to).await
    }

    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let (from, to) = (self.full_path(from), self.full_path(to));
        self.inner.rename(&from, &to).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        let (from, to) = (self.full_path(from), self.full_path(to));
        self.inner.copy_if_not_exists(&from, &to).await
    }

    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        let (from, to) = (self.full_path(from), self.full_path(to));
        self.inner.rename_if_not_exists(&from, &to).await
    }
}

#[async_trait]
impl<T: ObjectStore + MultipartStore> MultipartStore for PrefixStore<T> {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        self.inner.create_multipart(&self.full_path(path)).await
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let full = self.full_path(path);
        self.inner.put_part(&full, id, part_idx, data).await
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let full = self.full_path(path);
        self.inner.complete_multipart(&full, id, parts).await
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()> {
        self.inner.abort_multipart(&self.full_path(path), id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TestStore;

    async fn keys(store: &dyn ObjectStore, prefix: Option<&Path>) -> Vec<String> {
        let mut keys: Vec<String> = store
            .list(prefix)
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .unwrap();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn paths_are_prefixed_and_stripped() {
        let inner = TestStore::new();
        inner.put(&"outside".into(), "x".into()).await.unwrap();
        inner.put(&"pre/fixed".into(), "x".into()).await.unwrap();
        let store = PrefixStore::new(inner.clone(), "pre/fix");
        assert_eq!(store.to_string(), "PrefixObjectStore(pre/fix)");

        store.put(&"a/b.txt".into(), "ab".into()).await.unwrap();
        store.put(&"c.txt".into(), "c".into()).await.unwrap();
        assert_eq!(
            inner
                .get(&"pre/fix/a/b.txt".into())
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
            "ab"
        );

        let got = store.get(&"a/b.txt".into()).await.unwrap();
        assert_eq!(got.meta.location, Path::from("a/b.txt"));
        assert_eq!(got.bytes().await.unwrap(), "ab");
        assert_eq!(
            store.head(&"c.txt".into()).await.unwrap().location,
            "c.txt".into()
        );
        assert_eq!(store.get_range(&"a/b.txt".into(), 1..2).await.unwrap(), "b");
        let ranges = store
            .get_ranges(&"a/b.txt".into(), &[0..1, 1..2])
            .await
            .unwrap();
        assert_eq!(ranges, vec![Bytes::from("a"), Bytes::from("b")]);

        // `pre/fixed` shares the text but not the segment, so it is not listed.
        assert_eq!(keys(&store, None).await, ["a/b.txt", "c.txt"]);
        assert_eq!(keys(&store, Some(&"a".into())).await, ["a/b.txt"]);
        let after: Vec<_> = store
            .list_with_offset(None, &"a/b.txt".into())
            .map_ok(|m| m.location)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(after, vec![Path::from("c.txt")]);

        let listing = store.list_with_delimiter(None).await.unwrap();
        assert_eq!(listing.common_prefixes, vec![Path::from("a")]);
        let objects: Vec<_> = listing.objects.into_iter().map(|m| m.location).collect();
        assert_eq!(objects, vec![Path::from("c.txt")]);
        let listing = store.list_with_delimiter(Some(&"a".into())).await.unwrap();
        assert_eq!(listing.objects[0].location, Path::from("a/b.txt"));
    }

    #[tokio::test]
    async fn copy_rename_delete_stay_inside() {
        let inner = TestStore::new();
        let store = PrefixStore::new(inner.clone(), "p");
        store.put(&"a".into(), "1".into()).await.unwrap();
        store.copy(&"a".into(), &"b".into()).await.unwrap();
        store.rename(&"b".into(), &"c".into()).await.unwrap();
        let err = store.copy_if_not_exists(&"a".into(), &"c".into()).await;
        assert!(matches!(err, Err(crate::Error::AlreadyExists { .. })));
        store
            .rename_if_not_exists(&"c".into(), &"d".into())
            .await
            .unwrap();
        assert_eq!(keys(&inner, None).await, ["p/a", "p/d"]);

        let deleted: Vec<Path> = store
            .delete_stream(futures::stream::iter([Ok(Path::from("a"))]).boxed())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(deleted, vec![Path::from("a")]);
        store.delete(&"d".into()).await.unwrap();
        assert!(keys(&inner, None).await.is_empty());
    }

    #[tokio::test]
    async fn multipart_goes_under_prefix() {
        let inner = TestStore::new();
        let store = PrefixStore::new(inner.clone(), "p");
        let mut upload = store.put_multipart(&"m".into()).await.unwrap();
        upload.put_part("ab".into()).await.unwrap();
        upload.complete().await.unwrap();

        let id = MultipartStore::create_multipart(&store, &"n".into())
            .await
            .unwrap();
        let part = store
            .put_part(&"n".into(), &id, 0, "cd".into())
            .await
            .unwrap();
        store
            .complete_multipart(&"n".into(), &id, vec![part])
            .await
            .unwrap();
        assert_eq!(keys(&inner, None).await, ["p/m", "p/n"]);
        assert_eq!(
            store.get(&"n".into()).await.unwrap().bytes().await.unwrap(),
            "cd"
        );
    }
}
