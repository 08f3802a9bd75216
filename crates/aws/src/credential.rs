//! AWS credentials and Signature Version 4 (SigV4) request signing: `Authorization` headers
//! for requests and query-string authentication for presigned URLs.
//!
//! Secrets never leave this module in readable form: [`AwsCredential`]'s `Debug` redacts
//! the secret key and the session token, and no error message quotes them.

use std::fmt::{self, Write as _};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::header::{AUTHORIZATION, HOST, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request};
use ostore_core::{Error, Result};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};
use url::Url;

const STORE: &str = "S3";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The payload hash that tells AWS the body is not covered by the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The hex SHA-256 of an empty body.
pub const EMPTY_SHA256_HASH: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The longest lifetime AWS accepts for a presigned URL: seven days.
const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// RFC 3986 unreserved characters stay as they are; every other byte is `%XX`-encoded.
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Headers that are not signed: they are set or rewritten on the way (by the HTTP stack or
/// a proxy), so signing them would make a valid request fail verification.
const UNSIGNED_HEADERS: [&str; 6] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "expect",
    "transfer-encoding",
    "connection",
];

const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");

/// S3 and S3 Express share the S3 signing rules (no double encoding, payload hash header).
fn is_s3(service: &str) -> bool {
    matches!(service, "s3" | "s3express")
}

/// An AWS access key, with the session token of temporary credentials.
///
/// `Debug` shows the key id only; the secret key and token are redacted, and the type has
/// no `Display`.
///
/// ```
/// # use ostore_aws::AwsCredential;
/// let credential = AwsCredential {
///     key_id: "AKIDEXAMPLE".to_string(),
///     secret_key: "very-secret".to_string(),
///     token: Some("session".to_string()),
/// };
/// let shown = format!("{credential:?}");
/// assert!(shown.contains("AKIDEXAMPLE"));
/// assert!(!shown.contains("very-secret") && !shown.contains("session"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredential {
    /// The access key id, e.g. `AKIAIOSFODNN7EXAMPLE`.
    pub key_id: String,
    /// The secret access key.
    pub secret_key: String,
    /// The session token of temporary credentials (STS, instance metadata, ...).
    pub token: Option<String>,
}

impl fmt::Debug for AwsCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredential")
            .field("key_id", &self.key_id)
            .field("secret_key", &"<redacted>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Returns the lowercase hex SHA-256 of `bytes`, the form SigV4 wants payload hashes in.
///
/// ```
/// # use ostore_aws::{hex_sha256, EMPTY_SHA256_HASH};
/// assert_eq!(hex_sha256(b""), EMPTY_SHA256_HASH);
/// ```
pub fn hex_sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Signs requests with AWS Signature Version 4 for one credential, service and region.
///
/// The caller supplies the time and the payload hash ([`UNSIGNED_PAYLOAD`] or the
/// [`hex_sha256`] of the body), so signing is a pure function of its inputs.
///
/// Path encoding: S3 signs each path segment URI-encoded once (the path as sent, normalized),
/// every other service encodes the already-encoded path a second time. [`new`](Self::new)
/// picks the rule from the service name; [`with_double_encode`](Self::with_double_encode)
/// overrides it.
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use ostore_aws::{AwsAuthorizer, AwsCredential, UNSIGNED_PAYLOAD};
/// let credential = AwsCredential {
///     key_id: "AKIDEXAMPLE".into(),
///     secret_key: "secret".into(),
///     token: None,
/// };
/// let mut request = http::Request::get("https://bucket.s3.amazonaws.com/key")
///     .body(())
///     .unwrap();
/// let now = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
/// AwsAuthorizer::new(&credential, "s3", "us-east-1")
///     .authorize(&mut request, UNSIGNED_PAYLOAD, now)
///     .unwrap();
/// let auth = request.headers()["authorization"].to_str().unwrap();
/// assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/s3/aws4_request"));
/// assert_eq!(request.headers()["x-amz-date"], "20240102T030405Z");
/// assert_eq!(request.headers()["x-amz-content-sha256"], UNSIGNED_PAYLOAD);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AwsAuthorizer<'a> {
    credential: &'a AwsCredential,
    service: &'a str,
    region: &'a str,
    double_encode: bool,
    token_header: &'static str,
}

