//! [`AmazonS3Builder`]: configuration keys, environment variables and URL parsing for the
//! S3 store, resolved into the store's configuration by [`build`](AmazonS3Builder::build).

mod encryption;
mod key;
mod location;

use std::ffi::OsString;
use std::fmt;
use std::sync::Arc;

use ostore_core::{Error, Result};
use ostore_transport::config::parse_bool;
use ostore_transport::{
    ClientOptions, HttpClient, HttpConnector, RetryConfig, StaticCredentialProvider,
};

pub use encryption::S3EncryptionType;
pub use key::{AmazonS3ConfigKey, S3EncryptionConfigKey};

use crate::client::{S3Client, S3Config};
use crate::precondition::{S3ConditionalPut, S3CopyIfNotExists};
use crate::providers::{ChainSettings, resolve};
use crate::{AmazonS3, AwsCredential, AwsCredentialProvider, Checksum, STORE};

/// A setting given either typed (by a `with_*` method) or as a string (by `with_config`),
/// parsed by [`build`](AmazonS3Builder::build) so that `with_config` stays infallible.
#[derive(Debug, Clone)]
enum Value<T> {
    Typed(T),
    Text(String),
}

impl<T: Default> Default for Value<T> {
    fn default() -> Self {
        Self::Typed(T::default())
    }
}

/// The string form of a setting's value.
trait Setting: Sized + Clone {
    fn parse(s: &str) -> Result<Self>;
    fn render(&self) -> String;
}

impl Setting for bool {
    fn parse(s: &str) -> Result<Self> {
        parse_bool(s)
    }
    fn render(&self) -> String {
        self.to_string()
    }
}

