//! The shared HTTP transport of ostore's cloud backends (S3, GCS, Azure, HTTP/WebDAV).
//!
//! A backend says what request to send and how to sign it; this crate owns everything
//! else: client options and their
//! configuration keys, retry and backoff policy, credential providers with a token cache,
//! the mapping of HTTP responses to [`ostore_core::Error`], and [`HttpClient`], which sends,
//! signs, retries and times out requests over a pluggable [`HttpConnector`].

pub mod base64;
pub mod body;
pub mod client;
pub mod config;
pub mod connect;
pub mod credential;
pub mod headers;
mod proxy;
pub mod response;
pub mod resume;
pub mod retry;
mod roots;
pub mod signer;
pub mod status;
#[cfg(feature = "test-util")]
pub mod test_server;
pub mod xml;

pub use body::{HttpError, HttpErrorKind, RequestBody, ResponseBody};
pub use client::{HttpClient, RequestBuilder, RequestError};
pub use config::{Certificate, ClientConfigKey, ClientOptions};
pub use connect::{HttpConnector, HttpService, HyperConnector};
pub use credential::{CredentialProvider, StaticCredentialProvider};
pub use response::Response;
pub use retry::{BackoffConfig, RetryConfig};
pub use signer::Signer;
