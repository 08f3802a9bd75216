//! Faults S3 servers produce, scripted with the transport's in-process test server: errors
//! hidden in `200` answers, retried statuses, malformed and inconsistent XML, per-key
//! failures of bulk deletes; and what every request carries (SigV4 headers, `Content-MD5`).
//!
//! Retries use a backoff of a few milliseconds, so the whole file runs in well under a
//! second.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use http::Method;
use md5::Digest as _;
use ostore_aws::{AmazonS3, AmazonS3Builder, AwsAuthorizer, AwsCredential, EMPTY_SHA256_HASH};
use ostore_aws::{UNSIGNED_PAYLOAD, hex_sha256};
use ostore_core::multipart::MultipartStore;
use ostore_core::path::Path;
use ostore_core::{Error, ObjectStore, PutPayload};
use ostore_transport::test_server::{Reply, Seen, TestServer};
use ostore_transport::{BackoffConfig, RetryConfig};

const KEY_ID: &str = "AKIDFAULTS";
const SECRET: &str = "faults/secret+key";
const BUCKET: &str = "bkt";

const INTERNAL_ERROR: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>R1</RequestId></Error>"#;
const ACCESS_DENIED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R2</RequestId></Error>"#;
const COPY_OK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>"c0ffee"</ETag></CopyObjectResult>"#;
const INITIATE_OK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>obj</Key><UploadId>UP1</UploadId></InitiateMultipartUploadResult>"#;
const COMPLETE_OK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult><Bucket>bkt</Bucket><Key>obj</Key><ETag>"abc-1"</ETag></CompleteMultipartUploadResult>"#;
const DELETE_OK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>"#;

/// Retries after 1–5 ms, at most 3 of them.
fn fast_retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            base: 2.0,
        },
        max_retries: 3,
        retry_timeout: Duration::from_secs(5),
    }
}

/// A builder for a path-style store on `server` with static credentials and fast retries.
fn builder(server: &TestServer) -> AmazonS3Builder {
    AmazonS3Builder::new()
        .with_endpoint(server.url(""))
        .with_bucket_name(BUCKET)
        .with_region("us-east-1")
        .with_access_key_id(KEY_ID)
        .with_secret_access_key(SECRET)
        .with_allow_http(true)
        .with_retry(fast_retry())
}

fn store(server: &TestServer) -> AmazonS3 {
    builder(server).build().unwrap()
}

/// The headers of a successful GetObject of `body`.
fn object(body: &str) -> Reply {
    Reply::text(200, body)
        .with_header("etag", "\"e1\"")
        .with_header("last-modified", "Tue, 02 Jan 2024 03:04:05 GMT")
        .with_header("content-length", &body.len().to_string())
}

fn header<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers.get(name).map(|v| v.to_str().unwrap())
}

/// Recomputes the SigV4 `authorization` of a received request from its other headers and
/// checks it is the one sent: the server could verify it with the secret.
fn assert_signature_valid(seen: &Seen, authority: &str) {
    let date = header(seen, "x-amz-date").expect("x-amz-date");
    let date: DateTime<Utc> = NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    let payload = header(seen, "x-amz-content-sha256").expect("x-amz-content-sha256");
    let sent = header(seen, "authorization").expect("authorization");
    let signed_headers = sent
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap();
    let mut request = http::Request::new(());
    *request.method_mut() = seen.method.clone();
    *request.uri_mut() = format!("http://{authority}{}", seen.uri).parse().unwrap();
    for name in signed_headers.split(';') {
        let value = seen.headers.get(name).unwrap_or_else(|| {
            panic!("signed header {name} was not sent");
        });
        request.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.clone(),
        );
    }
    let credential = AwsCredential {
        key_id: KEY_ID.into(),
        secret_key: SECRET.into(),
        token: None,
    };
    AwsAuthorizer::new(&credential, "s3", "us-east-1")
        .authorize(&mut request, payload, date)
        .unwrap();
    assert_eq!(
        request.headers()["authorization"].to_str().unwrap(),
        sent,
        "the signature does not match the request as received"
    );
}

