//! The string keys of [`AmazonS3Builder`](crate::AmazonS3Builder)'s settings
//! ([`AmazonS3ConfigKey`], [`S3EncryptionConfigKey`]) and their aliases.

use std::fmt;
use std::str::FromStr;

use ostore_core::{Error, Result};
use ostore_transport::ClientConfigKey;

use crate::STORE;

/// A setting of [`AmazonS3Builder`](crate::AmazonS3Builder), named by a string key, for
/// [`with_config`](crate::AmazonS3Builder::with_config) and
/// [`get_config_value`](crate::AmazonS3Builder::get_config_value).
///
/// [`FromStr`] accepts every name listed on a variant; [`AsRef<str>`] (and [`Display`](fmt::Display))
/// give the first one, the canonical name. [`AmazonS3Builder::from_env`](crate::AmazonS3Builder::from_env)
/// reads each `AWS_*` variable whose lowercased name is one of these names.
///
/// ```
/// use ostore_aws::{AmazonS3Builder, AmazonS3ConfigKey};
/// let key: AmazonS3ConfigKey = "bucket_name".parse().unwrap();
/// assert_eq!(key, AmazonS3ConfigKey::Bucket);
/// assert_eq!(key.as_ref(), "aws_bucket");
/// let builder = AmazonS3Builder::new().with_config(key, "my-bucket");
/// assert_eq!(builder.get_config_value(&key).as_deref(), Some("my-bucket"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AmazonS3ConfigKey {
    /// The access key id: `aws_access_key_id`, `access_key_id`.
    AccessKeyId,
    /// The secret access key: `aws_secret_access_key`, `secret_access_key`.
    SecretAccessKey,
    /// The region: `aws_region`, `region`.
    Region,
    /// The region, used only when [`Region`](Self::Region) is not set:
    /// `aws_default_region`, `default_region`.
    DefaultRegion,
    /// The bucket: `aws_bucket`, `aws_bucket_name`, `bucket`, `bucket_name`.
    Bucket,
    /// The endpoint of an S3-compatible server: `aws_endpoint`, `aws_endpoint_url`,
    /// `endpoint`, `endpoint_url`, and (ours, the AWS SDKs' service-specific name)
    /// `aws_endpoint_url_s3`, `endpoint_url_s3`.
    Endpoint,
    /// The session token: `aws_session_token`, `aws_token`, `session_token`, `token`.
    Token,
    /// Fall back to IMDSv1 for instance credentials: `aws_imdsv1_fallback`,
    /// `imdsv1_fallback`.
    ImdsV1Fallback,
    /// Virtual-hosted-style requests: `aws_virtual_hosted_style_request`,
    /// `virtual_hosted_style_request`.
    VirtualHostedStyleRequest,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body's SHA-256: `aws_unsigned_payload`,
    /// `unsigned_payload`.
    UnsignedPayload,
    /// The checksum algorithm of uploads: `aws_checksum_algorithm`, `checksum_algorithm`.
    Checksum,
    /// The instance metadata endpoint: `aws_metadata_endpoint`, `metadata_endpoint`.
    MetadataEndpoint,
    /// The ECS task credentials path: `aws_container_credentials_relative_uri`,
    /// `container_credentials_relative_uri`.
    ContainerCredentialsRelativeUri,
    /// The container credentials URL (EKS Pod Identity): `aws_container_credentials_full_uri`,
    /// `container_credentials_full_uri`.
    ContainerCredentialsFullUri,
    /// The file holding the container credentials authorization token:
    /// `aws_container_authorization_token_file`, `container_authorization_token_file`.
    ContainerAuthorizationTokenFile,
    /// The web identity token file for `AssumeRoleWithWebIdentity`:
    /// `aws_web_identity_token_file`, `web_identity_token_file`.
    WebIdentityTokenFile,
    /// The role to assume with the web identity token: `aws_role_arn`, `role_arn`.
    RoleArn,
    /// The session name of the assumed role: `aws_role_session_name`, `role_session_name`.
    RoleSessionName,
    /// The STS endpoint: `aws_endpoint_url_sts`, `endpoint_url_sts`.
    StsEndpoint,
    /// How `copy_if_not_exists` is done (see [`S3CopyIfNotExists`](crate::S3CopyIfNotExists)):
    /// `aws_copy_if_not_exists`, `copy_if_not_exists`.
    CopyIfNotExists,
    /// How conditional puts are done (see [`S3ConditionalPut`](crate::S3ConditionalPut)):
    /// `aws_conditional_put`, `conditional_put`.
    ConditionalPut,
    /// Send requests unsigned: `aws_skip_signature`, `skip_signature`.
    SkipSignature,
    /// Never send or read object tags: `aws_disable_tagging`, `disable_tagging`.
    DisableTagging,
    /// The bucket is an S3 Express One Zone directory bucket: `aws_s3_express`, `s3_express`.
    S3Express,
    /// Requester-pays buckets: `aws_request_payer`, `request_payer`.
    RequestPayer,
    /// The profile of the shared config/credentials files (ours): `aws_profile`, `profile`.
    Profile,
    /// An HTTP client option: its [`ClientConfigKey`] name, optionally prefixed with `aws_`
    /// (`aws_allow_http`, `timeout`, ...).
    Client(ClientConfigKey),
    /// A server-side encryption setting.
    Encryption(S3EncryptionConfigKey),
}

