//! Recognising a URL: which kind of store it names ([`ObjectStoreScheme`]) and the object
//! path inside that store.

use ostore_core::path::Path;
use snafu::ResultExt;
use url::Url;

use crate::{Error, PathSnafu, UnrecognisedSnafu};

/// The kind of object store a URL names, as recognised by [`ObjectStoreScheme::parse`].
///
/// | URL | scheme | object path |
/// |-----|--------|-------------|
/// | `file:///<path>` | [`Local`](Self::Local) | `<path>` |
/// | `memory:///<path>` | [`Memory`](Self::Memory) | `<path>` |
/// | `s3://<bucket>/<path>`, `s3a://<bucket>/<path>` | [`AmazonS3`](Self::AmazonS3) | `<path>` |
/// | `https://s3[.<region>].amazonaws.com/<bucket>/<path>` | [`AmazonS3`](Self::AmazonS3) | `<path>` |
/// | `https://<bucket>.s3[.<region>].amazonaws.com/<path>` | [`AmazonS3`](Self::AmazonS3) | `<path>` |
/// | `https://<account>.r2.cloudflarestorage.com/<bucket>/<path>` | [`AmazonS3`](Self::AmazonS3) | `<path>` |
/// | `gs://<bucket>/<path>` | [`GoogleCloudStorage`](Self::GoogleCloudStorage) | `<path>` |
/// | `https://storage.googleapis.com/<bucket>/<path>` | [`GoogleCloudStorage`](Self::GoogleCloudStorage) | `<path>` |
/// | `az`, `adl`, `azure`, `abfs`, `abfss` `://<container>[@<account>.<host>]/<path>` | [`MicrosoftAzure`](Self::MicrosoftAzure) | `<path>` |
/// | `https://<account>.{blob,dfs}.core.windows.net/<container>/<path>` | [`MicrosoftAzure`](Self::MicrosoftAzure) | `<path>` |
/// | `https://<account>.{blob,dfs}.fabric.microsoft.com/<container>/<path>` | [`MicrosoftAzure`](Self::MicrosoftAzure) | `<path>` |
/// | any other `http://` or `https://` URL | [`Http`](Self::Http) | the whole URL path |
///
/// The `file` and `memory` URLs must have no host (`file:///tmp/x` or `file:/tmp/x`, not
/// `file://server/x`); every other scheme needs one.
///
/// The object path is the URL path, percent-decoded ([`Path::from_url_path`]): `%20`
/// becomes a space, and an encoded `%2F` becomes a separator. The URL's query and fragment
/// are not part of it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectStoreScheme {
    /// A local file system path: `ostore_local::LocalFileSystem` (feature `fs`).
    Local,
    /// A store held in memory: `ostore_memory::InMemory` (feature `memory`).
    Memory,
    /// Amazon S3 or an S3-compatible service: `ostore_aws::AmazonS3` (feature `aws`).
    AmazonS3,
    /// Google Cloud Storage (no backend yet).
    GoogleCloudStorage,
    /// Azure Blob Storage or Data Lake Storage Gen2 (no backend yet).
    MicrosoftAzure,
    /// A plain HTTP/WebDAV server: `ostore_http::HttpStore` (feature `http`).
    Http,
}

