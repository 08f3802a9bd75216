//! # ostore-registry
//!
//! Turns a URL into an object store: `s3://bucket/data` becomes an S3 store plus the object
//! path `data`, `file:///tmp/x` the local file system plus `tmp/x`, and so on, so an
//! application can take its storage location as a single configuration string.
//!
//! - [`ObjectStoreScheme::parse`] only reads a URL: which kind of store, which object path.
//! - [`parse_url`] and [`parse_url_opts`] also build the store, the latter with options
//!   (credentials, region, client settings) given as key–value pairs.
//!
//! The API is that of `object_store` 0.12 (`object_store::{parse_url, parse_url_opts,
//! ObjectStoreScheme}`); the `ostore` facade re-exports it at its root.
//!
//! ## Features
//!
//! Each backend is compiled in by a feature; a URL for a backend that is not compiled in is
//! still recognised, and building it fails with [`Error::FeatureDisabled`].
//!
//! | feature | URLs | store |
//! |---------|------|-------|
//! | `fs` (default) | `file://` | `ostore_local::LocalFileSystem` |
//! | `memory` (default) | `memory://` | `ostore_memory::InMemory` |
//! | `aws` | `s3://`, `s3a://`, AWS and Cloudflare R2 `https://` | `ostore_aws::AmazonS3` |
//! | `http` | any other `http://` or `https://` | `ostore_http::HttpStore` |
//!
//! Google Cloud Storage and Azure URLs are recognised but have no backend yet
//! ([`Error::NoBackend`]).
//!
//! ## Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ostore_core::{ObjectStore, PutPayload};
//! use ostore_registry::{parse_url, ObjectStoreScheme};
//! use url::Url;
//!
//! let url = Url::parse("memory:///reports/2024/summary.txt")?;
//! # #[cfg(feature = "memory")] {
//! let (store, path) = parse_url(&url)?;
//! assert_eq!(path.as_ref(), "reports/2024/summary.txt");
//!
//! store.put(&path, PutPayload::from_static(b"all good")).await?;
//! let bytes = store.get(&path).await?.bytes().await?;
//! assert_eq!(&bytes[..], b"all good");
//! # }
//!
//! // Recognising a URL needs no backend.
//! let url = Url::parse("gs://bucket/a/b")?;
//! let (scheme, path) = ObjectStoreScheme::parse(&url)?;
//! assert_eq!(scheme, ObjectStoreScheme::GoogleCloudStorage);
//! assert_eq!(path.as_ref(), "a/b");
//! # Ok(())
//! # }
//! ```

use ostore_core::ObjectStore;
use ostore_core::path::{self, Path};
use snafu::Snafu;
use url::Url;

mod scheme;

pub use scheme::ObjectStoreScheme;

