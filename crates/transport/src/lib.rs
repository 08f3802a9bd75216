//! The shared HTTP transport of ostore's cloud backends (S3, GCS, Azure, HTTP/WebDAV).
//!
//! A backend says what request to send and how to sign it; this crate owns everything
//! else. This first part holds the pieces that need no network: client options and their
//! configuration keys, retry and backoff policy, credential providers with a token cache,
//! and the mapping of HTTP responses to [`ostore_core::Error`].

pub mod config;
pub mod credential;
pub mod retry;
pub mod status;

pub use config::{Certificate, ClientConfigKey, ClientOptions};
pub use credential::{CredentialProvider, StaticCredentialProvider};
pub use retry::{BackoffConfig, RetryConfig};
