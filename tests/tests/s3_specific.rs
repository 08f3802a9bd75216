//! What the conformance suite cannot ask of every store, asked of [`AmazonS3`] on both S3
//! servers `cargo xtask test` starts (SeaweedFS, which checks SigV4 signatures, and moto,
//! which checks none): presigned URLs, wrong credentials, upload checksums, tags, SSE-C,
//! bulk deletes with missing keys, long listings, 5 MiB multipart parts and object versions.
//!
//! Built only with the `emulators` feature; a missing server fails the tests, never skips
//! them. Each test writes below its own unique prefix, so they run concurrently. Where a
//! server lacks a feature, the test asserts what the server does instead and says why.
#![cfg(feature = "emulators")]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt, stream};
use http::{HeaderMap, Method, StatusCode};
use ostore_aws::{
    AmazonS3, AmazonS3Builder, AwsAuthorizer, AwsCredential, Checksum, S3CopyIfNotExists, Signer,
};
use ostore_core::list::{PaginatedListOptions, PaginatedListStore};
use ostore_core::path::Path;
use ostore_core::{
    Error, GetOptions, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, TagSet,
    WriteMultipart,
};
use ostore_transport::{ClientOptions, HttpClient, Response, RetryConfig};

/// The bucket the tests use on both servers.
const BUCKET: &str = "ostore-test";
const REGION: &str = "us-east-1";
const KEY_ID: &str = "AKIDTEST";
const SECRET: &str = "SECRETTEST";
const MIB: usize = 1024 * 1024;

/// One of the two S3 servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    SeaweedFs,
    Moto,
}

impl Server {
    /// The variable holding its endpoint.
    fn var(self) -> &'static str {
        match self {
            Self::SeaweedFs => "OSTORE_S3_SEAWEEDFS_URL",
            Self::Moto => "OSTORE_S3_MOTO_URL",
        }
    }

    /// Its endpoint, `http://127.0.0.1:<port>`; panics with what to do if unset.
    fn endpoint(self) -> String {
        let var = self.var();
        std::env::var(var).unwrap_or_else(|_| {
            panic!(
                "{var} is not set: run these tests through `cargo xtask test`, or export the \
                 variables `cargo xtask emulators start` prints"
            )
        })
    }

    /// A builder for a store on this server.
    fn builder(self) -> AmazonS3Builder {
        AmazonS3Builder::new()
            .with_endpoint(self.endpoint())
            .with_bucket_name(BUCKET)
            .with_region(REGION)
            .with_access_key_id(KEY_ID)
            .with_secret_access_key(SECRET)
            .with_allow_http(true)
    }

    /// A store on this server, checked to answer.
    async fn store(self) -> AmazonS3 {
        self.store_from(self.builder()).await
    }

    /// The store `builder` builds, checked to answer.
    async fn store_from(self, builder: AmazonS3Builder) -> AmazonS3 {
        let store = builder
            .build()
            .unwrap_or_else(|e| panic!("building a store for {self:?}: {e}"));
        store
            .list_with_delimiter(Some(&Path::from("s3_specific/ping")))
            .await
            .unwrap_or_else(|e| panic!("the S3 server {self:?} does not answer: {e}"));
        store
    }

    /// The URL of `key` (made of unreserved characters and `/`) in the bucket.
    fn key_url(self, key: &str) -> String {
        format!("{}/{BUCKET}/{key}", self.endpoint())
    }

    /// Sends a request signed like the store's, returning the answer whatever its status.
    async fn signed(
        self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: &'static [u8],
    ) -> Response {
        let hash = ostore_aws::hex_sha256(body);
        let credential = AwsCredential {
            key_id: KEY_ID.into(),
            secret_key: SECRET.into(),
            token: None,
        };
        plain_client()
            .request(method, url)
            .headers(headers)
            .body(PutPayload::from_static(body))
            .sign(move |req| {
                AwsAuthorizer::new(&credential, "s3", REGION).authorize(
                    req,
                    &hash,
                    chrono::Utc::now(),
                )
            })
            .send_raw()
            .await
            .unwrap_or_else(|e| panic!("a signed request to {self:?}: {e}"))
    }

    /// Turns versioning on for the test bucket (idempotent).
    async fn enable_versioning(self) {
        let body: &'static [u8] = b"<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>";
        let url = format!("{}/{BUCKET}?versioning", self.endpoint());
        let resp = self.signed(Method::PUT, &url, HeaderMap::new(), body).await;
        assert_eq!(resp.status(), StatusCode::OK, "enabling versioning");
    }

    /// The value of the checksum header `name` the server keeps for `key`, from a signed
    /// `HEAD` with `x-amz-checksum-mode: ENABLED`.
    async fn stored_checksum(self, key: &str, name: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-checksum-mode", "ENABLED".parse().unwrap());
        let resp = self
            .signed(Method::HEAD, &self.key_url(key), headers, b"")
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "HEAD of {key}");
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// The tags of `key` (ASCII, unreserved), read with a signed `GET ?tagging`.
    async fn tags(self, key: &str) -> Vec<(String, String)> {
        let url = format!("{}?tagging", self.key_url(key));
        let resp = self.signed(Method::GET, &url, HeaderMap::new(), b"").await;
        let status = resp.status();
        let body = resp.bytes().await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(status, StatusCode::OK, "GET ?tagging of {key}: {body}");
        parse_tags(&body)
    }
}

