//! HTTP client options shared by every cloud backend ([`ClientOptions`]), the string keys
//! that set them ([`ClientConfigKey`]), and the value parsers backends' builders reuse.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use ostore_core::path::Path;
use ostore_core::{Error, Result};

/// The store name used in errors about malformed configuration values.
const CONFIG_STORE: &str = "Config";

/// Builds the error for a value that could not be parsed. `value` must not be a secret.
fn config_error(what: &str, value: &str, expected: &str) -> Error {
    Error::generic(
        CONFIG_STORE,
        format!("invalid {what} {value:?}: expected {expected}"),
    )
}

/// Parses a boolean configuration value.
///
/// Accepts `true`/`false`, `1`/`0`, `yes`/`no` and `on`/`off`, ignoring ASCII case and
/// surrounding whitespace.
///
/// ```
/// use ostore_transport::config::parse_bool;
/// assert!(parse_bool("Yes").unwrap());
/// assert!(!parse_bool("off").unwrap());
/// assert!(parse_bool("maybe").is_err());
/// ```
pub fn parse_bool(s: &str) -> Result<bool> {
    let t = s.trim();
    const TRUE: [&str; 4] = ["true", "1", "yes", "on"];
    const FALSE: [&str; 4] = ["false", "0", "no", "off"];
    if TRUE.iter().any(|v| t.eq_ignore_ascii_case(v)) {
        Ok(true)
    } else if FALSE.iter().any(|v| t.eq_ignore_ascii_case(v)) {
        Ok(false)
    } else {
        Err(config_error(
            "boolean",
            s,
            "true/false, 1/0, yes/no or on/off",
        ))
    }
}

/// Nanoseconds in one unit, by unit name (lowercase). `None` for an unknown unit.
fn unit_nanos(unit: &str) -> Option<u128> {
    const S: u128 = 1_000_000_000;
    Some(match unit {
        "ns" | "nsec" | "nanos" | "nanosecond" | "nanoseconds" => 1,
        "us" | "µs" | "usec" | "micros" | "microsecond" | "microseconds" => 1_000,
        "ms" | "msec" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "s" | "sec" | "secs" | "second" | "seconds" => S,
        "m" | "min" | "mins" | "minute" | "minutes" => 60 * S,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600 * S,
        "d" | "day" | "days" => 86_400 * S,
        _ => return None,
    })
}

/// Parses a human-readable duration.
///
/// The input is one or more `<integer><unit>` terms, optionally separated by whitespace
/// (`"1h 30m"`, `"5 minutes"`, `"100ms"`), whose values are summed; a bare integer is a
/// number of seconds (`"30"`). Units: `ns`, `us`/`µs`, `ms`, `s`/`sec`/`secs`/`second(s)`,
/// `m`/`min`/`mins`/`minute(s)`, `h`/`hr`/`hour(s)`, `d`/`day(s)` (case-insensitive).
///
/// ```
/// use std::time::Duration;
/// use ostore_transport::config::parse_duration;
/// assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
/// assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
/// assert!(parse_duration("ten seconds").is_err());
/// ```
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = || {
        config_error(
            "duration",
            s,
            "terms like \"30s\", \"5 minutes\", \"1h 30m\" or plain seconds",
        )
    };
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<u64>().map(Duration::from_secs).map_err(|_| bad());
    }
    let mut total: u128 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u128 = rest[..digits].parse().map_err(|_| bad())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| !c.is_alphabetic())
            .map_or(rest.len(), |(i, _)| i);
        if unit_len == 0 {
            return Err(bad());
        }
        let unit = rest[..unit_len].to_lowercase();
        let nanos = unit_nanos(&unit).ok_or_else(bad)?;
        total = n
            .checked_mul(nanos)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = rest[unit_len..].trim_start();
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| bad())?;
    // The remainder is below 10^9 so it always fits in u32.
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}

/// Formats a duration so that [`parse_duration`] reads it back exactly, using the largest
/// unit that divides it (`"30s"`, `"100ms"`, `"7ns"`).
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos % 1_000_000_000 == 0 {
        format!("{}s", d.as_secs())
    } else if nanos % 1_000_000 == 0 {
        format!("{}ms", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!("{}us", nanos / 1_000)
    } else {
        format!("{nanos}ns")
    }
}

/// Returns `url` with any `user:password@` part replaced by `***@`, for display.
pub(crate) fn redact_url(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    match url[after_scheme..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..after_scheme], &url[after_scheme + at..]),
        None => url.to_string(),
    }
}

