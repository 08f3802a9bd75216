//! Amazon S3 and S3-compatible object stores (MinIO, SeaweedFS, Cloudflare R2, Ceph, ...)
//! for ostore; the API follows object_store 0.12's `aws` module.
//!
//! [`AmazonS3`] is built with [`AmazonS3Builder`] from code, the environment (`AWS_*`
//! variables), a URL or configuration keys ([`AmazonS3ConfigKey`]). Requests are signed with
//! AWS Signature Version 4 ([`credential`]); credentials come from the builder or from the
//! chain of static keys, web identity, container and pod identity endpoints, profile files
//! and instance metadata.
//!
//! ```no_run
//! # async fn demo() -> ostore_core::Result<()> {
//! use ostore_aws::AmazonS3Builder;
//! use ostore_core::{ObjectStore, path::Path};
//!
//! // Against AWS: bucket, region and credentials from AWS_* variables.
//! let s3 = AmazonS3Builder::from_env().with_bucket_name("my-bucket").build()?;
//!
//! // Against an S3-compatible server.
//! let minio = AmazonS3Builder::new()
//!     .with_endpoint("http://localhost:9000")
//!     .with_bucket_name("data")
//!     .with_access_key_id("minio")
//!     .with_secret_access_key("minio123")
//!     .with_allow_http(true)
//!     .build()?;
//!
//! minio.put(&Path::from("a/b.txt"), "hello".into()).await?;
//! let bytes = minio.get(&Path::from("a/b.txt")).await?.bytes().await?;
//! assert_eq!(&bytes[..], b"hello");
//! # let _ = s3;
//! # Ok(()) }
//! ```
//!
//! Beyond the [`ObjectStore`] methods the store implements [`MultipartStore`] (uploads
//! driven by id), [`PaginatedListStore`] (one `ListObjectsV2` page per call) and [`Signer`]
//! (presigned URLs; [`AmazonS3::signed_url_with`] adds query parameters and signed
//! headers).
//!
//! Behaviour worth knowing:
//! - Conditional puts use `If-None-Match: *` / `If-Match` ([`S3ConditionalPut`]);
//!   `copy_if_not_exists` needs a mode ([`S3CopyIfNotExists`]), as S3 has no single one.
//! - Attribute values that S3 or SigV4 would alter (non-ASCII, runs of spaces) travel as
//!   RFC 2047 encoded words and are decoded when read, so every value round-trips.
//! - `GetOptions` e-tag lists and `If-Match: *` are checked against the answer's e-tag here,
//!   since S3 takes a single e-tag; a date condition superseded by an e-tag condition of its
//!   kind is not sent (RFC 9110).
//! - A `200` answer whose body is an `<Error>` (CopyObject, CompleteMultipartUpload,
//!   DeleteObjects) is an error, retried when S3 asks for it (`InternalError`, `SlowDown`).
//! - Listings skip keys that are no valid [`Path`] (directory markers such as `dir/`);
//!   deleting a missing object succeeds, as on S3.
//! - Downloads that break off are resumed from the next byte while the e-tag is unchanged.
//! - S3 Express One Zone directory buckets sign with `CreateSession` credentials.

mod attributes;
mod builder;
mod checksum;
mod client;
pub mod credential;
mod express;
mod list;
mod multipart;
mod precondition;
mod providers;
mod xml;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt, stream};
use http::{HeaderMap, Method};
use ostore_core::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use ostore_core::multipart::{MultipartId, MultipartStore, PartId};
use ostore_core::path::Path;
use ostore_core::{
    Error, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use ostore_transport::CredentialProvider;
use ostore_transport::resume::resumable_result;
use url::Url;

pub use builder::{AmazonS3Builder, AmazonS3ConfigKey, S3EncryptionConfigKey, S3EncryptionType};
pub use checksum::Checksum;
pub use credential::{
    AwsAuthorizer, AwsCredential, EMPTY_SHA256_HASH, UNSIGNED_PAYLOAD, hex_sha256,
};
pub use ostore_transport::Signer;
pub use precondition::{S3ConditionalPut, S3CopyIfNotExists};

use client::{CopyMode, S3Client};
use multipart::S3MultipartUpload;

/// The store name in errors.
pub(crate) const STORE: &str = "S3";

/// How many times one download may be resumed after its body broke off.
const MAX_RESUMES: usize = 5;

/// How many `DeleteObjects` requests of one `delete_stream` run at once.
const DELETE_CONCURRENCY: usize = 20;

/// The most keys one `DeleteObjects` request takes.
const DELETE_BATCH: usize = 1000;

/// A source of [`AwsCredential`]s, shared by the requests of a store.
pub type AwsCredentialProvider = Arc<dyn CredentialProvider<Credential = AwsCredential>>;

/// An [`ObjectStore`] on an S3 bucket; build it with [`AmazonS3Builder`].
#[derive(Debug, Clone)]
pub struct AmazonS3 {
    client: Arc<S3Client>,
}

impl fmt::Display for AmazonS3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmazonS3({})", self.client.config.bucket)
    }
}

impl AmazonS3 {
    /// The credential provider the store signs with.
    pub fn credentials(&self) -> &AwsCredentialProvider {
        &self.client.config.credentials
    }