#[tokio::test]
async fn copy_internal_error_in_200_is_retried() {
    let server = TestServer::script(vec![
        Reply::text(200, INTERNAL_ERROR),
        Reply::text(200, INTERNAL_ERROR),
        Reply::text(200, COPY_OK),
    ])
    .await;
    store(&server)
        .copy(&Path::from("src"), &Path::from("dst"))
        .await
        .unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 3, "two retries after the errors in 200 answers");
    for s in &seen {
        assert_eq!(s.method, Method::PUT);
        assert_eq!(s.uri.path(), "/bkt/dst");
        assert_eq!(header(s, "x-amz-copy-source"), Some("/bkt/src"));
    }
}

#[tokio::test]
async fn copy_access_denied_in_200_is_not_retried() {
    let server = TestServer::script(vec![
        Reply::text(200, ACCESS_DENIED),
        Reply::text(200, COPY_OK),
    ])
    .await;
    let err = store(&server)
        .copy(&Path::from("src"), &Path::from("dst"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::PermissionDenied { ref path, .. } if path == "dst"),
        "{err:?}"
    );
    assert!(err.to_string().contains("AccessDenied"), "{err}");
    assert_eq!(server.hits(), 1, "AccessDenied is final");
}

#[tokio::test]
async fn copy_internal_error_gives_up_after_max_retries() {
    let server = TestServer::start(|_, _| async { Reply::text(200, INTERNAL_ERROR) }).await;
    let err = store(&server)
        .copy(&Path::from("src"), &Path::from("dst"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("InternalError"), "{err}");
    assert_eq!(server.hits(), 4, "one attempt and max_retries (3) retries");
}

/// Answers the multipart requests in order; the completion gets the `complete` replies one
/// after the other.
async fn multipart_server(complete: Vec<&'static str>) -> TestServer {
    let complete = std::sync::Mutex::new(std::collections::VecDeque::from(complete));
    let complete = std::sync::Arc::new(complete);
    TestServer::start(move |seen, _| {
        let complete = complete.clone();
        async move {
            let query = seen.uri.query().unwrap_or("");
            match (seen.method.clone(), query) {
                (Method::POST, "uploads") => Reply::text(200, INITIATE_OK),
                (Method::PUT, q) if q.starts_with("partNumber=") => {
                    Reply::status(200).with_header("etag", "\"p1\"")
                }
                (Method::POST, "uploadId=UP1") => {
                    let body = complete.lock().unwrap().pop_front().unwrap_or(COMPLETE_OK);
                    Reply::text(200, body)
                }
                _ => Reply::status(400),
            }
        }
    })
    .await
}

fn completions(server: &TestServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|s| s.method == Method::POST && s.uri.query() == Some("uploadId=UP1"))
        .count()
}

#[tokio::test]
async fn complete_multipart_internal_error_in_200_is_retried() {
    let server = multipart_server(vec![INTERNAL_ERROR, COMPLETE_OK]).await;
    let s3 = store(&server);
    let path = Path::from("obj");
    let id = s3.create_multipart(&path).await.unwrap();
    assert_eq!(id, "UP1");
    let part = s3
        .put_part(&path, &id, 0, PutPayload::from_static(b"part one"))
        .await
        .unwrap();
    let result = s3.complete_multipart(&path, &id, vec![part]).await.unwrap();
    assert_eq!(result.e_tag.as_deref(), Some("\"abc-1\""));
    assert_eq!(completions(&server), 2);
    let body = server.requests().last().unwrap().body.clone();
    let body = std::str::from_utf8(&body).unwrap();
    assert!(
        body.contains("<PartNumber>1</PartNumber>") && body.contains("p1"),
        "{body}"
    );
}

#[tokio::test]
async fn complete_multipart_access_denied_in_200_is_an_error() {
    let server = multipart_server(vec![ACCESS_DENIED, COMPLETE_OK]).await;
    let s3 = store(&server);
    let path = Path::from("obj");
    let mut upload = s3.put_multipart(&path).await.unwrap();
    upload
        .put_part(PutPayload::from_static(b"data"))
        .await
        .unwrap();
    let err = upload.complete().await.unwrap_err();
    assert!(
        matches!(err, Error::PermissionDenied { ref path, .. } if path == "obj"),
        "{err:?}"
    );
    assert_eq!(completions(&server), 1, "AccessDenied is not retried");
}