/// A key that sets one field of [`ClientOptions`] from a string, e.g. read from the
/// environment or a URL query.
///
/// [`FromStr`] accepts the canonical name (see [`AsRef<str>`]) and, as an alias, the same
/// name with `-` in place of `_` (`connect-timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientConfigKey {
    /// Allow plain `http://` connections (`allow_http`).
    AllowHttp,
    /// Skip TLS certificate validation; dangerous, for tests only (`allow_invalid_certificates`).
    AllowInvalidCertificates,
    /// Timeout of the connect phase alone (`connect_timeout`).
    ConnectTimeout,
    /// Content type of uploads whose suffix has no mapping (`default_content_type`).
    DefaultContentType,
    /// Only use HTTP/1 (`http1_only`).
    Http1Only,
    /// Interval between HTTP/2 keep-alive pings (`http2_keep_alive_interval`).
    Http2KeepAliveInterval,
    /// How long to wait for a keep-alive ping's acknowledgement (`http2_keep_alive_timeout`).
    Http2KeepAliveTimeout,
    /// Send HTTP/2 keep-alive pings on idle connections too (`http2_keep_alive_while_idle`).
    Http2KeepAliveWhileIdle,
    /// Largest HTTP/2 frame size to accept (`http2_max_frame_size`).
    Http2MaxFrameSize,
    /// Only use HTTP/2 (`http2_only`).
    Http2Only,
    /// How long an idle pooled connection is kept (`pool_idle_timeout`).
    PoolIdleTimeout,
    /// Most idle connections kept per host (`pool_max_idle_per_host`).
    PoolMaxIdlePerHost,
    /// URL of the HTTP proxy (`proxy_url`); may embed credentials, which are never displayed.
    ProxyUrl,
    /// PEM certificate of the proxy's CA (`proxy_ca_certificate`).
    ProxyCaCertificate,
    /// Comma-separated hosts that bypass the proxy (`proxy_excludes`).
    ProxyExcludes,
    /// Shuffle the resolved addresses of a host before connecting (`randomize_addresses`).
    RandomizeAddresses,
    /// Also trust the operating system's CA certificates (`system_roots`; ours): the PEM
    /// bundle named by `SSL_CERT_FILE`, or the distribution's usual bundle.
    SystemRoots,
    /// Longest idle time allowed between two chunks of a response body (`read_timeout`).
    ReadTimeout,
    /// Timeout of each attempt from connecting until the response head has arrived; the
    /// body is bounded by `read_timeout` instead, so long downloads are not cut (`timeout`).
    Timeout,
    /// The `User-Agent` header (`user_agent`).
    UserAgent,
}

impl ClientConfigKey {
    /// Every key, in declaration order.
    pub const ALL: [Self; 20] = [
        Self::AllowHttp,
        Self::AllowInvalidCertificates,
        Self::ConnectTimeout,
        Self::DefaultContentType,
        Self::Http1Only,
        Self::Http2KeepAliveInterval,
        Self::Http2KeepAliveTimeout,
        Self::Http2KeepAliveWhileIdle,
        Self::Http2MaxFrameSize,
        Self::Http2Only,
        Self::PoolIdleTimeout,
        Self::PoolMaxIdlePerHost,
        Self::ProxyUrl,
        Self::ProxyCaCertificate,
        Self::ProxyExcludes,
        Self::RandomizeAddresses,
        Self::ReadTimeout,
        Self::SystemRoots,
        Self::Timeout,
        Self::UserAgent,
    ];
}

impl AsRef<str> for ClientConfigKey {
    fn as_ref(&self) -> &str {
        match self {
            Self::AllowHttp => "allow_http",
            Self::AllowInvalidCertificates => "allow_invalid_certificates",
            Self::ConnectTimeout => "connect_timeout",
            Self::DefaultContentType => "default_content_type",
            Self::Http1Only => "http1_only",
            Self::Http2KeepAliveInterval => "http2_keep_alive_interval",
            Self::Http2KeepAliveTimeout => "http2_keep_alive_timeout",
            Self::Http2KeepAliveWhileIdle => "http2_keep_alive_while_idle",
            Self::Http2MaxFrameSize => "http2_max_frame_size",
            Self::Http2Only => "http2_only",
            Self::PoolIdleTimeout => "pool_idle_timeout",
            Self::PoolMaxIdlePerHost => "pool_max_idle_per_host",
            Self::ProxyUrl => "proxy_url",
            Self::ProxyCaCertificate => "proxy_ca_certificate",
            Self::ProxyExcludes => "proxy_excludes",
            Self::RandomizeAddresses => "randomize_addresses",
            Self::SystemRoots => "system_roots",
            Self::ReadTimeout => "read_timeout",
            Self::Timeout => "timeout",
            Self::UserAgent => "user_agent",
        }
    }
}