impl<'a> AwsAuthorizer<'a> {
    /// Signs for `service` (e.g. `"s3"`) in `region` (e.g. `"us-east-1"`) with `credential`.
    pub fn new(credential: &'a AwsCredential, service: &'a str, region: &'a str) -> Self {
        Self {
            credential,
            service,
            region,
            double_encode: !is_s3(service),
            token_header: "x-amz-security-token",
        }
    }

    /// Sends the credential's session token in this header instead of
    /// `x-amz-security-token` (S3 Express sessions use `x-amz-s3session-token`). The name
    /// must be a lowercase header name; another is an error when signing.
    pub fn with_token_header(self, token_header: &'static str) -> Self {
        Self {
            token_header,
            ..self
        }
    }

    /// Whether path segments are URI-encoded a second time (every service but S3).
    pub fn with_double_encode(self, double_encode: bool) -> Self {
        Self {
            double_encode,
            ..self
        }
    }

    /// Signs `request` in place: sets `host` (unless present), `x-amz-date`,
    /// `x-amz-content-sha256` (S3 only), `x-amz-security-token` (when the credential has a
    /// token) and `authorization`.
    ///
    /// `payload_sha256` is [`UNSIGNED_PAYLOAD`] or the [`hex_sha256`] of the body. All
    /// headers already on the request are signed except `authorization`, `user-agent` and
    /// hop-by-hop headers. A request without a host, or with a header value that is not
    /// visible ASCII/UTF-8, is an [`Error::Generic`].
    pub fn authorize<B>(
        &self,
        request: &mut Request<B>,
        payload_sha256: &str,
        date: DateTime<Utc>,
    ) -> Result<()> {
        let amz_date = amz_date(date);
        let headers = request.headers_mut();
        headers.remove(AUTHORIZATION);
        headers.insert(X_AMZ_DATE, header_value(&amz_date)?);
        if is_s3(self.service) {
            headers.insert(X_AMZ_CONTENT_SHA256, header_value(payload_sha256)?);
        }
        match &self.credential.token {
            Some(token) => {
                let mut value = header_value(token)?;
                value.set_sensitive(true);
                let name =
                    HeaderName::from_lowercase(self.token_header.as_bytes()).map_err(|_| {
                        Error::generic(
                            STORE,
                            format!("invalid token header name {:?}", self.token_header),
                        )
                    })?;
                headers.insert(name, value);
            }
            None => {
                headers.remove(self.token_header);
            }
        }
        if !request.headers().contains_key(HOST) {
            let host = request
                .uri()
                .authority()
                .map(|a| host_of(a.as_str()))
                .ok_or_else(|| Error::generic(STORE, "cannot sign a request without a host"))?;
            let host = header_value(host)?;
            request.headers_mut().insert(HOST, host);
        }

        let (canonical_headers, signed_headers) = canonical_headers(request.headers())?;
        let uri = request.uri();
        let (path, query) = (self.canonical_uri(uri.path()), uri.query().unwrap_or(""));
        let query = if query.is_empty() {
            String::new()
        } else {
            canonical_query(query)
        };
        let method = request.method().as_str();
        let mut canonical_request = String::with_capacity(
            method.len()
                + path.len()
                + query.len()
                + canonical_headers.len()
                + signed_headers.len()
                + payload_sha256.len()
                + 5,
        );
        for (i, part) in [
            method,
            &path,
            &query,
            &canonical_headers,
            &signed_headers,
            payload_sha256,
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                canonical_request.push('\n');
            }
            canonical_request.push_str(part);
        }
        let scope = self.scope(&amz_date);
        let signature = self.signature(&amz_date, &scope, &canonical_request);
        let key_id = &self.credential.key_id;
        let mut authorization = String::with_capacity(
            ALGORITHM.len() + key_id.len() + scope.len() + signed_headers.len() + 128,
        );
        for part in [
            ALGORITHM,
            " Credential=",
            key_id,
            "/",
            &scope,
            ", SignedHeaders=",
            &signed_headers,
            ", Signature=",
            &signature,
        ] {
            authorization.push_str(part);
        }
        let mut value = header_value(&authorization)?;
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }

    /// Turns `url` into a presigned URL for `method`, valid for `expires_in` from `date`.
    ///
    /// Appends `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
    /// `X-Amz-SignedHeaders` (just `host`), `X-Amz-Security-Token` (with a token) and finally
    /// `X-Amz-Signature` to the query; the payload is [`UNSIGNED_PAYLOAD`]. Whoever holds
    /// the URL can make that request until it expires. An expiry over seven days (AWS's
    /// limit) or a URL without a host is an [`Error::Generic`].
    pub fn presign(
        &self,
        method: &Method,
        url: &mut Url,
        expires_in: Duration,
        date: DateTime<Utc>,
    ) -> Result<()> {
        self.presign_with_headers(method, url, expires_in, date, &HeaderMap::new())
    }

    /// [`presign`](Self::presign), also signing `headers`: the request made with the URL
    /// must then carry exactly these header values (e.g. a `content-type` or an
    /// `x-amz-server-side-encryption` the uploader may not change).
    pub fn presign_with_headers(
        &self,
        method: &Method,
        url: &mut Url,
        expires_in: Duration,
        date: DateTime<Utc>,
        headers: &HeaderMap,
    ) -> Result<()> {
        if expires_in > MAX_PRESIGN_EXPIRY {
            return Err(Error::generic(
                STORE,
                format!(
                    "a presigned URL may be valid for at most 7 days (604800 s), not {} s",
                    expires_in.as_secs()
                ),
            ));
        }
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => {
                return Err(Error::generic(STORE, "cannot presign a URL without a host"));
            }
        };
        let amz_date = amz_date(date);
        let scope = self.scope(&amz_date);
        let credential = format!("{}/{scope}", self.credential.key_id);
        let expires = expires_in.as_secs().to_string();

        let mut query = url.query().unwrap_or("").to_string();
        push_param(&mut query, "X-Amz-Algorithm", ALGORITHM);
        push_param(&mut query, "X-Amz-Credential", &credential);
        push_param(&mut query, "X-Amz-Date", &amz_date);
        push_param(&mut query, "X-Amz-Expires", &expires);
        if let Some(token) = &self.credential.token {
            push_param(&mut query, "X-Amz-Security-Token", token);
        }
        let mut all = headers.clone();
        all.remove(HOST);
        all.insert(HOST, header_value(&host)?);
        let (canonical_headers, signed_headers) = canonical_headers(&all)?;
        push_param(&mut query, "X-Amz-SignedHeaders", &signed_headers);

        let canonical_request = format!(
            "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{UNSIGNED_PAYLOAD}",
            method.as_str(),
            self.canonical_uri(url.path()),
            canonical_query(&query),
        );
        let signature = self.signature(&amz_date, &scope, &canonical_request);
        push_param(&mut query, "X-Amz-Signature", &signature);
        url.set_query(Some(&query));
        Ok(())
    }

    /// `date/region/service/aws4_request`.
    fn scope(&self, amz_date: &str) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            &amz_date[..8],
            self.region,
            self.service
        )
    }

    /// The hex HMAC of the string to sign under the derived signing key.
    fn signature(&self, amz_date: &str, scope: &str, canonical_request: &str) -> String {
        let string_to_sign = format!(
            "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
            hex_sha256(canonical_request.as_bytes())
        );
        let key = self.signing_key(&amz_date[..8]);
        hex(&hmac_sha256(&key, string_to_sign.as_bytes()))
    }

    /// The key of `day` (`YYYYMMDD`), region and service. Deriving it takes four HMACs, so
    /// each thread keeps the last one it derived: a store signs with one credential, region
    /// and service all day.
    fn signing_key(&self, day: &str) -> [u8; 32] {
        thread_local! {
            static LAST: std::cell::RefCell<Option<CachedKey>> =
                const { std::cell::RefCell::new(None) };
        }
        let derive = || {
            let secret = format!("AWS4{}", self.credential.secret_key);
            let key = hmac_sha256(secret.as_bytes(), day.as_bytes());
            let key = hmac_sha256(&key, self.region.as_bytes());
            let key = hmac_sha256(&key, self.service.as_bytes());
            hmac_sha256(&key, b"aws4_request")
        };
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if let Some(cached) = last.as_ref() {
                if cached.day == day
                    && cached.region == self.region
                    && cached.service == self.service
                    && cached.secret == self.credential.secret_key
                {
                    return cached.key;
                }
            }
            let key = derive();
            *last = Some(CachedKey {
                day: day.to_string(),
                region: self.region.to_string(),
                service: self.service.to_string(),
                secret: self.credential.secret_key.clone(),
                key,
            });
            key
        })
    }

    /// The canonical URI of a path as it appears on the wire (already percent-encoded).
    fn canonical_uri(&self, path: &str) -> String {
        if path.is_empty() {
            return "/".to_string();
        }
        let mut out = String::with_capacity(path.len() + 16);
        for (i, segment) in path.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            if self.double_encode {
                out.extend(utf8_percent_encode(segment, URI_ENCODE));
            } else {
                encode_bytes(&mut out, &percent_decode_str(segment).collect::<Vec<u8>>());
            }
        }
        out
    }
}

