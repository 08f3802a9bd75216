//! The one place that turns an unsuccessful HTTP response into an [`ostore_core::Error`],
//! plus the helpers that keep signatures and tokens out of URLs and headers we print.
//!
//! Which statuses are worth retrying is decided by the retry policy, not here.

use std::fmt;

use http::StatusCode;
use ostore_core::Error;

/// The longest response body, in bytes, kept in an error message.
pub const MAX_BODY_LEN: usize = 1024;

/// What replaces a secret in a redacted URL or header.
pub const REDACTED: &str = "REDACTED";

/// Query parameters whose values are secret (compared case-insensitively).
const SECRET_QUERY_PARAMS: &[&str] = &[
    // AWS SigV2/SigV4 presigned URLs.
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "awsaccesskeyid",
    "signature",
    // Azure shared access signatures.
    "sig",
    // Google signed URLs.
    "x-goog-signature",
    "x-goog-credential",
    "googleaccessid",
    // OAuth and API keys.
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "token",
    "code",
    "key",
    "password",
];

/// An HTTP response that was not successful: the source of every error built by
/// [`error_for_status`].
///
/// Callers can downcast an [`Error`]'s source to this type to read the status. The URL is
/// already redacted and the body trimmed, so `Display` never shows a secret from the URL.
#[derive(Debug, Clone)]
pub struct HttpStatusError {
    status: StatusCode,
    url: Option<String>,
    body: String,
}

impl HttpStatusError {
    /// Builds the error, redacting `request_url` with [`redact_url`] and trimming `body`
    /// with [`trim_body`].
    pub fn new(status: StatusCode, body: &[u8], request_url: Option<&str>) -> Self {
        Self {
            status,
            url: request_url.map(redact_url),
            body: trim_body(body),
        }
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The redacted request URL, if one was given.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The trimmed response body (may be empty).
    pub fn body(&self) -> &str {
        &self.body
    }
}

impl fmt::Display for HttpStatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP status {}", self.status)?;
        if let Some(url) = &self.url {
            write!(f, " from {url}")?;
        }
        if !self.body.is_empty() {
            write!(f, ": {}", self.body)?;
        }
        Ok(())
    }
}

impl std::error::Error for HttpStatusError {}

/// Maps an unsuccessful HTTP response to the matching [`Error`] kind.
///
/// | status | variant |
/// |---|---|
/// | 404 | [`Error::NotFound`] |
/// | 304 | [`Error::NotModified`] |
/// | 412 | [`Error::Precondition`] |
/// | 409 | [`Error::AlreadyExists`] |
/// | 401 | [`Error::Unauthenticated`] |
/// | 403 | [`Error::PermissionDenied`] |
/// | anything else | [`Error::Generic`] tagged with `store` |
///
/// `path` is the object path the request concerned. The source of every variant is an
/// [`HttpStatusError`] carrying the status, the redacted `request_url` and the trimmed body
/// (XML and JSON error documents are kept as text).
///
/// ```
/// # use ostore_transport::status::error_for_status;
/// # use http::StatusCode;
/// let err = error_for_status(
///     "S3",
///     "a/b",
///     StatusCode::NOT_FOUND,
///     b"<Error><Code>NoSuchKey</Code></Error>",
///     Some("https://bucket.s3.amazonaws.com/a/b?X-Amz-Signature=abc123"),
/// );
/// assert!(matches!(err, ostore_core::Error::NotFound { .. }));
/// let message = err.to_string();
/// assert!(message.contains("NoSuchKey") && !message.contains("abc123"));
/// ```
pub fn error_for_status(
    store: &'static str,
    path: &str,
    status: StatusCode,
    body: &[u8],
    request_url: Option<&str>,
) -> Error {
    let source = Box::new(HttpStatusError::new(status, body, request_url));
    let path = path.to_string();
    match status {
        StatusCode::NOT_FOUND => Error::NotFound { path, source },
        StatusCode::NOT_MODIFIED => Error::NotModified { path, source },
        StatusCode::PRECONDITION_FAILED => Error::Precondition { path, source },
        StatusCode::CONFLICT => Error::AlreadyExists { path, source },
        StatusCode::UNAUTHORIZED => Error::Unauthenticated { path, source },
        StatusCode::FORBIDDEN => Error::PermissionDenied { path, source },
        _ => Error::Generic { store, source },
    }
}

