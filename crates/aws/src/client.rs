//! [`S3Client`]: the S3 REST requests of the store, signed with SigV4 and sent through the
//! shared transport.

use http::HeaderMap;
use ostore_core::Result;
use ostore_transport::{ClientOptions, HttpClient, RetryConfig};

use crate::AwsCredentialProvider;
use crate::checksum::Checksum;
use crate::precondition::{S3ConditionalPut, S3CopyIfNotExists};

/// An SSE-C customer key, as S3 wants it in headers.
#[derive(Clone)]
pub(crate) struct SseCustomerKey {
    /// The 256-bit key, base64-encoded.
    pub(crate) key_base64: String,
    /// The MD5 of the key, base64-encoded.
    pub(crate) key_md5_base64: String,
}

impl std::fmt::Debug for SseCustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SseCustomerKey(<redacted>)")
    }
}

/// Everything the store needs, as the builder resolved it.
#[derive(Debug)]
pub(crate) struct S3Config {
    /// The signing region, e.g. `us-east-1`.
    pub(crate) region: String,
    /// The bucket name.
    pub(crate) bucket: String,
    /// The URL of the bucket without a trailing `/`: `https://bucket.s3.region.amazonaws.com`
    /// (virtual-hosted style) or `http://127.0.0.1:9000/bucket` (path style). Object keys
    /// are appended after a `/`.
    pub(crate) bucket_endpoint: String,
    /// Where credentials come from; ignored when `skip_signature` is set.
    pub(crate) credentials: AwsCredentialProvider,
    /// S3 Express One Zone: session credentials from `CreateSession` (directory buckets).
    pub(crate) session_credentials: Option<AwsCredentialProvider>,
    pub(crate) retry_config: RetryConfig,
    pub(crate) client_options: ClientOptions,
    /// Sign the SHA-256 of bodies (`false`: `UNSIGNED-PAYLOAD`).
    pub(crate) sign_payload: bool,
    /// Send requests unsigned (public buckets).
    pub(crate) skip_signature: bool,
    /// Never send or fetch tags.
    pub(crate) disable_tagging: bool,
    /// The checksum attached to uploads.
    pub(crate) checksum: Option<Checksum>,
    pub(crate) copy_if_not_exists: Option<S3CopyIfNotExists>,
    pub(crate) conditional_put: S3ConditionalPut,
    /// Send `x-amz-request-payer: requester`.
    pub(crate) request_payer: bool,
    /// Server-side encryption headers sent on object creation (PutObject,
    /// CreateMultipartUpload, CopyObject): SSE-S3, SSE-KMS (+ key id, bucket key), DSSE-KMS.
    pub(crate) encryption_headers: HeaderMap,
    /// SSE-C: the customer key sent with every request that reads or writes object data.
    pub(crate) customer_key: Option<SseCustomerKey>,
}

/// The S3 requests of the store.
#[derive(Debug)]
pub(crate) struct S3Client {
    pub(crate) config: S3Config,
    pub(crate) http: HttpClient,
}

impl S3Client {
    pub(crate) fn new(config: S3Config) -> Result<Self> {
        let http = HttpClient::new(config.client_options.clone(), config.retry_config.clone())?;
        Ok(Self { config, http })
    }
}