#[tokio::test]
async fn delete_objects_internal_error_in_200_is_retried() {
    let server = TestServer::script(vec![
        Reply::text(200, INTERNAL_ERROR),
        Reply::text(200, DELETE_OK),
    ])
    .await;
    let s3 = store(&server);
    let paths = vec![Path::from("a"), Path::from("b/c")];
    let deleted: Vec<Path> = s3
        .delete_stream(stream::iter(paths.clone()).map(Ok).boxed())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(deleted, paths);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, Method::POST);
    assert_eq!(seen[1].uri.path(), "/bkt");
    assert_eq!(seen[1].uri.query(), Some("delete"));
    assert_eq!(seen[0].body, seen[1].body, "the retry sends the same body");
}

#[tokio::test]
async fn delete_objects_access_denied_in_200_is_an_error() {
    let server = TestServer::script(vec![
        Reply::text(200, ACCESS_DENIED),
        Reply::text(200, DELETE_OK),
    ])
    .await;
    let s3 = store(&server);
    let results: Vec<_> = s3
        .delete_stream(stream::iter([Ok(Path::from("a")), Ok(Path::from("b"))]).boxed())
        .collect()
        .await;
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r.is_err()), "{results:?}");
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(Error::PermissionDenied { .. }))),
        "{results:?}"
    );
    assert_eq!(server.hits(), 1, "AccessDenied is not retried");
}

#[tokio::test]
async fn delete_objects_per_key_errors_name_their_keys() {
    let answer = r#"<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted><Key>ok</Key></Deleted>
  <Error><Key>locked &amp; key</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
  <Error><Key>gone</Key><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>
  <Error><Key>busy</Key><Code>InternalError</Code><Message>try again</Message></Error>
</DeleteResult>"#;
    let server = TestServer::script(vec![Reply::text(200, answer)]).await;
    let s3 = store(&server);
    let keys = ["ok", "locked & key", "gone", "busy"];
    let results: Vec<_> = s3
        .delete_stream(stream::iter(keys.map(|k| Ok(Path::from(k)))).boxed())
        .collect()
        .await;
    assert_eq!(results.len(), 4, "{results:?}");
    // One result per key, in the order given.
    assert_eq!(results[0].as_ref().unwrap().as_ref(), "ok");
    match &results[1] {
        Err(Error::PermissionDenied { path, source }) => {
            assert_eq!(path, "locked & key");
            assert!(source.to_string().contains("AccessDenied"), "{source}");
        }
        other => panic!("expected PermissionDenied naming the key, got {other:?}"),
    }
    assert_eq!(
        results[2].as_ref().unwrap().as_ref(),
        "gone",
        "a key already gone counts as deleted"
    );
    // A failure of another kind must name its key too, or the caller cannot tell which
    // of a thousand keys is left.
    let busy = results[3].as_ref().unwrap_err().to_string();
    assert!(busy.contains("InternalError"), "{busy}");
    assert!(
        busy.contains("busy"),
        "the error does not name its key: {busy}"
    );
    assert_eq!(server.hits(), 1);
    // The key was escaped in the request body.
    let body = server.requests()[0].body.clone();
    assert!(
        std::str::from_utf8(&body)
            .unwrap()
            .contains("<Key>locked &amp; key</Key>"),
        "{body:?}"
    );
}

#[tokio::test]
async fn delete_objects_sends_a_matching_content_md5() {
    let server = TestServer::script(vec![Reply::text(200, DELETE_OK)]).await;
    let s3 = store(&server);
    let keys: Vec<Path> = (0..25)
        .map(|i| Path::from(format!("dir/key-{i}")))
        .collect();
    let deleted: Vec<Path> = s3
        .delete_stream(stream::iter(keys.clone()).map(Ok).boxed())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(deleted, keys);
    let seen = &server.requests()[0];
    assert!(!seen.body.is_empty());
    let expected = ostore_transport::base64::encode(&md5::Md5::digest(&seen.body));
    assert_eq!(header(seen, "content-md5"), Some(expected.as_str()));
    assert_eq!(
        header(seen, "x-amz-content-sha256"),
        Some(hex_sha256(&seen.body).as_str())
    );
    assert_signature_valid(seen, &server.url("")["http://".len()..]);
}