/// Makes a response body fit for an error message: decodes it lossily as UTF-8, collapses
/// every run of whitespace (including newlines) into one space, trims the ends, and cuts it
/// to at most [`MAX_BODY_LEN`] bytes followed by `…`.
pub fn trim_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::with_capacity(text.len().min(MAX_BODY_LEN + 4));
    for word in text.split_whitespace() {
        let sep = usize::from(!out.is_empty());
        if out.len() + sep + word.len() > MAX_BODY_LEN {
            if out.len() + sep < MAX_BODY_LEN {
                if sep == 1 {
                    out.push(' ');
                }
                let mut end = MAX_BODY_LEN - out.len();
                while !word.is_char_boundary(end) {
                    end -= 1;
                }
                out.push_str(&word[..end]);
            }
            out.push('…');
            return out;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Returns `url` with its secrets replaced by [`REDACTED`]: the password of the userinfo,
/// and the values of query parameters that carry signatures, credentials or tokens
/// (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`, `Signature`, `sig`,
/// `X-Goog-Signature`, `X-Goog-Credential`, `GoogleAccessId`, `access_token`, `token`,
/// `code`, `key` and a few more, compared case-insensitively).
///
/// Other parameters (`se`, `st`, `sv`, `sp`, `X-Amz-Date`, ...) are kept, as they help
/// debugging and grant nothing; the `#fragment` is kept too (it is never sent). The URL is
/// parsed by hand and need not be valid; a URL
/// without secrets comes back unchanged.
///
/// ```
/// # use ostore_transport::status::redact_url;
/// assert_eq!(
///     redact_url("https://acct.blob.core.windows.net/c/o?sv=2022-11-02&sig=s3cr3t"),
///     "https://acct.blob.core.windows.net/c/o?sv=2022-11-02&sig=REDACTED",
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };

    let mut out = String::with_capacity(url.len());
    out.push_str(&redact_userinfo(base));
    if let Some(query) = query {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() && is_secret_param(name) => {
                    out.push_str(name);
                    out.push('=');
                    out.push_str(REDACTED);
                }
                _ => out.push_str(pair),
            }
        }
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

fn is_secret_param(name: &str) -> bool {
    SECRET_QUERY_PARAMS
        .iter()
        .any(|secret| name.eq_ignore_ascii_case(secret))
}

/// Replaces the password in `scheme://user:password@host/...` with [`REDACTED`].
fn redact_userinfo(base: &str) -> String {
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let rest = &base[authority_start..];
    let authority_end = authority_start + rest.find('/').unwrap_or(rest.len());
    let authority = &base[authority_start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return base.to_string();
    };
    let Some(colon) = authority[..at].find(':') else {
        return base.to_string();
    };
    let password_start = authority_start + colon + 1;
    let password_end = authority_start + at;
    format!(
        "{}{REDACTED}{}",
        &base[..password_start],
        &base[password_end..]
    )
}

/// Whether a header named `name` carries a secret: `Authorization`,
/// `Proxy-Authorization` and other `*authorization*` headers, `Cookie`/`Set-Cookie`, and
/// headers ending in `-token` or `-key` (`X-Amz-Security-Token`, `x-ms-encryption-key`,
/// `x-amz-server-side-encryption-customer-key`, `x-goog-encryption-key`, `x-api-key`).
/// The name is compared case-insensitively.
pub fn is_sensitive_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("authorization")
        || name == "cookie"
        || name == "set-cookie"
        || name.ends_with("-token")
        || name.ends_with("-key")
}