/// An HTTP client without signing or retries, as a holder of a presigned URL has.
fn plain_client() -> HttpClient {
    let retry = RetryConfig {
        max_retries: 0,
        ..Default::default()
    };
    HttpClient::new(ClientOptions::new().with_allow_http(true), retry).unwrap()
}

/// The `(Key, Value)` pairs of a `<Tagging>` document.
fn parse_tags(xml: &str) -> Vec<(String, String)> {
    let element = |s: &str, name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = s.find(&open)? + open.len();
        let end = start + s[start..].find(&close)?;
        Some(s[start..end].to_string())
    };
    xml.split("<Tag>")
        .skip(1)
        .map(|tag| {
            let tag = tag.split("</Tag>").next().unwrap();
            (
                element(tag, "Key").expect("a tag without a Key"),
                element(tag, "Value").unwrap_or_default(),
            )
        })
        .collect()
}

/// A prefix no other test (or run) writes below.
fn scratch(test: &str) -> Path {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Path::from("s3_specific").child(format!("{test}-{}-{nanos:x}-{n}", std::process::id()))
}

/// `len` bytes of a pattern that differs between parts and offsets.
fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 13) as u8))
        .collect()
}

/// A GET of `url` with no signature; the answer whatever its status.
async fn fetch(method: Method, url: &str, body: &'static [u8]) -> Response {
    plain_client()
        .request(method, url)
        .body(PutPayload::from_static(body))
        .send_raw()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// Status and body text of an answer.
async fn status_and_text(resp: Response) -> (StatusCode, String) {
    let status = resp.status();
    let body = resp.bytes().await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Runs each named `async fn(Server)` on both servers, as `seaweedfs::<name>` and
/// `moto::<name>`.
macro_rules! on_both_servers {
    ($($name:ident),* $(,)?) => {
        mod seaweedfs {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Server::SeaweedFs).await
                }
            )*
        }
        mod moto {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Server::Moto).await
                }
            )*
        }
    };
}

on_both_servers!(
    presigned_urls_work,
    presigned_url_with_query,
    presigned_special_keys,
    presigned_signed_headers,
    presigned_urls_are_checked,
    checksum_mismatch,
    wrong_secret_key,
    checksum_sha256,
    checksum_crc64nvme,
    tags_round_trip,
    ssec_round_trip,
    delete_stream_with_missing_keys,
    list_5000_keys,
    multipart_5mib_parts,
    aborted_uploads_are_gone,
    foreign_keys_are_skipped,
);

/// Versions are read on SeaweedFS only: versioning cannot be turned off again, and moto
/// keeps listing the common prefixes of deleted objects in a versioned bucket, which would
/// break the conformance suite that shares its bucket (tests/s3.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seaweedfs_older_versions() {
    older_versions(Server::SeaweedFs).await
}

/// Presigned GET, PUT and DELETE URLs work from a client without credentials.
async fn presigned_urls_work(server: Server) {
    let store = server.store().await;
    let path = scratch("presigned").child("object.bin");
    let ttl = Duration::from_secs(300);

    let put = store.signed_url(Method::PUT, &path, ttl).await.unwrap();
    let query = put.query().unwrap_or_default().to_string();
    for param in [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Credential=AKIDTEST%2F",
        "X-Amz-Expires=300",
        "X-Amz-SignedHeaders=host",
        "X-Amz-Signature=",
    ] {
        assert!(query.contains(param), "{param} missing from {query}");
    }
    let (status, body) =
        status_and_text(fetch(Method::PUT, put.as_str(), b"presigned body").await).await;
    assert_eq!(status, StatusCode::OK, "presigned PUT: {body}");
    let stored = store.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(stored.as_ref(), b"presigned body");

    let get = store.signed_url(Method::GET, &path, ttl).await.unwrap();
    let (status, body) = status_and_text(fetch(Method::GET, get.as_str(), b"").await).await;
    assert_eq!(status, StatusCode::OK, "presigned GET: {body}");
    assert_eq!(body, "presigned body");

    let delete = store.signed_url(Method::DELETE, &path, ttl).await.unwrap();
    let (status, body) = status_and_text(fetch(Method::DELETE, delete.as_str(), b"").await).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "presigned DELETE: {body}");
    let err = store.head(&path).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// Extra query parameters of `signed_url_with` are signed too; S3 overrides response
