//! Amazon S3 and S3-compatible stores for ostore — **in progress**.
//!
//! [`AmazonS3`] is built with [`AmazonS3Builder`]; requests are signed with AWS Signature
//! Version 4 ([`credential`]).

mod builder;
mod checksum;
mod client;
pub mod credential;
mod precondition;
mod providers;

use std::fmt;
use std::sync::Arc;

use ostore_transport::CredentialProvider;

pub use builder::{AmazonS3Builder, AmazonS3ConfigKey, S3EncryptionConfigKey, S3EncryptionType};
pub use checksum::Checksum;
pub use credential::{
    AwsAuthorizer, AwsCredential, EMPTY_SHA256_HASH, UNSIGNED_PAYLOAD, hex_sha256,
};
pub use precondition::{S3ConditionalPut, S3CopyIfNotExists};

use client::S3Client;

/// The store name in errors.
pub(crate) const STORE: &str = "S3";

/// A source of [`AwsCredential`]s, shared by the requests of a store.
pub type AwsCredentialProvider = Arc<dyn CredentialProvider<Credential = AwsCredential>>;

/// An [`ObjectStore`](ostore_core::ObjectStore) on an S3 bucket; build it with
/// [`AmazonS3Builder`].
#[derive(Debug, Clone)]
pub struct AmazonS3 {
    client: Arc<S3Client>,
}

impl fmt::Display for AmazonS3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmazonS3({})", self.client.config.bucket)
    }
}