/// Returns `value`, or [`REDACTED`] if the header `name` carries a secret (see
/// [`is_sensitive_header`]). Use it whenever a header is logged or printed.
///
/// ```
/// # use ostore_transport::status::redact_header;
/// assert_eq!(redact_header("Authorization", "Bearer abc"), "REDACTED");
/// assert_eq!(redact_header("Content-Type", "text/plain"), "text/plain");
/// ```
pub fn redact_header<'a>(name: &str, value: &'a str) -> &'a str {
    if is_sensitive_header(name) {
        REDACTED
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_of(err: &Error) -> &HttpStatusError {
        std::error::Error::source(err)
            .and_then(|s| s.downcast_ref::<HttpStatusError>())
            .expect("source is an HttpStatusError")
    }

    #[test]
    fn statuses_map_to_variants_and_carry_the_path() {
        let cases = [
            StatusCode::NOT_FOUND,
            StatusCode::NOT_MODIFIED,
            StatusCode::PRECONDITION_FAILED,
            StatusCode::CONFLICT,
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
        ];
        for status in cases {
            let err = error_for_status("S3", "dir/file", status, b"", None);
            let path = match (&err, status.as_u16()) {
                (Error::NotFound { path, .. }, 404)
                | (Error::NotModified { path, .. }, 304)
                | (Error::Precondition { path, .. }, 412)
                | (Error::AlreadyExists { path, .. }, 409)
                | (Error::Unauthenticated { path, .. }, 401)
                | (Error::PermissionDenied { path, .. }, 403) => path,
                _ => panic!("{status} mapped to {err:?}"),
            };
            assert_eq!(path, "dir/file");
            assert_eq!(source_of(&err).status(), status);
        }
    }

    #[test]
    fn other_statuses_are_generic_with_status_url_and_body() {
        for status in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_REQUEST,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::TOO_MANY_REQUESTS,
        ] {
            let err = error_for_status(
                "GCS",
                "p",
                status,
                b"{\"error\": {\"message\": \"boom\"}}",
                Some("https://storage.googleapis.com/b/o"),
            );
            assert!(
                matches!(err, Error::Generic { store: "GCS", .. }),
                "{err:?}"
            );
            let msg = err.to_string();
            assert!(msg.contains(status.as_str()), "{msg}");
            assert!(msg.contains("https://storage.googleapis.com/b/o"), "{msg}");
            assert!(msg.contains(r#"{"error": {"message": "boom"}}"#), "{msg}");
        }
    }

    #[test]
    fn generic_error_display_leaks_no_secret_from_signed_url() {
        let url = "https://user:hunter2@bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                   &X-Amz-Credential=AKIDSECRET%2F20240101&X-Amz-Security-Token=SESSIONSECRET\
                   &X-Amz-Signature=SIGSECRET";
        let err = error_for_status("S3", "k", StatusCode::BAD_GATEWAY, b"bad", Some(url));
        let msg = err.to_string();
        for secret in ["hunter2", "AKIDSECRET", "SESSIONSECRET", "SIGSECRET"] {
            assert!(!msg.contains(secret), "{secret} leaked in {msg}");
        }
        assert!(msg.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"), "{msg}");
        assert!(!format!("{err:?}").contains("SIGSECRET"));
    }

    #[test]
    fn body_whitespace_is_collapsed() {
        assert_eq!(
            trim_body(b"  <Error>\n\t<Code>X</Code>\r\n  </Error>\n"),
            "<Error> <Code>X</Code> </Error>"
        );
        assert_eq!(trim_body(b""), "");
        assert_eq!(trim_body(b" \n "), "");
    }

    #[test]
    fn long_body_is_cut_with_ellipsis() {
        let body = "word ".repeat(1000);
        let trimmed = trim_body(body.as_bytes());
        assert!(trimmed.ends_with('…'));
        assert!(trimmed.len() <= MAX_BODY_LEN + '…'.len_utf8());
        assert!(trimmed.len() >= MAX_BODY_LEN - 5);

        // One huge word, cut on a char boundary.
        let body = "é".repeat(2000);
        let trimmed = trim_body(body.as_bytes());
        assert!(trimmed.ends_with('…'));
        assert!(trimmed.len() <= MAX_BODY_LEN + '…'.len_utf8());

        // Exactly at the limit: kept whole.
        let body = "a".repeat(MAX_BODY_LEN);
        assert_eq!(trim_body(body.as_bytes()), body);
    }

    #[test]
    fn invalid_utf8_body_is_decoded_lossily() {
        assert_eq!(
            trim_body(b"bad \xff\xfe bytes"),
            "bad \u{fffd}\u{fffd} bytes"
        );
    }

    #[test]
    fn every_secret_parameter_is_redacted_case_insensitively() {
        for name in [
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Security-Token",
            "AWSAccessKeyId",
            "Signature",
            "sig",
            "access_token",
            "token",
            "code",
            "X-Goog-Signature",
            "X-Goog-Credential",
            "GoogleAccessId",
            "key",
            "client_secret",
        ] {
            for variant in [
                name.to_string(),
                name.to_ascii_lowercase(),
                name.to_ascii_uppercase(),
            ] {
                let url = format!("https://h/p?a=1&{variant}=TOPSECRET&b=2");
                assert_eq!(
                    redact_url(&url),
                    format!("https://h/p?a=1&{variant}=REDACTED&b=2")
                );
            }
        }
    }

    #[test]
    fn non_secret_parameters_are_kept() {
        let url = "https://a.blob.core.windows.net/c/b?sv=2022-11-02&se=2024-01-01T00%3A00%3A00Z\
                   &st=2023-12-31&sp=r&sr=b&skoid=abc&sktid=def&X-Amz-Date=20240101T000000Z\
                   &X-Amz-Expires=900&prefix=a%2Fb&flag&empty=";
        assert_eq!(redact_url(url), url);
        // A secret name with an empty value has nothing to hide.
        assert_eq!(redact_url("https://h/?sig="), "https://h/?sig=");
    }

    #[test]
    fn userinfo_password_is_redacted() {
        assert_eq!(
            redact_url("https://alice:pa:ss@example.com:8080/dav/file?x=1#frag"),
            "https://alice:REDACTED@example.com:8080/dav/file?x=1#frag"
        );
        assert_eq!(
            redact_url("https://alice@example.com/p"),
            "https://alice@example.com/p"
        );
        // An '@' in the path is not userinfo.
        assert_eq!(
            redact_url("https://example.com/a:b@c"),
            "https://example.com/a:b@c"
        );
    }

    #[test]
    fn url_without_query_is_untouched() {
        for url in [
            "https://bucket.s3.us-east-1.amazonaws.com/a/b.parquet",
            "http://localhost:9000",
            "",
            "not a url",
            "https://h/p#token=x",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn sensitive_headers_are_redacted() {
        for name in [
            "Authorization",
            "authorization",
            "Proxy-Authorization",
            "X-Amz-Security-Token",
            "x-ms-encryption-key",
            "x-ms-copy-source-authorization",
            "x-amz-server-side-encryption-customer-key",
            "x-goog-encryption-key",
            "Cookie",
            "Set-Cookie",
        ] {
            assert_eq!(redact_header(name, "secret"), REDACTED, "{name}");
        }
        for name in [
            "Content-Type",
            "x-amz-server-side-encryption-customer-key-MD5",
            "x-ms-version",
            "Range",
        ] {
            assert_eq!(redact_header(name, "v"), "v", "{name}");
        }
    }
}
