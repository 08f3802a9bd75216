//! End-to-end tests of the default connector's proxy support: an in-process `CONNECT` proxy
//! in front of the in-process test server.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Method, StatusCode};
use ostore_core::Error;
use ostore_transport::test_server::{Reply, TestServer};
use ostore_transport::{BackoffConfig, ClientOptions, HttpClient, RetryConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the test proxy does with a `CONNECT`.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Tunnels when the `Proxy-Authorization` matches (or none is expected), else 407.
    Tunnel,
    /// Answers every `CONNECT` with this status.
    Refuse(u16),
}

/// A minimal HTTP `CONNECT` proxy on 127.0.0.1 that records the request heads it receives.
struct TestProxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProxy {
    /// Starts a proxy requiring `Proxy-Authorization: <auth>` when `auth` is given.
    async fn start(mode: Mode, auth: Option<&'static str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let log = heads.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let _ = serve(client, mode, auth, log).await;
                });
            }
        });
        Self { addr, heads, task }
    }

    /// The proxy URL, with `userinfo@` when given.
    fn url(&self, userinfo: Option<&str>) -> String {
        match userinfo {
            Some(u) => format!("http://{u}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    /// The request heads received so far.
    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// Serves one client connection of the test proxy.
async fn serve(
    mut client: TcpStream,
    mode: Mode,
    auth: Option<&str>,
    log: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while !buf.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    log.lock().unwrap().push(head.clone());
    let mut words = head.split_whitespace();
    let (method, target) = (words.next().unwrap(), words.next().unwrap().to_string());
    let sent_auth = head
        .lines()
        .find_map(|l| l.strip_prefix("Proxy-Authorization: "));
    let status = match mode {
        Mode::Refuse(code) => code,
        Mode::Tunnel if method != "CONNECT" => 405,
        Mode::Tunnel if auth.is_some() && sent_auth != auth => 407,
        Mode::Tunnel => 200,
    };
    if status != 200 {
        let reply = format!(
            "HTTP/1.1 {status} Nope\r\nProxy-Authenticate: Basic realm=\"t\"\r\n\
             Content-Length: 0\r\n\r\n"
        );
        return client.write_all(reply.as_bytes()).await;
    }
    let mut upstream = TcpStream::connect(target).await?;
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

fn client(options: ClientOptions) -> HttpClient {
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            base: 2.0,
        },
        max_retries: 0,
        retry_timeout: Duration::from_secs(10),
    };
    HttpClient::new(options.with_allow_http(true), retry).unwrap()
}

/// The message of an error with its whole source chain, `Debug` included.
fn full_message(e: &Error) -> String {
    let mut out = format!("{e} / {e:?}");
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(&format!(" / {c} / {c:?}"));
        cause = c.source();
    }
    out
}

/// `host:port` of the test server.
fn authority(server: &TestServer) -> String {
    server
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

#[tokio::test]
async fn requests_go_through_a_connect_tunnel() {
    let server = TestServer::script(vec![Reply::text(200, "one"), Reply::text(200, "two")]).await;
    let proxy = TestProxy::start(Mode::Tunnel, None).await;
    let c = client(ClientOptions::new().with_proxy_url(proxy.url(None)));
    for want in ["one", "two"] {
        let resp = c
            .request(Method::GET, &server.url("/a"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.bytes().await.unwrap(), want);
    }
    let target = authority(&server);
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "the tunnel is pooled and reused: {heads:?}");
    assert_eq!(
        heads[0],
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].uri, "/a", "origin form inside the tunnel");
}

#[tokio::test]
async fn sends_proxy_authorization_from_the_url() {
    let server = TestServer::script(vec![Reply::text(200, "ok")]).await;
    let proxy = TestProxy::start(Mode::Tunnel, Some("Basic dXNlcjpzM2NyZXQ=")).await;
    let c = client(ClientOptions::new().with_proxy_url(proxy.url(Some("user:s3cret"))));
    let resp = c
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), "ok");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].contains("\r\nProxy-Authorization: Basic dXNlcjpzM2NyZXQ=\r\n"),
        "{heads:?}"
    );
    assert!(
        !server.requests()[0]
            .headers
            .contains_key("proxy-authorization"),
        "the credentials stay with the proxy"
    );
}

#[tokio::test]
async fn rejected_credentials_give_a_clear_error_without_the_password() {
    let server = TestServer::script(vec![Reply::text(200, "ok")]).await;
    let proxy = TestProxy::start(Mode::Tunnel, Some("Basic dXNlcjpzM2NyZXQ=")).await;
    let c = client(ClientOptions::new().with_proxy_url(proxy.url(Some("user:wr0ngpass"))));
    let err = c
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap_err();
    let msg = full_message(&err);
    assert!(msg.contains("407"), "{msg}");
    assert!(
        msg.contains("credentials in proxy_url were rejected"),
        "{msg}"
    );
    // Neither the password nor its base64 form (of "user:wr0ngpass") leaks.
    assert!(!msg.contains("wr0ngpass"), "{msg}");
    assert!(!msg.contains("dXNlcjp3cjBuZ3Bhc3M"), "{msg}");
    assert_eq!(proxy.heads().len(), 1);
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn a_refusing_proxy_gives_a_clear_error() {
    let server = TestServer::script(vec![Reply::text(200, "ok")]).await;
    let proxy = TestProxy::start(Mode::Refuse(403), None).await;
    let c = client(ClientOptions::new().with_proxy_url(proxy.url(None)));
    let err = c
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap_err();
    let msg = full_message(&err);
    assert!(msg.contains("proxy refused"), "{msg}");
    assert!(msg.contains("403"), "{msg}");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let server = TestServer::script(vec![Reply::text(200, "ok")]).await;
    let c = client(ClientOptions::new().with_proxy_url(format!("http://u:hunter2@{addr}")));
    let err = c
        .request(Method::GET, &server.url("/a"))
        .send()
        .await
        .unwrap_err();
    let msg = full_message(&err);
    assert!(msg.contains("proxy"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn excluded_hosts_bypass_the_proxy() {
    let server = TestServer::start(|_, _| async { Reply::text(200, "ok") }).await;
    let proxy = TestProxy::start(Mode::Tunnel, None).await;
    for excludes in ["127.0.0.1", "example.com, 127.0.0.0/8", "*"] {
        let c = client(
            ClientOptions::new()
                .with_proxy_url(proxy.url(None))
                .with_proxy_excludes(excludes),
        );
        let resp = c
            .request(Method::GET, &server.url("/a"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.bytes().await.unwrap(), "ok", "{excludes}");
    }
    assert!(proxy.heads().is_empty(), "{:?}", proxy.heads());
    assert_eq!(server.hits(), 3);

    // An exclusion that does not match the target leaves the proxy in use.
    let c = client(
        ClientOptions::new()
            .with_proxy_url(proxy.url(None))
            .with_proxy_excludes("example.com,10.0.0.0/8"),
    );
    let resp = c
        .request(Method::GET, &server.url("/b"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), "ok");
    assert_eq!(proxy.heads().len(), 1);
    assert_eq!(server.hits(), 4);
}