/// headers with `response-*` ones. A value with a space must work: the space has to reach
/// the server encoded as SigV4 canonicalises it (`%20`), not as a form-encoded `+`.
async fn presigned_url_with_query(server: Server) {
    let store = server.store().await;
    let path = scratch("presigned_query").child("object.bin");
    store
        .put(&path, PutPayload::from_static(b"body"))
        .await
        .unwrap();
    for disposition in [
        "attachment",
        "attachment;filename=\"x.bin\"",
        "attachment; filename=\"x.bin\"",
    ] {
        let url = store
            .signed_url_with(
                Method::GET,
                &path,
                Duration::from_secs(300),
                &[("response-content-disposition", disposition)],
                &HeaderMap::new(),
            )
            .await
            .unwrap();
        let resp = fetch(Method::GET, url.as_str(), b"").await;
        let header = resp
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_string());
        let (status, body) = status_and_text(resp).await;
        assert_eq!(status, StatusCode::OK, "{disposition:?} in {url}: {body}");
        assert_eq!(header.as_deref(), Some(disposition));
        assert_eq!(body, "body");
    }
}

/// Presigned URLs of keys that need percent-encoding (space, `+`, `%`, non-ASCII, `=`)
/// work.
async fn presigned_special_keys(server: Server) {
    let store = server.store().await;
    let base = scratch("presigned_keys");
    let ttl = Duration::from_secs(300);
    for name in [
        "a b",
        "plus+sign",
        "per%cent",
        "ünï©ødé",
        "eq=&amp",
        "x~y.z_-",
    ] {
        let path = base.child(name);
        let put = store.signed_url(Method::PUT, &path, ttl).await.unwrap();
        let (status, body) =
            status_and_text(fetch(Method::PUT, put.as_str(), b"special").await).await;
        assert_eq!(status, StatusCode::OK, "PUT {name:?} via {put}: {body}");
        let listed: Vec<_> = store.list(Some(&base)).try_collect().await.unwrap();
        assert!(
            listed.iter().any(|m| m.location == path),
            "{name:?} stored under another key: {listed:?}"
        );
        let get = store.signed_url(Method::GET, &path, ttl).await.unwrap();
        let (status, body) = status_and_text(fetch(Method::GET, get.as_str(), b"").await).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "special"),
            "GET {name:?}"
        );
    }
}

/// Headers signed into a presigned URL must be sent as signed: SeaweedFS refuses a
/// different value; moto checks nothing.
async fn presigned_signed_headers(server: Server) {
    let store = server.store().await;
    let path = scratch("presigned_headers").child("obj.txt");
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "text/x-ostore".parse().unwrap());
    let url = store
        .signed_url_with(Method::PUT, &path, Duration::from_secs(300), &[], &headers)
        .await
        .unwrap();
    assert!(
        url.query()
            .unwrap()
            .contains("X-Amz-SignedHeaders=content-type%3Bhost"),
        "{url}"
    );
    let put = |content_type: &'static str| {
        let url = url.clone();
        async move {
            let resp = plain_client()
                .request(Method::PUT, url.as_str())
                .header("content-type", content_type)
                .body(PutPayload::from_static(b"typed"))
                .send_raw()
                .await
                .unwrap();
            status_and_text(resp).await
        }
    };
    let (status, body) = put("text/x-other").await;
    match server {
        Server::SeaweedFs => assert_eq!(status, StatusCode::FORBIDDEN, "{body}"),
        Server::Moto => assert_eq!(status, StatusCode::OK, "{body}"),
    }
    let (status, body) = put("text/x-ostore").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let got = store.get(&path).await.unwrap();
    assert_eq!(
        got.attributes
            .get(&ostore_core::Attribute::ContentType)
            .map(|v| v.as_ref()),
        Some("text/x-ostore")
    );
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"typed");
}

/// A presigned URL whose signature or path was changed, or that expired, is refused by
/// SeaweedFS. moto verifies no signatures at all: it serves all three.
async fn presigned_urls_are_checked(server: Server) {
    let store = server.store().await;
    let base = scratch("presigned_checked");
    let (a, b) = (base.child("a"), base.child("b"));
    store.put(&a, PutPayload::from_static(b"A")).await.unwrap();
    store.put(&b, PutPayload::from_static(b"B")).await.unwrap();
    let ttl = Duration::from_secs(300);
    let url = store.signed_url(Method::GET, &a, ttl).await.unwrap();
    let (status, body) = status_and_text(fetch(Method::GET, url.as_str(), b"").await).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "A"));

    // The last hex digit of the signature changed.
    let text = url.as_str();
    let last = text.chars().last().unwrap();
    let swapped = if last == '0' { '1' } else { '0' };
    let tampered = format!("{}{swapped}", &text[..text.len() - 1]);
    // The same query on another (existing) object.
    let moved = text.replacen(
        &format!("{}/a?", base.as_ref()),
        &format!("{}/b?", base.as_ref()),
        1,
    );
    assert_ne!(moved, text);
    // Valid for one second, used after two.
    let short = store
        .signed_url(Method::GET, &a, Duration::from_secs(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;

    for (what, url) in [
        ("changed signature", tampered.as_str()),
        ("changed path", moved.as_str()),
        ("expired", short.as_str()),
    ] {
        let (status, body) = status_and_text(fetch(Method::GET, url, b"").await).await;
        match server {
            Server::SeaweedFs => {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
                assert!(
                    !body.contains('A') || body.contains("<Error>"),
                    "{what}: {body}"
                );
            }
            // moto does not authenticate requests: every URL is served.
            Server::Moto => assert_eq!(status, StatusCode::OK, "{what}: {body}"),
        }
    }
    // A presigned URL is for its method only.
    let (status, body) = status_and_text(fetch(Method::DELETE, url.as_str(), b"").await).await;
    match server {
        Server::SeaweedFs => assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "DELETE with a GET URL: {body}"
        ),
        Server::Moto => assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "DELETE with a GET URL: {body}"
        ),
    }
}

