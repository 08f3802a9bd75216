//! # ostore
//!
//! One async API over object storage. Write against the [`ObjectStore`] trait once and run
//! the same code on the local disk, in memory, or (with the backend crates) on S3, Google
//! Cloud Storage, Azure Blob Storage and HTTP/WebDAV servers — switching is a matter of
//! which store you construct.
//!
//! The API is that of the `object_store` crate (0.12 line): code written for it compiles
//! against ostore after renaming the crate. Where ostore does more — compare-and-swap
//! (`PutMode::Update`) and S3 key order on local files, for instance — it adds, it never
//! renames.
//!
//! This crate re-exports everything; depend on `ostore-core` plus a single backend crate
//! (`ostore-local`, `ostore-memory`, ...) to keep the dependency tree small.
//!
//! ## Features
//!
//! - `fs` (default): [`local::LocalFileSystem`].
//! - `memory` (default): [`memory::InMemory`], kept on by default because code written for
//!   `object_store` expects it without a feature.
//! - `http`: `http::HttpStore` for HTTP/WebDAV servers, and the client options, retry
//!   settings and credential providers of the cloud backends (module `client`).
//! - `aws`: `aws::AmazonS3` for Amazon S3 and S3-compatible servers, built with
//!   `aws::AmazonS3Builder` (every configuration key is listed in `docs/s3.md` of the
//!   repository), plus module `client` as with `http`.
//!
//! Module `signer` (the `Signer` trait of stores that presign URLs) comes with `http` or
//! `aws`: it lives in the HTTP transport, which the default features do not pull in.
//!
//! ## A first look
//!
//! Objects are written whole and atomically, read whole, by range or as a stream, and
//! listed by prefix:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ostore::Result<()> {
//! use futures::TryStreamExt;
//! use ostore::{memory::InMemory, path::Path, ObjectStore, PutPayload};
//!
//! let store = InMemory::new();
//! let path = Path::from("data/file01.parquet");
//! store.put(&path, PutPayload::from_static(b"hello world")).await?;
//!
//! let head = store.get_range(&path, 0..5).await?;
//! assert_eq!(&head[..], b"hello");
//!
//! let listed: Vec<_> = store.list(Some(&Path::from("data"))).try_collect().await?;
//! assert_eq!(listed.len(), 1);
//! assert_eq!(listed[0].location, path);
//! assert_eq!(listed[0].size, 11);
//! # Ok(())
//! # }
//! ```
//!
//! ## Optimistic concurrency
//!
//! [`PutMode::Update`] replaces an object only if it is still the version that was read,
//! so a read-modify-write loop never loses an update:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ostore::Result<()> {
//! use ostore::{memory::InMemory, path::Path, Error, ObjectStore, PutMode, UpdateVersion};
//!
//! let store = InMemory::new();
//! let path = Path::from("counter");
//! store.put(&path, "0".into()).await?;
//!
//! loop {
//!     let current = store.get(&path).await?;
//!     let version = UpdateVersion {
//!         e_tag: current.meta.e_tag.clone(),
//!         version: current.meta.version.clone(),
//!     };
//!     let n: u64 = String::from_utf8_lossy(&current.bytes().await?).parse().unwrap();
//!     let next = (n + 1).to_string();
//!     match store.put_opts(&path, next.into(), PutMode::Update(version).into()).await {
//!         Ok(_) => break,
//!         Err(Error::Precondition { .. }) => continue, // someone else won; read again
//!         Err(e) => return Err(e),
//!     }
//! }
//! assert_eq!(&store.get(&path).await?.bytes().await?[..], b"1");
//! # Ok(())
//! # }
//! ```

pub use ostore_core::*;
pub use ostore_registry::{ObjectStoreScheme, parse_url, parse_url_opts};

/// The in-memory store.
#[cfg(feature = "memory")]
pub mod memory {
    pub use ostore_memory::*;
}

/// The local filesystem store.
#[cfg(feature = "fs")]
pub mod local {
    pub use ostore_local::*;
}

/// The HTTP/WebDAV store.
#[cfg(feature = "http")]
pub mod http {
    pub use ostore_http::*;
}

/// The Amazon S3 store, for AWS and S3-compatible servers (MinIO, SeaweedFS, Ceph, R2, ...).
///
/// ```no_run
/// use ostore::aws::{AmazonS3, AmazonS3Builder};
///
/// // Credentials, region and endpoint from the AWS_* environment variables.
/// let store: AmazonS3 = AmazonS3Builder::from_env()
///     .with_bucket_name("my-bucket")
///     .build()?;
/// # Ok::<(), ostore::Error>(())
/// ```
#[cfg(feature = "aws")]
pub mod aws {
    pub use ostore_aws::*;
}

/// Presigned URLs: the [`Signer`](signer::Signer) trait of stores that hand them out
/// (`aws::AmazonS3`).
#[cfg(any(feature = "http", feature = "aws"))]
pub mod signer {
    pub use ostore_transport::Signer;
}

/// The HTTP client shared by the cloud backends: options, retries, credentials.
#[cfg(any(feature = "http", feature = "aws"))]
pub mod client {
    pub use ostore_transport::*;
}

#[cfg(any(feature = "http", feature = "aws"))]
pub use ostore_transport::{
    BackoffConfig, ClientConfigKey, ClientOptions, CredentialProvider, RetryConfig,
    StaticCredentialProvider,
};

/// The README's code examples, compiled as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
