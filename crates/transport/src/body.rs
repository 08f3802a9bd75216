//! Request and response bodies exchanged with an [`HttpService`](crate::connect::HttpService),
//! and [`HttpError`], the error of the transport layer below [`ostore_core::Error`].

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use ostore_core::PutPayload;

/// The boxed error type carried by [`HttpError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The body of a response returned by an [`HttpService`](crate::connect::HttpService).
pub type ResponseBody = BoxBody<Bytes, HttpError>;

/// A request body: the chunks of a [`PutPayload`], sent one frame per chunk.
///
/// The chunks are never copied into one buffer, and cloning is cheap (the payload is
/// reference-counted), which is what lets a request be replayed on retry.
#[derive(Debug, Clone, Default)]
pub struct RequestBody {
    payload: PutPayload,
    next: usize,
    remaining: u64,
}

impl RequestBody {
    /// A body that sends `payload` chunk by chunk.
    pub fn new(payload: PutPayload) -> Self {
        let remaining = payload.content_length() as u64;
        Self {
            payload,
            next: 0,
            remaining,
        }
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The payload this body sends, from its first chunk.
    pub fn payload(&self) -> &PutPayload {
        &self.payload
    }

    /// The total number of bytes this body sends.
    pub fn content_length(&self) -> u64 {
        self.payload.content_length() as u64
    }
}

impl From<PutPayload> for RequestBody {
    fn from(payload: PutPayload) -> Self {
        Self::new(payload)
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let chunks = this.payload.as_ref();
        while let Some(chunk) = chunks.get(this.next) {
            this.next += 1;
            if !chunk.is_empty() {
                this.remaining -= chunk.len() as u64;
                return Poll::Ready(Some(Ok(Frame::data(chunk.clone()))));
            }
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// What went wrong in the transport, which decides whether a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// No connection could be made: the request was certainly not sent.
    Connect,
    /// The request failed after it may have been sent (reset, protocol error, ...).
    Request,
    /// No response head arrived within the whole-request timeout.
    Timeout,
    /// Reading the response body failed.
    Body,
}

/// An error of the transport layer, below [`ostore_core::Error`].
///
/// Its message never contains the request's URL or headers: the client adds the (redacted)
/// URL when it maps the error.
pub struct HttpError {
    kind: HttpErrorKind,
    source: BoxError,
}

impl HttpError {
    /// Wraps an error of the given kind.
    pub fn new(kind: HttpErrorKind, source: impl Into<BoxError>) -> Self {
        Self {
            kind,
            source: source.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// Whether the request was certainly not sent, so that retrying it is always safe.
    pub fn is_connect(&self) -> bool {
        self.kind == HttpErrorKind::Connect
    }

    /// Wraps an error of hyper-util's client, classifying connection failures.
    pub(crate) fn from_hyper_client(e: hyper_util::client::legacy::Error) -> Self {
        let kind = if e.is_connect() {
            HttpErrorKind::Connect
        } else {
            HttpErrorKind::Request
        };
        Self::new(kind, e)
    }
}

impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for HttpError {
    /// Writes the kind followed by the whole chain of causes, `: `-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            HttpErrorKind::Connect => "error connecting",
            HttpErrorKind::Request => "error sending request",
            HttpErrorKind::Timeout => "timed out waiting for the response",
            HttpErrorKind::Body => "error reading the response body",
        };
        write!(f, "{what}: {}", self.source)?;
        let mut cause = self.source.source();
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn frames_are_the_payload_chunks() {
        let chunks = [
            Bytes::from_static(b"abc"),
            Bytes::new(),
            Bytes::from_static(b"defg"),
        ];
        let payload: PutPayload = chunks.iter().cloned().collect();
        let mut body = RequestBody::new(payload);
        assert_eq!(body.size_hint().exact(), Some(7));
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, chunks[0]);
        assert_eq!(first.as_ptr(), chunks[0].as_ptr(), "no copy");
        assert_eq!(body.size_hint().exact(), Some(4));
        let second = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&second[..], b"defg");
        assert!(body.is_end_stream());
        assert!(body.frame().await.is_none());
        assert!(RequestBody::empty().is_end_stream());
    }

    #[test]
    fn display_includes_the_cause_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = HttpError::new(HttpErrorKind::Request, io);
        assert_eq!(e.to_string(), "error sending request: reset by peer");
        assert!(!e.is_connect());
        assert!(HttpError::new(HttpErrorKind::Connect, "x").is_connect());
    }
}
