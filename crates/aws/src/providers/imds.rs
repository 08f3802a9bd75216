//! Credentials of the IAM role attached to an EC2 instance, from the instance metadata
//! service (IMDSv2 session tokens, optionally falling back to IMDSv1).

use std::sync::Arc;

use async_trait::async_trait;
use http::{Method, StatusCode};
use ostore_core::{Error, Result};
use ostore_transport::HttpClient;
use ostore_transport::credential::{TemporaryToken, TokenProvider};

use super::{credential_from_json, fetch_failed};
use crate::{AwsCredential, STORE};

/// The path under which the instance lists its role and serves the role's credentials.
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
/// The IMDSv2 session token lifetime we ask for: long enough for the two reads that follow.
const SESSION_TOKEN_TTL_SECONDS: &str = "300";
const TOKEN_TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";

/// Fetches the instance role's credentials from the metadata service at `endpoint`.
///
/// Each fetch opens an IMDSv2 session (`PUT /latest/api/token`) and reads the role name,
/// then its credentials, with the session token. If the service refuses the session (403,
/// 404, 405) or cannot be reached, the reads are made without a token (IMDSv1) only when
/// `imdsv1_fallback` is set; otherwise the fetch fails.
#[derive(Debug)]
pub(crate) struct InstanceMetadataProvider {
    pub(crate) client: HttpClient,
    /// The service's base URL without a trailing `/`, e.g. `http://169.254.169.254`.
    pub(crate) endpoint: String,
    pub(crate) imdsv1_fallback: bool,
}

impl InstanceMetadataProvider {
    /// Opens an IMDSv2 session; `None` means "use IMDSv1".
    async fn session_token(&self) -> Result<Option<String>> {
        let url = format!("{}/latest/api/token", self.endpoint);
        let result = self
            .client
            .request(Method::PUT, &url)
            .header(TOKEN_TTL_HEADER, SESSION_TOKEN_TTL_SECONDS)
            .idempotent(true)
            .context(STORE, "")
            .send_raw()
            .await;
        let refused = match result {
            Ok(resp) if resp.status().is_success() => {
                let token = text(&resp.bytes().await?, "IMDSv2 session token")?;
                return Ok(Some(token.trim().to_string()));
            }
            Ok(resp)
                if matches!(
                    resp.status(),
                    StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                ) =>
            {
                format!(
                    "the instance metadata service refused an IMDSv2 session (HTTP {})",
                    resp.status().as_u16()
                )
            }
            Ok(resp) => return Err(resp.into_error("").await),
            // The transport's own message, without the "S3 store error" prefix.
            Err(Error::Generic { source, .. }) => {
                format!("cannot open an IMDSv2 session: {source}")
            }
            Err(e) => format!("cannot open an IMDSv2 session: {e}"),
        };
        if self.imdsv1_fallback {
            tracing::warn!(error = %refused, "falling back to IMDSv1");
            Ok(None)
        } else {
            Err(Error::generic(
                STORE,
                format!("{refused}; IMDSv1 fallback is disabled (see imdsv1_fallback)"),
            ))
        }
    }

    async fn get(&self, url: &str, token: Option<&str>) -> Result<Vec<u8>> {
        let mut request = self.client.request(Method::GET, url).context(STORE, "");
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, super::sensitive(token)?);
        }
        Ok(request.send().await?.bytes().await?.to_vec())
    }
}

#[async_trait]
impl TokenProvider for InstanceMetadataProvider {
    type Credential = AwsCredential;

    async fn fetch_token(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        self.fetch()
            .await
            .map_err(|e| fetch_failed("instance metadata", e))
    }
}

impl InstanceMetadataProvider {
    async fn fetch(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        let token = self.session_token().await?;
        let roles_url = format!("{}{CREDENTIALS_PATH}", self.endpoint);
        let roles = self.get(&roles_url, token.as_deref()).await?;
        let roles = text(&roles, "IAM role listing")?;
        let role = roles.lines().map(str::trim).find(|l| !l.is_empty());
        let role = role.ok_or_else(|| {
            Error::generic(
                STORE,
                "the instance metadata service lists no IAM role for this instance",
            )
        })?;
        let creds_url = format!("{roles_url}{role}");
        let body = self.get(&creds_url, token.as_deref()).await?;
        credential_from_json(&body, "Token", true)
    }
}

/// The UTF-8 text of a metadata answer.
fn text(body: &[u8], what: &str) -> Result<String> {
    String::from_utf8(body.to_vec()).map_err(|_| {
        Error::generic(
            STORE,
            format!("the instance metadata {what} is not UTF-8 text"),
        )
    })
}
