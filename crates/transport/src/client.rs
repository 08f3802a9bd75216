//! [`HttpClient`], the client every cloud backend sends its requests with: it builds, signs,
//! sends and retries requests, applies timeouts, and maps failures to [`ostore_core::Error`].
//!
//! ```no_run
//! use http::Method;
//! use ostore_core::{PutPayload, Result};
//! use ostore_transport::{ClientOptions, HttpClient, RetryConfig};
//!
//! async fn upload_then_read(client: &HttpClient) -> Result<bytes::Bytes> {
//!     let url = "https://bucket.example.com/data/file.bin";
//!     client
//!         .request(Method::PUT, url)
//!         .header("content-type", "application/octet-stream")
//!         .body(PutPayload::from_static(b"hello"))
//!         .context("Example", "data/file.bin")
//!         .sign(|req| {
//!             // Called on every attempt: a real backend adds a fresh signature here.
//!             req.headers_mut().insert("x-example-date", "now".parse().unwrap());
//!             Ok(())
//!         })
//!         .send()
//!         .await?;
//!     let resp = client.request(Method::GET, url).send().await?;
//!     resp.bytes().await // a 404 would have been `Error::NotFound` from `send`
//! }
//!
//! # fn main() -> Result<()> {
//! let client = HttpClient::new(ClientOptions::new(), RetryConfig::default())?;
//! # let _ = upload_then_read(&client);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::header::{CONTENT_LENGTH, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use ostore_core::{Error, PutPayload, Result};
use tracing::Instrument;

use crate::body::{HttpError, HttpErrorKind, RequestBody};
use crate::connect::{HttpConnector, HttpService, HyperConnector};
use crate::response::Response;
use crate::retry::{Backoff, Decision, Outcome, is_idempotent, parse_retry_after, retry_decision};
use crate::status::redact_url;
use crate::{ClientOptions, RetryConfig};

/// The store name used in errors when the request has no [`RequestBuilder::context`].
const DEFAULT_STORE: &str = "HTTP";

/// The user agent sent unless the options set one.
const DEFAULT_USER_AGENT: &str = concat!("ostore/", env!("CARGO_PKG_VERSION"));

/// A signing function, called on every attempt just before the request is sent.
type Signer = Arc<dyn Fn(&mut http::Request<()>) -> Result<()> + Send + Sync>;

