//! End-to-end tests of `HttpClient` against an in-process HTTP server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use ostore_core::{Error, PutPayload, Result};
use ostore_transport::test_server::{Reply, TestServer};
use ostore_transport::{
    BackoffConfig, ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpService,
    RequestBody, RequestError, ResponseBody, RetryConfig,
};

const MS: Duration = Duration::from_millis(1);

fn options() -> ClientOptions {
    ClientOptions::new().with_allow_http(true)
}

fn retry(max_retries: usize) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: MS,
            max_backoff: 5 * MS,
            base: 2.0,
        },
        max_retries,
        retry_timeout: Duration::from_secs(30),
    }
}

fn client(max_retries: usize) -> HttpClient {
    HttpClient::new(options(), retry(max_retries)).unwrap()
}

/// The message of an error with its whole source chain.
fn full_message(e: &Error) -> String {
    let mut out = format!("{e} / {e:?}");
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(&format!(" / {c}"));
        cause = c.source();
    }
    out
}

fn request_error(e: &Error) -> &RequestError {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<RequestError>())
        .unwrap_or_else(|| panic!("not a RequestError: {e:?}"))
}

#[tokio::test]
async fn retries_a_503_then_succeeds() {
    let server = TestServer::script(vec![Reply::status(503), Reply::text(200, "ok")]).await;
    let resp = client(3)
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap(), "ok");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn gives_up_after_max_retries() {
    let server = TestServer::start(|_, _| async { Reply::text(500, "boom") }).await;
    let err = client(3)
        .request(Method::GET, &server.url("/a"))
        .context("S3", "a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(server.hits(), 4, "one try and three retries");
    assert!(matches!(err, Error::Generic { store: "S3", .. }), "{err:?}");
    let msg = full_message(&err);
    assert!(msg.contains("500") && msg.contains("boom"), "{msg}");

    let raw = client(2)
        .request(Method::GET, &server.url("/b"))
        .send_raw()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(server.hits(), 4 + 3);
}

#[tokio::test]
async fn client_errors_map_without_retry() {
    let server = TestServer::start(|seen, _| async move {
        match seen.uri.path() {
            "/404" => Reply::text(404, "<Error>NoSuchKey</Error>"),
            "/403" => Reply::status(403),
            "/412" => Reply::status(412),
            "/401" => Reply::status(401),
            "/409" => Reply::status(409),
            _ => Reply::status(400),
        }
    })
    .await;
    let c = client(5);
    let get = |p: &str| {
        c.request(Method::GET, &server.url(p))
            .context("S3", "some/key")
            .send()
    };
    match get("/404").await.unwrap_err() {
        Error::NotFound { path, source } => {
            assert_eq!(path, "some/key");
            assert!(source.to_string().contains("NoSuchKey"), "{source}");
        }
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        get("/403").await,
        Err(Error::PermissionDenied { .. })
    ));
    assert!(matches!(get("/412").await, Err(Error::Precondition { .. })));
    assert!(matches!(
        get("/401").await,
        Err(Error::Unauthenticated { .. })
    ));
    assert!(matches!(
        get("/400").await,
        Err(Error::Generic { store: "S3", .. })
    ));
    assert_eq!(server.hits(), 5, "no retries");

    let raw = c
        .request(Method::PUT, &server.url("/409"))
        .send_raw()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn retry_after_is_waited() {
    let server = TestServer::script(vec![
        Reply::status(429).with_header("retry-after", "1"),
        Reply::text(200, "late"),
    ])
    .await;
    let start = Instant::now();
    let resp = client(3)
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(resp.bytes().await.unwrap(), "late");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn post_is_not_replayed_after_a_reset_but_get_is() {
    let server = TestServer::script(vec![Reply::Reset, Reply::text(200, "second")]).await;
    let err = client(3)
        .request(Method::POST, &server.url("/upload"))
        .body(PutPayload::from_static(b"data"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(server.hits(), 1, "POST sent once");
    assert_eq!(request_error(&err).kind(), HttpErrorKind::Request);
    assert_eq!(request_error(&err).retries(), 0);

    let server = TestServer::script(vec![Reply::Reset, Reply::text(200, "second")]).await;
    let resp = client(3)
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), "second");
    assert_eq!(server.hits(), 2);

    // A POST declared idempotent is replayed.
    let server = TestServer::script(vec![Reply::Reset, Reply::text(200, "again")]).await;
    let resp = client(3)
        .request(Method::POST, &server.url("/a"))
        .idempotent(true)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), "again");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_stalled_body_hits_the_read_timeout() {
    let server = TestServer::script(vec![Reply::chunks(
        vec![(Duration::ZERO, "first")],
        Some(Duration::from_secs(5)),
    )])
    .await;
    let c = HttpClient::new(
        options().with_read_timeout(Duration::from_millis(200)),
        retry(0),
    )
    .unwrap();
    let resp = c
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap();
    let mut stream = resp.into_stream();
    assert_eq!(stream.next().await.unwrap().unwrap(), "first");
    let start = Instant::now();
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(matches!(err, Error::Generic { .. }), "{err:?}");
    assert!(full_message(&err).contains("read timeout"), "{err}");
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );
}

