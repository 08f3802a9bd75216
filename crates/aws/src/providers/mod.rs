//! The credential chain: where the store gets its AWS credentials when none are given
//! explicitly (static keys, web identity, container, pod identity, instance metadata,
//! profile files).
//!
//! [`resolve`] picks **one** source from the settings, in this order, and does no network
//! I/O (only the small profile files are read); temporary credentials are fetched on first
//! use, cached, and refreshed before they expire:
//!
//! 1. static keys (`access_key_id` + `secret_access_key`, with the optional session token);
//!    only one of the two is an error;
//! 2. an explicitly named profile (`profile`, from `aws_profile` / `AWS_PROFILE`) of the
//!    shared config and credentials files; a profile found in neither file, or one
//!    without credentials, is an error;
//! 3. web identity (`web_identity_token_file` + `role_arn`): STS
//!    `AssumeRoleWithWebIdentity`, the token file read again at each refresh;
//! 4. ECS task credentials (`container_credentials_relative_uri`);
//! 5. a full container credentials URI (`container_credentials_full_uri`, EKS Pod Identity),
//!    with the `Authorization` header read from `container_authorization_token_file` at
//!    each fetch;
//! 6. the `default` profile of the shared files, if it holds credentials (missing files,
//!    or a default profile with only e.g. a region, are skipped);
//! 7. EC2 instance metadata (IMDSv2, with IMDSv1 fallback only if `imdsv1_fallback`).
//!
//! Steps 1 and 3–5, 7 follow object_store 0.12; the profile files (2, 6) go beyond it. A
//! profile may hold static keys, a `credential_process` command, or `role_arn` with
//! `web_identity_token_file`; assume-role chains and SSO profiles are refused.
//!
//! Errors and `Debug` output never contain secrets.

mod container;
mod imds;
mod json;
mod profile;
mod web_identity;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::HeaderValue;
use ostore_core::{Error, Result};
use ostore_transport::credential::{TemporaryToken, TokenCredentialProvider};
use ostore_transport::{ClientOptions, HttpClient, RetryConfig, StaticCredentialProvider};
use tokio::time::Instant;

use crate::{AwsCredential, AwsCredentialProvider, STORE};

use container::{ContainerProvider, check_full_uri};
use imds::InstanceMetadataProvider;
use web_identity::{DEFAULT_SESSION_NAME, WebIdentityProvider};

/// The EC2 instance metadata service.
const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// The ECS agent's credential endpoint; relative URIs are appended to it.
const DEFAULT_CONTAINER_ENDPOINT: &str = "http://169.254.170.2";
/// The profile used when none is named.
const DEFAULT_PROFILE: &str = "default";

/// Everything the builder knows that the chain may use.
#[derive(Debug, Default, Clone)]
pub(crate) struct ChainSettings {
    pub(crate) access_key_id: Option<String>,
    pub(crate) secret_access_key: Option<String>,
    pub(crate) token: Option<String>,
    /// The region; STS is reached at `https://sts.{region}.amazonaws.com` by default.
    pub(crate) region: String,
    pub(crate) web_identity_token_file: Option<String>,
    pub(crate) role_arn: Option<String>,
    /// Default `WebIdentitySession`.
    pub(crate) role_session_name: Option<String>,
    pub(crate) sts_endpoint: Option<String>,
    pub(crate) container_credentials_relative_uri: Option<String>,
    pub(crate) container_credentials_full_uri: Option<String>,
    pub(crate) container_authorization_token_file: Option<String>,
    /// Default `http://169.254.169.254`.
    pub(crate) metadata_endpoint: Option<String>,
    pub(crate) imdsv1_fallback: bool,
    /// The named profile of the shared files; `None`: the `default` profile, if usable.
    pub(crate) profile: Option<String>,
    pub(crate) client_options: ClientOptions,
    pub(crate) retry_config: RetryConfig,
    /// The base URL relative container URIs are appended to; default
    /// `http://169.254.170.2` (tests point it at a local server).
    pub(crate) container_credentials_endpoint: Option<String>,
    /// The shared credentials file; `None`: `AWS_SHARED_CREDENTIALS_FILE`, else
    /// `~/.aws/credentials`.
    pub(crate) shared_credentials_file: Option<PathBuf>,
    /// The shared config file; `None`: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub(crate) config_file: Option<PathBuf>,
}

