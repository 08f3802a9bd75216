//! How requests reach the network: the [`HttpService`] / [`HttpConnector`] traits, which let
//! users bring their own client (and tests inject one), and the default [`HyperConnector`].

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

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
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::ClientOptions;
use crate::body::{BoxError, HttpError, HttpErrorKind, RequestBody, ResponseBody};

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
/// Not supported yet: proxies (a configured `proxy_url` is an error rather than being
/// ignored) and `randomize_addresses` (addresses are tried in resolver order, with
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
        if options.proxy_url().is_some() {
            return Err(Error::NotSupported {
                source: "proxy_url is set, but proxies are not supported yet by the default \
                         HTTP connector"
                    .into(),
            });
        }
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(options.connect_timeout()?);

        let tls = TlsConnector::from(Arc::new(tls_config(options)?));
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
        let client = builder.build(TlsOrTcp { tcp, tls });
        Ok(Arc::new(HyperService { client }))
    }
}

/// Builds the rustls configuration from the options.
fn tls_config(options: &ClientOptions) -> Result<rustls::ClientConfig> {
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
        for cert in options.root_certificates() {
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

/// Connects over TCP, then over TLS for `https` URLs.
#[derive(Clone)]
struct TlsOrTcp {
    tcp: TcpConnector,
    tls: TlsConnector,
}

impl fmt::Debug for TlsOrTcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOrTcp")
            .field("tcp", &self.tcp)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MaybeTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "MaybeTls::Plain",
            Self::Tls(_) => "MaybeTls::Tls",
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
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_is_refused_not_ignored() {
        let options = ClientOptions::new().with_proxy_url("http://user:pw@proxy:8080");
        let err = HyperConnector.connect(&options).unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err}");
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn alpn_follows_the_http_version_options() {
        let alpn = |o: ClientOptions| tls_config(&o).unwrap().alpn_protocols;
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
