//! S3 Express One Zone sessions: directory buckets authorise requests with short-lived
//! session credentials from `CreateSession`, signed for the `s3express` service and sent
//! with `x-amz-s3session-token`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::Method;
use ostore_core::{Error, Result};
use ostore_transport::HttpClient;
use ostore_transport::credential::{TemporaryToken, TokenCredentialProvider, TokenProvider};
use ostore_transport::xml::from_xml;
use serde::Deserialize;

use crate::{AwsAuthorizer, AwsCredential, AwsCredentialProvider, EMPTY_SHA256_HASH, STORE};

/// The service name directory buckets are signed for.
pub(crate) const SERVICE: &str = "s3express";
/// The header carrying a session token.
pub(crate) const SESSION_TOKEN_HEADER: &str = "x-amz-s3session-token";

/// Sessions last five minutes; refresh one with less than a minute left.
const SESSION_MIN_TTL: Duration = Duration::from_secs(60);

/// Fetches session credentials with `CreateSession` on the bucket.
#[derive(Debug)]
pub(crate) struct SessionProvider {
    http: HttpClient,
    /// `<bucket url>?session`.
    url: String,
    region: Arc<str>,
    /// The account credentials `CreateSession` is signed with.
    credentials: AwsCredentialProvider,
}

/// The credentials a directory bucket accepts, cached until shortly before they expire.
pub(crate) type SessionCredentials = TokenCredentialProvider<SessionProvider>;

impl SessionProvider {
    pub(crate) fn credentials(
        http: HttpClient,
        bucket_url: &str,
        region: Arc<str>,
        credentials: AwsCredentialProvider,
    ) -> SessionCredentials {
        let provider = Self {
            http,
            url: format!("{bucket_url}?session"),
            region,
            credentials,
        };
        TokenCredentialProvider::new(provider).with_min_ttl(SESSION_MIN_TTL)
    }
}

#[derive(Deserialize)]
struct CreateSessionResult {
    #[serde(rename = "Credentials")]
    credentials: SessionCredentialsXml,
}

#[derive(Deserialize)]
struct SessionCredentialsXml {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: String,
    #[serde(rename = "SessionToken")]
    session_token: String,
    #[serde(rename = "Expiration")]
    expiration: String,
}

#[async_trait]
impl TokenProvider for SessionProvider {
    type Credential = AwsCredential;

    async fn fetch_token(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        let credential = self.credentials.get_credential().await?;
        let region = Arc::clone(&self.region);
        let resp = self
            .http
            .request(Method::GET, &self.url)
            .context(STORE, "")
            .idempotent(true)
            .sign(move |request| {
                AwsAuthorizer::new(&credential, SERVICE, &region).authorize(
                    request,
                    EMPTY_SHA256_HASH,
                    Utc::now(),
                )
            })
            .send()
            .await?;
        let body = resp.bytes().await?;
        // Never quote the document in errors: it holds a secret.
        let parsed: CreateSessionResult = from_xml(STORE, "CreateSession answer", &body)
            .map_err(|_| Error::generic(STORE, "malformed CreateSession answer"))?;
        let c = parsed.credentials;
        let expiration = DateTime::parse_from_rfc3339(&c.expiration)
            .map_err(|_| Error::generic(STORE, "CreateSession answer with an invalid Expiration"))?
            .with_timezone(&Utc);
        let lifetime = (expiration - Utc::now()).to_std().unwrap_or_default();
        Ok(TemporaryToken {
            token: Arc::new(AwsCredential {
                key_id: c.access_key_id,
                secret_key: c.secret_access_key,
                token: Some(c.session_token),
            }),
            expiry: Some(tokio::time::Instant::now() + lifetime),
        })
    }
}