/// Picks the credential provider for `settings` (see the module documentation for the
/// order). Does no network I/O.
pub(crate) fn resolve(settings: ChainSettings) -> Result<AwsCredentialProvider> {
    match (&settings.access_key_id, &settings.secret_access_key) {
        (Some(key_id), Some(secret_key)) => {
            return Ok(Arc::new(StaticCredentialProvider::new(AwsCredential {
                key_id: key_id.clone(),
                secret_key: secret_key.clone(),
                token: settings.token.clone(),
            })));
        }
        (Some(_), None) => {
            return Err(Error::generic(
                STORE,
                "an access key id is configured without a secret access key",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::generic(
                STORE,
                "a secret access key is configured without an access key id",
            ));
        }
        (None, None) => {}
    }

    let (credentials_file, config_file) = profile::file_paths(&settings);
    if let Some(name) = &settings.profile {
        let found =
            profile::load_profile(credentials_file.as_deref(), config_file.as_deref(), name)?;
        let Some(found) = found else {
            let shown = |p: &Option<PathBuf>| {
                p.as_ref()
                    .map_or_else(|| "(none)".to_string(), |p| p.display().to_string())
            };
            return Err(Error::generic(
                STORE,
                format!(
                    "AWS profile {name} not found in {} or {}",
                    shown(&credentials_file),
                    shown(&config_file)
                ),
            ));
        };
        return profile::provider_for(name, &found, &settings)?.ok_or_else(|| {
            Error::generic(STORE, format!("AWS profile {name} holds no credentials"))
        });
    }

    if let (Some(token_file), Some(role_arn)) =
        (&settings.web_identity_token_file, &settings.role_arn)
    {
        return web_identity_provider(
            &settings,
            token_file.clone(),
            role_arn.clone(),
            settings.role_session_name.clone(),
        );
    }

    if let Some(uri) = &settings.container_credentials_relative_uri {
        let base = settings
            .container_credentials_endpoint
            .as_deref()
            .unwrap_or(DEFAULT_CONTAINER_ENDPOINT)
            .trim_end_matches('/');
        let provider = ContainerProvider {
            client: metadata_client(&settings)?,
            url: format!("{base}{uri}"),
            token_file: None,
        };
        return Ok(Arc::new(TokenCredentialProvider::new(provider)));
    }

    if let Some(uri) = &settings.container_credentials_full_uri {
        check_full_uri(uri)?;
        let provider = ContainerProvider {
            client: metadata_client(&settings)?,
            url: uri.clone(),
            token_file: settings.container_authorization_token_file.clone(),
        };
        return Ok(Arc::new(TokenCredentialProvider::new(provider)));
    }

    let default = profile::load_profile(
        credentials_file.as_deref(),
        config_file.as_deref(),
        DEFAULT_PROFILE,
    )?;
    if let Some(found) = default {
        if let Some(provider) = profile::provider_for(DEFAULT_PROFILE, &found, &settings)? {
            return Ok(provider);
        }
    }

    let provider = InstanceMetadataProvider {
        client: metadata_client(&settings)?,
        endpoint: settings
            .metadata_endpoint
            .as_deref()
            .unwrap_or(DEFAULT_METADATA_ENDPOINT)
            .trim_end_matches('/')
            .to_string(),
        imdsv1_fallback: settings.imdsv1_fallback,
    };
    Ok(Arc::new(TokenCredentialProvider::new(provider)))
}

/// The STS web identity provider for `role_arn` with the token in `token_file`.
fn web_identity_provider(
    settings: &ChainSettings,
    token_file: String,
    role_arn: String,
    session_name: Option<String>,
) -> Result<AwsCredentialProvider> {
    let endpoint = match &settings.sts_endpoint {
        Some(endpoint) => endpoint.clone(),
        None => format!("https://sts.{}.amazonaws.com", settings.region),
    };
    let provider = WebIdentityProvider {
        // STS is a public HTTPS service: the store's own options (proxy, roots) apply.
        client: HttpClient::new(
            settings.client_options.clone(),
            settings.retry_config.clone(),
        )?,
        endpoint,
        token_file,
        role_arn,
        session_name: session_name.unwrap_or_else(|| DEFAULT_SESSION_NAME.to_string()),
    };
    Ok(Arc::new(TokenCredentialProvider::new(provider)))
}

/// The client for the link-local metadata and container endpoints: plain HTTP allowed, no
/// proxy and none of the store's default headers, short timeouts, and few retries so that
/// a machine without such an endpoint fails in seconds rather than minutes.
fn metadata_client(settings: &ChainSettings) -> Result<HttpClient> {
    let mut options = ClientOptions::new()
        .with_allow_http(true)
        .with_connect_timeout(Duration::from_secs(1))
        .with_timeout(Duration::from_secs(5));
    if let Some(agent) = settings.client_options.user_agent()? {
        options = options.with_user_agent(agent);
    }
    let user = &settings.retry_config;
    let retry = RetryConfig {
        backoff: user.backoff.clone(),
        max_retries: user.max_retries.min(2),
        retry_timeout: user.retry_timeout.min(Duration::from_secs(10)),
    };
    HttpClient::new(options, retry)
}

/// A header value that `Debug` and logs redact.
fn sensitive(value: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        Error::generic(STORE, "a credential token is not a valid HTTP header value")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Parses an RFC 3339 `Expiration`.
fn parse_expiration(value: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            Error::generic(
                STORE,
                format!("invalid Expiration {value:?} (not an RFC 3339 time)"),
            )
        })
}

