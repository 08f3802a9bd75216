//! Tests of the credential chain: each source against an in-process HTTP server answering
//! with the documents AWS describes, profile files in a temporary directory, the order of
//! the chain, refresh, and that no secret leaks into errors or `Debug` output.

mod files;
mod http;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ostore_core::{Error, Result};
use ostore_transport::{BackoffConfig, ClientOptions, RetryConfig};
use tempfile::TempDir;

use super::{ChainSettings, resolve};
use crate::{AwsCredential, AwsCredentialProvider};

/// The secret parts every mocked source hands out; no error or `Debug` may show them.
const SECRET: &str = "wJalrXUtnFEMI-SECRET";
const SESSION: &str = "SESSION-TOKEN-SECRET";

/// Settings that reach nothing real: plain HTTP allowed, one quick retry, and profile
/// files that do not exist (so the machine's own `~/.aws` is never read).
fn settings(dir: &TempDir) -> ChainSettings {
    ChainSettings {
        region: "eu-west-3".into(),
        client_options: ClientOptions::new().with_allow_http(true),
        retry_config: RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(2),
                base: 2.0,
            },
            max_retries: 1,
            retry_timeout: Duration::from_secs(2),
        },
        shared_credentials_file: Some(dir.path().join("missing-credentials")),
        config_file: Some(dir.path().join("missing-config")),
        ..Default::default()
    }
}

/// An RFC 3339 time `secs` seconds from now.
fn expiration_in(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The JSON credentials document of instance metadata and container endpoints.
fn credentials_json(key_id: &str, expires_in_secs: i64) -> String {
    format!(
        r#"{{
  "Code" : "Success",
  "LastUpdated" : "2024-01-01T00:00:00Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "{key_id}",
  "SecretAccessKey" : "{SECRET}",
  "Token" : "{SESSION}",
  "Expiration" : "{}"
}}"#,
        expiration_in(expires_in_secs)
    )
}

/// The credential the mocked sources hand out for `key_id`.
fn expected(key_id: &str) -> AwsCredential {
    AwsCredential {
        key_id: key_id.into(),
        secret_key: SECRET.into(),
        token: Some(SESSION.into()),
    }
}

async fn credential(provider: &AwsCredentialProvider) -> Result<Arc<AwsCredential>> {
    provider.get_credential().await
}

/// Asserts that `err` is a generic S3 error mentioning `needle` and no secret.
#[track_caller]
fn assert_error(err: &Error, needle: &str) {
    let shown = format!("{err} {err:?}");
    assert!(matches!(err, Error::Generic { store: "S3", .. }), "{shown}");
    assert!(shown.contains(needle), "expected {needle:?} in: {shown}");
    assert_no_secret(&shown);
}

#[track_caller]
fn assert_no_secret(shown: &str) {
    for secret in [SECRET, SESSION, "oidc-token", "pod-token"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
}

/// Resolves, and checks the provider's `Debug` names `kind` and shows no secret.
#[track_caller]
fn resolve_kind(settings: ChainSettings, kind: &str) -> AwsCredentialProvider {
    let provider = resolve(settings).unwrap();
    let shown = format!("{provider:?}");
    assert!(shown.contains(kind), "expected a {kind}: {shown}");
    assert_no_secret(&shown);
    provider
}
