//! `parse_url` and `parse_url_opts` build the store a URL names, pass the options on, and
//! report URLs they cannot serve with typed errors. Tests of a backend run when its feature
//! is on; those of the "feature disabled" error when it is off.

use ostore_registry::{Error, ObjectStoreScheme, parse_url};
use url::Url;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// The registry error inside the `Generic` error `parse_url` returned, with its store name.
#[track_caller]
fn registry_error(result: ostore_core::Result<impl Sized>) -> (&'static str, Error) {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(ostore_core::Error::Generic { store, source }) => match source.downcast::<Error>() {
            Ok(e) => (store, *e),
            Err(other) => panic!("a {store} error that is not a registry error: {other}"),
        },
        Err(e) => panic!("not a Generic error: {e:?}"),
    }
}

#[test]
fn unrecognised_urls_are_generic_url_errors() {
    let (store, err) = registry_error(parse_url(&url("ftp://example.com/a")));
    assert_eq!(store, "URL");
    assert!(matches!(err, Error::Unrecognised { .. }), "{err:?}");

    let (store, err) = registry_error(parse_url(&url("s3://bucket/a//b")));
    assert_eq!(store, "URL");
    assert!(matches!(err, Error::Path { .. }), "{err:?}");
}

#[test]
fn google_and_azure_have_no_backend_yet() {
    for (u, scheme) in [
        ("gs://bucket/a", ObjectStoreScheme::GoogleCloudStorage),
        (
            "https://storage.googleapis.com/bucket/a",
            ObjectStoreScheme::GoogleCloudStorage,
        ),
        ("az://container/a", ObjectStoreScheme::MicrosoftAzure),
        (
            "https://account.blob.core.windows.net/container/a",
            ObjectStoreScheme::MicrosoftAzure,
        ),
    ] {
        let (store, err) = registry_error(parse_url(&url(u)));
        assert_eq!(store, "parse_url");
        assert!(
            matches!(err, Error::NoBackend { scheme: s } if s == scheme),
            "{u}: {err:?}"
        );
        assert!(err.to_string().contains("no backend"), "{err}");
    }
}

#[cfg(feature = "memory")]
mod memory {
    use super::*;
    use ostore_core::PutPayload;
    use ostore_registry::parse_url_opts;

    #[tokio::test]
    async fn builds_an_in_memory_store() {
        let (store, path) = parse_url(&url("memory:///dir/file%201.txt")).unwrap();
        assert_eq!(store.to_string(), "InMemory");
        assert_eq!(path.as_ref(), "dir/file 1.txt");

        store
            .put(&path, PutPayload::from_static(b"hello"))
            .await
            .unwrap();
        let got = store.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"hello");

        // Every call builds a new, empty store.
        let (other, _) = parse_url(&url("memory:///")).unwrap();
        assert!(matches!(
            other.head(&path).await,
            Err(ostore_core::Error::NotFound { .. })
        ));
    }

    #[test]
    fn options_are_ignored() {
        let (store, path) =
            parse_url_opts(&url("memory:///a"), [("aws_region", "x"), ("k", "v")]).unwrap();
        assert_eq!(store.to_string(), "InMemory");
        assert_eq!(path.as_ref(), "a");
    }
}

#[cfg(feature = "fs")]
mod local {
    use super::*;
    use ostore_core::PutPayload;
    use ostore_core::path::Path;

    #[tokio::test]
    async fn file_urls_address_the_whole_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        let file = dir.join("sub dir").join("data.txt");
        let u = Url::from_file_path(&file).unwrap();
        assert!(u.as_str().contains("sub%20dir"), "{u}");

        let (store, path) = parse_url(&u).unwrap();
        assert_eq!(store.to_string(), "LocalFileSystem(/)");
        assert_eq!(path, Path::from_absolute_path(&file).unwrap());

        store
            .put(&path, PutPayload::from_static(b"on disk"))
            .await
            .unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"on disk");
        let got = store.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"on disk");
    }
}

#[cfg(feature = "http")]
mod http {
    use super::*;
    use ostore_registry::parse_url_opts;

    #[test]
    fn builds_a_store_at_the_origin() {
        let (store, path) = parse_url(&url("https://example.com:8443/dav/a%20b.txt?x=1")).unwrap();
        assert_eq!(path.as_ref(), "dav/a b.txt");
        let shown = store.to_string();
        assert!(
            shown.starts_with("HttpStore(https://example.com:8443"),
            "{shown}"
        );
        assert!(!shown.contains("dav"), "{shown}");
    }