#[tokio::test]
async fn get_503_then_200_is_retried() {
    let server = TestServer::script(vec![
        Reply::text(503, "<Error><Code>SlowDown</Code></Error>"),
        object("hello"),
    ])
    .await;
    let s3 = store(&server);
    let got = s3.get(&Path::from("obj")).await.unwrap();
    assert_eq!(got.meta.e_tag.as_deref(), Some("\"e1\""));
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"hello");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn get_403_is_permission_denied_and_not_retried() {
    let server = TestServer::script(vec![Reply::text(403, ACCESS_DENIED), object("x")]).await;
    let err = store(&server).get(&Path::from("obj")).await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    assert_eq!(server.hits(), 1);
}

async fn list_error(answer: &'static str) -> Error {
    let server = TestServer::start(move |_, _| async move { Reply::text(200, answer) }).await;
    let s3 = store(&server);
    let listed: Result<Vec<_>, _> = s3.list(Some(&Path::from("p"))).try_collect().await;
    let err = listed.unwrap_err();
    let delimited = s3.list_with_delimiter(None).await.unwrap_err();
    assert!(matches!(delimited, Error::Generic { .. }), "{delimited:?}");
    err
}

#[tokio::test]
async fn malformed_list_xml_is_an_error() {
    for answer in [
        "<ListBucketResult><Contents><Key>p/a</Key>",
        "this is not XML",
        "<ListBucketResult><Contents><Key>p/a</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><Size>many</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>p/a</Key><LastModified>yesterday</LastModified><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
    ] {
        let err = list_error(answer).await;
        assert!(matches!(err, Error::Generic { .. }), "{answer}: {err:?}");
    }
}

#[tokio::test]
async fn truncated_listing_without_token_is_an_error() {
    let answer = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult><Name>bkt</Name><Prefix>p/</Prefix><IsTruncated>true</IsTruncated>
<Contents><Key>p/a</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>"e"</ETag><Size>1</Size></Contents>
</ListBucketResult>"#;
    let err = list_error(answer).await;
    assert!(
        err.to_string().contains("continuation token"),
        "the error says why: {err}"
    );
}

#[tokio::test]
async fn requests_are_signed() {
    let server = TestServer::start(|seen, _| async move {
        match seen.method {
            Method::PUT => Reply::status(200).with_header("etag", "\"e1\""),
            _ => object("hello"),
        }
    })
    .await;
    let s3 = store(&server);
    let authority = server.url("")["http://".len()..].to_string();
    s3.put(&Path::from("dir/a b"), PutPayload::from_static(b"payload"))
        .await
        .unwrap();
    s3.get(&Path::from("dir/a b")).await.unwrap();
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        let auth = header(s, "authorization").expect("authorization header");
        assert!(
            auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={KEY_ID}/")),
            "{auth}"
        );
        assert!(auth.contains("/us-east-1/s3/aws4_request"), "{auth}");
        assert!(header(s, "x-amz-date").is_some());
        assert!(!auth.contains(SECRET));
        assert_signature_valid(s, &authority);
    }
    assert_eq!(seen[0].uri.path(), "/bkt/dir/a%20b");
    assert_eq!(
        header(&seen[0], "x-amz-content-sha256"),
        Some(hex_sha256(b"payload").as_str())
    );
    assert_eq!(
        header(&seen[1], "x-amz-content-sha256"),
        Some(EMPTY_SHA256_HASH)
    );
}