/// A derived signing key and what it was derived from (never printed).
struct CachedKey {
    day: String,
    region: String,
    service: String,
    secret: String,
    key: [u8; 32],
}

/// Appends `key=value` (value URI-encoded) to a query string.
fn push_param(query: &mut String, key: &str, value: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(key);
    query.push('=');
    query.extend(utf8_percent_encode(value, URI_ENCODE));
}

/// Sorted `key=value` pairs joined by `&`, each side decoded then re-encoded strictly.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (reencode(key), reencode(value))
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(query.len() + 16);
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        let _ = write!(out, "{key}={value}");
    }
    out
}

/// The canonical header block (each line `name:value\n`) and the signed header list.
fn canonical_headers(headers: &HeaderMap) -> Result<(String, String)> {
    let mut names: Vec<&HeaderName> = headers
        .keys()
        .filter(|name| !UNSIGNED_HEADERS.contains(&name.as_str()))
        .collect();
    names.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    let size: usize = names
        .iter()
        .map(|n| n.as_str().len() + headers.get(*n).map_or(0, |v| v.len()) + 2)
        .sum();
    let mut block = String::with_capacity(size + 64);
    let mut signed = String::with_capacity(size / 2 + 16);
    for name in names {
        if !signed.is_empty() {
            signed.push(';');
        }
        signed.push_str(name.as_str());
        block.push_str(name.as_str());
        block.push(':');
        for (i, value) in headers.get_all(name).iter().enumerate() {
            if i > 0 {
                block.push(',');
            }
            let value = value.to_str().map_err(|_| {
                Error::generic(
                    STORE,
                    format!("header {name} has a value that cannot be signed (not visible ASCII)"),
                )
            })?;
            // Trim, and collapse inner runs of whitespace to one space (most values need
            // neither).
            let bytes = value.as_bytes();
            let plain = !bytes.first().is_some_and(u8::is_ascii_whitespace)
                && !bytes.last().is_some_and(u8::is_ascii_whitespace)
                && !bytes
                    .windows(2)
                    .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
                && !bytes.iter().any(|b| b.is_ascii_whitespace() && *b != b' ');
            if plain {
                block.push_str(value);
                continue;
            }
            for (j, word) in value.split_ascii_whitespace().enumerate() {
                if j > 0 {
                    block.push(' ');
                }
                block.push_str(word);
            }
        }
        block.push('\n');
    }
    Ok((block, signed))
}

