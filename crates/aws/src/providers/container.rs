//! Credentials served to containers: the ECS task role endpoint (a relative URI on
//! `169.254.170.2`) and full-URI endpoints such as EKS Pod Identity, which want the
//! `Authorization` header read from a token file.

use std::sync::Arc;

use async_trait::async_trait;
use http::Method;
use ostore_core::{Error, Result};
use ostore_transport::HttpClient;
use ostore_transport::credential::{TemporaryToken, TokenProvider};
use url::{Host, Url};

use super::{credential_from_json, fetch_failed, sensitive};
use crate::{AwsCredential, STORE};

/// Fetches credentials with a `GET` of `url`, sending the content of `token_file` (read
/// again at each fetch, since the agent rotates it) as the `Authorization` header.
#[derive(Debug)]
pub(crate) struct ContainerProvider {
    pub(crate) client: HttpClient,
    pub(crate) url: String,
    pub(crate) token_file: Option<String>,
}

#[async_trait]
impl TokenProvider for ContainerProvider {
    type Credential = AwsCredential;

    async fn fetch_token(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        self.fetch()
            .await
            .map_err(|e| fetch_failed("the container credentials endpoint", e))
    }
}

impl ContainerProvider {
    async fn fetch(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        let mut request = self
            .client
            .request(Method::GET, &self.url)
            .context(STORE, "");
        if let Some(file) = &self.token_file {
            let token = tokio::fs::read_to_string(file).await.map_err(|e| {
                Error::generic(
                    STORE,
                    format!("cannot read the container authorization token file {file}: {e}"),
                )
            })?;
            request = request.header(http::header::AUTHORIZATION, sensitive(token.trim())?);
        }
        let body = request.send().await?.bytes().await?;
        credential_from_json(&body, "Token", false)
    }
}

/// Checks a full container credentials URI: HTTPS anywhere, plain HTTP only to a loopback
/// address or to the link-local addresses of the ECS and EKS agents (as the AWS SDKs do),
/// so that credentials are never fetched in clear over a network.
pub(crate) fn check_full_uri(uri: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::generic(
            STORE,
            format!("invalid container_credentials_full_uri: {why}"),
        )
    };
    let url = Url::parse(uri).map_err(|_| bad("not a URL"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let allowed = match url.host() {
                Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(Host::Ipv4(ip)) => {
                    ip.is_loopback()
                        || ip.octets() == [169, 254, 170, 2]
                        || ip.octets() == [169, 254, 170, 23]
                }
                Some(Host::Ipv6(ip)) => {
                    ip.is_loopback() || ip.segments() == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23]
                }
                None => false,
            };
            if allowed {
                Ok(())
            } else {
                Err(bad(
                    "plain HTTP is only allowed to loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23",
                ))
            }
        }
        _ => Err(bad("the scheme must be https or http")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_uri_hosts() {
        for ok in [
            "https://example.com/creds",
            "http://127.0.0.1:8080/creds",
            "http://localhost/creds",
            "http://169.254.170.2/v1/credentials",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "http://[::1]:80/",
        ] {
            check_full_uri(ok).unwrap();
        }
        for bad in [
            "http://example.com/creds",
            "http://10.0.0.1/creds",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            assert!(check_full_uri(bad).is_err(), "{bad}");
        }
    }
}