/// Why a URL could not be turned into a store.
///
/// [`ObjectStoreScheme::parse`] returns it directly. [`parse_url`] and [`parse_url_opts`]
/// return it inside [`ostore_core::Error::Generic`], as `object_store` does: with store
/// name `"URL"` for a URL that is not understood ([`Unrecognised`](Self::Unrecognised),
/// [`Path`](Self::Path)) and `"parse_url"` for a store that cannot be built
/// ([`FeatureDisabled`](Self::FeatureDisabled), [`NoBackend`](Self::NoBackend)). The
/// source can be downcast back to this type:
///
/// ```
/// use ostore_registry::{parse_url, Error, ObjectStoreScheme};
///
/// let url = url::Url::parse("gs://bucket/a").unwrap();
/// let err = parse_url(&url).err().unwrap();
/// let ostore_core::Error::Generic { source, .. } = &err else { panic!("{err}") };
/// assert!(matches!(
///     source.downcast_ref::<Error>(),
///     Some(Error::NoBackend { scheme: ObjectStoreScheme::GoogleCloudStorage })
/// ));
/// ```
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// The URL names no kind of store [`ObjectStoreScheme::parse`] knows.
    #[snafu(display(
        "URL \"{url}\" names no known object store: expected file:, memory:, s3://, s3a://, \
         gs://, az://, adl://, azure://, abfs://, abfss://, http:// or https://"
    ))]
    Unrecognised {
        /// The URL given.
        url: Url,
    },

    /// The URL's path is not a valid object [`Path`].
    #[snafu(display("the URL's path is not a valid object path: {source}"))]
    Path {
        /// What is wrong with the path.
        source: path::Error,
    },

    /// The URL is recognised but its backend was not compiled in.
    #[snafu(display(
        "{} URLs need the \"{feature}\" feature of ostore (or ostore-registry), which is not \
         enabled",
        scheme.name()
    ))]
    FeatureDisabled {
        /// The kind of store the URL names.
        scheme: ObjectStoreScheme,
        /// The cargo feature that compiles its backend in.
        feature: &'static str,
    },

    /// The URL is recognised but ostore has no backend for it yet.
    #[snafu(display("{} URLs are recognised, but ostore has no backend for them yet", scheme.name()))]
    NoBackend {
        /// The kind of store the URL names.
        scheme: ObjectStoreScheme,
    },
}

impl From<Error> for ostore_core::Error {
    fn from(e: Error) -> Self {
        let store = match e {
            Error::Unrecognised { .. } | Error::Path { .. } => "URL",
            Error::FeatureDisabled { .. } | Error::NoBackend { .. } => "parse_url",
        };
        Self::Generic {
            store,
            source: Box::new(e),
        }
    }
}

/// Builds the store a URL names, with default settings, and returns it with the object
/// path the URL addresses in it.
///
/// The same as [`parse_url_opts`] with no options. In particular no builder setting is
/// taken from environment variables (as `AmazonS3Builder::from_env` would); pass them to
/// [`parse_url_opts`] for that.
///
/// # Errors
///
/// See [`parse_url_opts`].
///
/// ```
/// use ostore_registry::parse_url;
///
/// let url = url::Url::parse("file:///tmp/some%20dir/data.csv").unwrap();
/// # #[cfg(feature = "fs")] {
/// let (store, path) = parse_url(&url).unwrap();
/// assert_eq!(path.as_ref(), "tmp/some dir/data.csv");
/// assert_eq!(store.to_string(), "LocalFileSystem(/)");
/// # }
/// ```
pub fn parse_url(url: &Url) -> ostore_core::Result<(Box<dyn ObjectStore>, Path)> {
    parse_url_opts(url, std::iter::empty::<(&str, &str)>())
}

/// Builds the store a URL names, configured by `options`, and returns it with the object
/// path the URL addresses in it.
///
/// Which store and which path: see [`ObjectStoreScheme`]. How each is built:
///
/// - `file://` (feature `fs`): `LocalFileSystem::new()`, the file system root, so the
///   object path is the whole absolute file path without its leading `/`
///   (`file:///tmp/x` → `tmp/x`). Options are ignored.
/// - `memory://` (feature `memory`): a new, empty `InMemory` on every call. Options are
///   ignored.
/// - S3 (feature `aws`): `AmazonS3Builder::new().with_url(url)`, then each option whose
///   key parses as an `AmazonS3ConfigKey` (`aws_access_key_id`, `aws_region`,
///   `aws_endpoint`, `allow_http`, ...) is applied with `with_config`. What the URL says
///   (bucket, and region or endpoint where it has them) wins over the options.
/// - other `http(s)://` (feature `http`): `HttpBuilder::new().with_url(origin)` with the
///   URL's origin (`scheme://host:port`), so the object path is the whole URL path; each
///   option whose key parses as a `ClientConfigKey` (`allow_http`, `user_agent`,
///   `timeout`, ...) is applied with `with_config`.
///
/// Keys are the lower-case names of the configuration keys (`aws_region`, not
/// `AWS_REGION`). **Options whose key is not a configuration key of the chosen store are
/// ignored**, not reported: one set of options (say, every setting of an application,
/// for whichever store its URL names) can be passed whatever the URL, as with
/// `object_store`. A misspelt key is therefore silently without effect; a known key with a
/// malformed value makes the build fail.
///
/// # Errors
///
/// Always an [`ostore_core::Error::Generic`] whose source is an [`Error`] (see there) for
/// URLs that are not understood and stores that are not compiled in, or the error of the
/// store's builder (a malformed option value, `http://` without `allow_http`, ...).
///
/// ```
/// use ostore_registry::parse_url_opts;
///
/// let url = url::Url::parse("memory:///a/b").unwrap();
/// let options = [("aws_region", "eu-west-1"), ("not_a_key", "ignored")];
/// # #[cfg(feature = "memory")] {
/// let (_store, path) = parse_url_opts(&url, options).unwrap();
/// assert_eq!(path.as_ref(), "a/b");
/// # }
/// ```
pub fn parse_url_opts<I, K, V>(
    url: &Url,
    options: I,
) -> ostore_core::Result<(Box<dyn ObjectStore>, Path)>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: Into<String>,
{
    let (scheme, path) = ObjectStoreScheme::parse(url)?;
    let store = build(scheme, url, options)?;
    Ok((store, path))
}

