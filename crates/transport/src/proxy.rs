//! HTTP proxy support of the default connector: parsing `proxy_url`, matching
//! `proxy_excludes`, and opening `CONNECT` tunnels through the proxy.

use std::fmt;
use std::net::IpAddr;

use http::Uri;
use ostore_core::{Error, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::body::BoxError;

/// The store name of errors about the proxy configuration.
const STORE: &str = "HTTP";

/// The longest `CONNECT` response head accepted from a proxy.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// A parsed `proxy_url` with its exclusions.
#[derive(Clone)]
pub(crate) struct Proxy {
    /// `http://host:port` of the proxy, without credentials: what the TCP connector dials.
    pub(crate) dial: Uri,
    /// The proxy's host name, brackets stripped, for TLS to an `https://` proxy.
    pub(crate) host: String,
    /// Whether the proxy itself is reached over TLS.
    pub(crate) https: bool,
    /// The `Proxy-Authorization` value derived from the URL's `user:password@`, if any.
    authorization: Option<String>,
    /// Hosts that bypass the proxy.
    pub(crate) excludes: NoProxy,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("dial", &self.dial)
            .field("https", &self.https)
            .field("authorization", &self.authorization.as_ref().map(|_| "***"))
            .field("excludes", &self.excludes)
            .finish()
    }
}

impl Proxy {
    /// Parses a proxy URL `[http|https]://[user[:password]@]host[:port][/]`; a URL without
    /// a scheme is taken as `http://`. Error messages never repeat the URL, which may hold
    /// credentials.
    pub(crate) fn parse(url: &str, excludes: Option<&str>) -> Result<Self> {
        let bad = |what: &str| Error::generic(STORE, format!("invalid proxy_url: {what}"));
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_string(), url),
        };
        let https = match scheme.as_str() {
            "http" => false,
            "https" => true,
            _ => {
                return Err(Error::NotSupported {
                    source: format!(
                        "proxy_url scheme {scheme:?} is not supported; use http:// or https://"
                    )
                    .into(),
                });
            }
        };
        let authority = match rest.find(['/', '?', '#']) {
            Some(end) if rest[end..].trim_start_matches('/').is_empty() => &rest[..end],
            Some(_) => return Err(bad("it must not have a path, query or fragment")),
            None => rest,
        };
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        if host_port.is_empty() {
            return Err(bad("it has no host"));
        }
        let default_port = if https { 443 } else { 80 };
        let dial_authority = match host_port.parse::<http::uri::Authority>() {
            Ok(a) if a.as_str().contains('@') => return Err(bad("it has no valid host")),
            Ok(a) => a,
            Err(_) => return Err(bad("it has no valid host[:port]")),
        };
        // After the host (bracketed for IPv6), only `:digits` may follow.
        let after_host = match host_port.strip_prefix('[') {
            Some(rest) => rest.split_once(']').map_or("", |(_, after)| after),
            None => host_port.split_once(':').map_or("", |(_, port)| port),
        };
        let port_text = after_host.strip_prefix(':').unwrap_or(after_host);
        if !port_text.is_empty() && port_text.parse::<u16>().is_err() {
            return Err(bad("its port is not a number"));
        }
        let port = dial_authority.port_u16().unwrap_or(default_port);
        let host = dial_authority.host().to_string();
        let dial = format!("http://{host}:{port}")
            .parse::<Uri>()
            .map_err(|_| bad("it has no valid host[:port]"))?;
        let authorization = userinfo.map(|userinfo| {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
            let mut credentials = decode(user);
            credentials.push(b':');
            credentials.extend(decode(password));
            format!("Basic {}", crate::base64::encode(&credentials))
        });
        Ok(Self {
            dial,
            host: host.trim_matches(['[', ']']).to_string(),
            https,
            authorization,
            excludes: NoProxy::parse(excludes.unwrap_or("")),
        })
    }

    /// Whether a request to `host` (brackets of IPv6 literals optional) goes through the proxy.
    pub(crate) fn applies_to(&self, host: &str) -> bool {
        !self.excludes.matches(host)
    }
}