/// A server-side encryption setting of [`AmazonS3Builder`](crate::AmazonS3Builder), used
/// through [`AmazonS3ConfigKey::Encryption`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum S3EncryptionConfigKey {
    /// The encryption type, an [`S3EncryptionType`](crate::S3EncryptionType) (`AES256`,
    /// `aws:kms`, `aws:kms:dsse`, `sse-c`): `aws_server_side_encryption`,
    /// `server_side_encryption`.
    ServerSideEncryption,
    /// The KMS key for `aws:kms` / `aws:kms:dsse`: `aws_sse_kms_key_id`, `sse_kms_key_id`.
    KmsKeyId,
    /// Use an S3 bucket key for SSE-KMS (`true`/`false`, overriding the bucket's setting):
    /// `aws_sse_bucket_key_enabled`, `sse_bucket_key_enabled`.
    BucketKeyEnabled,
    /// The base64 of the 256-bit SSE-C customer key: `aws_sse_customer_key_base64`,
    /// `sse_customer_key_base64`.
    CustomerEncryptionKey,
}

impl S3EncryptionConfigKey {
    const ALL: [Self; 4] = [
        Self::ServerSideEncryption,
        Self::KmsKeyId,
        Self::BucketKeyEnabled,
        Self::CustomerEncryptionKey,
    ];

    /// The accepted names, canonical first.
    fn names(self) -> &'static [&'static str] {
        match self {
            Self::ServerSideEncryption => &["aws_server_side_encryption", "server_side_encryption"],
            Self::KmsKeyId => &["aws_sse_kms_key_id", "sse_kms_key_id"],
            Self::BucketKeyEnabled => &["aws_sse_bucket_key_enabled", "sse_bucket_key_enabled"],
            Self::CustomerEncryptionKey => {
                &["aws_sse_customer_key_base64", "sse_customer_key_base64"]
            }
        }
    }
}

impl AsRef<str> for S3EncryptionConfigKey {
    fn as_ref(&self) -> &str {
        self.names()[0]
    }
}

impl fmt::Display for S3EncryptionConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ref())
    }
}

impl AmazonS3ConfigKey {
    /// Every key with names of its own (all but `Client` and `Encryption`).
    pub(crate) const OWN: [Self; 26] = [
        Self::AccessKeyId,
        Self::SecretAccessKey,
        Self::Region,
        Self::DefaultRegion,
        Self::Bucket,
        Self::Endpoint,
        Self::Token,
        Self::ImdsV1Fallback,
        Self::VirtualHostedStyleRequest,
        Self::UnsignedPayload,
        Self::Checksum,
        Self::MetadataEndpoint,
        Self::ContainerCredentialsRelativeUri,
        Self::ContainerCredentialsFullUri,
        Self::ContainerAuthorizationTokenFile,
        Self::WebIdentityTokenFile,
        Self::RoleArn,
        Self::RoleSessionName,
        Self::StsEndpoint,
        Self::CopyIfNotExists,
        Self::ConditionalPut,
        Self::SkipSignature,
        Self::DisableTagging,
        Self::S3Express,
        Self::RequestPayer,
        Self::Profile,
    ];

