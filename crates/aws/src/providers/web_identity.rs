//! Credentials for an IAM role assumed with an OIDC token (EKS IRSA, GitHub Actions, ...):
//! STS `AssumeRoleWithWebIdentity`.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::Method;
use ostore_core::{Error, PutPayload, Result};
use ostore_transport::HttpClient;
use ostore_transport::credential::{TemporaryToken, TokenProvider};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::{expiry_at, fetch_failed, parse_expiration};
use crate::{AwsCredential, STORE};

/// The session name STS records when none is configured.
pub(crate) const DEFAULT_SESSION_NAME: &str = "WebIdentitySession";

/// Exchanges the OIDC token in `token_file` (read again at each fetch: the issuer rotates
/// it) for temporary credentials of `role_arn`, with an unsigned `POST` to the STS
/// `endpoint`. The token travels in the form body, never in the URL.
#[derive(Debug)]
pub(crate) struct WebIdentityProvider {
    pub(crate) client: HttpClient,
    /// The STS URL, e.g. `https://sts.us-east-1.amazonaws.com`.
    pub(crate) endpoint: String,
    pub(crate) token_file: String,
    pub(crate) role_arn: String,
    pub(crate) session_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleWithWebIdentityResponse {
    assume_role_with_web_identity_result: AssumeRoleResult,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleResult {
    credentials: StsCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

/// `application/x-www-form-urlencoded` form of `pairs` (every byte but `[A-Za-z0-9]`
/// percent-encoded, which is always valid).
fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.extend(utf8_percent_encode(key, NON_ALPHANUMERIC));
        out.push('=');
        out.extend(utf8_percent_encode(value, NON_ALPHANUMERIC));
    }
    out
}

#[async_trait]
impl TokenProvider for WebIdentityProvider {
    type Credential = AwsCredential;

    async fn fetch_token(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        self.fetch()
            .await
            .map_err(|e| fetch_failed("STS AssumeRoleWithWebIdentity", e))
    }
}

impl WebIdentityProvider {
    async fn fetch(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        let token = tokio::fs::read_to_string(&self.token_file)
            .await
            .map_err(|e| {
                Error::generic(
                    STORE,
                    format!(
                        "cannot read the web identity token file {}: {e}",
                        self.token_file
                    ),
                )
            })?;
        let body = form(&[
            ("Action", "AssumeRoleWithWebIdentity"),
            ("RoleArn", &self.role_arn),
            ("RoleSessionName", &self.session_name),
            ("Version", "2011-06-15"),
            ("WebIdentityToken", token.trim()),
        ]);
        let resp = self
            .client
            .request(Method::POST, &self.endpoint)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(PutPayload::from(body))
            .idempotent(true)
            .context(STORE, "")
            .send()
            .await?;
        let xml = resp.bytes().await?;
        // The parser's complaint may quote the document, which holds the secret: drop it.
        let doc: AssumeRoleWithWebIdentityResponse =
            ostore_transport::xml::from_xml(STORE, "AssumeRoleWithWebIdentity", &xml).map_err(
                |_| {
                    Error::generic(
                        STORE,
                        "STS answered AssumeRoleWithWebIdentity with an unexpected document",
                    )
                },
            )?;
        let creds = doc.assume_role_with_web_identity_result.credentials;
        let expiration: DateTime<Utc> = parse_expiration(&creds.expiration)?;
        Ok(TemporaryToken {
            token: Arc::new(AwsCredential {
                key_id: creds.access_key_id,
                secret_key: creds.secret_access_key,
                token: Some(creds.session_token),
            }),
            expiry: Some(expiry_at(expiration)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form(&[("A", "x y"), ("RoleArn", "arn:aws:iam::1:role/r+1")]),
            "A=x%20y&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr%2B1"
        );
    }
}
