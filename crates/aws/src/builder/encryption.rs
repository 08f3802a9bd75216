//! Server-side encryption: [`S3EncryptionType`] and how the builder's encryption settings
//! become the headers of the store's writes or its SSE-C customer key.

use std::fmt;
use std::str::FromStr;

use http::{HeaderMap, HeaderValue};
use md5::{Digest, Md5};
use ostore_core::{Error, Result};
use ostore_transport::base64;

use crate::STORE;
use crate::client::SseCustomerKey;

/// The server-side encryption S3 applies to the objects the store writes.
///
/// String form ([`Display`](fmt::Display) / [`FromStr`], the latter ignoring ASCII case):
/// `AES256`, `aws:kms`, `aws:kms:dsse`, `sse-c`.
///
/// ```
/// use ostore_aws::S3EncryptionType;
/// let kms: S3EncryptionType = "aws:kms".parse().unwrap();
/// assert_eq!(kms, S3EncryptionType::SseKms);
/// assert_eq!(S3EncryptionType::S3.to_string(), "AES256");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum S3EncryptionType {
    /// SSE-S3: keys managed by S3 (`AES256`).
    S3,
    /// SSE-KMS: keys in AWS KMS (`aws:kms`), optionally a given key and an S3 bucket key.
    SseKms,
    /// DSSE-KMS: dual-layer encryption with KMS keys (`aws:kms:dsse`).
    DsseKms,
    /// SSE-C: a 256-bit key the client sends with every request on object data (`sse-c`).
    SseC,
}

impl S3EncryptionType {
    /// The string form, also the value of `x-amz-server-side-encryption` for the first three.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::S3 => "AES256",
            Self::SseKms => "aws:kms",
            Self::DsseKms => "aws:kms:dsse",
            Self::SseC => "sse-c",
        }
    }
}

impl fmt::Display for S3EncryptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for S3EncryptionType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        [Self::S3, Self::SseKms, Self::DsseKms, Self::SseC]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::generic(
                    STORE,
                    format!(
                        "invalid server-side encryption {s:?}: expected \"AES256\", \"aws:kms\", \
                         \"aws:kms:dsse\" or \"sse-c\""
                    ),
                )
            })
    }
}

/// What the store sends for server-side encryption.
#[derive(Debug, Default)]
pub(crate) struct Encryption {
    /// Headers of object creation requests (SSE-S3, SSE-KMS, DSSE-KMS).
    pub(crate) headers: HeaderMap,
    /// The SSE-C key.
    pub(crate) customer_key: Option<SseCustomerKey>,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::generic(STORE, message.into())
}

/// Checks the encryption settings against each other and turns them into what the store
/// sends. Settings that would silently be ignored (a KMS key without KMS encryption, a
/// customer key without SSE-C) are errors.
pub(crate) fn resolve(
    kind: Option<S3EncryptionType>,
    kms_key_id: Option<String>,
    bucket_key_enabled: Option<bool>,
    customer_key_base64: Option<String>,
) -> Result<Encryption> {
    // An empty KMS key id means S3's default key (`aws/s3`), as when none is given.
    let kms_key_id = kms_key_id.filter(|id| !id.is_empty());
    let Some(kind) = kind else {
        if kms_key_id.is_some() || bucket_key_enabled.is_some() || customer_key_base64.is_some() {
            return Err(invalid(
                "server-side encryption options are set but aws_server_side_encryption is not",
            ));
        }
        return Ok(Encryption::default());
    };
    if kms_key_id.is_some() && !matches!(kind, S3EncryptionType::SseKms | S3EncryptionType::DsseKms)
    {
        return Err(invalid(format!(
            "aws_sse_kms_key_id needs server-side encryption aws:kms or aws:kms:dsse, not {kind}"
        )));
    }
    if kind != S3EncryptionType::SseC && customer_key_base64.is_some() {
        return Err(invalid(format!(
            "aws_sse_customer_key_base64 needs server-side encryption sse-c, not {kind}"
        )));
    }
    let mut out = Encryption::default();
    if kind == S3EncryptionType::SseC {
        if bucket_key_enabled.is_some() {
            return Err(invalid(
                "aws_sse_bucket_key_enabled does not apply to sse-c",
            ));
        }
        let key = customer_key_base64
            .ok_or_else(|| invalid("sse-c encryption needs aws_sse_customer_key_base64"))?;
        out.customer_key = Some(customer_key(&key)?);
        return Ok(out);
    }
    out.headers.insert(
        "x-amz-server-side-encryption",
        HeaderValue::from_static(kind.as_str()),
    );
    if let Some(id) = kms_key_id {
        let value = HeaderValue::from_str(&id)
            .map_err(|_| invalid(format!("invalid aws_sse_kms_key_id {id:?}")))?;
        out.headers
            .insert("x-amz-server-side-encryption-aws-kms-key-id", value);
    }
    if let Some(enabled) = bucket_key_enabled {
        out.headers.insert(
            "x-amz-server-side-encryption-bucket-key-enabled",
            HeaderValue::from_static(if enabled { "true" } else { "false" }),
        );
    }
    Ok(out)
}

