//! How requests reach the network: the [`HttpService`] / [`HttpConnector`] traits, which let
//! users bring their own client (and tests inject one), and the default [`HyperConnector`].

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use http::Uri;
use http_body_util::BodyExt;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector as TcpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use ostore_core::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::ClientOptions;
use crate::body::{BoxError, HttpError, HttpErrorKind, RequestBody, ResponseBody};
use crate::config::Certificate;
use crate::proxy::{Proxy, tunnel};

/// The store name of errors about building a client.
const STORE: &str = "HTTP";

/// Sends one HTTP request and returns the response head with a streaming body.
///
/// The [`HttpClient`](crate::HttpClient) calls it once per attempt; retries, timeouts,
/// signing and error mapping happen above it. Implement it to bring your own client.
pub trait HttpService: fmt::Debug + Send + Sync + 'static {
    /// Sends `req`. A failure to connect must be reported with
    /// [`HttpErrorKind::Connect`] (always retried); any other error as
    /// [`HttpErrorKind::Request`] (retried only for idempotent requests).
    fn call(
        &self,
        req: http::Request<RequestBody>,
    ) -> BoxFuture<'static, Result<http::Response<ResponseBody>, HttpError>>;
}

/// Builds the [`HttpService`] a client sends its requests through.
pub trait HttpConnector: fmt::Debug + Send + Sync + 'static {
    /// Creates a service configured by `options`.
    fn connect(&self, options: &ClientOptions) -> Result<Arc<dyn HttpService>>;
}

/// The default connector: a pooled hyper client over TCP and rustls.
///
/// It honours the connect timeout (with `TCP_NODELAY` set), TLS roots (the webpki roots plus
/// [`ClientOptions::with_root_certificate`]), `allow_invalid_certificates`, the HTTP version
/// choice (ALPN `h2` and/or `http/1.1`), the pool's idle timeout and size, and the HTTP/2
/// keep-alive and frame-size options.
///
/// Proxies: with `proxy_url` set, every connection to a host not matched by
/// `proxy_excludes` goes through an HTTP `CONNECT` tunnel opened on the proxy, for `http://`
/// targets too (the request itself then travels inside the tunnel in origin form, never in
/// absolute form); `https://` targets get TLS end to end inside the tunnel. Credentials in the
/// URL (`http://user:password@proxy:3128`, percent-decoded) are sent as
/// `Proxy-Authorization: Basic`, and never appear in logs or errors. An `https://` proxy is
/// reached over TLS (HTTP/1.1), trusting `proxy_ca_certificate` in addition to the roots.
/// As in object_store, `proxy_ca_certificate` is also trusted for the targets, so that
/// intercepting proxies work. `proxy_excludes` follows reqwest's `NoProxy`: comma-separated
/// entries, `*` for all hosts, IP addresses or `ip/len` networks, and domains (leading `.`
/// optional) that match themselves and their subdomains. Only `http://` and `https://`
/// proxies are supported (SOCKS is refused with [`Error::NotSupported`]).
///
/// Not supported yet: `randomize_addresses` (addresses are tried in resolver order, with
/// happy-eyeballs fallback between IPv6 and IPv4).
#[derive(Debug, Clone, Copy, Default)]
pub struct HyperConnector;

impl HyperConnector {
    /// The default connector.
    pub fn new() -> Self {
        Self
    }
}

impl HttpConnector for HyperConnector {
    fn connect(&self, options: &ClientOptions) -> Result<Arc<dyn HttpService>> {
        let proxy = options
            .proxy_url()
            .map(|url| Proxy::parse(url, options.proxy_excludes()))
            .transpose()?;
        let proxy_roots = match (&proxy, options.proxy_ca_certificate()) {
            (Some(_), Some(pem)) => {
                let invalid = |e: &dyn fmt::Display| {
                    Error::generic(STORE, format!("invalid proxy_ca_certificate: {e}"))
                };
                let certs =
                    Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| invalid(&e))?;
                if certs.is_empty() {
                    return Err(invalid(&"no PEM certificate found"));
                }
                certs
            }
            _ => Vec::new(),
        };
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(options.connect_timeout()?);

        let tls = TlsConnector::from(Arc::new(tls_config(options, &proxy_roots)?));
        let proxy = match proxy {
            Some(proxy) => {
                let tls = if proxy.https {
                    let mut config = tls_config(options, &proxy_roots)?;
                    // The CONNECT handshake is HTTP/1.1.
                    config.alpn_protocols = vec![b"http/1.1".to_vec()];
                    Some(TlsConnector::from(Arc::new(config)))
                } else {
                    None
                };
                Some(Arc::new(ProxyConnector {
                    proxy,
                    tls,
                    timeout: options.connect_timeout()?,
                }))
            }
            None => None,
        };
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(options.pool_idle_timeout()?)
            .http2_only(options.http2_only()?);
        if let Some(max) = options.pool_max_idle_per_host()? {
            builder.pool_max_idle_per_host(max);
        }
        if let Some(interval) = options.http2_keep_alive_interval()? {
            builder.http2_keep_alive_interval(interval);
        }
        if let Some(timeout) = options.http2_keep_alive_timeout()? {
            builder.http2_keep_alive_timeout(timeout);
        }
        builder.http2_keep_alive_while_idle(options.http2_keep_alive_while_idle()?);
        if let Some(size) = options.http2_max_frame_size()? {
            builder.http2_max_frame_size(size);
        }
        let client = builder.build(TlsOrTcp { tcp, tls, proxy });
        Ok(Arc::new(HyperService { client }))
    }
}