/// A wrong secret key (or an unknown key id) is `PermissionDenied` on SeaweedFS; moto
/// ignores signatures.
async fn wrong_secret_key(server: Server) {
    let good = server.store().await;
    let path = scratch("wrong_secret").child("obj");
    good.put(&path, PutPayload::from_static(b"x"))
        .await
        .unwrap();
    let bad = server
        .builder()
        .with_secret_access_key("NOT-THE-SECRET")
        .build()
        .unwrap();
    let unknown = server
        .builder()
        .with_access_key_id("AKIDUNKNOWN")
        .build()
        .unwrap();
    let unknown_get = unknown.get(&path).await;
    let get = bad.get(&path).await;
    let put = bad.put(&path, PutPayload::from_static(b"y")).await;
    let list: Result<Vec<_>, _> = bad.list(Some(&path)).try_collect().await;
    match server {
        Server::SeaweedFs => {
            for (what, err) in [("get", get.err()), ("put", put.err()), ("list", list.err())] {
                let err = err.unwrap_or_else(|| panic!("{what} with a wrong secret succeeded"));
                assert!(
                    matches!(err, Error::PermissionDenied { .. }),
                    "{what}: {err:?}"
                );
            }
            let kept = good.get(&path).await.unwrap().bytes().await.unwrap();
            assert_eq!(kept.as_ref(), b"x", "the refused put wrote nothing");
        }
        Server::Moto => {
            assert!(unknown_get.is_ok() && get.is_ok() && put.is_ok() && list.is_ok());
        }
    }
}

async fn checksum_sha256(server: Server) {
    checksums(server, Checksum::SHA256).await
}

async fn checksum_crc64nvme(server: Server) {
    checksums(server, Checksum::CRC64NVME).await
}

/// Puts and multipart puts with a checksum are accepted and store the bytes sent.
async fn checksums(server: Server, checksum: Checksum) {
    let store = server
        .store_from(server.builder().with_checksum_algorithm(checksum))
        .await;
    let base = scratch(&format!("checksum_{checksum}"));

    let small = base.child("small");
    let body = data(1000, 1);
    store
        .put(&small, PutPayload::from(body.clone()))
        .await
        .unwrap_or_else(|e| panic!("put with {checksum} on {server:?}: {e}"));
    let got = store.get(&small).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.as_ref(), body.as_slice());

    let empty = base.child("empty");
    store.put(&empty, PutPayload::new()).await.unwrap();
    assert_eq!(store.head(&empty).await.unwrap().size, 0);

    let large = base.child("multipart");
    let (p1, p2) = (data(5 * MIB, 2), data(1234, 3));
    let mut upload = store
        .put_multipart(&large)
        .await
        .unwrap_or_else(|e| panic!("create multipart with {checksum} on {server:?}: {e}"));
    upload.put_part(PutPayload::from(p1.clone())).await.unwrap();
    upload.put_part(PutPayload::from(p2.clone())).await.unwrap();
    upload
        .complete()
        .await
        .unwrap_or_else(|e| panic!("complete multipart with {checksum} on {server:?}: {e}"));
    let got = store.get(&large).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.len(), p1.len() + p2.len());
    assert_eq!(
        ostore_aws::hex_sha256(&got),
        ostore_aws::hex_sha256(&[p1.as_slice(), p2.as_slice()].concat())
    );

    // An upload without parts (one empty part is sent).
    let none = base.child("no_parts");
    let mut upload = store.put_multipart(&none).await.unwrap();
    upload
        .complete()
        .await
        .unwrap_or_else(|e| panic!("empty multipart with {checksum} on {server:?}: {e}"));
    assert_eq!(store.head(&none).await.unwrap().size, 0);
    // What the server kept (`x-amz-checksum-mode: ENABLED` asks for it).
    let header = checksum.header_name();
    let small_sum = server.stored_checksum(small.as_ref(), header).await;
    let large_sum = server.stored_checksum(large.as_ref(), header).await;
    let whole = [p1.as_slice(), p2.as_slice()].concat();
    match server {
        Server::SeaweedFs => {
            assert_eq!(small_sum, Some(expected_checksum(checksum, &body)));
            let expected = match checksum {
                // CRC64NVME uploads are full-object checksums: that of the whole object.
                Checksum::CRC64NVME => expected_checksum(checksum, &whole),
                // SHA256 ones are composite: the checksum of the parts' checksums, "-n".
                _ => {
                    let parts = [sha256(&p1), sha256(&p2)].concat();
                    format!("{}-2", expected_checksum(checksum, &parts))
                }
            };
            assert_eq!(large_sum, Some(expected), "multipart checksum");
        }
        Server::Moto => {
            // moto keeps no checksum of a single PutObject.
            assert_eq!(small_sum, None);
            let large_sum = large_sum.expect("moto keeps multipart checksums");
            match checksum {
                // A 4-byte value: not the CRC-64 of anything.
                Checksum::CRC64NVME => {
                    let raw = ostore_transport::base64::decode(&large_sum).unwrap();
                    assert_eq!(raw.len(), 4, "{large_sum}");
                }
                // The composite checksum without its "-<parts>" suffix.
                _ => {
                    let parts = [sha256(&p1), sha256(&p2)].concat();
                    assert_eq!(large_sum, expected_checksum(checksum, &parts));
                }
            }
        }
    }

    // A multipart copy_if_not_exists (UploadPartCopy parts) completes under the checksum
    // too.
    let guarded = server
        .store_from(
            server
                .builder()
                .with_checksum_algorithm(checksum)
                .with_copy_if_not_exists(S3CopyIfNotExists::Multipart),
        )
        .await;
    let copy = base.child("copy");
    guarded
        .copy_if_not_exists(&small, &copy)
        .await
        .unwrap_or_else(|e| panic!("copy_if_not_exists with {checksum} on {server:?}: {e}"));
    let got = store.get(&copy).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.as_ref(), body.as_slice());
}