/// Implements [`Setting`] through `FromStr<Err = Error>` and `Display`.
macro_rules! setting_via_from_str {
    ($($t:ty),*) => {$(
        impl Setting for $t {
            fn parse(s: &str) -> Result<Self> {
                s.parse()
            }
            fn render(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
setting_via_from_str!(
    Checksum,
    S3CopyIfNotExists,
    S3ConditionalPut,
    S3EncryptionType
);

impl<T: Setting> Value<T> {
    /// The value; a malformed string is an error naming `key`.
    fn get(&self, key: AmazonS3ConfigKey) -> Result<T> {
        match self {
            Self::Typed(v) => Ok(v.clone()),
            Self::Text(s) => T::parse(s).map_err(|e| {
                // Keep the parser's message, not its store prefix.
                let reason = match &e {
                    Error::Generic { source, .. } => source.to_string(),
                    other => other.to_string(),
                };
                Error::generic(
                    STORE,
                    format!("invalid value for configuration key {key}: {reason}"),
                )
            }),
        }
    }

    fn render(&self) -> String {
        match self {
            Self::Typed(v) => v.render(),
            Self::Text(s) => s.clone(),
        }
    }
}

fn get_opt<T: Setting>(v: &Option<Value<T>>, key: AmazonS3ConfigKey) -> Result<Option<T>> {
    v.as_ref().map(|v| v.get(key)).transpose()
}

/// The default region, as in object_store and the AWS SDKs' fallback.
const DEFAULT_REGION: &str = "us-east-1";

/// Configures and builds an [`AmazonS3`] store.
///
/// Settings come from the `with_*` methods, from string keys ([`with_config`](Self::with_config),
/// see [`AmazonS3ConfigKey`]), from the environment ([`from_env`](Self::from_env)) and from a
/// URL ([`with_url`](Self::with_url)); the last one given wins, except that the URL is read by
/// [`build`](Self::build) and so overrides what it sets. Values given as strings are checked
/// by `build`, which reports the key of a malformed one.
///
/// Credentials, in order of precedence: a provider given to
/// [`with_credentials`](Self::with_credentials); none at all with
/// [`with_skip_signature`](Self::with_skip_signature); otherwise the credential chain (static
/// keys, web identity, container credentials, profile files, instance metadata).
///
/// `Debug` never shows the secret access key, the session token or the SSE-C key.
///
/// ```no_run
/// use ostore_aws::AmazonS3Builder;
///
/// let store = AmazonS3Builder::new()
///     .with_region("eu-west-1")
///     .with_bucket_name("my-bucket")
///     .with_access_key_id("AKIAIOSFODNN7EXAMPLE")
///     .with_secret_access_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
///     .build()?;
///
/// // Or from the environment (AWS_REGION, AWS_ACCESS_KEY_ID, ...) and a URL:
/// let store = AmazonS3Builder::from_env().with_url("s3://my-bucket").build()?;
/// # Ok::<(), ostore_core::Error>(())
/// ```
#[derive(Default, Clone)]
pub struct AmazonS3Builder {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    region: Option<String>,
    bucket_name: Option<String>,
    endpoint: Option<String>,
    url: Option<String>,
    profile: Option<String>,
    retry_config: RetryConfig,
    client_options: ClientOptions,
    credentials: Option<AwsCredentialProvider>,
    imdsv1_fallback: Value<bool>,
    virtual_hosted_style_request: Value<bool>,
    s3_express: Value<bool>,
    unsigned_payload: Value<bool>,
    skip_signature: Value<bool>,
    disable_tagging: Value<bool>,
    request_payer: Value<bool>,
    checksum_algorithm: Option<Value<Checksum>>,
    metadata_endpoint: Option<String>,
    container_credentials_relative_uri: Option<String>,
    container_credentials_full_uri: Option<String>,
    container_authorization_token_file: Option<String>,
    web_identity_token_file: Option<String>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    sts_endpoint: Option<String>,
    copy_if_not_exists: Option<Value<S3CopyIfNotExists>>,
    conditional_put: Value<S3ConditionalPut>,
    encryption_type: Option<Value<S3EncryptionType>>,
    encryption_kms_key_id: Option<String>,
    encryption_bucket_key_enabled: Option<Value<bool>>,
    encryption_customer_key_base64: Option<String>,
    http_connector: Option<Arc<dyn HttpConnector>>,
    client_side_list_offset: bool,
}

impl fmt::Debug for AmazonS3Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Shows whether a secret is set, never the secret.
        fn redacted(v: &Option<String>) -> Option<&'static str> {
            v.as_ref().map(|_| "<redacted>")
        }
        f.debug_struct("AmazonS3Builder")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redacted(&self.secret_access_key))
            .field("token", &redacted(&self.token))
            .field("region", &self.region)
            .field("bucket_name", &self.bucket_name)
            .field("endpoint", &self.endpoint)
            .field("url", &self.url)
            .field("profile", &self.profile)
            .field("retry_config", &self.retry_config)
            .field("client_options", &self.client_options)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<provider>"),
            )
            .field("imdsv1_fallback", &self.imdsv1_fallback)
            .field(
                "virtual_hosted_style_request",
                &self.virtual_hosted_style_request,
            )
            .field("s3_express", &self.s3_express)
            .field("unsigned_payload", &self.unsigned_payload)
            .field("skip_signature", &self.skip_signature)
            .field("disable_tagging", &self.disable_tagging)
            .field("request_payer", &self.request_payer)
            .field("checksum_algorithm", &self.checksum_algorithm)
            .field("metadata_endpoint", &self.metadata_endpoint)
            .field(
                "container_credentials_relative_uri",
                &self.container_credentials_relative_uri,
            )
            .field(
                "container_credentials_full_uri",
                &self.container_credentials_full_uri,
            )
            .field(
                "container_authorization_token_file",
                &self.container_authorization_token_file,
            )
            .field("web_identity_token_file", &self.web_identity_token_file)
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("sts_endpoint", &self.sts_endpoint)
            .field("copy_if_not_exists", &self.copy_if_not_exists)
            .field("conditional_put", &self.conditional_put)
            .field("encryption_type", &self.encryption_type)
            .field("encryption_kms_key_id", &self.encryption_kms_key_id)
            .field(
                "encryption_bucket_key_enabled",
                &self.encryption_bucket_key_enabled,
            )
            .field(
                "encryption_customer_key_base64",
                &redacted(&self.encryption_customer_key_base64),
            )
            .field("http_connector", &self.http_connector)
            .finish()
    }
}