/// Builds the rustls configuration from the options.
/// `extra_roots` are trusted in addition to the webpki roots and the options' own.
fn tls_config(
    options: &ClientOptions,
    extra_roots: &[Certificate],
) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::generic(STORE, e))?;
    let mut config = if options.allow_invalid_certificates()? {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if options.system_roots()? {
            // A distribution bundle may hold certificates rustls cannot use; those are
            // skipped rather than failing every connection.
            let system = crate::roots::system_roots()?;
            roots.add_parsable_certificates(
                system
                    .iter()
                    .map(|c| CertificateDer::from(c.der().to_vec())),
            );
        }
        for cert in options.root_certificates().iter().chain(extra_roots) {
            roots
                .add(CertificateDer::from(cert.der().to_vec()))
                .map_err(|e| Error::generic(STORE, format!("invalid root certificate: {e}")))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = if options.http2_only()? {
        vec![b"h2".to_vec()]
    } else if options.http1_only()? {
        vec![b"http/1.1".to_vec()]
    } else {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// A certificate verifier that accepts every server certificate.
///
/// DANGEROUS: with it, TLS no longer proves who the server is, so anyone on the network path
/// can impersonate it. Used only when `allow_invalid_certificates` is set, which is meant for
/// tests against servers with self-signed certificates. Handshake signatures are still
/// checked, so the session is at least bound to the presented certificate's key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The [`HttpService`] of [`HyperConnector`].
#[derive(Debug)]
struct HyperService {
    client: Client<TlsOrTcp, RequestBody>,
}

impl HttpService for HyperService {
    fn call(
        &self,
        req: http::Request<RequestBody>,
    ) -> BoxFuture<'static, Result<http::Response<ResponseBody>, HttpError>> {
        self.client
            .request(req)
            .map(|r| match r {
                Ok(resp) => Ok(resp.map(|body| {
                    body.map_err(|e| HttpError::new(HttpErrorKind::Body, e))
                        .boxed()
                })),
                Err(e) => Err(HttpError::from_hyper_client(e)),
            })
            .boxed()
    }
}

/// Connects over TCP, directly or through a proxy tunnel, then over TLS for `https` URLs.
#[derive(Clone)]
struct TlsOrTcp {
    tcp: TcpConnector,
    tls: TlsConnector,
    proxy: Option<Arc<ProxyConnector>>,
}

/// How to reach the proxy.
struct ProxyConnector {
    proxy: Proxy,
    /// TLS to the proxy itself, for `https://` proxies.
    tls: Option<TlsConnector>,
    /// Bounds the TLS handshake with the proxy and the `CONNECT` exchange.
    timeout: Option<Duration>,
}

impl fmt::Debug for TlsOrTcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOrTcp")
            .field("tcp", &self.tcp)
            .field("proxy", &self.proxy.as_ref().map(|p| &p.proxy))
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MaybeTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "MaybeTls::Plain",
            Self::Tls(_) => "MaybeTls::Tls",
            Self::Tunnel { .. } => "MaybeTls::Tunnel",
        })
    }
}

/// A byte stream a tunnel runs over.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

impl ProxyConnector {
    /// Opens a tunnel to `uri`'s host through the proxy, over the TCP connection `tcp` to the
    /// proxy, and sets up TLS to the target for `https` URLs.
    async fn connect(
        &self,
        tcp: TcpStream,
        uri: &Uri,
        target_tls: &TlsConnector,
    ) -> Result<MaybeTls, BoxError> {
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let host = uri.host().ok_or("URL has no host")?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let target = format!("{host}:{port}");
        let handshake = async {
            let stream: Box<dyn Io> = match &self.tls {
                Some(tls) => {
                    let name = ServerName::try_from(self.proxy.host.clone())
                        .map_err(|_| "invalid proxy server name for TLS")?;
                    Box::new(tls.connect(name, tcp).await?)
                }
                None => Box::new(tcp),
            };
            tunnel(stream, &target, &self.proxy).await
        };
        let stream = match self.timeout {
            Some(t) => tokio::time::timeout(t, handshake)
                .await
                .map_err(|_| "timed out opening a tunnel through the proxy")??,
            None => handshake.await?,
        };
        if !https {
            return Ok(MaybeTls::Tunnel {
                io: Box::new(TokioIo::new(stream)),
                h2: false,
            });
        }
        let name = ServerName::try_from(host.trim_matches(['[', ']']).to_string())
            .map_err(|_| "invalid server name for TLS")?;
        let tls = target_tls.connect(name, stream).await?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        Ok(MaybeTls::Tunnel {
            io: Box::new(TokioIo::new(Box::new(tls))),
            h2,
        })
    }
}