#[tokio::test]
async fn skip_signature_sends_no_authorization() {
    let server = TestServer::start(|seen, _| async move {
        match seen.method {
            Method::PUT => Reply::status(200),
            _ => object("hi"),
        }
    })
    .await;
    // No credentials at all: nothing is looked up either.
    let s3 = AmazonS3Builder::new()
        .with_endpoint(server.url(""))
        .with_bucket_name(BUCKET)
        .with_allow_http(true)
        .with_retry(fast_retry())
        .with_skip_signature(true)
        .build()
        .unwrap();
    s3.put(&Path::from("a"), PutPayload::from_static(b"x"))
        .await
        .unwrap();
    assert_eq!(
        s3.get(&Path::from("a"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        "hi"
    );
    for s in server.requests() {
        assert!(s.headers.get("authorization").is_none(), "{s:?}");
        assert!(s.headers.get("x-amz-date").is_none(), "{s:?}");
    }
}

#[tokio::test]
async fn unsigned_payload_is_declared() {
    let server =
        TestServer::start(|_, _| async { Reply::status(200).with_header("etag", "\"e\"") }).await;
    let s3 = builder(&server)
        .with_unsigned_payload(true)
        .build()
        .unwrap();
    s3.put(&Path::from("a"), PutPayload::from_static(b"body"))
        .await
        .unwrap();
    let seen = &server.requests()[0];
    assert_eq!(header(seen, "x-amz-content-sha256"), Some(UNSIGNED_PAYLOAD));
    assert!(header(seen, "authorization").is_some());
    assert_signature_valid(seen, &server.url("")["http://".len()..]);
    assert_eq!(seen.body.as_ref(), b"body");
}

/// With SSE-C, every request reading the source of a copy carries the source's customer
/// key: CopyObject, and the UploadPartCopy parts of `copy_if_not_exists` in the multipart
/// mode (S3 refuses to read an SSE-C source without it). moto ignores SSE-C and SeaweedFS
/// refuses SSE-C part copies altogether, so only a scripted server shows what is sent.
#[tokio::test]
async fn ssec_copies_send_the_source_key() {
    let server = TestServer::start(|seen, _| async move {
        let query = seen.uri.query().unwrap_or("").to_string();
        match seen.method.clone() {
            Method::HEAD => object(""),
            Method::POST if query == "uploads" => Reply::text(200, INITIATE_OK),
            Method::POST => Reply::text(200, COMPLETE_OK),
            Method::PUT if query.starts_with("partNumber=") => Reply::text(
                200,
                r#"<CopyPartResult><ETag>"p1"</ETag><LastModified>2024-01-02T03:04:05.000Z</LastModified></CopyPartResult>"#,
            ),
            Method::PUT => Reply::text(200, COPY_OK),
            _ => Reply::status(400),
        }
    })
    .await;
    let key = ostore_transport::base64::encode(&[7; 32]);
    let key_md5 = ostore_transport::base64::encode(&md5::Md5::digest([7; 32]));
    let s3 = builder(&server)
        .with_ssec_encryption(key.clone())
        .with_copy_if_not_exists(ostore_aws::S3CopyIfNotExists::Multipart)
        .build()
        .unwrap();
    s3.copy(&Path::from("src"), &Path::from("plain-copy"))
        .await
        .unwrap();
    s3.copy_if_not_exists(&Path::from("src"), &Path::from("guarded-copy"))
        .await
        .unwrap();
    let seen = server.requests();
    let copies: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.headers.contains_key("x-amz-copy-source"))
        .collect();
    assert_eq!(copies.len(), 2, "CopyObject and one UploadPartCopy");
    for s in copies {
        let what = format!("{} {}", s.method, s.uri);
        for prefix in [
            "x-amz-server-side-encryption-customer",
            "x-amz-copy-source-server-side-encryption-customer",
        ] {
            assert_eq!(
                header(s, &format!("{prefix}-algorithm")),
                Some("AES256"),
                "{what}: {prefix}-algorithm"
            );
            assert_eq!(
                header(s, &format!("{prefix}-key")),
                Some(key.as_str()),
                "{what}: {prefix}-key"
            );
            assert_eq!(
                header(s, &format!("{prefix}-key-md5")),
                Some(key_md5.as_str()),
                "{what}: {prefix}-key-md5"
            );
        }
    }
}

/// `copy_if_not_exists` in the multipart mode whose completion finds the destination
/// taken (412) is `AlreadyExists`, and the upload is aborted.
#[tokio::test]
async fn multipart_copy_if_not_exists_conflict_aborts() {
    let server = TestServer::start(|seen, _| async move {
        let query = seen.uri.query().unwrap_or("").to_string();
        match seen.method.clone() {
            Method::HEAD => object("abc"),
            Method::POST if query == "uploads" => Reply::text(200, INITIATE_OK),
            Method::POST => Reply::text(
                412,
                "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>",
            ),
            Method::PUT => Reply::text(200, r#"<CopyPartResult><ETag>"p1"</ETag></CopyPartResult>"#),
            Method::DELETE => Reply::status(204),
            _ => Reply::status(400),
        }
    })
    .await;
    let s3 = builder(&server)
        .with_copy_if_not_exists(ostore_aws::S3CopyIfNotExists::Multipart)
        .build()
        .unwrap();
    let err = s3
        .copy_if_not_exists(&Path::from("src"), &Path::from("dst"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { ref path, .. } if path == "dst"),
        "{err:?}"
    );
    let seen = server.requests();
    let complete = seen
        .iter()
        .find(|s| s.method == Method::POST && s.uri.query() == Some("uploadId=UP1"))
        .expect("a completion");
    assert_eq!(header(complete, "if-none-match"), Some("*"));
    let part = seen
        .iter()
        .find(|s| s.method == Method::PUT)
        .expect("an UploadPartCopy");
    assert_eq!(header(part, "x-amz-copy-source"), Some("/bkt/src"));
    assert_eq!(
        header(part, "x-amz-copy-source-if-match"),
        Some("\"e1\""),
        "the part copies the version that was headed"
    );
    let last = seen.last().unwrap();
    assert_eq!(last.method, Method::DELETE, "the upload is aborted");
    assert_eq!(last.uri.query(), Some("uploadId=UP1"));
}

/// `delete_stream` sends at most 1 000 keys per DeleteObjects and returns every path once.
#[tokio::test]
async fn delete_stream_batches_of_1000() {
    let server = TestServer::start(|_, _| async { Reply::text(200, DELETE_OK) }).await;
    let s3 = store(&server);
    let paths: Vec<Path> = (0..2500).map(|i| Path::from(format!("k/{i:04}"))).collect();
    let mut deleted: Vec<Path> = s3
        .delete_stream(stream::iter(paths.clone()).map(Ok).boxed())
        .try_collect()
        .await
        .unwrap();
    deleted.sort();
    assert_eq!(deleted, paths);
    let mut sizes: Vec<usize> = server
        .requests()
        .iter()
        .map(|s| {
            let body = std::str::from_utf8(&s.body).unwrap();
            assert!(body.contains("<Quiet>true</Quiet>"), "{body}");
            let expected = ostore_transport::base64::encode(&md5::Md5::digest(&s.body));
            assert_eq!(header(s, "content-md5"), Some(expected.as_str()));
            body.matches("<Object>").count()
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![500, 1000, 1000]);
}

fn list_page(keys: &[&str], token: Option<&str>) -> Reply {
    let mut body = String::from("<ListBucketResult>");
    for key in keys {
        body.push_str(&format!(
            "<Contents><Key>{key}</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>\"e\"</ETag><Size>1</Size></Contents>"
        ));
    }
    match token {
        Some(t) => body.push_str(&format!(
            "<IsTruncated>true</IsTruncated><NextContinuationToken>{t}</NextContinuationToken>"
        )),
        None => body.push_str("<IsTruncated>false</IsTruncated>"),
    }
    body.push_str("</ListBucketResult>");
    Reply::text(200, &body)
}

/// Continuation tokens go back exactly (percent-encoded), and keys a server returns
/// outside what was asked (before `start-after`, outside the prefix) are dropped.
#[tokio::test]
async fn listing_follows_tokens_and_filters() {
    let server = TestServer::start(|seen, _| async move {
        let query = seen.uri.query().unwrap_or("").to_string();
        if query.contains("continuation-token=") {
            list_page(&["p/c", "p/d", "q/x"], None)
        } else {
            // A server that ignores start-after.
            list_page(&["p/a", "p/b"], Some("t+k/n=&amp;1"))
        }
    })
    .await;
    let s3 = store(&server);
    let listed: Vec<String> = s3
        .list_with_offset(Some(&Path::from("p")), &Path::from("p/a"))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, ["p/b", "p/c", "p/d"]);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let first = seen[0].uri.query().unwrap();
    assert!(first.contains("list-type=2"), "{first}");
    assert!(first.contains("prefix=p%2F"), "{first}");
    assert!(first.contains("start-after=p%2Fa"), "{first}");
    let second = seen[1].uri.query().unwrap();
    assert!(
        second.contains("continuation-token=t%2Bk%2Fn%3D%261"),
        "the token goes back as received: {second}"
    );
    assert!(!second.contains("start-after"), "{second}");
}

/// A PUT answered 500 is retried with the same body, signed again.
#[tokio::test]
async fn put_500_is_retried() {
    let server = TestServer::script(vec![
        Reply::text(500, INTERNAL_ERROR),
        Reply::status(200).with_header("etag", "\"e\""),
    ])
    .await;
    let s3 = store(&server);
    let result = s3
        .put(&Path::from("a"), PutPayload::from_static(b"body"))
        .await
        .unwrap();
    assert_eq!(result.e_tag.as_deref(), Some("\"e\""));
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body, seen[1].body);
    let authority = &server.url("")["http://".len()..];
    for s in &seen {
        assert_signature_valid(s, authority);
    }
}

/// A GET answered 503 every time gives up after `max_retries` retries.
#[tokio::test]
async fn get_503_gives_up() {
    let server = TestServer::start(|_, _| async { Reply::status(503) }).await;
    let err = store(&server).get(&Path::from("a")).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(server.hits(), 4);
}

/// A session token is sent (and signed) as `x-amz-security-token`; the requester-pays
/// header is sent when asked for.
#[tokio::test]
async fn session_token_and_request_payer() {
    let server = TestServer::start(|seen, _| async move {
        match seen.method {
            Method::PUT => Reply::status(200),
            _ => object("x"),
        }
    })
    .await;
    let s3 = builder(&server)
        .with_token("SESSION/TOKEN+=")
        .with_request_payer(true)
        .build()
        .unwrap();
    s3.put(&Path::from("a"), PutPayload::from_static(b"x"))
        .await
        .unwrap();
    s3.get(&Path::from("a")).await.unwrap();
    for s in server.requests() {
        assert_eq!(header(&s, "x-amz-security-token"), Some("SESSION/TOKEN+="));
        assert_eq!(header(&s, "x-amz-request-payer"), Some("requester"));
        let auth = header(&s, "authorization").unwrap();
        assert!(auth.contains("x-amz-request-payer"), "{auth}");
        assert!(auth.contains("x-amz-security-token"), "{auth}");
    }
    let url =
        ostore_aws::Signer::signed_url(&s3, Method::GET, &Path::from("a"), Duration::from_secs(60))
            .await
            .unwrap();
    assert!(
        url.query()
            .unwrap()
            .contains("X-Amz-Security-Token=SESSION%2FTOKEN%2B%3D"),
        "{url}"
    );
}

/// With CRC64NVME, the multipart upload is declared a full-object CRC64NVME one, every
/// part carries its CRC, and the completion lists them.
#[tokio::test]
async fn crc64nvme_multipart_headers() {
    let server = multipart_server(vec![]).await;
    let s3 = builder(&server)
        .with_checksum_algorithm(ostore_aws::Checksum::CRC64NVME)
        .build()
        .unwrap();
    let mut upload = s3.put_multipart(&Path::from("obj")).await.unwrap();
    upload
        .put_part(PutPayload::from_static(b"123456789"))
        .await
        .unwrap();
    upload.complete().await.unwrap();
    let seen = server.requests();
    assert_eq!(
        header(&seen[0], "x-amz-checksum-algorithm"),
        Some("CRC64NVME")
    );
    assert_eq!(header(&seen[0], "x-amz-checksum-type"), Some("FULL_OBJECT"));
    // The CRC-64/NVME check value, 0xAE8B14860A799888.
    let crc = ostore_transport::base64::encode(&0xAE8B_1486_0A79_9888_u64.to_be_bytes());
    assert_eq!(
        header(&seen[1], "x-amz-checksum-crc64nvme"),
        Some(crc.as_str())
    );
    let body = std::str::from_utf8(&seen[2].body).unwrap();
    assert!(
        body.contains(&format!("<ChecksumCRC64NVME>{crc}</ChecksumCRC64NVME>")),
        "{body}"
    );
}
