//! S3 Express One Zone sessions against an in-process server (no emulator offers
//! `CreateSession`): the session is fetched once with the account credentials and signed for
//! `s3express`; object requests are signed with the session credentials and carry
//! `x-amz-s3session-token`, never the account's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use http::Method;
use ostore_aws::AmazonS3Builder;
use ostore_core::ObjectStore;
use ostore_core::path::Path;
use ostore_transport::test_server::{Reply, Seen, TestServer};

const BUCKET: &str = "data--use1-az4--x-s3";

fn session_xml(n: usize) -> String {
    let expires = (Utc::now() + Duration::minutes(5)).to_rfc3339();
    format!(
        "<CreateSessionResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Credentials>\
         <SessionToken>session-token-{n}</SessionToken><SecretAccessKey>session-secret</SecretAccessKey>\
         <AccessKeyId>ASIASESSION{n}</AccessKeyId><Expiration>{expires}</Expiration>\
         </Credentials></CreateSessionResult>"
    )
}

fn header<'a>(seen: &'a Seen, name: &str) -> &'a str {
    seen.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn directory_buckets_sign_with_session_credentials() {
    let sessions = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&sessions);
    let server = TestServer::start(move |seen: Seen, _| {
        let counter = Arc::clone(&counter);
        async move {
            match (seen.method.clone(), seen.uri.query()) {
                (Method::GET, Some("session")) => {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    Reply::text(200, &session_xml(n))
                }
                (Method::PUT, None) => Reply::status(200).with_header("etag", "\"e\""),
                _ => Reply::status(400),
            }
        }
    })
    .await;
    let store = AmazonS3Builder::new()
        .with_endpoint(server.url(""))
        .with_bucket_name(BUCKET)
        .with_region("us-east-1")
        .with_access_key_id("AKIDACCOUNT")
        .with_secret_access_key("account-secret")
        .with_token("account-token")
        .with_s3_express(true)
        .with_allow_http(true)
        .build()
        .unwrap();
    for i in 0..3 {
        store
            .put(&Path::from(format!("k{i}")), "x".into())
            .await
            .unwrap();
    }
    let seen = server.requests();
    assert_eq!(
        sessions.load(Ordering::SeqCst),
        1,
        "one session for all requests"
    );
    let create = &seen[0];
    assert_eq!(create.uri.path(), format!("/{BUCKET}"));
    let auth = header(create, "authorization");
    assert!(auth.contains("Credential=AKIDACCOUNT/"), "{auth}");
    assert!(auth.contains("/us-east-1/s3express/aws4_request"), "{auth}");
    assert_eq!(header(create, "x-amz-security-token"), "account-token");
    for put in &seen[1..] {
        assert_eq!(put.method, Method::PUT);
        let auth = header(put, "authorization");
        assert!(auth.contains("Credential=ASIASESSION0/"), "{auth}");
        assert!(auth.contains("/s3express/aws4_request"), "{auth}");
        assert!(
            auth.contains("x-amz-s3session-token"),
            "the session token is signed: {auth}"
        );
        assert_eq!(header(put, "x-amz-s3session-token"), "session-token-0");
        assert_eq!(header(put, "x-amz-security-token"), "");
    }
}

#[tokio::test]
async fn a_refused_session_is_an_error_without_secrets() {
    let server = TestServer::start(|_seen: Seen, _| async move {
        Reply::text(
            403,
            "<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
        )
    })
    .await;
    let store = AmazonS3Builder::new()
        .with_endpoint(server.url(""))
        .with_bucket_name(BUCKET)
        .with_access_key_id("AKIDACCOUNT")
        .with_secret_access_key("account-secret")
        .with_s3_express(true)
        .with_allow_http(true)
        .with_retry(ostore_transport::RetryConfig {
            max_retries: 0,
            ..Default::default()
        })
        .build()
        .unwrap();
    let err = store.get(&Path::from("k")).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        matches!(err, ostore_core::Error::PermissionDenied { .. }),
        "{text}"
    );
    assert!(!text.contains("account-secret"), "{text}");
}