impl tower_service::Service<Uri> for TlsOrTcp {
    type Response = MaybeTls;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<MaybeTls, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        if let Some(proxy) = &self.proxy {
            let host = uri.host().unwrap_or_default();
            if proxy.proxy.applies_to(host) {
                let proxy = proxy.clone();
                let connecting = self.tcp.call(proxy.proxy.dial.clone());
                let tls = self.tls.clone();
                return Box::pin(async move {
                    let tcp = connecting
                        .await
                        .map_err(|e| format!("cannot connect to the proxy: {e}"))?;
                    proxy.connect(tcp.into_inner(), &uri, &tls).await
                });
            }
        }
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let host = uri.host().map(|h| h.trim_matches(['[', ']']).to_string());
        let connecting = self.tcp.call(uri);
        let tls = self.tls.clone();
        Box::pin(async move {
            let tcp = connecting.await?;
            if !https {
                return Ok(MaybeTls::Plain(tcp));
            }
            let host = host.ok_or("URL has no host")?;
            let name = ServerName::try_from(host).map_err(|_| "invalid server name for TLS")?;
            let stream = tls.connect(name, tcp.into_inner()).await?;
            Ok(MaybeTls::Tls(Box::new(TokioIo::new(stream))))
        })
    }
}

/// A connection, encrypted or not.
enum MaybeTls {
    Plain(TokioIo<TcpStream>),
    Tls(Box<TokioIo<TlsStream<TcpStream>>>),
    /// Through a proxy's `CONNECT` tunnel, TLS to the target included for `https` URLs;
    /// `h2` tells whether ALPN chose HTTP/2.
    Tunnel {
        io: Box<TokioIo<Box<dyn Io>>>,
        h2: bool,
    },
}

impl Connection for MaybeTls {
    fn connected(&self) -> Connected {
        match self {
            Self::Plain(s) => s.connected(),
            Self::Tls(s) => {
                let (tcp, tls) = s.inner().get_ref();
                let connected = tcp.connected();
                if tls.alpn_protocol() == Some(b"h2") {
                    connected.negotiated_h2()
                } else {
                    connected
                }
            }
            Self::Tunnel { h2, .. } => {
                let connected = Connected::new();
                if *h2 {
                    connected.negotiated_h2()
                } else {
                    connected
                }
            }
        }
    }
}

impl Read for MaybeTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
            Self::Tunnel { io, .. } => Pin::new(&mut **io).poll_read(cx, buf),
        }
    }
}

impl Write for MaybeTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
            Self::Tunnel { io, .. } => Pin::new(&mut **io).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
            Self::Tunnel { io, .. } => Pin::new(&mut **io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
            Self::Tunnel { io, .. } => Pin::new(&mut **io).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
            Self::Tunnel { io, .. } => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(&mut **s).poll_write_vectored(cx, bufs),
            Self::Tunnel { io, .. } => Pin::new(&mut **io).poll_write_vectored(cx, bufs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_options_are_checked_when_building() {
        let o = ClientOptions::new().with_proxy_url("http://user:pw@proxy:8080");
        HyperConnector.connect(&o).unwrap();
        let o = ClientOptions::new().with_proxy_url("socks5://user:pw@proxy:1080");
        let err = HyperConnector.connect(&o).unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err}");
        assert!(!err.to_string().contains("pw"), "{err}");
        let o = ClientOptions::new()
            .with_proxy_url("https://user:pw@proxy:8443")
            .with_proxy_ca_certificate("not a certificate");
        let err = HyperConnector.connect(&o).unwrap_err();
        assert!(err.to_string().contains("proxy_ca_certificate"), "{err}");
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn alpn_follows_the_http_version_options() {
        let alpn = |o: ClientOptions| tls_config(&o, &[]).unwrap().alpn_protocols;
        assert_eq!(alpn(ClientOptions::new()), [b"http/1.1".to_vec()]);
        assert_eq!(
            alpn(ClientOptions::new().with_http2_only()),
            [b"h2".to_vec()]
        );
        assert_eq!(
            alpn(ClientOptions::new().with_allow_http2()),
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn builds_with_invalid_certificates_allowed_and_bad_roots_rejected() {
        let o = ClientOptions::new().with_allow_invalid_certificates(true);
        HyperConnector.connect(&o).unwrap();
        let o = ClientOptions::new().with_config(crate::ClientConfigKey::ConnectTimeout, "soon");
        assert!(HyperConnector.connect(&o).is_err());
    }
}