impl fmt::Display for ClientConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ref())
    }
}

impl FromStr for ClientConfigKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| {
                let name = k.as_ref();
                s == name
                    || (s.len() == name.len()
                        && s.bytes()
                            .zip(name.bytes())
                            .all(|(a, b)| a == b || (b == b'_' && a == b'-')))
            })
            .ok_or_else(|| Error::UnknownConfigurationKey {
                store: "HTTP",
                key: s.to_string(),
            })
    }
}

/// A value set either typed (by a builder method) or as a string (by
/// [`ClientOptions::with_config`]), parsed when read so that `with_config` stays infallible.
#[derive(Debug, Clone, PartialEq)]
enum ConfigValue<T> {
    Parsed(T),
    Deferred(String),
}

impl<T: Clone> ConfigValue<T> {
    fn get(&self, key: ClientConfigKey, parse: impl Fn(&str) -> Result<T>) -> Result<T> {
        match self {
            Self::Parsed(v) => Ok(v.clone()),
            Self::Deferred(s) => parse(s)
                .map_err(|e| Error::generic(CONFIG_STORE, format!("configuration key {key}: {e}"))),
        }
    }

    fn to_string_with(&self, show: impl Fn(&T) -> String) -> String {
        match self {
            Self::Parsed(v) => show(v),
            Self::Deferred(s) => s.clone(),
        }
    }
}

fn parse_usize(s: &str) -> Result<usize> {
    s.trim()
        .parse()
        .map_err(|_| config_error("integer", s, "a non-negative integer"))
}

fn parse_u32(s: &str) -> Result<u32> {
    s.trim()
        .parse()
        .map_err(|_| config_error("integer", s, "an integer between 0 and 2^32-1"))
}

/// A trusted root certificate, held as DER bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("der_len", &self.der.len())
            .finish()
    }
}

impl Certificate {
    const BEGIN: &'static str = "-----BEGIN CERTIFICATE-----";
    const END: &'static str = "-----END CERTIFICATE-----";

    /// Reads the first certificate of a PEM document.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        Self::from_pem_bundle(pem)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::generic(CONFIG_STORE, "no certificate found in PEM data"))
    }

    /// Reads every certificate of a PEM document (e.g. a CA bundle); text outside the
    /// `BEGIN`/`END CERTIFICATE` blocks is ignored.
    pub fn from_pem_bundle(pem: &[u8]) -> Result<Vec<Self>> {
        let bad = |why: &str| Error::generic(CONFIG_STORE, format!("invalid PEM data: {why}"));
        let text = std::str::from_utf8(pem).map_err(|_| bad("not UTF-8"))?;
        let mut certs = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(Self::BEGIN) {
            let body = &rest[start + Self::BEGIN.len()..];
            let end = body
                .find(Self::END)
                .ok_or_else(|| bad("missing END line"))?;
            let der = crate::base64::decode(&body[..end]).ok_or_else(|| bad("bad base64"))?;
            certs.push(Self::from_der(&der)?);
            rest = &body[end + Self::END.len()..];
        }
        Ok(certs)
    }

    /// Wraps a DER-encoded certificate; checks only that it starts as an ASN.1 SEQUENCE.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        if der.len() < 2 || der[0] != 0x30 {
            return Err(Error::generic(
                CONFIG_STORE,
                "invalid DER certificate: not an ASN.1 SEQUENCE",
            ));
        }
        Ok(Self { der: der.to_vec() })
    }

    /// The DER bytes of the certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// HTTP client configuration for the cloud backends.