#[tokio::test]
async fn a_slow_body_outlives_the_request_timeout() {
    let step = Duration::from_millis(100);
    let server = TestServer::script(vec![Reply::chunks(
        vec![
            (step, "a"),
            (step, "b"),
            (step, "c"),
            (step, "d"),
            (step, "e"),
            (step, "f"),
        ],
        None,
    )])
    .await;
    let c = HttpClient::new(
        options()
            .with_timeout(Duration::from_millis(300))
            .with_read_timeout(Duration::from_millis(250)),
        retry(0),
    )
    .unwrap();
    let start = Instant::now();
    let resp = c
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), "abcdef");
    assert!(start.elapsed() > Duration::from_millis(300));
}

#[tokio::test]
async fn a_late_response_head_hits_the_request_timeout() {
    let server = TestServer::script(vec![Reply::Delay(
        Duration::from_secs(2),
        Box::new(Reply::status(200)),
    )])
    .await;
    let c = HttpClient::new(options().with_timeout(Duration::from_millis(200)), retry(0)).unwrap();
    let err = c
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(request_error(&err).kind(), HttpErrorKind::Timeout);
    assert!(full_message(&err).contains("timeout"), "{err}");
}

/// FNV-1a, to compare bodies without keeping them.
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[tokio::test]
async fn request_body_chunks_arrive_intact_and_are_resent_on_retry() {
    let chunks: Vec<Bytes> = (0..5u8)
        .map(|i| Bytes::from(vec![i; 10_000 * (usize::from(i) + 1)]))
        .collect();
    let payload: PutPayload = chunks.iter().cloned().collect();
    let joined: Vec<u8> = chunks.concat();

    let server = TestServer::start(|seen, n| async move {
        if n == 0 {
            return Reply::status(500);
        }
        let len = seen
            .headers
            .get("content-length")
            .unwrap()
            .to_str()
            .unwrap();
        let echo = format!("{len} {} {}", seen.body.len(), checksum(&seen.body));
        Reply::text(200, &echo)
    })
    .await;
    let resp = client(2)
        .request(Method::PUT, &server.url("/obj"))
        .body(payload)
        .send()
        .await
        .unwrap();
    let echo = resp.bytes().await.unwrap();
    let expected = format!("{0} {0} {1}", joined.len(), checksum(&joined));
    assert_eq!(echo, expected.as_bytes());
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body, joined, "first attempt got the whole body");
    assert_eq!(seen[1].body, joined, "the retry resent the whole body");
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed() {
    let server = TestServer::script(vec![Reply::status(200)]).await;
    let strict = HttpClient::new(ClientOptions::new(), retry(3)).unwrap();
    let err = strict
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("allow_http"), "{err}");
    assert_eq!(server.hits(), 0);
    let err = strict
        .request(Method::GET, "ftp://example.com/a")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("scheme"), "{err}");
    let err = strict
        .request(Method::GET, "not a url")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invalid URL"), "{err}");

    client(0)
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn secrets_never_appear_in_errors() {
    let server = TestServer::start(|seen, _| async move {
        match seen.uri.path() {
            "/missing" => Reply::status(404),
            _ => Reply::text(500, "internal"),
        }
    })
    .await;
    let query = "?X-Amz-Signature=secret&X-Amz-Credential=secret";
    let c = client(1);
    let send = |url: String| {
        c.request(Method::GET, &url)
            .header("authorization", "Bearer secret")
            .send()
    };
    for path in ["/missing", "/fail"] {
        let err = send(server.url(&format!("{path}{query}")))
            .await
            .unwrap_err();
        let msg = full_message(&err);
        assert!(!msg.contains("secret"), "{msg}");
        assert!(msg.contains(path), "{msg}");
    }

    // Connection refused: bind a port, then free it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = send(format!("http://{addr}/x{query}")).await.unwrap_err();
    assert_eq!(request_error(&err).kind(), HttpErrorKind::Connect);
    assert_eq!(
        request_error(&err).retries(),
        1,
        "connect errors are retried"
    );
    let msg = full_message(&err);
    assert!(!msg.contains("secret"), "{msg}");
    assert!(msg.contains("X-Amz-Signature=REDACTED"), "{msg}");

    let builder = c.request(Method::GET, &server.url(&format!("/x{query}")));
    assert!(!format!("{builder:?}").contains("secret"));
}

#[tokio::test]
async fn sign_runs_once_per_attempt() {
    let server = TestServer::script(vec![
        Reply::status(503),
        Reply::status(502),
        Reply::text(200, "signed"),
    ])
    .await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let resp = client(5)
        .request(Method::GET, &server.url("/a"))
        .sign(move |req| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            req.headers_mut()
                .insert("x-signature", HeaderValue::from(n));
            Ok(())
        })
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), "signed");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let sigs: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.headers["x-signature"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(sigs, ["1", "2", "3"]);

    let err = client(5)
        .request(Method::GET, &server.url("/a"))
        .sign(|_| Err(Error::generic("S3", "no credentials")))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no credentials"));
    assert_eq!(server.hits(), 3, "a failed signature sends nothing");
}