impl AmazonS3Builder {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder filled from the environment: every variable named `AWS_*` whose lowercased
    /// name is an [`AmazonS3ConfigKey`] name (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT`, `AWS_PROFILE`,
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`,
    /// `AWS_ALLOW_HTTP`, ...). Other variables, and values that are not UTF-8, are ignored.
    ///
    /// When several endpoint variables are set, `AWS_ENDPOINT_URL_S3` wins over
    /// `AWS_ENDPOINT_URL`, which wins over `AWS_ENDPOINT`; `AWS_REGION` wins over
    /// `AWS_DEFAULT_REGION`.
    ///
    /// ```no_run
    /// use ostore_aws::AmazonS3Builder;
    /// let store = AmazonS3Builder::from_env().with_bucket_name("my-bucket").build();
    /// ```
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars_os())
    }

    /// [`from_env`](Self::from_env) over the given variables.
    fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Self {
        // Endpoint variables by precedence, lowest first.
        const ENDPOINTS: [&str; 3] = ["AWS_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"];
        let mut endpoints: [Option<String>; 3] = Default::default();
        let mut builder = Self::new();
        for (name, value) in vars {
            let (Some(name), Ok(value)) = (name.to_str(), value.into_string()) else {
                continue;
            };
            if !name.starts_with("AWS_") {
                continue;
            }
            if let Some(i) = ENDPOINTS.iter().position(|e| *e == name) {
                endpoints[i] = Some(value);
            } else if let Ok(key) = name.to_ascii_lowercase().parse() {
                builder = builder.with_config(key, value);
            }
        }
        if let Some(endpoint) = endpoints.into_iter().flatten().last() {
            builder.endpoint = Some(endpoint);
        }
        builder
    }

    /// Sets the bucket, and where applicable the region and endpoint, from a URL, read when
    /// the store is built (overriding what the URL sets) so that this method cannot fail:
    ///
    /// - `s3://<bucket>/<path>`, `s3a://<bucket>/<path>`: the bucket;
    /// - `https://s3.<region>.amazonaws.com/<bucket>`: region and bucket, path style;
    /// - `https://<bucket>.s3.<region>.amazonaws.com`: bucket and region, virtual-hosted style;
    /// - `https://s3.dualstack.<region>.amazonaws.com/<bucket>` and
    ///   `https://<bucket>.s3.dualstack.<region>.amazonaws.com`: the same on the dual-stack
    ///   (IPv4 and IPv6) endpoint;
    /// - `https://<bucket>.s3express-<zone>.<region>.amazonaws.com`: an S3 Express One Zone
    ///   directory bucket;
    /// - `https://<account>.r2.cloudflarestorage.com/<bucket>`: Cloudflare R2 (the account
    ///   endpoint, path style, region `auto`).
    ///
    /// Any other URL makes [`build`](Self::build) fail.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets a setting from its string form; malformed values are reported by
    /// [`build`](Self::build).
    ///
    /// ```
    /// use ostore_aws::{AmazonS3Builder, AmazonS3ConfigKey};
    ///
    /// let builder = AmazonS3Builder::new()
    ///     .with_config("aws_region".parse()?, "eu-west-1")
    ///     .with_config(AmazonS3ConfigKey::SkipSignature, "true");
    /// assert_eq!(
    ///     builder.get_config_value(&AmazonS3ConfigKey::Region).as_deref(),
    ///     Some("eu-west-1")
    /// );
    /// # Ok::<(), ostore_core::Error>(())
    /// ```
    pub fn with_config(mut self, key: AmazonS3ConfigKey, value: impl Into<String>) -> Self {
        use AmazonS3ConfigKey as K;
        let value = value.into();
        match key {
            K::AccessKeyId => self.access_key_id = Some(value),
            K::SecretAccessKey => self.secret_access_key = Some(value),
            K::Region => self.region = Some(value),
            K::DefaultRegion => {
                self.region.get_or_insert(value);
            }
            K::Bucket => self.bucket_name = Some(value),
            K::Endpoint => self.endpoint = Some(value),
            K::Token => self.token = Some(value),
            K::ImdsV1Fallback => self.imdsv1_fallback = Value::Text(value),
            K::VirtualHostedStyleRequest => self.virtual_hosted_style_request = Value::Text(value),
            K::UnsignedPayload => self.unsigned_payload = Value::Text(value),
            K::Checksum => self.checksum_algorithm = Some(Value::Text(value)),
            K::MetadataEndpoint => self.metadata_endpoint = Some(value),
            K::ContainerCredentialsRelativeUri => {
                self.container_credentials_relative_uri = Some(value)
            }
            K::ContainerCredentialsFullUri => self.container_credentials_full_uri = Some(value),
            K::ContainerAuthorizationTokenFile => {
                self.container_authorization_token_file = Some(value)
            }
            K::WebIdentityTokenFile => self.web_identity_token_file = Some(value),
            K::RoleArn => self.role_arn = Some(value),
            K::RoleSessionName => self.role_session_name = Some(value),
            K::StsEndpoint => self.sts_endpoint = Some(value),
            K::CopyIfNotExists => self.copy_if_not_exists = Some(Value::Text(value)),
            K::ConditionalPut => self.conditional_put = Value::Text(value),
            K::SkipSignature => self.skip_signature = Value::Text(value),
            K::DisableTagging => self.disable_tagging = Value::Text(value),
            K::S3Express => self.s3_express = Value::Text(value),
            K::RequestPayer => self.request_payer = Value::Text(value),
            K::Profile => self.profile = Some(value),
            K::Client(key) => self.client_options = self.client_options.with_config(key, value),
            K::Encryption(key) => match key {
                S3EncryptionConfigKey::ServerSideEncryption => {
                    self.encryption_type = Some(Value::Text(value))
                }
                S3EncryptionConfigKey::KmsKeyId => self.encryption_kms_key_id = Some(value),
                S3EncryptionConfigKey::BucketKeyEnabled => {
                    self.encryption_bucket_key_enabled = Some(Value::Text(value))
                }
                S3EncryptionConfigKey::CustomerEncryptionKey => {
                    self.encryption_customer_key_base64 = Some(value)
                }
            },
        }
        self
    }

    /// Returns a setting in string form, `None` when it is unset (booleans and the
    /// conditional put mode have defaults and are always returned). Secrets are returned as
    /// set: do not log them.
    pub fn get_config_value(&self, key: &AmazonS3ConfigKey) -> Option<String> {
        use AmazonS3ConfigKey as K;
        match key {
            K::AccessKeyId => self.access_key_id.clone(),
            K::SecretAccessKey => self.secret_access_key.clone(),
            K::Region | K::DefaultRegion => self.region.clone(),
            K::Bucket => self.bucket_name.clone(),
            K::Endpoint => self.endpoint.clone(),
            K::Token => self.token.clone(),
            K::ImdsV1Fallback => Some(self.imdsv1_fallback.render()),
            K::VirtualHostedStyleRequest => Some(self.virtual_hosted_style_request.render()),
            K::UnsignedPayload => Some(self.unsigned_payload.render()),
            K::Checksum => self.checksum_algorithm.as_ref().map(Value::render),
            K::MetadataEndpoint => self.metadata_endpoint.clone(),
            K::ContainerCredentialsRelativeUri => self.container_credentials_relative_uri.clone(),
            K::ContainerCredentialsFullUri => self.container_credentials_full_uri.clone(),
            K::ContainerAuthorizationTokenFile => self.container_authorization_token_file.clone(),
            K::WebIdentityTokenFile => self.web_identity_token_file.clone(),
            K::RoleArn => self.role_arn.clone(),
            K::RoleSessionName => self.role_session_name.clone(),
            K::StsEndpoint => self.sts_endpoint.clone(),
            K::CopyIfNotExists => self.copy_if_not_exists.as_ref().map(Value::render),
            K::ConditionalPut => Some(self.conditional_put.render()),
            K::SkipSignature => Some(self.skip_signature.render()),
            K::DisableTagging => Some(self.disable_tagging.render()),
            K::S3Express => Some(self.s3_express.render()),
            K::RequestPayer => Some(self.request_payer.render()),
            K::Profile => self.profile.clone(),
            K::Client(key) => self.client_options.get_config_value(key),
            K::Encryption(key) => match key {
                S3EncryptionConfigKey::ServerSideEncryption => {
                    self.encryption_type.as_ref().map(Value::render)
                }
                S3EncryptionConfigKey::KmsKeyId => self.encryption_kms_key_id.clone(),
                S3EncryptionConfigKey::BucketKeyEnabled => self
                    .encryption_bucket_key_enabled
                    .as_ref()
                    .map(Value::render),
                S3EncryptionConfigKey::CustomerEncryptionKey => {
                    self.encryption_customer_key_base64.clone()
                }
            },
        }
    }

    /// Sets the access key id (with [`with_secret_access_key`](Self::with_secret_access_key):
    /// static credentials).
    pub fn with_access_key_id(mut self, access_key_id: impl Into<String>) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self
    }

    /// Sets the secret access key.
    pub fn with_secret_access_key(mut self, secret_access_key: impl Into<String>) -> Self {
        self.secret_access_key = Some(secret_access_key.into());
        self
    }

    /// Sets the session token that goes with temporary static credentials.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets the region (default `us-east-1`).
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets the bucket (required).
    pub fn with_bucket_name(mut self, bucket_name: impl Into<String>) -> Self {
        self.bucket_name = Some(bucket_name.into());
        self
    }

    /// Sets the endpoint, for S3-compatible servers (`http://localhost:9000`) or special AWS
    /// endpoints; by default the regional AWS endpoint is used.
    ///
    /// With path-style requests (the default) the bucket is appended to it; with
    /// [virtual-hosted-style requests](Self::with_virtual_hosted_style_request) it is used
    /// as is and must therefore include the bucket (`https://my-bucket.example.com`). Plain
    /// `http://` needs [`with_allow_http`](Self::with_allow_http).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Uses this credential provider, overriding every other source of credentials.
    pub fn with_credentials(mut self, credentials: AwsCredentialProvider) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Allows plain `http://` endpoints (default: HTTPS only).
    pub fn with_allow_http(mut self, allow_http: bool) -> Self {
        self.client_options = self.client_options.with_allow_http(allow_http);
        self
    }

    /// Sends virtual-hosted-style requests (`https://<bucket>.s3.<region>.amazonaws.com/<key>`)
    /// instead of path-style ones (`https://s3.<region>.amazonaws.com/<bucket>/<key>`, the
    /// default). A custom [endpoint](Self::with_endpoint) must then include the bucket.
    pub fn with_virtual_hosted_style_request(mut self, virtual_hosted_style_request: bool) -> Self {
        self.virtual_hosted_style_request = Value::Typed(virtual_hosted_style_request);
        self
    }

    /// Treats the bucket as an S3 Express One Zone directory bucket
    /// (`<name>--<zone-id>--x-s3`), reached on its zonal endpoint
    /// `https://<bucket>.s3express-<zone-id>.<region>.amazonaws.com`.
    pub fn with_s3_express(mut self, s3_express: bool) -> Self {
        self.s3_express = Value::Typed(s3_express);
        self
    }

    /// Sets how failed requests are retried.
    pub fn with_retry(mut self, retry_config: RetryConfig) -> Self {
        self.retry_config = retry_config;
        self
    }

    /// Lets instance credentials fall back to IMDSv1 when the metadata service refuses
    /// IMDSv2 tokens (some older proxies such as kube2iam do). Off by default because IMDSv1
    /// is open to SSRF attacks; without instance credentials it has no effect.
    pub fn with_imdsv1_fallback(mut self) -> Self {
        self.imdsv1_fallback = Value::Typed(true);
        self
    }

    /// Applies `list_with_offset`'s offset on the client instead of sending it as
    /// `start-after`: for servers whose `start-after` skips keys (SeaweedFS skips every key
    /// below a "directory" whose name sorts before the offset, e.g. `a/x` after `a-b`).
    /// Costs listing the keys before the offset; off by default. Ours, not object_store's.
    pub fn with_client_side_list_offset(mut self, client_side: bool) -> Self {
        self.client_side_list_offset = client_side;
        self
    }

    /// Signs `UNSIGNED-PAYLOAD` instead of the SHA-256 of each request body, saving a pass
    /// over the data (TLS still protects it in transit). Default: bodies are signed.
    pub fn with_unsigned_payload(mut self, unsigned_payload: bool) -> Self {
        self.unsigned_payload = Value::Typed(unsigned_payload);
        self
    }

    /// Sends requests unsigned and fetches no credentials, for public buckets that refuse
    /// signed requests from other accounts.
    pub fn with_skip_signature(mut self, skip_signature: bool) -> Self {
        self.skip_signature = Value::Typed(skip_signature);
        self
    }

    /// Attaches this checksum to uploads, which S3 verifies before storing them.
    pub fn with_checksum_algorithm(mut self, checksum_algorithm: Checksum) -> Self {
        self.checksum_algorithm = Some(Value::Typed(checksum_algorithm));
        self
    }

    /// Sets the EC2 instance metadata endpoint (default `http://169.254.169.254`; the IPv6
    /// one is `http://[fd00:ec2::254]`).
    pub fn with_metadata_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.metadata_endpoint = Some(endpoint.into());
        self
    }

    /// Sends requests through this HTTP proxy.
    pub fn with_proxy_url(mut self, proxy_url: impl Into<String>) -> Self {
        self.client_options = self.client_options.with_proxy_url(proxy_url);
        self
    }

    /// Trusts this PEM certificate for the proxy.
    pub fn with_proxy_ca_certificate(mut self, proxy_ca_certificate: impl Into<String>) -> Self {
        self.client_options = self
            .client_options
            .with_proxy_ca_certificate(proxy_ca_certificate);
        self
    }

    /// Sets the comma-separated hosts reached without the proxy.
    pub fn with_proxy_excludes(mut self, proxy_excludes: impl Into<String>) -> Self {
        self.client_options = self.client_options.with_proxy_excludes(proxy_excludes);
        self
    }

    /// Replaces the HTTP client options, including any set before through this builder.
    pub fn with_client_options(mut self, options: ClientOptions) -> Self {
        self.client_options = options;
        self
    }

    /// Sets how `copy_if_not_exists` is done (by default it is not supported).
    pub fn with_copy_if_not_exists(mut self, config: S3CopyIfNotExists) -> Self {
        self.copy_if_not_exists = Some(Value::Typed(config));
        self
    }

    /// Sets how conditional puts are done (default [`S3ConditionalPut::ETagMatch`]).
    pub fn with_conditional_put(mut self, config: S3ConditionalPut) -> Self {
        self.conditional_put = Value::Typed(config);
        self
    }

    /// Ignores the tags given to puts and never reads tags, for servers without tagging.
    pub fn with_disable_tagging(mut self, ignore: bool) -> Self {
        self.disable_tagging = Value::Typed(ignore);
        self
    }

    /// Encrypts written objects with SSE-KMS under this KMS key (id, ARN or alias; empty
    /// for the AWS-managed key `aws/s3`).
    pub fn with_sse_kms_encryption(mut self, kms_key_id: impl Into<String>) -> Self {
        self.encryption_type = Some(Value::Typed(S3EncryptionType::SseKms));
        self.encryption_kms_key_id = Some(kms_key_id.into());
        self
    }

    /// Encrypts written objects with DSSE-KMS (dual-layer) under this KMS key (empty for the
    /// AWS-managed key).
    pub fn with_dsse_kms_encryption(mut self, kms_key_id: impl Into<String>) -> Self {
        self.encryption_type = Some(Value::Typed(S3EncryptionType::DsseKms));
        self.encryption_kms_key_id = Some(kms_key_id.into());
        self
    }

    /// Encrypts objects with SSE-C under this customer key: the base64 of 32 bytes, sent with
    /// every request that reads or writes object data. Losing the key loses the data.
    pub fn with_ssec_encryption(mut self, customer_key_base64: impl Into<String>) -> Self {
        self.encryption_type = Some(Value::Typed(S3EncryptionType::SseC));
        self.encryption_customer_key_base64 = Some(customer_key_base64.into());
        self
    }

    /// Enables or disables an S3 bucket key for SSE-KMS, overriding the bucket's default
    /// (a bucket key cuts KMS requests by deriving object keys from one bucket-level key).
    pub fn with_bucket_key(mut self, enabled: bool) -> Self {
        self.encryption_bucket_key_enabled = Some(Value::Typed(enabled));
        self
    }

    /// Accepts the charges of a requester-pays bucket (`x-amz-request-payer: requester`).
    pub fn with_request_payer(mut self, enabled: bool) -> Self {
        self.request_payer = Value::Typed(enabled);
        self
    }

    /// Sends the store's requests through the services of this connector instead of the
    /// default [`HyperConnector`](ostore_transport::HyperConnector).
    pub fn with_http_connector<C: HttpConnector>(mut self, connector: C) -> Self {
        self.http_connector = Some(Arc::new(connector));
        self
    }

    /// Uses this profile of the shared config and credentials files (ours; default: the
    /// `AWS_PROFILE` variable, then `default`).
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Checks the settings and builds the store. Fails on a missing bucket, an unrecognised
    /// URL, half a static credential (a key id without secret or the reverse), a malformed
    /// value, inconsistent encryption settings, or an S3 Express bucket name without zone.
    pub fn build(mut self) -> Result<AmazonS3> {
        use AmazonS3ConfigKey as K;
        if let Some(url) = self.url.take() {
            let s = location::parse(&url)?;
            self.bucket_name = s.bucket.or(self.bucket_name);
            self.region = s.region.or(self.region);
            self.endpoint = s.endpoint.or(self.endpoint);
            if let Some(v) = s.virtual_hosted_style {
                self.virtual_hosted_style_request = Value::Typed(v);
            }
            if let Some(v) = s.s3_express {
                self.s3_express = Value::Typed(v);
            }
        }
        let bucket = self.bucket_name.take().ok_or_else(|| {
            Error::generic(
                STORE,
                "missing bucket name: set it with with_bucket_name, aws_bucket or a URL",
            )
        })?;
        let region = self.region.take().unwrap_or_else(|| DEFAULT_REGION.into());

        let checksum = get_opt(&self.checksum_algorithm, K::Checksum)?;
        let copy_if_not_exists = get_opt(&self.copy_if_not_exists, K::CopyIfNotExists)?;
        let conditional_put = self.conditional_put.get(K::ConditionalPut)?;
        let virtual_hosted = self
            .virtual_hosted_style_request
            .get(K::VirtualHostedStyleRequest)?;
        let s3_express = self.s3_express.get(K::S3Express)?;
        let sign_payload = !self.unsigned_payload.get(K::UnsignedPayload)?;
        let skip_signature = self.skip_signature.get(K::SkipSignature)?;
        let disable_tagging = self.disable_tagging.get(K::DisableTagging)?;
        let request_payer = self.request_payer.get(K::RequestPayer)?;
        let imdsv1_fallback = self.imdsv1_fallback.get(K::ImdsV1Fallback)?;
        let encryption = encryption::resolve(
            get_opt(
                &self.encryption_type,
                K::Encryption(S3EncryptionConfigKey::ServerSideEncryption),
            )?,
            self.encryption_kms_key_id.take(),
            get_opt(
                &self.encryption_bucket_key_enabled,
                K::Encryption(S3EncryptionConfigKey::BucketKeyEnabled),
            )?,
            self.encryption_customer_key_base64.take(),
        )?;

        let bucket_endpoint = location::bucket_endpoint(
            &bucket,
            &region,
            self.endpoint.as_deref(),
            virtual_hosted,
            s3_express,
        )?;

        let credentials = match self.credentials.take() {
            Some(provider) => provider,
            None => {
                match (&self.access_key_id, &self.secret_access_key) {
                    (Some(_), None) => {
                        return Err(half_credential("an access key id", "no secret access key"));
                    }
                    (None, Some(_)) => {
                        return Err(half_credential("a secret access key", "no access key id"));
                    }
                    _ => {}
                }
                if skip_signature {
                    // Never used: requests go out unsigned, and no credential source is
                    // consulted.
                    Arc::new(StaticCredentialProvider::new(AwsCredential {
                        key_id: String::new(),
                        secret_key: String::new(),
                        token: None,
                    }))
                } else {
                    resolve(ChainSettings {
                        access_key_id: self.access_key_id.take(),
                        secret_access_key: self.secret_access_key.take(),
                        token: self.token.take(),
                        region: region.clone(),
                        web_identity_token_file: self.web_identity_token_file.take(),
                        role_arn: self.role_arn.take(),
                        role_session_name: self.role_session_name.take(),
                        sts_endpoint: self.sts_endpoint.take(),
                        container_credentials_relative_uri: self
                            .container_credentials_relative_uri
                            .take(),
                        container_credentials_full_uri: self.container_credentials_full_uri.take(),
                        container_authorization_token_file: self
                            .container_authorization_token_file
                            .take(),
                        metadata_endpoint: self.metadata_endpoint.take(),
                        imdsv1_fallback,
                        profile: self.profile.take(),
                        client_options: self.client_options.clone(),
                        retry_config: self.retry_config.clone(),
                        // The environment and `~/.aws` decide these (see `providers`).
                        container_credentials_endpoint: None,
                        shared_credentials_file: None,
                        config_file: None,
                    })?
                }
            }
        };

        let config = S3Config {
            region,
            bucket,
            bucket_endpoint,
            credentials,
            retry_config: self.retry_config,
            client_options: self.client_options,
            sign_payload,
            skip_signature,
            disable_tagging,
            checksum,
            copy_if_not_exists,
            conditional_put,
            request_payer,
            encryption_headers: encryption.headers,
            customer_key: encryption.customer_key,
            client_side_list_offset: self.client_side_list_offset,
            s3_express,
        };
        let mut client = S3Client::new(config)?;
        if let Some(connector) = &self.http_connector {
            client.http = HttpClient::with_connector(
                client.config.client_options.clone(),
                client.config.retry_config.clone(),
                connector.as_ref(),
            )?;
        }
        Ok(AmazonS3 {
            client: Arc::new(client),
        })
    }
}

fn half_credential(given: &str, missing: &str) -> Error {
    Error::generic(
        STORE,
        format!(
            "half a static credential: {given} is set but {missing}; set both \
             (aws_access_key_id and aws_secret_access_key) or neither"
        ),
    )
}

#[cfg(test)]
mod tests;