/// The raw SHA-256 of `data`.
fn sha256(data: &[u8]) -> Vec<u8> {
    let hex = ostore_aws::hex_sha256(data);
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5, init and final xor all ones),
/// written out bit by bit as an independent reference.
fn crc64nvme(data: &[u8]) -> u64 {
    let mut crc = u64::MAX;
    for &byte in data {
        crc ^= u64::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x9A6C_9329_AC4B_C9B5
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn crc64nvme_check_value() {
    assert_eq!(crc64nvme(b"123456789"), 0xAE8B_1486_0A79_9888);
}

/// The base64 value of `checksum` over `data`, as S3 headers carry it.
fn expected_checksum(checksum: Checksum, data: &[u8]) -> String {
    let raw = match checksum {
        Checksum::SHA256 => sha256(data),
        Checksum::CRC64NVME => crc64nvme(data).to_be_bytes().to_vec(),
        other => panic!("no reference for {other}"),
    };
    ostore_transport::base64::encode(&raw)
}

/// A PutObject whose checksum header does not match the body: SeaweedFS refuses it with
/// `BadDigest` (its message speaks of Content-MD5 whichever checksum it was); moto does not
/// verify checksums and stores the object.
async fn checksum_mismatch(server: Server) {
    let path = scratch("checksum_mismatch").child("obj");
    let url = server.key_url(path.as_ref());
    let wrong = [
        (
            "x-amz-checksum-sha256",
            expected_checksum(Checksum::SHA256, b"other"),
        ),
        (
            "x-amz-checksum-crc64nvme",
            expected_checksum(Checksum::CRC64NVME, b"other"),
        ),
    ];
    for (name, value) in wrong {
        let mut headers = HeaderMap::new();
        headers.insert(name, value.parse().unwrap());
        let resp = server.signed(Method::PUT, &url, headers, b"body").await;
        let (status, body) = status_and_text(resp).await;
        match server {
            Server::SeaweedFs => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {body}");
                assert!(body.contains("<Code>BadDigest</Code>"), "{name}: {body}");
            }
            Server::Moto => assert_eq!(status, StatusCode::OK, "{name}: {body}"),
        }
    }
}

/// Tags sent with a put or a multipart upload are stored; `with_disable_tagging` sends none.
async fn tags_round_trip(server: Server) {
    let store = server.store().await;
    let base = scratch("tags");
    // Values use every character AWS allows in tags besides letters and digits (moto
    // enforces the pattern; `&` is refused with `InvalidTag`).
    let mut tags = TagSet::default();
    tags.push("project", "ostore");
    tags.push("with space", "a b:c/d=e+f@g");

    let put = base.child("put");
    let opts = PutOptions {
        tags: tags.clone(),
        ..Default::default()
    };
    store
        .put_opts(&put, PutPayload::from_static(b"tagged"), opts)
        .await
        .unwrap();
    let mut expected = vec![
        ("project".to_string(), "ostore".to_string()),
        ("with space".to_string(), "a b:c/d=e+f@g".to_string()),
    ];
    let mut got = server.tags(put.as_ref()).await;
    got.sort();
    expected.sort();
    assert_eq!(got, expected);

    let multipart = base.child("multipart");
    let opts = PutMultipartOptions {
        tags: tags.clone(),
        ..Default::default()
    };
    let mut upload = store.put_multipart_opts(&multipart, opts).await.unwrap();
    upload
        .put_part(PutPayload::from_static(b"tagged too"))
        .await
        .unwrap();
    upload.complete().await.unwrap();
    let mut got = server.tags(multipart.as_ref()).await;
    got.sort();
    assert_eq!(got, expected, "tags of a multipart upload");

    let untagged = server
        .store_from(server.builder().with_disable_tagging(true))
        .await;
    let quiet = base.child("disabled");
    let opts = PutOptions {
        tags,
        ..Default::default()
    };
    untagged
        .put_opts(&quiet, PutPayload::from_static(b"untagged"), opts)
        .await
        .unwrap();
    assert_eq!(server.tags(quiet.as_ref()).await, vec![]);
}

/// A base64 256-bit customer key.
fn customer_key(seed: u8) -> String {
    ostore_transport::base64::encode(&[seed; 32])
}

/// SSE-C: objects written with a customer key are read, headed and copied with it.
/// SeaweedFS refuses reads without the key or with another one; moto accepts the headers
/// and ignores them.
async fn ssec_round_trip(server: Server) {
    let store = server
        .store_from(server.builder().with_ssec_encryption(customer_key(7)))
        .await;
    let base = scratch("ssec");
    let path = base.child("secret");
    let body = data(100_000, 9);
    store
        .put(&path, PutPayload::from(body.clone()))
        .await
        .unwrap_or_else(|e| panic!("SSE-C put on {server:?}: {e}"));
    let got = store.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.as_ref(), body.as_slice());
    let ranged = store.get_range(&path, 10..20).await.unwrap();
    assert_eq!(ranged.as_ref(), &body[10..20]);
    assert_eq!(store.head(&path).await.unwrap().size, body.len() as u64);

    let copy = base.child("copy");
    store
        .copy(&path, &copy)
        .await
        .unwrap_or_else(|e| panic!("SSE-C copy on {server:?}: {e}"));
    let got = store.get(&copy).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.as_ref(), body.as_slice());

    let multipart = base.child("multipart");
    let mut upload = store.put_multipart(&multipart).await.unwrap();
    upload
        .put_part(PutPayload::from(body.clone()))
        .await
        .unwrap();
    upload.complete().await.unwrap();
    let got = store.get(&multipart).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.as_ref(), body.as_slice());

    // Without the key, or with another one.
    let plain = server.store().await;
    let other = server
        .store_from(server.builder().with_ssec_encryption(customer_key(8)))
        .await;
    let without = plain.get(&path).await;
    let wrong = other.get(&path).await;
    match server {
        Server::SeaweedFs => {
            // 400 InvalidArgument ("must provide the customer key"), as S3 answers.
            let err = without
                .map(|_| ())
                .expect_err("an SSE-C object read without the key");
            assert!(matches!(err, Error::Generic { .. }), "{err:?}");
            assert!(err.to_string().contains("400"), "{err}");
            let err = plain.head(&path).await.unwrap_err();
            assert!(matches!(err, Error::Generic { .. }), "{err:?}");
            // 403 AccessDenied.
            let err = wrong
                .map(|_| ())
                .expect_err("an SSE-C object read with another key");
            assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
        }
        // moto stores SSE-C objects unencrypted and never checks the key.
        Server::Moto => {
            for result in [without, wrong] {
                let got = result.unwrap().bytes().await.unwrap();
                assert_eq!(got.as_ref(), body.as_slice());
            }
        }
    }

    // copy_if_not_exists in the multipart mode (UploadPartCopy parts).
    let guarded = server
        .store_from(
            server
                .builder()
                .with_ssec_encryption(customer_key(7))
                .with_copy_if_not_exists(S3CopyIfNotExists::Multipart),
        )
        .await;
    let created = base.child("created");
    let result = guarded.copy_if_not_exists(&path, &created).await;
    match server {
        // SeaweedFS 4.48 answers any UploadPartCopy carrying SSE-C headers (of the source,
        // the target or both) with 501 NotImplemented.
        Server::SeaweedFs => {
            let err = result.expect_err("SeaweedFS copies SSE-C parts now: update this test");
            assert!(err.to_string().contains("501"), "{err}");
            let left: Vec<_> = plain.list(Some(&base)).try_collect().await.unwrap();
            assert!(
                left.iter().all(|m| m.location != created),
                "a failed copy leaves no object"
            );
        }
        Server::Moto => {
            result.unwrap();
            let got = guarded.get(&created).await.unwrap().bytes().await.unwrap();
            assert_eq!(got.as_ref(), body.as_slice());
            let err = guarded
                .copy_if_not_exists(&path, &created)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::AlreadyExists { .. }), "{err:?}");
        }
    }
}

