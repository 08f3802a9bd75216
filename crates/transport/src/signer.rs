//! [`Signer`]: stores that hand out presigned URLs, with which a client without credentials
//! may make one request on one object until the URL expires.

use std::time::Duration;

use async_trait::async_trait;
use http::Method;
use ostore_core::Result;
use ostore_core::path::Path;
use url::Url;

/// A store that can presign URLs.
///
/// Whoever holds such a URL can make that request (e.g. `GET` to download, `PUT` to
/// upload) without credentials until it expires, so hand them out like secrets.
#[async_trait]
pub trait Signer: Send + Sync + std::fmt::Debug + 'static {
    /// A URL allowing `method` on `path` for `expires_in`.
    async fn signed_url(&self, method: Method, path: &Path, expires_in: Duration) -> Result<Url>;

    /// [`signed_url`](Self::signed_url) for each of `paths`, in order.
    async fn signed_urls(
        &self,
        method: Method,
        paths: &[Path],
        expires_in: Duration,
    ) -> Result<Vec<Url>> {
        let mut urls = Vec::with_capacity(paths.len());
        for path in paths {
            urls.push(self.signed_url(method.clone(), path, expires_in).await?);
        }
        Ok(urls)
    }
}