    /// Every name [`FromStr`] accepts for this key, canonical first.
    pub(crate) fn names(self) -> &'static [&'static str] {
        match self {
            Self::AccessKeyId => &["aws_access_key_id", "access_key_id"],
            Self::SecretAccessKey => &["aws_secret_access_key", "secret_access_key"],
            Self::Region => &["aws_region", "region"],
            Self::DefaultRegion => &["aws_default_region", "default_region"],
            Self::Bucket => &["aws_bucket", "aws_bucket_name", "bucket", "bucket_name"],
            Self::Endpoint => &[
                "aws_endpoint",
                "aws_endpoint_url",
                "endpoint",
                "endpoint_url",
                "aws_endpoint_url_s3",
                "endpoint_url_s3",
            ],
            Self::Token => &["aws_session_token", "aws_token", "session_token", "token"],
            Self::ImdsV1Fallback => &["aws_imdsv1_fallback", "imdsv1_fallback"],
            Self::VirtualHostedStyleRequest => &[
                "aws_virtual_hosted_style_request",
                "virtual_hosted_style_request",
            ],
            Self::UnsignedPayload => &["aws_unsigned_payload", "unsigned_payload"],
            Self::Checksum => &["aws_checksum_algorithm", "checksum_algorithm"],
            Self::MetadataEndpoint => &["aws_metadata_endpoint", "metadata_endpoint"],
            Self::ContainerCredentialsRelativeUri => &[
                "aws_container_credentials_relative_uri",
                "container_credentials_relative_uri",
            ],
            Self::ContainerCredentialsFullUri => &[
                "aws_container_credentials_full_uri",
                "container_credentials_full_uri",
            ],
            Self::ContainerAuthorizationTokenFile => &[
                "aws_container_authorization_token_file",
                "container_authorization_token_file",
            ],
            Self::WebIdentityTokenFile => {
                &["aws_web_identity_token_file", "web_identity_token_file"]
            }
            Self::RoleArn => &["aws_role_arn", "role_arn"],
            Self::RoleSessionName => &["aws_role_session_name", "role_session_name"],
            Self::StsEndpoint => &["aws_endpoint_url_sts", "endpoint_url_sts"],
            Self::CopyIfNotExists => &["aws_copy_if_not_exists", "copy_if_not_exists"],
            Self::ConditionalPut => &["aws_conditional_put", "conditional_put"],
            Self::SkipSignature => &["aws_skip_signature", "skip_signature"],
            Self::DisableTagging => &["aws_disable_tagging", "disable_tagging"],
            Self::S3Express => &["aws_s3_express", "s3_express"],
            Self::RequestPayer => &["aws_request_payer", "request_payer"],
            Self::Profile => &["aws_profile", "profile"],
            // Not reached through `OWN`; `as_ref` handles these two itself.
            Self::Client(_) | Self::Encryption(_) => &[],
        }
    }
}

impl AsRef<str> for AmazonS3ConfigKey {
    fn as_ref(&self) -> &str {
        match self {
            Self::Client(key) => key.as_ref(),
            Self::Encryption(key) => key.as_ref(),
            own => own.names()[0],
        }
    }
}

impl fmt::Display for AmazonS3ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ref())
    }
}

impl FromStr for AmazonS3ConfigKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if let Some(key) = Self::OWN.into_iter().find(|k| k.names().contains(&s)) {
            return Ok(key);
        }
        if let Some(key) = S3EncryptionConfigKey::ALL
            .into_iter()
            .find(|k| k.names().contains(&s))
        {
            return Ok(Self::Encryption(key));
        }
        s.strip_prefix("aws_")
            .unwrap_or(s)
            .parse::<ClientConfigKey>()
            .map(Self::Client)
            .map_err(|_| Error::UnknownConfigurationKey {
                store: STORE,
                key: s.to_string(),
            })
    }
}

/// Every [`AmazonS3ConfigKey`] with every name it accepts, for tests.
#[cfg(test)]
pub(crate) fn all_keys_with_names() -> Vec<(AmazonS3ConfigKey, Vec<String>)> {
    let mut out: Vec<_> = AmazonS3ConfigKey::OWN
        .into_iter()
        .map(|k| (k, k.names().iter().map(|n| n.to_string()).collect()))
        .collect();
    for k in S3EncryptionConfigKey::ALL {
        out.push((
            AmazonS3ConfigKey::Encryption(k),
            k.names().iter().map(|n| n.to_string()).collect(),
        ));
    }
    for k in ClientConfigKey::ALL {
        out.push((
            AmazonS3ConfigKey::Client(k),
            vec![k.as_ref().to_string(), format!("aws_{}", k.as_ref())],
        ));
    }
    out
}