///
/// Defaults: HTTPS only, certificates validated, HTTP/1 only (see
/// [`with_allow_http2`](Self::with_allow_http2)), connect timeout 5 s, request timeout 30 s,
/// read timeout (idle time between body chunks) 30 s, pooled connections kept 90 s, no
/// proxy. Values given as strings through [`with_config`](Self::with_config) are checked
/// when read through the getters, which return an error naming the key and the value.
///
/// `Debug` hides the credentials of a proxy URL (`http://***@proxy:8080`).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    user_agent: Option<ConfigValue<HeaderValue>>,
    root_certificates: Vec<Certificate>,
    content_type_map: HashMap<String, String>,
    default_content_type: Option<String>,
    default_headers: Option<HeaderMap>,
    proxy_url: Option<ProxyUrl>,
    proxy_ca_certificate: Option<String>,
    proxy_excludes: Option<String>,
    allow_http: ConfigValue<bool>,
    allow_invalid_certificates: ConfigValue<bool>,
    timeout: Option<ConfigValue<Duration>>,
    connect_timeout: Option<ConfigValue<Duration>>,
    read_timeout: Option<ConfigValue<Duration>>,
    pool_idle_timeout: Option<ConfigValue<Duration>>,
    pool_max_idle_per_host: Option<ConfigValue<usize>>,
    http2_keep_alive_interval: Option<ConfigValue<Duration>>,
    http2_keep_alive_timeout: Option<ConfigValue<Duration>>,
    http2_keep_alive_while_idle: ConfigValue<bool>,
    http2_max_frame_size: Option<ConfigValue<u32>>,
    http1_only: ConfigValue<bool>,
    http2_only: ConfigValue<bool>,
    randomize_addresses: ConfigValue<bool>,
    system_roots: ConfigValue<bool>,
}

/// A proxy URL whose `Debug` hides any `user:password@` part.
#[derive(Clone)]
struct ProxyUrl(String);

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0), f)
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            user_agent: None,
            root_certificates: Vec::new(),
            content_type_map: HashMap::new(),
            default_content_type: None,
            default_headers: None,
            proxy_url: None,
            proxy_ca_certificate: None,
            proxy_excludes: None,
            allow_http: ConfigValue::Parsed(false),
            allow_invalid_certificates: ConfigValue::Parsed(false),
            timeout: Some(ConfigValue::Parsed(Duration::from_secs(30))),
            connect_timeout: Some(ConfigValue::Parsed(Duration::from_secs(5))),
            read_timeout: Some(ConfigValue::Parsed(Duration::from_secs(30))),
            pool_idle_timeout: Some(ConfigValue::Parsed(Duration::from_secs(90))),
            pool_max_idle_per_host: None,
            http2_keep_alive_interval: None,
            http2_keep_alive_timeout: None,
            http2_keep_alive_while_idle: ConfigValue::Parsed(false),
            http2_max_frame_size: None,
            http1_only: ConfigValue::Parsed(true),
            http2_only: ConfigValue::Parsed(false),
            randomize_addresses: ConfigValue::Parsed(true),
            system_roots: ConfigValue::Parsed(false),
        }
    }
}

fn deferred<T>(v: String) -> ConfigValue<T> {
    ConfigValue::Deferred(v)
}

fn opt_get<T: Clone>(
    v: &Option<ConfigValue<T>>,
    key: ClientConfigKey,
    parse: impl Fn(&str) -> Result<T>,
) -> Result<Option<T>> {
    v.as_ref().map(|v| v.get(key, parse)).transpose()
}

/// Defines getters of optional durations, parsed on read.
macro_rules! duration_getters {
    ($($(#[$doc:meta])* $name:ident => $key:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(&self) -> Result<Option<Duration>> {
            opt_get(&self.$name, ClientConfigKey::$key, parse_duration)
        }
    )*};
}

/// Defines getters of booleans, parsed on read.
macro_rules! bool_getters {
    ($($(#[$doc:meta])* $name:ident => $key:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(&self) -> Result<bool> {
            self.$name.get(ClientConfigKey::$key, parse_bool)
        }
    )*};
}