    /// A presigned URL for `method` on `path`, valid for `expires_in`, with extra `query`
    /// parameters (e.g. `response-content-disposition`) and `headers` that are signed too:
    /// the request made with the URL must carry exactly those header values.
    pub async fn signed_url_with(
        &self,
        method: Method,
        path: &Path,
        expires_in: Duration,
        query: &[(&str, &str)],
        headers: &HeaderMap,
    ) -> Result<Url> {
        let mut url = Url::parse(&self.client.object_url(path))
            .map_err(|e| Error::generic(STORE, format!("invalid object URL: {e}")))?;
        if !query.is_empty() {
            // RFC 3986 encoding (a space is `%20`), the form SigV4 signs; `form_urlencoded`
            // would write `+`, which S3 reads as a space but the signature would not.
            let mut encoded = String::new();
            for (name, value) in query {
                if !encoded.is_empty() {
                    encoded.push('&');
                }
                encoded.push_str(&client::encode_query(name).to_string());
                encoded.push('=');
                encoded.push_str(&client::encode_query(value).to_string());
            }
            url.set_query(Some(&encoded));
        }
        if let Some(credential) = self.client.credential().await? {
            AwsAuthorizer::new(&credential, "s3", &self.client.config.region)
                .presign_with_headers(&method, &mut url, expires_in, Utc::now(), headers)?;
        }
        Ok(url)
    }
}

#[async_trait]
impl Signer for AmazonS3 {
    async fn signed_url(&self, method: Method, path: &Path, expires_in: Duration) -> Result<Url> {
        self.signed_url_with(method, path, expires_in, &[], &HeaderMap::new())
            .await
    }
}

#[async_trait]
impl ObjectStore for AmazonS3 {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.client.put(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let headers = self
            .client
            .object_headers(location, &opts.attributes, &opts.tags)?;
        let upload_id = self.client.create_multipart(location, headers).await?;
        Ok(Box::new(S3MultipartUpload::new(
            Arc::clone(&self.client),
            location.clone(),
            upload_id,
        )))
    }

    /// A body that breaks off part-way is resumed with a ranged request conditional on the
    /// e-tag of the first answer (see [`ostore_transport::resume`]).
    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let result = self.client.get(location, &options).await?;
        if options.head {
            return Ok(result);
        }
        let fetch_rest = S3Client::fetch_rest(&self.client, location, options.version.clone());
        Ok(resumable_result(STORE, result, MAX_RESUMES, fetch_rest))
    }

    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        let options = GetOptions {
            head: true,
            ..Default::default()
        };
        Ok(self.client.get(location, &options).await?.meta)
    }

    async fn delete(&self, location: &Path) -> Result<()> {
        self.client.delete(location).await
    }

    /// Deletes with `DeleteObjects`, up to 1000 keys per request and 20 requests at once;
    /// a key S3 could not delete comes back as an error naming it.
    fn delete_stream<'a>(
        &'a self,
        locations: BoxStream<'a, Result<Path>>,
    ) -> BoxStream<'a, Result<Path>> {
        let client = Arc::clone(&self.client);
        locations
            .try_chunks(DELETE_BATCH)
            .map(move |chunk| {
                let client = Arc::clone(&client);
                async move {
                    let (paths, input_error) = match chunk {
                        Ok(paths) => (paths, None),
                        Err(e) => (e.0, Some(e.1)),
                    };
                    let mut results = if paths.is_empty() {
                        Vec::new()
                    } else {
                        match client.bulk_delete(paths).await {
                            Ok(results) => results,
                            Err(e) => vec![Err(e)],
                        }
                    };
                    results.extend(input_error.map(Err));
                    stream::iter(results)
                }
            })
            .buffered(DELETE_CONCURRENCY)
            .flatten()
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        list::list_stream(Arc::clone(&self.client), prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        list::list_stream(Arc::clone(&self.client), prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        list::list_with_delimiter(&self.client, prefix).await
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        self.client.copy(from, to, CopyMode::Overwrite).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.client.copy(from, to, CopyMode::Create).await
    }

    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.client.copy(from, to, CopyMode::Overwrite).await?;
        self.client.delete(from).await
    }

    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.client.copy(from, to, CopyMode::Create).await?;
        self.client.delete(from).await
    }
}

#[async_trait]
impl MultipartStore for AmazonS3 {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        let headers = self
            .client
            .object_headers(path, &Default::default(), &Default::default())?;
        self.client.create_multipart(path, headers).await
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        self.client.put_part(path, id, part_idx, data).await
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        self.client.complete_multipart(path, id, parts, false).await
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()> {
        self.client.abort_multipart(path, id).await
    }
}

#[async_trait]
impl PaginatedListStore for AmazonS3 {
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> Result<PaginatedListResult> {
        let req = list::ListRequest {
            prefix,
            delimiter: opts.delimiter.as_deref(),
            start_after: opts.offset.as_deref(),
            token: opts.page_token.as_deref(),
            max_keys: opts.max_keys,
        };
        let page = self.client.list_page(&req).await?;
        Ok(PaginatedListResult {
            result: page.result,
            page_token: page.next,
        })
    }
}