    #[test]
    fn options_reach_the_client() {
        let u = url("http://localhost:8080/files/a");
        // Plain http must be allowed by an option.
        assert!(parse_url(&u).is_err());
        let (store, path) = parse_url_opts(&u, [("allow_http", "true")]).unwrap();
        assert!(store.to_string().contains("localhost:8080"), "{store}");
        assert_eq!(path.as_ref(), "files/a");

        // A known key with a bad value fails the build; unknown keys are ignored.
        assert!(parse_url_opts(&u, [("allow_http", "true"), ("timeout", "soon")]).is_err());
        parse_url_opts(
            &u,
            [
                ("allow_http", "true"),
                ("aws_region", "x"),
                ("no_such", "y"),
            ],
        )
        .unwrap();
    }

    #[test]
    fn credentials_in_the_url_are_refused() {
        assert!(parse_url(&url("https://user:secret@example.com/a")).is_err());
    }
}

#[cfg(feature = "aws")]
mod aws {
    use super::*;
    use ostore_registry::parse_url_opts;

    #[track_caller]
    fn check(u: &str, shown: &str, path: &str) {
        let (store, p) = parse_url(&url(u)).unwrap_or_else(|e| panic!("{u} did not build: {e}"));
        assert_eq!(
            (store.to_string().as_str(), p.as_ref()),
            (shown, path),
            "{u}"
        );
    }

    #[test]
    fn builds_s3_stores_from_every_url_form() {
        check("s3://bucket/path/to/a", "AmazonS3(bucket)", "path/to/a");
        check("s3a://bucket/a", "AmazonS3(bucket)", "a");
        check(
            "https://s3.eu-west-1.amazonaws.com/bucket/a/b",
            "AmazonS3(bucket)",
            "a/b",
        );
        check(
            "https://bucket.s3.eu-west-1.amazonaws.com/a/b",
            "AmazonS3(bucket)",
            "a/b",
        );
        check(
            "https://ACCOUNT_ID.r2.cloudflarestorage.com/bucket/path",
            "AmazonS3(bucket)",
            "path",
        );
    }

    #[test]
    fn options_reach_the_builder() {
        let u = url("s3://bucket/a");
        // A known key with a malformed value fails the build.
        let err = parse_url_opts(&u, [("aws_unsigned_payload", "maybe")])
            .expect_err("a malformed boolean must fail the build");
        assert!(err.to_string().contains("maybe"), "{err}");
        let err = parse_url_opts(&u, [("aws_endpoint", "ftp://example.com")])
            .expect_err("a non-http endpoint must fail the build");
        assert!(err.to_string().contains("endpoint"), "{err}");

        // Well-formed values and unknown keys build.
        let (store, path) = parse_url_opts(
            &u,
            vec![
                ("aws_access_key_id", "AKIDEXAMPLE".to_string()),
                ("aws_secret_access_key", "secret".to_string()),
                ("aws_region", "eu-west-1".to_string()),
                ("not_an_s3_key", "ignored".to_string()),
                // Upper-case names are not keys: this malformed value is never read.
                ("AWS_UNSIGNED_PAYLOAD", "maybe".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(store.to_string(), "AmazonS3(bucket)");
        assert_eq!(path.as_ref(), "a");

        // The bucket in the URL wins over the option.
        let (store, _) = parse_url_opts(&u, [("aws_bucket", "other")]).unwrap();
        assert_eq!(store.to_string(), "AmazonS3(bucket)");
    }
}

/// Asserts that building a store for `u` fails because `feature` is off.
#[allow(dead_code)] // unused when every backend feature is on
#[track_caller]
fn assert_disabled(u: &str, scheme: ObjectStoreScheme, feature: &str) {
    // Recognising the URL needs no backend.
    assert_eq!(ObjectStoreScheme::parse(&url(u)).unwrap().0, scheme);
    let (store, err) = registry_error(parse_url(&url(u)));
    assert_eq!(store, "parse_url");
    match &err {
        Error::FeatureDisabled {
            scheme: s,
            feature: f,
        } => {
            assert_eq!((*s, *f), (scheme, feature), "{u}");
        }
        other => panic!("{u}: {other:?}"),
    }
    assert!(
        err.to_string().contains(&format!("\"{feature}\" feature")),
        "{err}"
    );
}

#[cfg(not(feature = "fs"))]
#[test]
fn fs_disabled() {
    assert_disabled("file:///tmp/a", ObjectStoreScheme::Local, "fs");
}

#[cfg(not(feature = "memory"))]
#[test]
fn memory_disabled() {
    assert_disabled("memory:///a", ObjectStoreScheme::Memory, "memory");
}

#[cfg(not(feature = "http"))]
#[test]
fn http_disabled() {
    assert_disabled("https://example.com/a", ObjectStoreScheme::Http, "http");
}

#[cfg(not(feature = "aws"))]
#[test]
fn aws_disabled() {
    assert_disabled("s3://bucket/a", ObjectStoreScheme::AmazonS3, "aws");
    assert_disabled(
        "https://a.r2.cloudflarestorage.com/bucket/a",
        ObjectStoreScheme::AmazonS3,
        "aws",
    );
}
