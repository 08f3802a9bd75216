//! A small in-process HTTP server (HTTP/1, or HTTP/2 with prior knowledge) on 127.0.0.1
//! whose reply to each request is scripted by the test, and which records every request it
//! received.
//!
//! For tests of backends (enabled by the `test-util` feature); not a stable API.
//!
//! ```
//! use ostore_transport::test_server::{Reply, TestServer};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = TestServer::start(|seen, _n| async move {
//!     match seen.uri.path() {
//!         "/hello" => Reply::text(200, "hi"),
//!         _ => Reply::status(404),
//!     }
//! })
//! .await;
//! assert!(server.url("/hello").starts_with("http://127.0.0.1:"));
//! assert_eq!(server.hits(), 0);
//! # });
//! ```

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, stream};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The body type of scripted responses.
pub type ServerBody = BoxBody<Bytes, std::io::Error>;

/// A request as the server received it, body included.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request method.
    pub method: Method,
    /// The HTTP version it came in.
    pub version: http::Version,
    /// The request target (path and query).
    pub uri: Uri,
    /// The request headers.
    pub headers: HeaderMap,
    /// The whole request body.
    pub body: Bytes,
}

/// What the server does with one request.
pub enum Reply {
    /// Sends this response.
    Response(http::Response<ServerBody>),
    /// Reads the request, then closes the connection without answering.
    Reset,
    /// Waits, then does the inner reply.
    Delay(Duration, Box<Reply>),
}

impl Reply {
    /// An empty response with this status.
    pub fn status(code: u16) -> Self {
        Self::text(code, "")
    }

    /// A response with this status and body.
    pub fn text(code: u16, body: &str) -> Self {
        let body = Full::new(Bytes::copy_from_slice(body.as_bytes()))
            .map_err(|e: Infallible| match e {})
            .boxed();
        let mut resp = http::Response::new(body);
        *resp.status_mut() = StatusCode::from_u16(code).unwrap();
        Self::Response(resp)
    }

    /// A 200 response whose body chunks are each sent after their delay; with `stall`, the
    /// body then hangs that long before ending.
    pub fn chunks(chunks: Vec<(Duration, &'static str)>, stall: Option<Duration>) -> Self {
        let body = stream::iter(chunks)
            .then(|(delay, chunk)| async move {
                tokio::time::sleep(delay).await;
                Ok(Frame::data(Bytes::from_static(chunk.as_bytes())))
            })
            .chain(
                stream::once(async move {
                    if let Some(d) = stall {
                        tokio::time::sleep(d).await;
                    }
                })
                .filter_map(|()| async { None }),
            );
        Self::Response(http::Response::new(BodyExt::boxed(StreamBody::new(body))))
    }

    /// Adds a header to a response.
    pub fn with_header(self, name: &'static str, value: &str) -> Self {
        match self {
            Self::Response(mut r) => {
                r.headers_mut()
                    .insert(name, HeaderValue::from_str(value).unwrap());
                Self::Response(r)
            }
            other => other,
        }
    }
}

type Handler = Arc<dyn Fn(Seen, usize) -> BoxFuture<'static, Reply> + Send + Sync>;

/// A running test server; stops accepting when dropped.
pub struct TestServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts a server that answers the `n`-th request (from 0) with `handler(request, n)`.
    ///
    /// Panics if it cannot bind a port: it is meant for tests only.
    pub async fn start<F, Fut>(handler: F) -> Self
    where
        F: Fn(Seen, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |seen, n| handler(seen, n).boxed());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let log = log.clone();
                let service = service_fn(move |req: hyper::Request<Incoming>| {
                    let handler = handler.clone();
                    let log = log.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = match body.collect().await {
                            Ok(b) => b.to_bytes(),
                            Err(e) => return Err(std::io::Error::other(e)),
                        };
                        let seen = Seen {
                            method: parts.method,
                            version: parts.version,
                            uri: parts.uri,
                            headers: parts.headers,
                            body,
                        };
                        let n = {
                            let mut log = log.lock().unwrap();
                            log.push(seen.clone());
                            log.len() - 1
                        };
                        let mut reply = handler(seen, n).await;
                        loop {
                            match reply {
                                Reply::Response(r) => return Ok(r),
                                Reply::Reset => {
                                    return Err(std::io::Error::other("scripted reset"));
                                }
                                Reply::Delay(d, inner) => {
                                    tokio::time::sleep(d).await;
                                    reply = *inner;
                                }
                            }
                        }
                    }
                });
                tokio::spawn(async move {
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        Self { addr, seen, task }
    }

    /// Starts a server answering requests with `replies` in order, then with 599 once the
    /// script is exhausted.
    pub async fn script(replies: Vec<Reply>) -> Self {
        let queue = Arc::new(Mutex::new(VecDeque::from(replies)));
        Self::start(move |_, _| {
            let next = queue.lock().unwrap().pop_front();
            async move { next.unwrap_or_else(|| Reply::text(599, "script exhausted")) }
        })
        .await
    }

    /// The `http://` URL of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