/// The `proxy_excludes` list, with reqwest's `NoProxy` semantics: comma-separated entries,
/// whitespace ignored; `*` matches every host; an IP address matches itself and `ip/len` a
/// network; any other entry is a domain (a leading `.` is optional) matching itself and all
/// its subdomains. Matching ignores ASCII case and a trailing `.`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    all: bool,
    networks: Vec<(IpAddr, u8)>,
    domains: Vec<String>,
}

impl NoProxy {
    /// Parses a comma-separated exclusion list; entries that are neither `*`, an IP
    /// network nor a plausible domain are ignored.
    pub(crate) fn parse(list: &str) -> Self {
        let mut out = Self::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                out.all = true;
            } else if let Some(network) = parse_network(entry) {
                out.networks.push(network);
            } else {
                let domain = entry.trim_start_matches('.').trim_end_matches('.');
                if !domain.is_empty() {
                    out.domains.push(domain.to_ascii_lowercase());
                }
            }
        }
        out
    }

    /// Whether `host` (a name or an IP literal, IPv6 with or without brackets) bypasses the
    /// proxy.
    pub(crate) fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let host = host.trim_matches(['[', ']']);
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self
                .networks
                .iter()
                .any(|&(net, len)| in_network(ip, net, len));
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().any(|d| {
            host == *d
                || (host.len() > d.len()
                    && host.ends_with(d.as_str())
                    && host.as_bytes()[host.len() - d.len() - 1] == b'.')
        })
    }
}