impl ClientOptions {
    /// Options with the default values (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an option from its string form. Values are checked when read, so a malformed
    /// value surfaces as an error from the matching getter (and later when building a client).
    pub fn with_config(mut self, key: ClientConfigKey, value: impl Into<String>) -> Self {
        let v = value.into();
        use ClientConfigKey as K;
        match key {
            K::AllowHttp => self.allow_http = deferred(v),
            K::AllowInvalidCertificates => self.allow_invalid_certificates = deferred(v),
            K::ConnectTimeout => self.connect_timeout = Some(deferred(v)),
            K::DefaultContentType => self.default_content_type = Some(v),
            K::Http1Only => self.http1_only = deferred(v),
            K::Http2KeepAliveInterval => self.http2_keep_alive_interval = Some(deferred(v)),
            K::Http2KeepAliveTimeout => self.http2_keep_alive_timeout = Some(deferred(v)),
            K::Http2KeepAliveWhileIdle => self.http2_keep_alive_while_idle = deferred(v),
            K::Http2MaxFrameSize => self.http2_max_frame_size = Some(deferred(v)),
            K::Http2Only => self.http2_only = deferred(v),
            K::PoolIdleTimeout => self.pool_idle_timeout = Some(deferred(v)),
            K::PoolMaxIdlePerHost => self.pool_max_idle_per_host = Some(deferred(v)),
            K::ProxyUrl => self.proxy_url = Some(ProxyUrl(v)),
            K::ProxyCaCertificate => self.proxy_ca_certificate = Some(v),
            K::ProxyExcludes => self.proxy_excludes = Some(v),
            K::RandomizeAddresses => self.randomize_addresses = deferred(v),
            K::SystemRoots => self.system_roots = deferred(v),
            K::ReadTimeout => self.read_timeout = Some(deferred(v)),
            K::Timeout => self.timeout = Some(deferred(v)),
            K::UserAgent => self.user_agent = Some(deferred(v)),
        }
        self
    }

    /// Returns an option in string form, `None` when it is unset. The proxy URL is
    /// returned as set, credentials included: do not log it.
    pub fn get_config_value(&self, key: &ClientConfigKey) -> Option<String> {
        use ClientConfigKey as K;
        let b = |v: &ConfigValue<bool>| v.to_string_with(bool::to_string);
        let d = |v: &Option<ConfigValue<Duration>>| {
            v.as_ref()
                .map(|v| v.to_string_with(|d| format_duration(*d)))
        };
        match key {
            K::AllowHttp => Some(b(&self.allow_http)),
            K::AllowInvalidCertificates => Some(b(&self.allow_invalid_certificates)),
            K::ConnectTimeout => d(&self.connect_timeout),
            K::DefaultContentType => self.default_content_type.clone(),
            K::Http1Only => Some(b(&self.http1_only)),
            K::Http2KeepAliveInterval => d(&self.http2_keep_alive_interval),
            K::Http2KeepAliveTimeout => d(&self.http2_keep_alive_timeout),
            K::Http2KeepAliveWhileIdle => Some(b(&self.http2_keep_alive_while_idle)),
            K::Http2MaxFrameSize => self
                .http2_max_frame_size
                .as_ref()
                .map(|v| v.to_string_with(u32::to_string)),
            K::Http2Only => Some(b(&self.http2_only)),
            K::PoolIdleTimeout => d(&self.pool_idle_timeout),
            K::PoolMaxIdlePerHost => self
                .pool_max_idle_per_host
                .as_ref()
                .map(|v| v.to_string_with(usize::to_string)),
            K::ProxyUrl => self.proxy_url.as_ref().map(|p| p.0.clone()),
            K::ProxyCaCertificate => self.proxy_ca_certificate.clone(),
            K::ProxyExcludes => self.proxy_excludes.clone(),
            K::RandomizeAddresses => Some(b(&self.randomize_addresses)),
            K::SystemRoots => Some(b(&self.system_roots)),
            K::ReadTimeout => d(&self.read_timeout),
            K::Timeout => d(&self.timeout),
            K::UserAgent => self
                .user_agent
                .as_ref()
                .map(|v| v.to_string_with(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())),
        }
    }

    /// Sets the `User-Agent` header; by default the transport sends its own.
    pub fn with_user_agent(mut self, agent: HeaderValue) -> Self {
        self.user_agent = Some(ConfigValue::Parsed(agent));
        self
    }

