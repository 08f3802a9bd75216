//! [`Response`], a received response head with its body, which streams under the read timeout.

use futures::StreamExt;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use futures::stream::BoxStream;
use http::{HeaderMap, StatusCode};
use http_body::Body;
use ostore_core::{Error, Result, collect_bytes};
use tokio::time::{Instant, Sleep};

use crate::body::{HttpError, ResponseBody};

/// The most of an error response's body that [`Response::into_error`] reads.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// A response: its status and headers, and a body not read yet.
///
/// Reading the body is bounded by the client's `read_timeout`, the longest wait allowed
/// between two chunks; the whole-request `timeout` does not apply to it, so a slow but
/// steady download is never cut.
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: ResponseBody,
    read_timeout: Option<Duration>,
    store: &'static str,
    url: Arc<str>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// Wraps a response received for `redacted_url` (already stripped of its secrets).
    pub(crate) fn new(
        resp: http::Response<ResponseBody>,
        read_timeout: Option<Duration>,
        store: &'static str,
        redacted_url: Arc<str>,
    ) -> Self {
        let (parts, body) = resp.into_parts();
        Self {
            status: parts.status,
            headers: parts.headers,
            body,
            read_timeout,
            store,
            url: redacted_url,
        }
    }

    /// The error an unsuccessful response stands for, about the object `path`: its status
    /// mapped by [`error_for_status`](crate::status::error_for_status), with the start of its
    /// body (at most [`MAX_ERROR_BODY`] bytes are read; a body that fails to arrive counts
    /// as empty, since the status already tells what went wrong) and the redacted URL.
    pub async fn into_error(self, path: &str) -> ostore_core::Error {
        let (store, status, url) = (self.store, self.status, Arc::clone(&self.url));
        let mut stream = self.into_stream();
        let mut body = Vec::new();
        while let Some(Ok(chunk)) = stream.next().await {
            let room = MAX_ERROR_BODY - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() == MAX_ERROR_BODY {
                break;
            }
        }
        crate::status::error_for_status(store, path, status, &body, Some(&url))
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `Content-Length` header, if present and valid.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(http::header::CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .parse()
            .ok()
    }

    /// Reads the whole body into one buffer.
    pub async fn bytes(self) -> Result<Bytes> {
        let hint = self.content_length();
        collect_bytes(self.into_stream(), hint).await
    }

    /// Streams the body's chunks as they arrive. Waiting longer than the read timeout for
    /// the next chunk ends the stream with an [`Error::Generic`] that says so.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes>> {
        Box::pin(BodyStream {
            timer: self.read_timeout.map(|d| Box::pin(tokio::time::sleep(d))),
            body: self.body,
            read_timeout: self.read_timeout,
            store: self.store,
            url: self.url,
            done: false,
        })
    }
}

/// The error that ends a body stream.
#[derive(Debug)]
enum BodyError {
    /// No chunk arrived within the read timeout.
    Stalled { timeout: Duration, url: Arc<str> },
    /// The transport failed.
    Transport { source: HttpError, url: Arc<str> },
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stalled { timeout, url } => write!(
                f,
                "read timeout: no data received for {timeout:?} while reading the response \
                 body from {url}"
            ),
            Self::Transport { source, url } => write!(f, "{source} (from {url})"),
        }
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Stalled { .. } => None,
            Self::Transport { source, .. } => Some(source),
        }
    }
}

/// A response body as a stream of chunks, with an idle timer reset at each chunk.
struct BodyStream {
    body: ResponseBody,
    timer: Option<Pin<Box<Sleep>>>,
    read_timeout: Option<Duration>,
    store: &'static str,
    url: Arc<str>,
    done: bool,
}

impl BodyStream {
    fn fail(&mut self, e: BodyError) -> Poll<Option<Result<Bytes>>> {
        self.done = true;
        Poll::Ready(Some(Err(Error::generic(self.store, e))))
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers carry no data
                    };
                    if data.is_empty() {
                        continue;
                    }
                    if let (Some(timer), Some(d)) = (&mut this.timer, this.read_timeout) {
                        timer.as_mut().reset(Instant::now() + d);
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
                Poll::Ready(Some(Err(source))) => {
                    let url = this.url.clone();
                    return this.fail(BodyError::Transport { source, url });
                }
                Poll::Ready(None) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    if let (Some(timer), Some(timeout)) = (&mut this.timer, this.read_timeout)
                        && timer.as_mut().poll(cx).is_ready()
                    {
                        let url = this.url.clone();
                        return this.fail(BodyError::Stalled { timeout, url });
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}
