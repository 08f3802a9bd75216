//! [`HttpBuilder`]: configures and builds an [`HttpStore`].

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;
use ostore_core::{Error, Result};
use ostore_transport::{ClientConfigKey, ClientOptions, HttpClient, RetryConfig};

use crate::client::DavClient;
use crate::{HttpStore, STORE};

/// Credentials sent in the `Authorization` header of every request.
#[derive(Clone)]
enum Auth {
    Basic { user: String, password: String },
    Bearer(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { user, .. } => write!(f, "Basic({user}, REDACTED)"),
            Self::Bearer(_) => f.write_str("Bearer(REDACTED)"),
        }
    }
}

impl Auth {
    fn header(&self) -> Result<HeaderValue> {
        let value = match self {
            Self::Basic { user, password } => {
                format!(
                    "Basic {}",
                    ostore_transport::base64::encode(format!("{user}:{password}").as_bytes())
                )
            }
            Self::Bearer(token) => format!("Bearer {token}"),
        };
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            Error::generic(
                STORE,
                "the credentials contain characters not allowed in a header",
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// Configures an [`HttpStore`]: the server's base URL, client options, retries and
/// credentials.
///
/// ```
/// use ostore_http::HttpBuilder;
/// use ostore_transport::ClientOptions;
///
/// let store = HttpBuilder::new()
///     .with_url("http://localhost:8080/dav")
///     .with_client_options(ClientOptions::new().with_allow_http(true))
///     .with_basic_auth("alice", "secret")
///     .build()
///     .unwrap();
/// assert!(!format!("{store:?}").contains("secret"));
///
/// // Plain HTTP must be allowed explicitly; a URL is required.
/// assert!(HttpBuilder::new().with_url("http://localhost:8080").build().is_err());
/// assert!(HttpBuilder::new().build().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct HttpBuilder {
    url: Option<String>,
    client_options: ClientOptions,
    retry: RetryConfig,
    auth: Option<Auth>,
    conditional_put: bool,
}

impl Default for HttpBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpBuilder {
    /// A builder with default options and no URL.
    pub fn new() -> Self {
        Self {
            url: None,
            client_options: ClientOptions::new(),
            retry: RetryConfig::default(),
            auth: None,
            conditional_put: true,
        }
    }

    /// Sets the base URL; object paths are appended to it. Required.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the client options (timeouts, proxy, `allow_http`, ...).
    pub fn with_client_options(mut self, options: ClientOptions) -> Self {
        self.client_options = options;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Sets one client option by key.
    pub fn with_config(mut self, key: ClientConfigKey, value: impl Into<String>) -> Self {
        self.client_options = self.client_options.with_config(key, value);
        self
    }

    /// Sends HTTP Basic credentials with every request (use HTTPS: Basic is cleartext).
    pub fn with_basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth::Basic {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Sends `Authorization: Bearer <token>` with every request.
    pub fn with_bearer_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Bearer(token.into()));
        self
    }

    /// Whether the server honours conditional PUTs (`If-None-Match: *`, `If-Match`);
    /// default `true`.
    ///
    /// Some servers ignore these headers and overwrite (`rclone serve webdav`), or check
    /// them and then write without a lock, so concurrent writers both succeed (Apache
    /// `mod_dav_fs`); the store cannot detect either. Set `false` for them: the store then refuses
    /// `PutMode::Create` and `PutMode::Update` with `Error::NotSupported` instead of
    /// silently overwriting. (`copy_if_not_exists` and `rename_if_not_exists` use
    /// `Overwrite: F` on COPY/MOVE, a separate feature, and are not affected.)
    pub fn with_conditional_put(mut self, conditional_put: bool) -> Self {
        self.conditional_put = conditional_put;
        self
    }

    /// Builds the store; fails on a missing or invalid URL, a URL carrying credentials, a
    /// query or a fragment, plain `http://` without `allow_http`, or invalid options.
    pub fn build(self) -> Result<HttpStore> {
        let raw = self
            .url
            .ok_or_else(|| Error::generic(STORE, "no URL given: call HttpBuilder::with_url"))?;
        let invalid = |why: &str| Error::generic(STORE, format!("invalid URL: {why}"));
        let url = url::Url::parse(&raw).map_err(|e| invalid(&e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if self.client_options.allow_http()? => {}
            "http" => {
                return Err(invalid(
                    "plain http:// is not allowed (set allow_http in the client options)",
                ));
            }
            other => return Err(invalid(&format!("the scheme {other:?} is not http(s)"))),
        }
        if url.host().is_none() {
            return Err(invalid("no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials in the URL (use with_basic_auth or with_bearer_token)",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a query or fragment"));
        }
        let auth = self.auth.as_ref().map(Auth::header).transpose()?;
        let http = HttpClient::new(self.client_options, self.retry)?;
        let client = DavClient::new(http, &url, auth, self.conditional_put)?;
        Ok(HttpStore {
            client: Arc::new(client),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let b = HttpBuilder::new()
            .with_url("https://h/")
            .with_basic_auth("alice", "hunter2");
        let debug = format!("{b:?}");
        assert!(
            debug.contains("alice") && !debug.contains("hunter2"),
            "{debug}"
        );
        let b = b.with_bearer_token("tok3n");
        assert!(!format!("{b:?}").contains("tok3n"));
        let store = b.build().unwrap();
        let shown = format!("{store:?} {store}");
        assert!(
            !shown.contains("tok3n") && !shown.contains("hunter2"),
            "{shown}"
        );
        let header = Auth::Bearer("t".into()).header().unwrap();
        assert!(header.is_sensitive());
        assert_eq!(
            Auth::Basic {
                user: "Aladdin".into(),
                password: "open sesame".into()
            }
            .header()
            .unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn bad_urls_are_clear_errors() {
        let err = |url: Option<&str>| {
            let mut b = HttpBuilder::new();
            if let Some(u) = url {
                b = b.with_url(u);
            }
            b.build().unwrap_err().to_string()
        };
        assert!(err(None).contains("no URL"));
        assert!(err(Some("not a url")).contains("invalid URL"));
        assert!(err(Some("ftp://h/")).contains("scheme"));
        assert!(err(Some("http://h/")).contains("allow_http"));
        let e = err(Some("https://u:pw@h/"));
        assert!(e.contains("credentials") && !e.contains("pw"), "{e}");
        assert!(err(Some("https://h/?x=1")).contains("query"));
        let ok = HttpBuilder::new()
            .with_url("http://h:1/dav")
            .with_config(ClientConfigKey::AllowHttp, "true")
            .build()
            .unwrap();
        assert_eq!(ok.to_string(), "HttpStore(http://h:1/dav)");
        assert!(
            HttpBuilder::new()
                .with_url("https://h")
                .with_bearer_token("bad\ntoken")
                .build()
                .is_err()
        );
    }
}