/// The cache deadline (on tokio's clock) of a credential expiring at `expiration`.
fn expiry_at(expiration: DateTime<Utc>) -> Instant {
    let left = (expiration - Utc::now()).to_std().unwrap_or_default();
    Instant::now() + left
}

/// Reads the JSON credentials of an HTTP endpoint (`AccessKeyId`, `SecretAccessKey`, the
/// session token under `token_key`, `Expiration` required). With `check_code`, a `Code`
/// other than `Success` (instance metadata) is an error.
fn credential_from_json(
    body: &[u8],
    token_key: &str,
    check_code: bool,
) -> Result<TemporaryToken<Arc<AwsCredential>>> {
    let doc = json::Object::parse(body).map_err(|e| invalid(&e))?;
    if check_code {
        match doc.string("Code").map_err(|e| invalid(&e))? {
            None | Some("Success") => {}
            Some(code) => {
                return Err(Error::generic(
                    STORE,
                    format!("answered with code {code:?} instead of credentials"),
                ));
            }
        }
    }
    credential_from_object(&doc, token_key, true)
}

/// The credential in a parsed JSON document (see [`credential_from_json`]). Without an
/// `Expiration` (allowed unless `expiration_required`), it never expires.
fn credential_from_object(
    doc: &json::Object,
    token_key: &str,
    expiration_required: bool,
) -> Result<TemporaryToken<Arc<AwsCredential>>> {
    let field = |key: &str| doc.string(key).map_err(|e| invalid(&e));
    let required = |key: &str| {
        field(key)?
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| invalid(&format!("missing {key}")))
    };
    let key_id = required("AccessKeyId")?;
    let secret_key = required("SecretAccessKey")?;
    let token = field(token_key)?
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let expiry = match field("Expiration")? {
        Some(value) => Some(expiry_at(parse_expiration(value)?)),
        None if expiration_required => return Err(invalid("missing Expiration")),
        None => None,
    };
    Ok(TemporaryToken {
        token: Arc::new(AwsCredential {
            key_id,
            secret_key,
            token,
        }),
        expiry,
    })
}

/// A failure to get credentials from a source; always an [`Error::Generic`], whatever the
/// source answered (a 404 from a metadata endpoint is not a missing object).
#[derive(Debug)]
struct CredentialError {
    from: String,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl std::fmt::Display for CredentialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot get AWS credentials from {}: {}",
            self.from, self.source
        )
    }
}

impl std::error::Error for CredentialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// Wraps the error of a fetch from `from` in a [`CredentialError`].
fn fetch_failed(from: impl Into<String>, e: Error) -> Error {
    let source = match e {
        Error::Generic { source, .. }
        | Error::NotFound { source, .. }
        | Error::PermissionDenied { source, .. }
        | Error::Unauthenticated { source, .. }
        | Error::Precondition { source, .. }
        | Error::AlreadyExists { source, .. }
        | Error::NotModified { source, .. } => source,
        other => Box::new(other),
    };
    Error::generic(
        STORE,
        CredentialError {
            from: from.into(),
            source,
        },
    )
}

/// A credentials document that is not one; `why` never quotes the document.
fn invalid(why: &str) -> Error {
    Error::generic(STORE, format!("invalid credentials document: {why}"))
}