/// Percent-decodes `s` and encodes it again with only unreserved characters left bare.
fn reencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_bytes(&mut out, &percent_decode_str(s).collect::<Vec<u8>>());
    out
}

/// Appends `bytes` to `out`, unreserved bytes as they are and every other one as `%XX`.
fn encode_bytes(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(b & 0xf)]));
        }
    }
}

/// `authority` without any `user:password@` prefix.
fn host_of(authority: &str) -> &str {
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

fn header_value(s: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(s)
        .map_err(|_| Error::generic(STORE, "a signing value is not a valid HTTP header value"))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `date` as `YYYYMMDDTHHMMSSZ` (the `x-amz-date` form; its first 8 bytes are the day),
/// written digit by digit: this runs for every signed request.
fn amz_date(date: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    fn digits(out: &mut String, value: u32, width: u32) {
        for i in (0..width).rev() {
            out.push(char::from(b'0' + (value / 10u32.pow(i) % 10) as u8));
        }
    }
    let mut out = String::with_capacity(16);
    digits(&mut out, date.year().clamp(0, 9999) as u32, 4);
    digits(&mut out, date.month(), 2);
    digits(&mut out, date.day(), 2);
    out.push('T');
    digits(&mut out, date.hour(), 2);
    digits(&mut out, date.minute(), 2);
    digits(&mut out, date.second(), 2);
    out.push('Z');
    out
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX_LOWER[usize::from(b >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential() -> AwsCredential {
        AwsCredential {
            key_id: "AKID".into(),
            secret_key: "secret".into(),
            token: None,
        }
    }

    #[test]
    fn the_signing_key_cache_never_mixes_credentials_regions_or_days() {
        use chrono::TimeZone;
        let sign = |secret: &str, region: &str, day: u32| {
            let c = AwsCredential {
                key_id: "AKID".into(),
                secret_key: secret.into(),
                token: None,
            };
            let mut req = Request::get("https://b.s3.amazonaws.com/k")
                .body(())
                .unwrap();
            let date = Utc.with_ymd_and_hms(2024, 1, day, 0, 0, 0).unwrap();
            AwsAuthorizer::new(&c, "s3", region)
                .authorize(&mut req, EMPTY_SHA256_HASH, date)
                .unwrap();
            req.headers()[AUTHORIZATION].to_str().unwrap().to_string()
        };
        let cases = [
            ("a", "us-east-1", 1),
            ("b", "us-east-1", 1),
            ("a", "eu-west-1", 1),
            ("a", "us-east-1", 2),
        ];
        // Each signed first on a fresh thread (empty cache), then all in turn on one thread.
        let fresh: Vec<String> = cases
            .iter()
            .map(|&(s, r, d)| std::thread::spawn(move || sign(s, r, d)).join().unwrap())
            .collect();
        for _ in 0..2 {
            for (case, want) in cases.iter().zip(&fresh) {
                assert_eq!(&sign(case.0, case.1, case.2), want, "{case:?}");
            }
        }
        assert_eq!(
            fresh.iter().collect::<std::collections::HashSet<_>>().len(),
            4
        );
    }

    #[test]
    fn amz_dates_are_zero_padded() {
        use chrono::TimeZone;
        let d = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(amz_date(d), "20240102T030405Z");
        let d = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(amz_date(d), "19991231T235959Z");
    }

    #[test]
    fn s3_encodes_path_segments_once() {
        let c = credential();
        let s3 = AwsAuthorizer::new(&c, "s3", "us-east-1");
        assert_eq!(s3.canonical_uri("/a%20b/c%24d/%7Ee!"), "/a%20b/c%24d/~e%21");
        assert_eq!(s3.canonical_uri(""), "/");
        assert_eq!(s3.canonical_uri("/dir//x/"), "/dir//x/");
    }

    #[test]
    fn other_services_encode_path_segments_twice() {
        let c = credential();
        let other = AwsAuthorizer::new(&c, "service", "us-east-1");
        assert_eq!(other.canonical_uri("/a%20b/c"), "/a%2520b/c");
        let forced = AwsAuthorizer::new(&c, "s3", "us-east-1").with_double_encode(true);
        assert_eq!(forced.canonical_uri("/%E1%88%B4"), "/%25E1%2588%25B4");
    }

    #[test]
    fn query_is_sorted_reencoded_and_always_has_an_equals_sign() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(
            canonical_query("b=2&a&a=1&c=x%2fy&d=a+b"),
            "a=&a=1&b=2&c=x%2Fy&d=a%2Bb"
        );
        assert_eq!(canonical_query("k=%7e*"), "k=~%2A");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut headers = HeaderMap::new();
        headers.insert("X-B", HeaderValue::from_static("  a \t  b  "));
        headers.append("x-a", HeaderValue::from_static("one"));
        headers.append("x-a", HeaderValue::from_static(" two "));
        headers.insert("user-agent", HeaderValue::from_static("not signed"));
        let (block, signed) = canonical_headers(&headers).unwrap();
        assert_eq!(block, "x-a:one,two\nx-b:a b\n");
        assert_eq!(signed, "x-a;x-b");
    }
}