/// Builds the store for a URL already recognised as `scheme`.
fn build<I, K, V>(
    scheme: ObjectStoreScheme,
    url: &Url,
    options: I,
) -> ostore_core::Result<Box<dyn ObjectStore>>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: Into<String>,
{
    // Only the network backends read the URL and the options.
    let _ = (url, &options);
    match scheme {
        #[cfg(feature = "fs")]
        ObjectStoreScheme::Local => Ok(Box::new(ostore_local::LocalFileSystem::new())),
        #[cfg(not(feature = "fs"))]
        ObjectStoreScheme::Local => Err(disabled(scheme, "fs")),

        #[cfg(feature = "memory")]
        ObjectStoreScheme::Memory => Ok(Box::new(ostore_memory::InMemory::new())),
        #[cfg(not(feature = "memory"))]
        ObjectStoreScheme::Memory => Err(disabled(scheme, "memory")),

        #[cfg(feature = "aws")]
        ObjectStoreScheme::AmazonS3 => {
            let builder = ostore_aws::AmazonS3Builder::new().with_url(url.as_str());
            let builder = options.into_iter().fold(builder, |builder, (key, value)| {
                match key.as_ref().parse() {
                    Ok(key) => builder.with_config(key, value),
                    Err(_) => builder,
                }
            });
            Ok(Box::new(builder.build()?))
        }
        #[cfg(not(feature = "aws"))]
        ObjectStoreScheme::AmazonS3 => Err(disabled(scheme, "aws")),

        #[cfg(feature = "http")]
        ObjectStoreScheme::Http => {
            let origin = &url[..url::Position::BeforePath];
            let builder = ostore_http::HttpBuilder::new().with_url(origin);
            let builder = options.into_iter().fold(builder, |builder, (key, value)| {
                match key.as_ref().parse() {
                    Ok(key) => builder.with_config(key, value),
                    Err(_) => builder,
                }
            });
            Ok(Box::new(builder.build()?))
        }
        #[cfg(not(feature = "http"))]
        ObjectStoreScheme::Http => Err(disabled(scheme, "http")),

        ObjectStoreScheme::GoogleCloudStorage | ObjectStoreScheme::MicrosoftAzure => {
            Err(Error::NoBackend { scheme }.into())
        }
    }
}

/// The error for a URL whose backend `feature` is off.
#[cfg(not(all(feature = "fs", feature = "memory", feature = "aws", feature = "http")))]
fn disabled(scheme: ObjectStoreScheme, feature: &'static str) -> ostore_core::Error {
    Error::FeatureDisabled { scheme, feature }.into()
}