/// Decodes and checks an SSE-C key (the error never shows it).
fn customer_key(key_base64: &str) -> Result<SseCustomerKey> {
    let key = base64::decode(key_base64)
        .ok_or_else(|| invalid("aws_sse_customer_key_base64 is not valid base64"))?;
    if key.len() != 32 {
        return Err(invalid(format!(
            "aws_sse_customer_key_base64 must encode a 256-bit key (32 bytes), not {} bytes",
            key.len()
        )));
    }
    Ok(SseCustomerKey {
        key_base64: base64::encode(&key),
        key_md5_base64: base64::encode(&Md5::digest(&key)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_type_round_trips() {
        for t in [
            S3EncryptionType::S3,
            S3EncryptionType::SseKms,
            S3EncryptionType::DsseKms,
            S3EncryptionType::SseC,
        ] {
            assert_eq!(t.to_string().parse::<S3EncryptionType>().unwrap(), t);
        }
        assert_eq!(
            "aes256".parse::<S3EncryptionType>().unwrap(),
            S3EncryptionType::S3
        );
        assert!("aws:kms:".parse::<S3EncryptionType>().is_err());
    }

    #[test]
    fn kms_headers() {
        let e = resolve(
            Some(S3EncryptionType::SseKms),
            Some("arn:aws:kms:us-east-1:1:key/k".into()),
            Some(true),
            None,
        )
        .unwrap();
        assert_eq!(e.headers["x-amz-server-side-encryption"], "aws:kms");
        assert_eq!(
            e.headers["x-amz-server-side-encryption-aws-kms-key-id"],
            "arn:aws:kms:us-east-1:1:key/k"
        );
        assert_eq!(
            e.headers["x-amz-server-side-encryption-bucket-key-enabled"],
            "true"
        );
        assert!(e.customer_key.is_none());

        let e = resolve(
            Some(S3EncryptionType::DsseKms),
            Some(String::new()),
            None,
            None,
        )
        .unwrap();
        assert_eq!(e.headers.len(), 1);
        assert_eq!(e.headers["x-amz-server-side-encryption"], "aws:kms:dsse");

        let e = resolve(Some(S3EncryptionType::S3), None, None, None).unwrap();
        assert_eq!(e.headers.len(), 1);
        assert_eq!(e.headers["x-amz-server-side-encryption"], "AES256");
    }

    #[test]
    fn sse_c_key_and_md5() {
        // 32 zero bytes; MD5 of them is 70bc8f4b72a86921468bf8e8441dce51.
        let key = base64::encode(&[0u8; 32]);
        let e = resolve(Some(S3EncryptionType::SseC), None, None, Some(key.clone())).unwrap();
        assert!(e.headers.is_empty());
        let c = e.customer_key.unwrap();
        assert_eq!(c.key_base64, key);
        assert_eq!(c.key_md5_base64, "cLyPS3KoaSFGi/joRB3OUQ==");
    }

    #[test]
    fn inconsistent_settings_are_errors() {
        let kms = Some(S3EncryptionType::SseKms);
        let ssec = Some(S3EncryptionType::SseC);
        let good_key = Some(base64::encode(&[7u8; 32]));
        for (kind, kms_id, bucket_key, customer) in [
            (None, Some("k".to_string()), None, None),
            (None, None, None, good_key.clone()),
            (Some(S3EncryptionType::S3), Some("k".into()), None, None),
            (kms, None, None, good_key.clone()),
            (ssec, None, None, None),
            (ssec, None, Some(true), good_key.clone()),
            (ssec, None, None, Some("not base64!".into())),
            (ssec, None, None, Some(base64::encode(&[1u8; 16]))),
            (kms, Some("bad\nid".into()), None, None),
        ] {
            assert!(resolve(kind, kms_id, bucket_key, customer).is_err());
        }
    }
}