/// `delete_stream` with keys that do not exist among ones that do: every path comes back
/// `Ok`, in order, and the present ones are gone.
async fn delete_stream_with_missing_keys(server: Server) {
    let store = server.store().await;
    let base = scratch("delete_missing");
    let paths: Vec<Path> = (0..12).map(|i| base.child(format!("k{i:02}"))).collect();
    for path in paths.iter().step_by(2) {
        store
            .put(path, PutPayload::from_static(b"x"))
            .await
            .unwrap();
    }
    let deleted: Vec<Path> = store
        .delete_stream(stream::iter(paths.clone()).map(Ok).boxed())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(deleted, paths);
    let left: Vec<_> = store.list(Some(&base)).try_collect().await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    // Only missing keys.
    let deleted: Vec<Path> = store
        .delete_stream(stream::iter(paths[..3].to_vec()).map(Ok).boxed())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(deleted, paths[..3]);
}

/// 5 000 keys come back complete and in order through continuation tokens, and as five
/// pages of 1 000 with `list_paginated`; their 1 250 directories as common prefixes over
/// two pages.
async fn list_5000_keys(server: Server) {
    const N: usize = 5000;
    let store = server.store().await;
    let base = scratch("list5000");
    // 1 250 directories of 4 keys: the delimited listing spans two pages too.
    let paths: Vec<Path> = (0..N)
        .map(|i| {
            base.child(format!("d{:04}", i / 4))
                .child(format!("k{}", i % 4))
        })
        .collect();
    stream::iter(paths.iter())
        .map(|p| store.put(p, PutPayload::from_static(b"")))
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();

    let listed: Vec<Path> = store
        .list(Some(&base))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), N);
    assert!(listed == paths, "keys missing, repeated or out of order");

    let offset = &paths[N - 1500];
    let after: Vec<Path> = store
        .list_with_offset(Some(&base), offset)
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap();
    assert!(after == paths[N - 1499..], "list_with_offset across pages");

    let prefix = format!("{base}/");
    let pages = paginate(&store, &prefix, None).await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.objects.len()).collect();
    assert_eq!(sizes, vec![1000; 5], "page sizes");
    let all: Vec<Path> = pages
        .into_iter()
        .flat_map(|p| p.objects.into_iter().map(|m| m.location))
        .collect();
    assert!(all == paths, "the pages hold every key once, in order");

    // One level: 1 250 common prefixes, over two requests.
    let level = store.list_with_delimiter(Some(&base)).await.unwrap();
    assert!(level.objects.is_empty(), "{:?}", level.objects);
    let dirs: Vec<Path> = (0..N / 4).map(|d| base.child(format!("d{d:04}"))).collect();
    assert!(level.common_prefixes == dirs, "common prefixes over pages");
    let pages = paginate(&store, &prefix, Some("/")).await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.common_prefixes.len()).collect();
    assert_eq!(sizes, vec![1000, 250], "pages of common prefixes");
    let one = store.list_with_delimiter(Some(&dirs[7])).await.unwrap();
    assert_eq!(one.objects.len(), 4);
    assert!(one.common_prefixes.is_empty());

    let deleted = store
        .delete_stream(stream::iter(paths).map(Ok).boxed())
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(deleted.len(), N);
}

