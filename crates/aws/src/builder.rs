//! [`AmazonS3Builder`]: configuration keys, environment variables and URL parsing for the
//! S3 store.

use std::sync::Arc;

use http::HeaderMap;
use ostore_core::{Error, Result};
use ostore_transport::{ClientOptions, RetryConfig};

use crate::client::{S3Client, S3Config};
use crate::precondition::{S3ConditionalPut, S3CopyIfNotExists};
use crate::providers::{ChainSettings, resolve};
use crate::{AmazonS3, STORE};

/// Configures and builds an [`AmazonS3`] store.
#[derive(Debug, Default, Clone)]
pub struct AmazonS3Builder {
    bucket_name: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    virtual_hosted_style_request: bool,
    client_options: ClientOptions,
    retry_config: RetryConfig,
    copy_if_not_exists: Option<S3CopyIfNotExists>,
}

impl AmazonS3Builder {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the bucket.
    pub fn with_bucket_name(mut self, bucket_name: impl Into<String>) -> Self {
        self.bucket_name = Some(bucket_name.into());
        self
    }

    /// Sets the region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets the endpoint (for S3-compatible servers).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets the access key id.
    pub fn with_access_key_id(mut self, access_key_id: impl Into<String>) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self
    }

    /// Sets the secret access key.
    pub fn with_secret_access_key(mut self, secret_access_key: impl Into<String>) -> Self {
        self.secret_access_key = Some(secret_access_key.into());
        self
    }

    /// Sets the session token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Allows plain HTTP endpoints.
    pub fn with_allow_http(mut self, allow_http: bool) -> Self {
        self.client_options = self.client_options.with_allow_http(allow_http);
        self
    }

    /// Sets how copy_if_not_exists works.
    pub fn with_copy_if_not_exists(mut self, mode: S3CopyIfNotExists) -> Self {
        self.copy_if_not_exists = Some(mode);
        self
    }

    /// Builds the store.
    pub fn build(self) -> Result<AmazonS3> {
        let bucket = self
            .bucket_name
            .ok_or_else(|| Error::generic(STORE, "missing bucket name"))?;
        let region = self.region.unwrap_or_else(|| "us-east-1".to_string());
        let bucket_endpoint = match (self.endpoint, self.virtual_hosted_style_request) {
            (Some(e), true) => e.trim_end_matches('/').to_string(),
            (Some(e), false) => format!("{}/{bucket}", e.trim_end_matches('/')),
            (None, true) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
            (None, false) => format!("https://s3.{region}.amazonaws.com/{bucket}"),
        };
        let credentials = resolve(ChainSettings {
            access_key_id: self.access_key_id,
            secret_access_key: self.secret_access_key,
            token: self.token,
            region: region.clone(),
            client_options: self.client_options.clone(),
            retry_config: self.retry_config.clone(),
            ..Default::default()
        })?;
        let config = S3Config {
            region,
            bucket,
            bucket_endpoint,
            credentials,
            session_credentials: None,
            retry_config: self.retry_config,
            client_options: self.client_options,
            sign_payload: true,
            skip_signature: false,
            disable_tagging: false,
            checksum: None,
            copy_if_not_exists: self.copy_if_not_exists,
            conditional_put: S3ConditionalPut::default(),
            request_payer: false,
            encryption_headers: HeaderMap::new(),
            customer_key: None,
        };
        Ok(AmazonS3 {
            client: Arc::new(S3Client::new(config)?),
        })
    }
}