#[tokio::test]
async fn user_agent_and_default_headers_are_sent() {
    let server = TestServer::start(|_, _| async { Reply::status(200) }).await;
    let mut defaults = HeaderMap::new();
    defaults.insert("x-default", HeaderValue::from_static("d"));
    defaults.insert("x-overridden", HeaderValue::from_static("default"));
    let c = HttpClient::new(options().with_default_headers(defaults), retry(0)).unwrap();
    c.request(Method::GET, &server.url("/a"))
        .header("x-overridden", "mine")
        .send()
        .await
        .unwrap();
    let plain = client(0);
    plain
        .request(Method::PUT, &server.url("/b"))
        .send()
        .await
        .unwrap();
    let seen = server.requests();
    let h = &seen[0].headers;
    assert!(h["user-agent"].to_str().unwrap().starts_with("ostore/"));
    assert_eq!(h["x-default"], "d");
    assert_eq!(h["x-overridden"], "mine");
    assert_eq!(seen[1].headers["content-length"], "0");
    assert_eq!(seen[1].version, http::Version::HTTP_11, "HTTP/1 by default");

    let custom = HttpClient::new(
        options().with_user_agent(HeaderValue::from_static("agent/1")),
        retry(0),
    )
    .unwrap();
    custom
        .request(Method::GET, &server.url("/c"))
        .send()
        .await
        .unwrap();
    assert_eq!(server.requests()[2].headers["user-agent"], "agent/1");

    let err = c
        .request(Method::GET, &server.url("/d"))
        .header("x-bad", "line\nbreak")
        .send()
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("break"), "{err}");
    assert_eq!(server.hits(), 3);
}

/// A service that fails to connect a set number of times, then answers 200.
#[derive(Debug)]
struct Flaky {
    failures: usize,
    calls: Arc<AtomicUsize>,
}

impl HttpService for Flaky {
    fn call(
        &self,
        req: http::Request<RequestBody>,
    ) -> BoxFuture<'static, Result<http::Response<ResponseBody>, HttpError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let failures = self.failures;
        Box::pin(async move {
            if n < failures {
                return Err(HttpError::new(HttpErrorKind::Connect, "refused"));
            }
            let len = req.into_body().collect().await.unwrap().to_bytes().len();
            let body = Full::new(Bytes::from(len.to_string()))
                .map_err(|e| match e {})
                .boxed();
            Ok(http::Response::new(body))
        })
    }
}

#[derive(Debug)]
struct FlakyConnector(Arc<AtomicUsize>);

impl HttpConnector for FlakyConnector {
    fn connect(&self, _: &ClientOptions) -> Result<Arc<dyn HttpService>> {
        Ok(Arc::new(Flaky {
            failures: 2,
            calls: self.0.clone(),
        }))
    }
}

#[tokio::test]
async fn injected_connector_and_connect_errors_retry_even_post() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = HttpClient::with_connector(
        ClientOptions::new(),
        retry(3),
        &FlakyConnector(calls.clone()),
    )
    .unwrap();
    let resp = c
        .request(Method::POST, "https://example.invalid/upload")
        .body(PutPayload::from_static(b"12345"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), "5");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_default_connector_accepts_http_proxies_and_refuses_socks() {
    HttpClient::new(options().with_proxy_url("http://proxy:3128"), retry(0)).unwrap();
    let err =
        HttpClient::new(options().with_proxy_url("socks5://proxy:1080"), retry(0)).unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
}

#[tokio::test]
async fn http2_prior_knowledge_works() {
    let server = TestServer::script(vec![Reply::status(503), Reply::text(200, "h2")]).await;
    let c = HttpClient::new(
        options()
            .with_http2_only()
            .with_http2_keep_alive_interval(Duration::from_secs(5))
            .with_http2_keep_alive_while_idle(),
        retry(2),
    )
    .unwrap();
    let resp = c
        .request(Method::PUT, &server.url("/a"))
        .body(PutPayload::from_static(b"body"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), "h2");
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.body == "body"));
    assert!(seen.iter().all(|r| r.version == http::Version::HTTP_2));
}

#[tokio::test]
async fn a_failed_tls_handshake_is_a_connect_error() {
    // The server speaks plain HTTP, so the TLS handshake cannot succeed.
    let server = TestServer::script(vec![]).await;
    let url = server.url("/a?sig=secret").replace("http://", "https://");
    let c = HttpClient::new(ClientOptions::new(), retry(1)).unwrap();
    let err = c.request(Method::GET, &url).send().await.unwrap_err();
    assert_eq!(request_error(&err).kind(), HttpErrorKind::Connect);
    assert_eq!(server.hits(), 0);
    assert!(!full_message(&err).contains("secret"));
}