/// Every page of `list_paginated` below `prefix` with at most 1 000 entries each; panics
/// after 20 pages.
async fn paginate(
    store: &AmazonS3,
    prefix: &str,
    delimiter: Option<&'static str>,
) -> Vec<ostore_core::ListResult> {
    let mut token: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let opts = PaginatedListOptions {
            max_keys: Some(1000),
            page_token: token.clone(),
            delimiter: delimiter.map(Into::into),
            ..Default::default()
        };
        let page = store.list_paginated(Some(prefix), opts).await.unwrap();
        pages.push(page.result);
        assert!(pages.len() <= 20, "the listing does not end");
        match page.page_token {
            Some(next) => {
                assert_ne!(Some(&next), token.as_ref(), "the same token twice");
                token = Some(next);
            }
            None => return pages,
        }
    }
}

/// Three 5 MiB parts and a small last one through `WriteMultipart`.
async fn multipart_5mib_parts(server: Server) {
    let store = server.store().await;
    let path = scratch("multipart_5mib").child("big");
    let body = data(15 * MIB + 4321, 5);
    let upload = store.put_multipart(&path).await.unwrap();
    let mut writer = WriteMultipart::new_with_chunk_size(upload, 5 * MIB);
    for chunk in body.chunks(777_777) {
        writer.write(chunk);
    }
    let result = writer.finish().await.unwrap();
    let e_tag = result.e_tag.expect("an e-tag");
    assert!(e_tag.ends_with("-4\""), "4 parts: {e_tag}");
    let meta = store.head(&path).await.unwrap();
    assert_eq!(meta.size, body.len() as u64);
    assert_eq!(meta.e_tag.as_deref(), Some(e_tag.as_str()));
    let got = store.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(got.len(), body.len());
    assert_eq!(ostore_aws::hex_sha256(&got), ostore_aws::hex_sha256(&body));
    store.delete(&path).await.unwrap();
}

/// The ids of the unfinished multipart uploads below `prefix` (ListMultipartUploads).
async fn uploads_below(server: Server, prefix: &str) -> Vec<String> {
    let url = format!("{}/{BUCKET}?uploads&prefix={prefix}", server.endpoint());
    let resp = server
        .signed(Method::GET, &url, HeaderMap::new(), b"")
        .await;
    let (status, body) = status_and_text(resp).await;
    assert_eq!(status, StatusCode::OK, "ListMultipartUploads: {body}");
    body.split("<UploadId>")
        .skip(1)
        .map(|s| s.split("</UploadId>").next().unwrap().to_string())
        .collect()
}

