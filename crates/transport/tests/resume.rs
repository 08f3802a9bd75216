//! Resuming a download whose body breaks off, against an in-process HTTP server that resets
//! the connection part-way through the body.

use bytes::Bytes;
use futures::{FutureExt, StreamExt, TryStreamExt, stream};
use http::header::{CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_MATCH, RANGE};
use http::{HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use ostore_core::{Error, GetRange, Result};
use ostore_transport::headers::validate_content_range;
use ostore_transport::resume::{FetchRest, resumable};
use ostore_transport::test_server::{Reply, Seen, TestServer};
use ostore_transport::{ClientOptions, HttpClient, RetryConfig};
use std::ops::Range;
use std::sync::Arc;

const SIZE: usize = 300_000;

fn object() -> Bytes {
    (0..SIZE)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<_>>()
        .into()
}

fn client() -> HttpClient {
    HttpClient::new(
        ClientOptions::new().with_allow_http(true),
        RetryConfig::default(),
    )
    .unwrap()
}

/// A response that announces `full` bytes but sends only `data`, then breaks the connection.
fn broken(data: Bytes, full: usize, status: u16, extra: Option<(&'static str, String)>) -> Reply {
    // The pause lets the server flush the head and the data before it breaks off.
    let frames = stream::iter(vec![Ok(Frame::data(data))]).chain(stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        Err(std::io::Error::other("scripted reset mid-body"))
    }));
    let mut resp = http::Response::new(BodyExt::boxed(StreamBody::new(frames)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap();
    let h = resp.headers_mut();
    h.insert(CONTENT_LENGTH, HeaderValue::from(full));
    h.insert(ETAG, HeaderValue::from_static("\"v1\""));
    if let Some((name, value)) = extra {
        h.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    Reply::Response(resp)
}

/// A complete `206` answer for `range` of the object.
fn partial(object: &Bytes, range: Range<usize>) -> Reply {
    let body = http_body_util::Full::new(object.slice(range.clone()))
        .map_err(|e: std::convert::Infallible| match e {})
        .boxed();
    let mut resp = http::Response::new(body);
    *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    let h = resp.headers_mut();
    let value = format!("bytes {}-{}/{SIZE}", range.start, range.end - 1);
    h.insert(CONTENT_RANGE, HeaderValue::from_str(&value).unwrap());
    h.insert(ETAG, HeaderValue::from_static("\"v1\""));
    Reply::Response(resp)
}

/// The ranged, conditional request a store sends to fetch the rest.
fn fetch_rest(client: HttpClient, url: String) -> FetchRest {
    Arc::new(move |range: Range<u64>, e_tag: String| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let requested = GetRange::Bounded(range.clone());
            let resp = client
                .request(Method::GET, &url)
                .header(
                    RANGE,
                    HeaderValue::from_str(&requested.to_string()).unwrap(),
                )
                .header(IF_MATCH, HeaderValue::from_str(&e_tag).unwrap())
                .context("test", "object")
                .send()
                .await?;
            validate_content_range("test", resp.headers(), &requested)?;
            Ok(resp.into_stream())
        }
        .boxed()
    })
}

async fn download(server: &TestServer, max_resumes: usize, e_tag: bool) -> Result<Bytes> {
    let client = client();
    let url = server.url("/object");
    let resp = client.request(Method::GET, &url).send().await?;
    let e_tag = e_tag.then(|| resp.headers()[ETAG].to_str().unwrap().to_string());
    let body = resumable(
        "test",
        resp.into_stream(),
        0..SIZE as u64,
        e_tag,
        max_resumes,
        fetch_rest(client, url),
    );
    let chunks: Vec<Bytes> = body.try_collect().await?;
    Ok(chunks.concat().into())
}

fn if_match_and_range(seen: &Seen) -> (Option<String>, Option<String>) {
    let get = |name: http::header::HeaderName| {
        seen.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    (get(IF_MATCH), get(RANGE))
}

#[tokio::test]
async fn a_body_broken_twice_is_resumed_and_identical() {
    let data = object();
    let d = data.clone();
    let server = TestServer::start(move |_seen, n| {
        let d = d.clone();
        async move {
            match n {
                0 => broken(d.slice(..100_000), SIZE, 200, None),
                // The first resume breaks too, 50 000 bytes into its range.
                1 => broken(
                    d.slice(100_000..150_000),
                    200_000,
                    206,
                    Some(("content-range", format!("bytes 100000-{}/{SIZE}", SIZE - 1))),
                ),
                _ => partial(&d, 150_000..SIZE),
            }
        }
    })
    .await;
    let got = download(&server, 3, true).await.unwrap();
    assert_eq!(got, data, "resumed bytes differ from the object");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(if_match_and_range(&requests[0]), (None, None));
    assert_eq!(
        if_match_and_range(&requests[1]),
        (
            Some("\"v1\"".into()),
            Some(format!("bytes=100000-{}", SIZE - 1))
        )
    );
    assert_eq!(
        if_match_and_range(&requests[2]),
        (
            Some("\"v1\"".into()),
            Some(format!("bytes=150000-{}", SIZE - 1))
        )
    );
}

#[tokio::test]
async fn a_changed_object_is_not_stitched_onto_the_old_one() {
    let data = object();
    let server = TestServer::start(move |_seen, n| {
        let d = data.clone();
        async move {
            match n {
                0 => broken(d.slice(..100_000), SIZE, 200, None),
                _ => Reply::status(412),
            }
        }
    })
    .await;
    let err = download(&server, 3, true).await.unwrap_err();
    assert!(matches!(err, Error::Precondition { .. }), "{err:?}");
}

#[tokio::test]
async fn without_an_e_tag_or_resumes_left_the_failure_is_reported() {
    for (max_resumes, e_tag) in [(3, false), (0, true)] {
        let data = object();
        let server = TestServer::start(move |_seen, _n| {
            let d = data.clone();
            async move { broken(d.slice(..100_000), SIZE, 200, None) }
        })
        .await;
        assert!(download(&server, max_resumes, e_tag).await.is_err());
        assert_eq!(server.hits(), 1, "no resume was attempted");
    }
}

#[tokio::test]
async fn a_resume_that_keeps_breaking_gives_up_after_the_limit() {
    let data = object();
    let server = TestServer::start(move |_seen, _n| {
        let d = data.clone();
        async move { broken(d.slice(..10), SIZE, 200, None) }
    })
    .await;
    // Resume answers are 200s without Content-Range: refused, never spliced in.
    let err = download(&server, 2, true).await.unwrap_err();
    assert!(err.to_string().contains("Content-Range"), "{err}");
}
