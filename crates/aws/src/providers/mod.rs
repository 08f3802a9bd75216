//! The credential chain: where the store gets its AWS credentials when none are given
//! explicitly (static keys, web identity, container, pod identity, instance metadata,
//! profile files).

use std::sync::Arc;

use ostore_core::{Error, Result};
use ostore_transport::{ClientOptions, RetryConfig, StaticCredentialProvider};

use crate::{AwsCredential, AwsCredentialProvider, STORE};

/// Everything the builder knows that the chain may use.
#[derive(Debug, Default, Clone)]
pub(crate) struct ChainSettings {
    pub(crate) access_key_id: Option<String>,
    pub(crate) secret_access_key: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) region: String,
    pub(crate) web_identity_token_file: Option<String>,
    pub(crate) role_arn: Option<String>,
    pub(crate) role_session_name: Option<String>,
    pub(crate) sts_endpoint: Option<String>,
    pub(crate) container_credentials_relative_uri: Option<String>,
    pub(crate) container_credentials_full_uri: Option<String>,
    pub(crate) container_authorization_token_file: Option<String>,
    pub(crate) metadata_endpoint: Option<String>,
    pub(crate) imdsv1_fallback: bool,
    pub(crate) profile: Option<String>,
    pub(crate) client_options: ClientOptions,
    pub(crate) retry_config: RetryConfig,
}

/// Picks the credential provider for `settings`.
pub(crate) fn resolve(settings: ChainSettings) -> Result<AwsCredentialProvider> {
    match (settings.access_key_id, settings.secret_access_key) {
        (Some(key_id), Some(secret_key)) => {
            Ok(Arc::new(StaticCredentialProvider::new(AwsCredential {
                key_id,
                secret_key,
                token: settings.token,
            })))
        }
        _ => Err(Error::generic(STORE, "no credentials configured")),
    }
}