/// `abort` removes the upload and its parts from the server, as does a `WriteMultipart`
/// whose `finish` fails; a completed upload is no longer listed either.
async fn aborted_uploads_are_gone(server: Server) {
    let store = server.store().await;
    let base = scratch("aborted_uploads");
    let prefix = format!("{base}/");

    let mut upload = store.put_multipart(&base.child("aborted")).await.unwrap();
    upload
        .put_part(PutPayload::from(data(5 * MIB, 1)))
        .await
        .unwrap();
    assert_eq!(
        uploads_below(server, &prefix).await.len(),
        1,
        "the upload is listed"
    );
    upload.abort().await.unwrap();
    assert_eq!(uploads_below(server, &prefix).await, Vec::<String>::new());
    // Aborting twice is not an error.
    upload.abort().await.unwrap();

    let mut upload = store.put_multipart(&base.child("done")).await.unwrap();
    upload
        .put_part(PutPayload::from_static(b"small"))
        .await
        .unwrap();
    upload.complete().await.unwrap();
    assert_eq!(uploads_below(server, &prefix).await, Vec::<String>::new());

    // A part below the 5 MiB minimum before the last one: the completion is refused and
    // `finish` aborts the upload.
    let upload = store.put_multipart(&base.child("too_small")).await.unwrap();
    let mut writer = WriteMultipart::new_with_chunk_size(upload, MIB);
    writer.write(&data(2 * MIB + 10, 2));
    // Both servers enforce S3's minimum part size.
    let err = writer
        .finish()
        .await
        .expect_err("parts of 1 MiB were accepted");
    assert!(err.to_string().contains("EntityTooSmall"), "{err}");
    assert_eq!(uploads_below(server, &prefix).await, Vec::<String>::new());
}

/// Keys other tools write that are no valid [`Path`] (a directory marker `dir/`, an empty
/// segment `a//b`) are skipped by listings instead of failing them.
async fn foreign_keys_are_skipped(server: Server) {
    let store = server.store().await;
    let base = scratch("foreign_keys");
    let regular = base.child("regular");
    store
        .put(&regular, PutPayload::from_static(b"r"))
        .await
        .unwrap();
    for key in ["marker/", "x//y"] {
        let url = server.key_url(&format!("{base}/{key}"));
        let resp = server
            .signed(Method::PUT, &url, HeaderMap::new(), b"")
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "raw PUT of {key}");
    }
    // SeaweedFS (a file system underneath) stores `x//y` as `x/y`, a valid path; moto
    // keeps the key as sent.
    let expected = match server {
        Server::SeaweedFs => vec![regular.clone(), base.child("x").child("y")],
        Server::Moto => vec![regular.clone()],
    };
    let listed: Vec<Path> = store
        .list(Some(&base))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, expected, "the directory marker is not an object");
    let level = store.list_with_delimiter(Some(&base)).await.unwrap();
    let objects: Vec<&Path> = level.objects.iter().map(|m| &m.location).collect();
    assert_eq!(objects, vec![&regular]);
    assert_eq!(
        level.common_prefixes,
        vec![base.child("marker"), base.child("x")]
    );
    let inside = store
        .list_with_delimiter(Some(&base.child("marker")))
        .await
        .unwrap();
    assert!(
        inside.objects.is_empty(),
        "the marker is not an object inside its directory: {:?}",
        inside.objects
    );
}

/// Older versions of an object are read with `GetOptions::version`.
async fn older_versions(server: Server) {
    server.enable_versioning().await;
    let store = server.store().await;
    let path = scratch("versions").child("obj");
    let v1 = store
        .put(&path, PutPayload::from_static(b"first"))
        .await
        .unwrap();
    let v2 = store
        .put(&path, PutPayload::from_static(b"second, longer"))
        .await
        .unwrap();
    let (v1, v2) = (
        v1.version.expect("a version"),
        v2.version.expect("a version"),
    );
    assert_ne!(v1, v2);

    let get = |version: &str, head: bool| GetOptions {
        version: Some(version.to_string()),
        head,
        ..Default::default()
    };
    let old = store.get_opts(&path, get(&v1, false)).await.unwrap();
    assert_eq!(old.meta.version.as_deref(), Some(v1.as_str()));
    assert_eq!(old.bytes().await.unwrap().as_ref(), b"first");
    let head = store.get_opts(&path, get(&v1, true)).await.unwrap();
    assert_eq!(head.meta.size, 5);
    let latest = store.get(&path).await.unwrap();
    assert_eq!(latest.meta.version.as_deref(), Some(v2.as_str()));

    // Deleting adds a delete marker; the versions stay readable.
    store.delete(&path).await.unwrap();
    let err = store.get(&path).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let old = store.get_opts(&path, get(&v1, false)).await.unwrap();
    assert_eq!(old.bytes().await.unwrap().as_ref(), b"first");
    let newer = store.get_opts(&path, get(&v2, false)).await.unwrap();
    assert_eq!(newer.bytes().await.unwrap().as_ref(), b"second, longer");

    let err = store
        .get_opts(&path, get("no-such-version", false))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { .. } | Error::Generic { .. }),
        "{err:?}"
    );
}