    /// Adds a trusted root certificate, e.g. for a server with a self-signed certificate.
    pub fn with_root_certificate(mut self, certificate: Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Sets the content type of uploads whose suffix has no mapping.
    pub fn with_default_content_type(mut self, mime: impl Into<String>) -> Self {
        self.default_content_type = Some(mime.into());
        self
    }

    /// Maps a file extension (without the dot, e.g. `"json"`) to a content type for uploads.
    pub fn with_content_type_for_suffix(
        mut self,
        extension: impl Into<String>,
        mime: impl Into<String>,
    ) -> Self {
        self.content_type_map.insert(extension.into(), mime.into());
        self
    }

    /// Sets headers sent with every request.
    pub fn with_default_headers(mut self, headers: HeaderMap) -> Self {
        self.default_headers = Some(headers);
        self
    }

    /// Allows plain `http://` URLs as well as `https://` (default: HTTPS only).
    pub fn with_allow_http(mut self, allow_http: bool) -> Self {
        self.allow_http = ConfigValue::Parsed(allow_http);
        self
    }

    /// Accepts any TLS certificate, expired or for another host (default: `false`).
    ///
    /// # Warning
    /// This removes the protection TLS gives against impersonation. Use it only in tests.
    pub fn with_allow_invalid_certificates(mut self, allow_insecure: bool) -> Self {
        self.allow_invalid_certificates = ConfigValue::Parsed(allow_insecure);
        self
    }

    /// Only uses HTTP/1 (the default; undoes [`with_allow_http2`](Self::with_allow_http2)).
    pub fn with_http1_only(mut self) -> Self {
        self.http2_only = ConfigValue::Parsed(false);
        self.http1_only = ConfigValue::Parsed(true);
        self
    }

    /// Only uses HTTP/2.
    pub fn with_http2_only(mut self) -> Self {
        self.http1_only = ConfigValue::Parsed(false);
        self.http2_only = ConfigValue::Parsed(true);
        self
    }

    /// Negotiates HTTP/1 or HTTP/2 with the server instead of using HTTP/1 only.
    pub fn with_allow_http2(mut self) -> Self {
        self.http1_only = ConfigValue::Parsed(false);
        self
    }

    /// Sets the timeout of each attempt until the response head arrives (default 30 s); see
    /// [`with_read_timeout`](Self::with_read_timeout) for the body.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(ConfigValue::Parsed(timeout));
        self
    }

    /// Removes the whole-request timeout.
    pub fn with_timeout_disabled(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// Sets the timeout of the connect phase (default 5 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(ConfigValue::Parsed(timeout));
        self
    }

    /// Removes the connect timeout.
    pub fn with_connect_timeout_disabled(mut self) -> Self {
        self.connect_timeout = None;
        self
    }