/// Parses `ip` or `ip/len` (IPv6 brackets allowed around the address).
fn parse_network(entry: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match entry.split_once('/') {
        Some((addr, len)) => (addr, Some(len.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let ip = addr.trim_matches(['[', ']']).parse::<IpAddr>().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((ip, len))
}

/// Whether `ip` is in the network `net/len` (always false across address families).
fn in_network(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    let mask = |bits: u32| -> u128 {
        if len == 0 {
            0
        } else {
            (!0u128) << (bits - u32::from(len))
        }
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = mask(32);
            (u128::from(u32::from(a)) & m) == (u128::from(u32::from(b)) & m)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = mask(128);
            (u128::from(a) & m) == (u128::from(b) & m)
        }
        _ => false,
    }
}

/// Opens a `CONNECT` tunnel to `target` (`host:port`, IPv6 in brackets) over `io`, a fresh
/// connection to the proxy, and returns `io` ready to carry the tunnelled bytes.
///
/// Errors name the proxy's status but never the credentials.
pub(crate) async fn tunnel<S>(mut io: S, target: &str, proxy: &Proxy) -> Result<S, BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(auth) = &proxy.authorization {
        head.push_str("Proxy-Authorization: ");
        head.push_str(auth);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    io.write_all(head.as_bytes()).await?;
    io.flush().await?;
    drop(head);

    let mut buf = Vec::with_capacity(512);
    let end = loop {
        if let Some(pos) = find_head_end(&buf) {
            break pos;
        }
        if buf.len() >= MAX_RESPONSE_HEAD {
            return Err("the proxy's CONNECT response head is too long".into());
        }
        let mut chunk = [0u8; 1024];
        let n = io.read(&mut chunk).await?;
        if n == 0 {
            return Err("the proxy closed the connection before answering CONNECT".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let status = parse_status(&buf[..end])
        .ok_or("the proxy sent an invalid response to CONNECT (not HTTP/1.x)")?;
    if !status.is_success() {
        let hint = if status == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
            if proxy.authorization.is_some() {
                " (the credentials in proxy_url were rejected)"
            } else {
                " (proxy_url has no user:password@)"
            }
        } else {
            ""
        };
        return Err(
            format!("the proxy refused to open a tunnel to {target}: {status}{hint}").into(),
        );
    }
    if buf.len() > end {
        return Err("the proxy sent data after its CONNECT response".into());
    }
    Ok(io)
}

/// The length of the response head including its final `\r\n\r\n`, once it is complete.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// The status code of an `HTTP/1.x NNN reason` status line.
fn parse_status(head: &[u8]) -> Option<http::StatusCode> {
    let line = head.split(|&b| b == b'\r').next()?;
    let rest = line.strip_prefix(b"HTTP/1.")?;
    let code = rest.get(2..5)?;
    if rest.get(1) != Some(&b' ') || rest.get(5).is_some_and(|&b| b != b' ') {
        return None;
    }
    http::StatusCode::from_bytes(code).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proxy_urls() {
        let p = Proxy::parse("http://user:p%40ss@proxy.example:3128", None).unwrap();
        assert_eq!(p.dial, "http://proxy.example:3128");
        assert!(!p.https);
        // base64("user:p@ss")
        assert_eq!(p.authorization.as_deref(), Some("Basic dXNlcjpwQHNz"));
        assert!(!format!("{p:?}").contains("dXNl"));

        let p = Proxy::parse("proxy.example", None).unwrap();
        assert_eq!(p.dial, "http://proxy.example:80");
        assert_eq!(p.authorization, None);

        let p = Proxy::parse("HTTPS://[::1]/", None).unwrap();
        assert_eq!(p.dial, "http://[::1]:443");
        assert_eq!(p.host, "::1");
        assert!(p.https);

        let p = Proxy::parse("http://user@proxy:8080", None).unwrap();
        assert_eq!(p.authorization.as_deref(), Some("Basic dXNlcjo="));
    }

    #[test]
    fn rejects_bad_proxy_urls_without_echoing_them() {
        for url in [
            "socks5://u:secret@proxy:1080",
            "http://u:secret@",
            "http://u:secret@proxy:8080/path",
            "http://u:secret@proxy:notaport",
        ] {
            let err = Proxy::parse(url, None).unwrap_err();
            assert!(!err.to_string().contains("secret"), "{url}: {err}");
        }
        assert!(matches!(
            Proxy::parse("socks5://proxy:1080", None),
            Err(Error::NotSupported { .. })
        ));
    }

    #[test]
    fn no_proxy_matches_hosts_domains_and_networks() {
        let n = NoProxy::parse(" example.com, .corp.internal ,10.0.0.0/8, ::1, 192.168.1.7,, ");
        assert!(n.matches("example.com"));
        assert!(n.matches("EXAMPLE.com."));
        assert!(n.matches("s3.example.com"));
        assert!(!n.matches("badexample.com"));
        assert!(!n.matches("example.org"));
        assert!(n.matches("corp.internal"));
        assert!(n.matches("a.b.corp.internal"));
        assert!(n.matches("10.1.2.3"));
        assert!(!n.matches("11.0.0.1"));
        assert!(n.matches("[::1]"));
        assert!(n.matches("::1"));
        assert!(!n.matches("::2"));
        assert!(n.matches("192.168.1.7"));
        assert!(!n.matches("192.168.1.8"));
        assert!(!n.matches("localhost"));

        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(NoProxy::parse("a.com,*").matches("10.0.0.1"));
        assert!(!NoProxy::parse("").matches("example.com"));
        assert!(NoProxy::parse("fe80::/10").matches("[fe80::1]"));
        assert!(!NoProxy::parse("fe80::/10").matches("10.0.0.1"));
        assert!(NoProxy::parse("0.0.0.0/0").matches("1.2.3.4"));
    }

    #[test]
    fn parses_connect_status_lines() {
        let s = |h: &[u8]| parse_status(h).map(|s| s.as_u16());
        assert_eq!(s(b"HTTP/1.1 200 Connection established\r\n\r\n"), Some(200));
        assert_eq!(s(b"HTTP/1.0 407\r\n\r\n"), Some(407));
        assert_eq!(s(b"HTTP/2 200\r\n\r\n"), None);
        assert_eq!(s(b"HTTP/1.1 2000 x\r\n\r\n"), None);
        assert_eq!(s(b"garbage"), None);
    }

    #[tokio::test]
    async fn tunnel_sends_connect_and_checks_the_status() {
        let proxy = Proxy::parse("http://u:pw@proxy:1", None).unwrap();
        let (client, mut server) = tokio::io::duplex(4096);
        let answer = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let n = server.read(&mut buf).await.unwrap();
            server
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nX: y\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8(buf[..n].to_vec()).unwrap()
        });
        let err = tunnel(client, "[::1]:443", &proxy).await.unwrap_err();
        let sent = answer.await.unwrap();
        assert_eq!(
            sent,
            "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\
             Proxy-Authorization: Basic dTpwdw==\r\n\r\n"
        );
        let msg = err.to_string();
        assert!(msg.contains("407") && msg.contains("rejected"), "{msg}");
        assert!(!msg.contains("dTpwdw") && !msg.contains("pw"), "{msg}");
    }
}
