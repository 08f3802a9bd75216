//! An [`ObjectStore`] over a WebDAV server (Apache `mod_dav`, nginx, rclone, ...), on the
//! shared ostore transport; the API follows object_store 0.12's `http` module.
//!
//! Objects are files below a base URL; each path segment is percent-encoded into the URL,
//! so any [`Path`] round-trips exactly. Writes create missing parent collections (MKCOL);
//! listings use `PROPFIND` and are sorted by key, as on S3.
//!
//! ```no_run
//! # async fn demo() -> ostore_core::Result<()> {
//! use ostore_core::{ObjectStore, path::Path};
//! use ostore_http::HttpBuilder;
//!
//! let store = HttpBuilder::new()
//!     .with_url("https://dav.example.com/data")
//!     .with_bearer_token("token")
//!     .build()?;
//! store.put(&Path::from("a/b.txt"), "hello".into()).await?;
//! let bytes = store.get(&Path::from("a/b.txt")).await?.bytes().await?;
//! assert_eq!(&bytes[..], b"hello");
//! # Ok(()) }
//! ```
//!
//! What a WebDAV server cannot do, the store refuses with a typed error rather than pretend:
//! object versions, attributes other than `Content-Type` (and none are read back: servers
//! derive the content type from the name), an object and a "directory" of one name (`a`
//! and `a/b`), and conditional puts on servers that ignore them or do not apply them
//! atomically (see [`HttpBuilder::with_conditional_put`]). Deleting a missing object is
//! `NotFound`.
//!
//! Quirks handled: a `HEAD` without `Content-Length` (Apache, empty files) falls back to
//! `PROPFIND Depth: 0`; GET/HEAD of a collection (404 or 405) is `NotFound`; `delete` and
//! `rename` check with `PROPFIND` that the source is a file first (a DELETE of a collection
//! removes its tree, and rclone's MOVE deletes the destination before noticing a missing
//! source); `If-Modified-Since` / `If-Unmodified-Since` are compared here, not by the
//! server (Apache ignores dates in the future). A server refusing `PROPFIND Depth: infinity` (403
//! `propfind-finite-depth`, 400 or 501, the latter not retried) is walked with `Depth: 1`,
//! and the refusal is remembered for later listings.
//!
//! Empty collections left behind by deletes are never reported: `list_with_delimiter` is
//! computed from the recursive listing, so a common prefix always holds an object.

mod builder;
mod client;
mod propfind;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use ostore_core::path::Path;
use ostore_core::{
    BufferedUpload, Error, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

pub use builder::HttpBuilder;
pub use ostore_transport::{ClientConfigKey, ClientOptions, RetryConfig};

use client::DavClient;
use ostore_transport::resume::resumable_result;

/// How many times one download may be resumed after its body broke off.
const MAX_RESUMES: usize = 5;

/// The store name in errors.
pub(crate) const STORE: &str = "HTTP";

/// An [`ObjectStore`] on a WebDAV server; build it with [`HttpBuilder`].
#[derive(Debug, Clone)]
pub struct HttpStore {
    client: Arc<DavClient>,
}

impl fmt::Display for HttpStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpStore({})", self.client.base())
    }
}

#[async_trait]
impl ObjectStore for HttpStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.client.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let opts = PutOptions {
            attributes: opts.attributes,
            tags: opts.tags,
            extensions: opts.extensions,
            ..Default::default()
        };
        // Refuse what the final PUT would refuse before any part is taken.
        if let Some((a, _)) = opts
            .attributes
            .iter()
            .find(|(a, _)| **a != ostore_core::Attribute::ContentType)
        {
            return Err(Error::NotSupported {
                source: format!("a WebDAV server keeps no attribute {a:?}").into(),
            });
        }
        // A WebDAV server has no multipart API: the parts are buffered and sent as one
        // streaming PUT of their chunks on completion.
        Ok(Box::new(BufferedUpload::new(
            Arc::new(self.clone()),
            location.clone(),
            opts,
        )))
    }

    /// A body that breaks off part-way is resumed with a ranged request conditional on the
    /// e-tag of the first answer (see [`ostore_transport::resume`]).
    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let head = options.head;
        let result = self.client.get_opts(location, options).await?;
        if head {
            return Ok(result);
        }
        let fetch_rest = DavClient::fetch_rest(&self.client, location);
        Ok(resumable_result(STORE, result, MAX_RESUMES, fetch_rest))
    }

    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        self.client.head(location).await
    }

    async fn delete(&self, location: &Path) -> Result<()> {
        self.client.delete(location).await
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let client = Arc::clone(&self.client);
        let prefix = prefix.cloned();
        futures::stream::once(async move { client.list_all(prefix.as_ref()).await })
            .map(|result| match result {
                Ok(metas) => futures::stream::iter(metas.into_iter().map(Ok)).left_stream(),
                Err(e) => futures::stream::once(async { Err(e) }).right_stream(),
            })
            .flatten()
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let depth = prefix.map_or(0, Path::parts_count);
        let mut prefixes = BTreeSet::new();
        let mut objects = Vec::new();
        for meta in self.client.list_all(prefix).await? {
            if meta.location.parts_count() == depth + 1 {
                objects.push(meta);
            } else if let Some(part) = meta.location.parts().nth(depth) {
                let p = match prefix {
                    Some(p) => p.child(part),
                    None => Path::from_iter([part]),
                };
                prefixes.insert(p);
            }
        }
        Ok(ListResult {
            common_prefixes: prefixes.into_iter().collect(),
            objects,
        })
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        self.client.transfer(from, to, false, true).await
    }

    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.client.transfer(from, to, true, true).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.client.transfer(from, to, false, false).await
    }

    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.client.transfer(from, to, true, false).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> HttpStore {
        HttpBuilder::new()
            .with_url("https://h/dav")
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn refused_options_fail_before_any_request() {
        let store = store();
        let attrs = ostore_core::Attributes::from_iter([(
            ostore_core::Attribute::CacheControl,
            "no-cache",
        )]);
        let err = store
            .put_multipart_opts(&Path::from("x"), attrs.clone().into())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
        let err = store
            .put_opts(&Path::from("x"), "b".into(), attrs.into())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
        let opts = GetOptions {
            version: Some("1".into()),
            ..Default::default()
        };
        let err = store.get_opts(&Path::from("x"), opts).await.unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
        let store = HttpBuilder::new()
            .with_url("https://h/dav")
            .with_conditional_put(false)
            .build()
            .unwrap();
        for mode in [
            ostore_core::PutMode::Create,
            ostore_core::PutMode::Update(ostore_core::UpdateVersion {
                e_tag: Some("\"e\"".into()),
                version: None,
            }),
        ] {
            let err = store
                .put_opts(&Path::from("x"), "b".into(), mode.into())
                .await
                .unwrap_err();
            assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
        }
    }
}