    /// Sets the longest idle time between two chunks of a response body (default 30 s).
    /// Unlike [`with_timeout`](Self::with_timeout) it does not cap a long, steady download.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(ConfigValue::Parsed(timeout));
        self
    }

    /// Sets how long an idle pooled connection is kept (default 90 s).
    pub fn with_pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = Some(ConfigValue::Parsed(timeout));
        self
    }

    /// Sets the most idle connections kept per host (default: unlimited).
    pub fn with_pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = Some(ConfigValue::Parsed(max));
        self
    }

    /// Sets the interval between HTTP/2 keep-alive pings (default: no pings).
    pub fn with_http2_keep_alive_interval(mut self, interval: Duration) -> Self {
        self.http2_keep_alive_interval = Some(ConfigValue::Parsed(interval));
        self
    }

    /// Sets how long to wait for a keep-alive ping's acknowledgement before closing.
    pub fn with_http2_keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.http2_keep_alive_timeout = Some(ConfigValue::Parsed(timeout));
        self
    }

    /// Sends HTTP/2 keep-alive pings on idle connections too.
    pub fn with_http2_keep_alive_while_idle(mut self) -> Self {
        self.http2_keep_alive_while_idle = ConfigValue::Parsed(true);
        self
    }

    /// Sets the largest HTTP/2 frame size to accept.
    pub fn with_http2_max_frame_size(mut self, sz: u32) -> Self {
        self.http2_max_frame_size = Some(ConfigValue::Parsed(sz));
        self
    }

    /// Sends requests through this HTTP proxy; credentials in the URL are never displayed.
    pub fn with_proxy_url(mut self, proxy_url: impl Into<String>) -> Self {
        self.proxy_url = Some(ProxyUrl(proxy_url.into()));
        self
    }

    /// Trusts this PEM certificate for the proxy's TLS.
    pub fn with_proxy_ca_certificate(mut self, proxy_ca_certificate: impl Into<String>) -> Self {
        self.proxy_ca_certificate = Some(proxy_ca_certificate.into());
        self
    }

    /// Sets comma-separated hosts that bypass the proxy.
    pub fn with_proxy_excludes(mut self, proxy_excludes: impl Into<String>) -> Self {
        self.proxy_excludes = Some(proxy_excludes.into());
        self
    }

    /// Also trusts the operating system's CA certificates: the PEM bundle named by the
    /// `SSL_CERT_FILE` environment variable, or the first of the usual distribution bundles
    /// that exists. Useful behind a corporate TLS-inspecting proxy whose CA is installed
    /// system-wide.
    pub fn with_system_roots(mut self, enabled: bool) -> Self {
        self.system_roots = ConfigValue::Parsed(enabled);
        self
    }

    /// Whether the operating system's CA certificates are trusted too (default: no, only
    /// the bundled webpki roots and the added root certificates).
    pub fn system_roots(&self) -> Result<bool> {
        self.system_roots
            .get(ClientConfigKey::SystemRoots, parse_bool)
    }

    /// Shuffles (the default) or keeps the order of a host's resolved addresses.
    pub fn with_randomize_addresses(mut self, randomize: bool) -> Self {
        self.randomize_addresses = ConfigValue::Parsed(randomize);
        self
    }

    /// The content type for an upload to `path`: by its extension, else the default.
    pub fn get_content_type(&self, path: &Path) -> Option<&str> {
        path.extension()
            .and_then(|ext| self.content_type_map.get(ext))
            .or(self.default_content_type.as_ref())
            .map(String::as_str)
    }

    /// The `User-Agent` header to send, if one was set.
    pub fn user_agent(&self) -> Result<Option<HeaderValue>> {
        opt_get(&self.user_agent, ClientConfigKey::UserAgent, |s| {
            HeaderValue::from_str(s)
                .map_err(|_| config_error("header value", s, "visible ASCII characters"))
        })
    }

    /// The extra trusted root certificates.
    pub fn root_certificates(&self) -> &[Certificate] {
        &self.root_certificates
    }

    /// The headers sent with every request.
    pub fn default_headers(&self) -> Option<&HeaderMap> {
        self.default_headers.as_ref()
    }

    /// The proxy URL, credentials included: do not log it.
    pub fn proxy_url(&self) -> Option<&str> {
        self.proxy_url.as_ref().map(|p| p.0.as_str())
    }

    /// The PEM certificate of the proxy's CA.
    pub fn proxy_ca_certificate(&self) -> Option<&str> {
        self.proxy_ca_certificate.as_deref()
    }

    /// The comma-separated hosts that bypass the proxy.
    pub fn proxy_excludes(&self) -> Option<&str> {
        self.proxy_excludes.as_deref()
    }

    bool_getters! {
        /// Whether plain `http://` is allowed.
        allow_http => AllowHttp;
        /// Whether invalid TLS certificates are accepted.
        allow_invalid_certificates => AllowInvalidCertificates;
        /// Whether keep-alive pings are sent on idle connections.
        http2_keep_alive_while_idle => Http2KeepAliveWhileIdle;
        /// Whether only HTTP/1 is used.
        http1_only => Http1Only;
        /// Whether only HTTP/2 is used.
        http2_only => Http2Only;
    }

    duration_getters! {
        /// The whole-request timeout; `None` when disabled.
        timeout => Timeout;
        /// The connect timeout; `None` when disabled.
        connect_timeout => ConnectTimeout;
        /// The longest idle time between body chunks.
        read_timeout => ReadTimeout;
        /// How long idle pooled connections are kept.
        pool_idle_timeout => PoolIdleTimeout;
        /// The interval between HTTP/2 keep-alive pings.
        http2_keep_alive_interval => Http2KeepAliveInterval;
        /// How long to wait for a keep-alive acknowledgement.
        http2_keep_alive_timeout => Http2KeepAliveTimeout;
    }

    /// The most idle connections kept per host; `None` for unlimited.
    pub fn pool_max_idle_per_host(&self) -> Result<Option<usize>> {
        opt_get(
            &self.pool_max_idle_per_host,
            ClientConfigKey::PoolMaxIdlePerHost,
            parse_usize,
        )
    }

    /// The largest HTTP/2 frame size accepted.
    pub fn http2_max_frame_size(&self) -> Result<Option<u32>> {
        opt_get(
            &self.http2_max_frame_size,
            ClientConfigKey::Http2MaxFrameSize,
            parse_u32,
        )
    }

    /// Whether resolved addresses are shuffled.
    pub fn randomize_addresses(&self) -> Result<bool> {
        self.randomize_addresses
            .get(ClientConfigKey::RandomizeAddresses, parse_bool)
    }
}