/// Whether `host` is `domain` itself or one of its subdomains.
fn within(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// An S3 service label of an `*.amazonaws.com` host: `s3`, or `s3-<region>` (the legacy
/// dash form, also `s3-external-1`).
fn is_s3_label(label: &str) -> bool {
    label == "s3" || label.starts_with("s3-")
}

/// Whether an `*.amazonaws.com` host addresses the service with the bucket in the path
/// (`s3.<region>.amazonaws.com/<bucket>`) rather than in the host
/// (`<bucket>.s3.<region>.amazonaws.com`).
///
/// The host is path style when it begins with the S3 label and no later label is one: a
/// bucket may itself be called `s3-data`, but then `s3` follows it.
fn is_path_style_aws(host: &str) -> bool {
    let mut labels = host.split('.');
    labels.next().is_some_and(is_s3_label) && !labels.any(is_s3_label)
}

/// The part of a URL path after its first segment (the bucket or container): for
/// `/bucket/a/b` that is `a/b`, for `/bucket` or `/` nothing.
fn after_first_segment(path: &str) -> &str {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.split_once('/').map_or("", |(_, rest)| rest)
}

impl ObjectStoreScheme {
    /// Recognises the kind of store `url` names and extracts the object path within it.
    ///
    /// See the table on [`ObjectStoreScheme`] for the URL forms. This only reads the URL; it
    /// works for every scheme whichever backends are compiled in.
    ///
    /// # Errors
    ///
    /// [`Error::Unrecognised`] for a URL that names no known kind of store (an unknown
    /// scheme, a `file` URL with a host, an `s3` URL without one, ...), and
    /// [`Error::Path`] when the decoded path is not a valid [`Path`] (an empty segment as
    /// in `a//b`, a control character, bytes that are not UTF-8).
    ///
    /// # Example
    ///
    /// ```
    /// use ostore_registry::ObjectStoreScheme;
    /// use url::Url;
    ///
    /// let url = Url::parse("s3://my-bucket/data/2024/day%2001.csv")?;
    /// let (scheme, path) = ObjectStoreScheme::parse(&url)?;
    /// assert_eq!(scheme, ObjectStoreScheme::AmazonS3);
    /// assert_eq!(path.as_ref(), "data/2024/day 01.csv");
    ///
    /// // The bucket in the path of a path-style URL is not part of the object path.
    /// let url = Url::parse("https://s3.eu-west-1.amazonaws.com/my-bucket/data/a.csv")?;
    /// let (scheme, path) = ObjectStoreScheme::parse(&url)?;
    /// assert_eq!(scheme, ObjectStoreScheme::AmazonS3);
    /// assert_eq!(path.as_ref(), "data/a.csv");
    ///
    /// let url = Url::parse("https://example.com/files/a.csv")?;
    /// assert_eq!(ObjectStoreScheme::parse(&url)?.0, ObjectStoreScheme::Http);
    ///
    /// assert!(ObjectStoreScheme::parse(&Url::parse("ftp://example.com/a")?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(url: &Url) -> Result<(Self, Path), Error> {
        let full = url.path();
        let (scheme, path) = match (url.scheme(), url.host_str()) {
            ("file", None) => (Self::Local, full),
            ("memory", None) => (Self::Memory, full),
            ("s3" | "s3a", Some(_)) => (Self::AmazonS3, full),
            ("gs", Some(_)) => (Self::GoogleCloudStorage, full),
            ("az" | "adl" | "azure" | "abfs" | "abfss", Some(_)) => (Self::MicrosoftAzure, full),
            ("http", Some(_)) => (Self::Http, full),
            ("https", Some(host)) => Self::parse_https_host(host, full),
            _ => return UnrecognisedSnafu { url: url.clone() }.fail(),
        };
        let path = Path::from_url_path(path).context(PathSnafu)?;
        Ok((scheme, path))
    }

    /// Classifies an `https` URL by its host; returns the scheme and the part of `path`
    /// that is the object path.
    fn parse_https_host<'p>(host: &str, path: &'p str) -> (Self, &'p str) {
        let azure = ["blob.core.windows.net", "dfs.core.windows.net"];
        let fabric = ["blob.fabric.microsoft.com", "dfs.fabric.microsoft.com"];
        if azure.iter().chain(&fabric).any(|d| within(host, d)) {
            (Self::MicrosoftAzure, after_first_segment(path))
        } else if within(host, "amazonaws.com") {
            if is_path_style_aws(host) {
                (Self::AmazonS3, after_first_segment(path))
            } else {
                (Self::AmazonS3, path)
            }
        } else if within(host, "r2.cloudflarestorage.com") {
            (Self::AmazonS3, after_first_segment(path))
        } else if host == "storage.googleapis.com" {
            (Self::GoogleCloudStorage, after_first_segment(path))
        } else {
            (Self::Http, path)
        }
    }

    /// A human-readable name, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Local => "the local file system",
            Self::Memory => "the in-memory store",
            Self::AmazonS3 => "Amazon S3",
            Self::GoogleCloudStorage => "Google Cloud Storage",
            Self::MicrosoftAzure => "Microsoft Azure",
            Self::Http => "HTTP/WebDAV",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObjectStoreScheme::*;

    #[track_caller]
    fn check(url: &str, scheme: ObjectStoreScheme, path: &str) {
        let parsed = Url::parse(url).unwrap();
        let (s, p) = ObjectStoreScheme::parse(&parsed)
            .unwrap_or_else(|e| panic!("{url} was not recognised: {e}"));
        assert_eq!((s, p.as_ref()), (scheme, path), "{url}");
    }

    #[track_caller]
    fn check_rejected(url: &str) -> Error {
        let parsed = Url::parse(url).unwrap();
        match ObjectStoreScheme::parse(&parsed) {
            Ok(r) => panic!("{url} was accepted as {r:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn local_file_urls() {
        check("file:///", Local, "");
        check("file:///tmp/data/x.parquet", Local, "tmp/data/x.parquet");
        check("file:/tmp/x", Local, "tmp/x");
        check("file:///tmp/dir/", Local, "tmp/dir");
        // `localhost` is the empty host of a file URL.
        check("file://localhost/tmp/x", Local, "tmp/x");
    }

    #[test]
    fn memory_urls() {
        check("memory:///", Memory, "");
        check("memory:/", Memory, "");
        check("memory:///a/b", Memory, "a/b");
        check("memory:/a", Memory, "a");
    }

    #[test]
    fn s3_scheme_urls() {
        check("s3://bucket", AmazonS3, "");
        check("s3://bucket/", AmazonS3, "");
        check("s3://bucket/a/b.csv", AmazonS3, "a/b.csv");
        check("s3a://bucket/a/b.csv", AmazonS3, "a/b.csv");
        check("s3://my.dotted.bucket/k", AmazonS3, "k");
        // The query is configuration for the builder, not part of the object path.
        check("s3://bucket/k?versionId=3", AmazonS3, "k");
    }

    #[test]
    fn aws_path_style_urls() {
        check("https://s3.amazonaws.com/bucket/k", AmazonS3, "k");
        check("https://s3.us-east-2.amazonaws.com/bucket", AmazonS3, "");
        check("https://s3.us-east-2.amazonaws.com/bucket/", AmazonS3, "");
        check(
            "https://s3.us-east-2.amazonaws.com/bucket/a/b",
            AmazonS3,
            "a/b",
        );
        check(
            "https://s3.dualstack.eu-west-1.amazonaws.com/bucket/a",
            AmazonS3,
            "a",
        );
        check("https://s3-us-west-2.amazonaws.com/bucket/a", AmazonS3, "a");
        check(
            "https://s3-external-1.amazonaws.com/bucket/a",
            AmazonS3,
            "a",
        );
    }

    #[test]
    fn aws_virtual_hosted_urls() {
        check("https://bucket.s3.us-east-2.amazonaws.com", AmazonS3, "");
        check(
            "https://bucket.s3.us-east-2.amazonaws.com/a/b",
            AmazonS3,
            "a/b",
        );
        check("https://bucket.s3.amazonaws.com/a", AmazonS3, "a");
        check(
            "https://bucket.s3.dualstack.us-east-2.amazonaws.com/a",
            AmazonS3,
            "a",
        );
        check("https://bucket.s3-us-west-2.amazonaws.com/a", AmazonS3, "a");
        // Buckets whose names look like the service label are still buckets.
        check("https://s3data.s3.us-east-1.amazonaws.com/a", AmazonS3, "a");
        check(
            "https://s3-logs.s3.us-east-1.amazonaws.com/a",
            AmazonS3,
            "a",
        );
        check("https://s3.s3.us-east-1.amazonaws.com/a", AmazonS3, "a");
        // S3 Express One Zone directory buckets are only addressed in the host.
        check(
            "https://b--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/a",
            AmazonS3,
            "a",
        );
    }

    #[test]
    fn cloudflare_r2_urls() {
        check(
            "https://ACCOUNT.r2.cloudflarestorage.com/bucket",
            AmazonS3,
            "",
        );
        check(
            "https://ACCOUNT.r2.cloudflarestorage.com/bucket/a/b",
            AmazonS3,
            "a/b",
        );
        check(
            "https://account.eu.r2.cloudflarestorage.com/bucket/a",
            AmazonS3,
            "a",
        );
    }

    #[test]
    fn google_urls() {
        check("gs://bucket", GoogleCloudStorage, "");
        check("gs://bucket/a/b", GoogleCloudStorage, "a/b");
        check("gs://bucket.example.com/a", GoogleCloudStorage, "a");
        check(
            "https://storage.googleapis.com/bucket",
            GoogleCloudStorage,
            "",
        );
        check(
            "https://storage.googleapis.com/bucket/a/b",
            GoogleCloudStorage,
            "a/b",
        );
    }

    #[test]
    fn azure_scheme_urls() {
        for scheme in ["az", "adl", "azure", "abfs", "abfss"] {
            check(&format!("{scheme}://container"), MicrosoftAzure, "");
            check(&format!("{scheme}://container/a/b"), MicrosoftAzure, "a/b");
            check(
                &format!("{scheme}://container@account/a"),
                MicrosoftAzure,
                "a",
            );
            check(
                &format!("{scheme}://fs@account.dfs.core.windows.net/a/b"),
                MicrosoftAzure,
                "a/b",
            );
        }
        check(
            "abfss://fs@account.dfs.fabric.microsoft.com/",
            MicrosoftAzure,
            "",
        );
    }

    #[test]
    fn azure_https_urls() {
        for host in [
            "account.blob.core.windows.net",
            "account.dfs.core.windows.net",
            "account.blob.fabric.microsoft.com",
            "account.dfs.fabric.microsoft.com",
            "blob.core.windows.net",
        ] {
            check(&format!("https://{host}"), MicrosoftAzure, "");
            check(&format!("https://{host}/container"), MicrosoftAzure, "");
            check(&format!("https://{host}/container/"), MicrosoftAzure, "");
            check(
                &format!("https://{host}/container/a/b"),
                MicrosoftAzure,
                "a/b",
            );
        }
    }

    #[test]
    fn other_http_urls() {
        check("http://example.com", Http, "");
        check("http://example.com/a/b", Http, "a/b");
        check("https://example.com:8443/dav/a", Http, "dav/a");
        check("http://127.0.0.1:8080/a", Http, "a");
        check("http://[::1]:8080/a", Http, "a");
        // Plain http to a cloud host is not a cloud URL.
        check(
            "http://s3.us-east-1.amazonaws.com/bucket/a",
            Http,
            "bucket/a",
        );
        // Look-alike domains are not the cloud services.
        check("https://evilamazonaws.com/bucket/a", Http, "bucket/a");
        check("https://r2.cloudflarestorage.com.example/b/a", Http, "b/a");
        check("https://myblob.core.windows.net/c/a", Http, "c/a");
        check("https://storage.googleapis.com.example/b/a", Http, "b/a");
    }

    #[test]
    fn paths_are_percent_decoded() {
        check("s3://bucket/foo%20bar", AmazonS3, "foo bar");
        check("s3://bucket/foo bar", AmazonS3, "foo bar");
        check("s3://bucket/%F0%9F%98%80", AmazonS3, "😀");
        check("s3://bucket/😀", AmazonS3, "😀");
        check("https://example.com/bar%20baz", Http, "bar baz");
        // Decoded once only: `%252E` is the literal text `%2E`.
        check("file:///bar%252Efoo", Local, "bar%2Efoo");
        check("file:///my file", Local, "my file");
        // An encoded slash is a separator once decoded.
        check("memory:///a%2Fb", Memory, "a/b");
        check(
            "https://s3.us-east-1.amazonaws.com/bucket/x%23y",
            AmazonS3,
            "x#y",
        );
    }

    #[test]
    fn unrecognised_urls() {
        for url in [
            "unix:/run/foo.socket",
            "ftp://example.com/a",
            "file://remote/path",
            "memory://host/",
            "s3:/no-bucket",
            "gs:path",
            "az:/container",
            "mailto:someone@example.com",
        ] {
            let err = check_rejected(url);
            assert!(
                matches!(&err, Error::Unrecognised { url: u } if u.as_str() == Url::parse(url).unwrap().as_str()),
                "{url}: {err:?}"
            );
            assert!(err.to_string().contains(url), "{err}");
        }
    }

    #[test]
    fn invalid_paths_are_errors() {
        for url in [
            "s3://bucket/a//b",
            "memory:///a%2F%2Fb",
            "file:///%FF",
            "https://example.com/a%01b",
        ] {
            let err = check_rejected(url);
            assert!(matches!(err, Error::Path { .. }), "{url}: {err:?}");
        }
    }
}