/// An HTTP client with retries, timeouts and error mapping.
///
/// Cloning is cheap: clones share one connection pool and configuration.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    service: Arc<dyn HttpService>,
    retry: RetryConfig,
    allow_http: bool,
    timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    /// The user agent and the default headers, sent with every request.
    headers: HeaderMap,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Default headers may hold secrets: show their names only.
        f.debug_struct("HttpClient")
            .field("service", &self.service)
            .field("retry", &self.retry)
            .field("allow_http", &self.allow_http)
            .field("timeout", &self.timeout)
            .field("read_timeout", &self.read_timeout)
            .field("header_names", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl HttpClient {
    /// A client sending through the default [`HyperConnector`].
    pub fn new(options: ClientOptions, retry: RetryConfig) -> Result<Self> {
        Self::with_connector(options, retry, &HyperConnector)
    }

    /// A client sending through the service made by `connector`.
    pub fn with_connector(
        options: ClientOptions,
        retry: RetryConfig,
        connector: &dyn HttpConnector,
    ) -> Result<Self> {
        let mut headers = HeaderMap::new();
        let agent = options
            .user_agent()?
            .unwrap_or(HeaderValue::from_static(DEFAULT_USER_AGENT));
        headers.insert(USER_AGENT, agent);
        if let Some(defaults) = options.default_headers() {
            headers.extend(defaults.clone());
        }
        let inner = Inner {
            service: connector.connect(&options)?,
            retry,
            allow_http: options.allow_http()?,
            timeout: options.timeout()?,
            read_timeout: options.read_timeout()?,
            headers,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Starts a request.
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        RequestBuilder {
            client: self.clone(),
            idempotent: is_idempotent(&method),
            method,
            url: url.to_string(),
            headers: HeaderMap::new(),
            body: None,
            store: DEFAULT_STORE,
            path: String::new(),
            signer: None,
            error: None,
        }
    }
}

/// A request being built; send it with [`send`](Self::send) or [`send_raw`](Self::send_raw).
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: HttpClient,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Option<PutPayload>,
    idempotent: bool,
    store: &'static str,
    path: String,
    signer: Option<Signer>,
    /// The first error met while building, reported by `send`.
    error: Option<Error>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field("idempotent", &self.idempotent)
            .field("store", &self.store)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    fn set_error(&mut self, e: impl Into<http::Error>) {
        if self.error.is_none() {
            // http's messages name the problem, never the header's value.
            self.error = Some(Error::generic(self.store, e.into()));
        }
    }

    /// Adds a header (after the client's default headers, which it overrides by name).
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
        K::Error: Into<http::Error>,
        V::Error: Into<http::Error>,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(k), Ok(v)) => {
                self.headers.append(k, v);
            }
            (Err(e), _) => self.set_error(e),
            (_, Err(e)) => self.set_error(e),
        }
        self
    }

    /// Adds headers, replacing earlier values of the same names.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers.extend(headers);
        self
    }

    /// Sets the body and its `Content-Length`. The payload's chunks are streamed as they
    /// are, and resent in full if the request is retried.
    pub fn body(mut self, payload: PutPayload) -> Self {
        self.body = Some(payload);
        self
    }

    /// Whether the request may be replayed after it was (maybe) sent; by default, whether
    /// the method is idempotent. A request is always retried if it could not be sent.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Names the store and the object path used in errors (default store: `"HTTP"`).
    pub fn context(mut self, store: &'static str, path: &str) -> Self {
        self.store = store;
        self.path = path.to_string();
        self
    }

    /// Sets a function called on every attempt just before sending, with the request as it
    /// will go out (method, URL, headers; the body is not shown). It may add or change
    /// headers and the URL, e.g. to sign with a fresh timestamp; an error stops the request.
    pub fn sign<F>(mut self, f: F) -> Self
    where
        F: Fn(&mut http::Request<()>) -> Result<()> + Send + Sync + 'static,
    {
        self.signer = Some(Arc::new(f));
        self
    }

    /// Sends the request, retrying as configured, and returns the response if its status is
    /// a success; any other final status becomes an error (`404` → [`Error::NotFound`], ...,
    /// see [`error_for_status`](crate::status::error_for_status)).
    pub async fn send(self) -> Result<Response> {
        let path = self.path.clone();
        let resp = self.send_raw().await?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(resp.into_error(&path).await)
    }

    /// Sends the request, retrying as configured, and returns the final response whatever
    /// its status, for callers that handle some statuses themselves.
    pub async fn send_raw(self) -> Result<Response> {
        let uri = self.check_url()?;
        let span = tracing::debug_span!(
            "http_request",
            method = %self.method,
            host = uri.host().unwrap_or(""),
            path = uri.path(),
            bytes_sent = self.body.as_ref().map_or(0, PutPayload::content_length),
        );
        self.execute(uri).instrument(span).await
    }

    /// Parses the URL and refuses plain HTTP unless allowed.
    fn check_url(&self) -> Result<Uri> {
        let err =
            |why: &str| Error::generic(self.store, format!("{why}: {}", redact_url(&self.url)));
        let uri: Uri = self.url.parse().map_err(|_| err("invalid URL"))?;
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if self.client.inner.allow_http => {}
            Some("http") => {
                return Err(err(
                    "plain HTTP is not allowed (set allow_http to permit it)",
                ));
            }
            _ => return Err(err("URL scheme must be https or http")),
        }
        if uri.host().is_none() {
            return Err(err("URL has no host"));
        }
        Ok(uri)
    }

    async fn execute(self, uri: Uri) -> Result<Response> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let inner = &self.client.inner;
        let redacted: Arc<str> = redact_url(&self.url).into();
        let mut headers = inner.headers.clone();
        headers.extend(self.headers);
        let payload = self.body.unwrap_or_default();
        if payload.content_length() > 0
            || matches!(self.method, Method::POST | Method::PUT | Method::PATCH)
        {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(payload.content_length()));
        }

        let mut backoff = Backoff::new(&inner.retry.backoff);
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            let mut req = http::Request::new(());
            *req.method_mut() = self.method.clone();
            *req.uri_mut() = uri.clone();
            *req.headers_mut() = headers.clone();
            if let Some(sign) = &self.signer {
                sign(&mut req)?;
            }
            let req = req.map(|()| RequestBody::new(payload.clone()));

            let sent_at = Instant::now();
            let call = inner.service.call(req);
            let result = match inner.timeout {
                Some(t) => tokio::time::timeout(t, call).await.unwrap_or_else(|_| {
                    Err(HttpError::new(
                        HttpErrorKind::Timeout,
                        format!("no response within {t:?} (timeout)"),
                    ))
                }),
                None => call.await,
            };
            let duration = sent_at.elapsed();

            let (outcome, result) = match result {
                Ok(resp) => {
                    let status = resp.status();
                    tracing::debug!(attempt, status = status.as_u16(), ?duration, "response");
                    if status.is_success() {
                        return Ok(Response::new(
                            resp,
                            inner.read_timeout,
                            self.store,
                            redacted,
                        ));
                    }
                    let retry_after = resp
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    let outcome = Outcome::Status {
                        status,
                        retry_after,
                    };
                    (outcome, Ok(resp))
                }
                Err(e) => {
                    tracing::debug!(attempt, error = %e, ?duration, "request failed");
                    let outcome = if e.is_connect() {
                        Outcome::ConnectError
                    } else {
                        Outcome::SentError
                    };
                    (outcome, Err(e))
                }
            };

            let decision = retry_decision(
                outcome,
                self.idempotent,
                attempt,
                start.elapsed(),
                backoff.next(),
                &inner.retry,
            );
            match (decision, result) {
                (Decision::Retry(wait), _) => {
                    tracing::info!(attempt, ?wait, ?outcome, "retrying request");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                (Decision::GiveUp, Ok(resp)) => {
                    return Ok(Response::new(
                        resp,
                        inner.read_timeout,
                        self.store,
                        redacted,
                    ));
                }
                (Decision::GiveUp, Err(source)) => {
                    return Err(Error::generic(
                        self.store,
                        RequestError {
                            method: self.method,
                            url: redacted,
                            retries: attempt,
                            source,
                        },
                    ));
                }
            }
        }
    }
}

/// A request that failed in the transport (no final response), after its retries.
#[derive(Debug)]
pub struct RequestError {
    method: Method,
    url: Arc<str>,
    retries: usize,
    source: HttpError,
}

impl RequestError {
    /// What went wrong on the last attempt.
    pub fn kind(&self) -> HttpErrorKind {
        self.source.kind()
    }

    /// How many times the request was retried.
    pub fn retries(&self) -> usize {
        self.retries
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.url, self.source)?;
        if self.retries > 0 {
            write!(f, " (after {} retries)", self.retries)?;
        }
        Ok(())
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
