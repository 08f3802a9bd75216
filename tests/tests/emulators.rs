//! Smoke tests of the WebDAV emulators `cargo xtask test` starts (Apache `mod_dav_fs` and
//! `rclone serve webdav`): PUT, GET, PROPFIND and DELETE over a raw HTTP/1.1 connection,
//! proving the servers work end to end until the HTTP store runs its conformance suite on
//! them. Built only with the `emulators` feature; a missing server fails, never skips.
#![cfg(feature = "emulators")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A parsed HTTP response.
#[derive(Debug)]
struct Response {
    status: u16,
    body: Vec<u8>,
}

/// The `host:port` of the server whose base URL is in `var`; panics with what to do.
fn server(var: &str) -> String {
    let url = std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: run these tests through `cargo xtask test`, or export the \
             variables `cargo xtask emulators start` prints"
        )
    });
    let authority = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{var}={url} is not an http:// URL"));
    authority.trim_end_matches('/').to_owned()
}

/// Sends one request with `Connection: close` and reads the whole response.
fn request(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(host)
        .unwrap_or_else(|e| panic!("the WebDAV server at {host} is unreachable: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse(&raw).unwrap_or_else(|| panic!("{method} {path}: malformed response {raw:?}"))
}

/// Splits a response into status and body, undoing chunked transfer coding.
fn parse(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut body = &raw[split + 4..];
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let chunked = head.lines().any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    if !chunked {
        return Some(Response {
            status,
            body: body.to_vec(),
        });
    }
    let mut decoded = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n")?;
        let size_field = std::str::from_utf8(&body[..eol]).ok()?;
        let size = usize::from_str_radix(size_field.split(';').next()?.trim(), 16).ok()?;
        body = &body[eol + 2..];
        if size == 0 {
            return Some(Response {
                status,
                body: decoded,
            });
        }
        decoded.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

/// PUT a file, GET it back, find it in a Depth 1 PROPFIND, DELETE it.
fn round_trip(var: &str) {
    let host = server(var);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("ostore-smoke-{}-{nanos}.txt", std::process::id());
    let path = format!("/{name}");
    let content = b"hello from ostore\n";

    let put = request(&host, "PUT", &path, &[], content);
    assert!(
        (200..300).contains(&put.status),
        "{var}: PUT {path} answered {}",
        put.status
    );

    let get = request(&host, "GET", &path, &[], b"");
    assert_eq!(get.status, 200, "{var}: GET {path}");
    assert_eq!(get.body, content, "{var}: GET {path} returned other bytes");

    let list = request(&host, "PROPFIND", "/", &[("Depth", "1")], b"");
    assert_eq!(list.status, 207, "{var}: PROPFIND / Depth 1");
    let listing = String::from_utf8_lossy(&list.body);
    assert!(
        listing.contains(&name),
        "{var}: PROPFIND / does not list {name}:\n{listing}"
    );

    let delete = request(&host, "DELETE", &path, &[], b"");
    assert!(
        (200..300).contains(&delete.status),
        "{var}: DELETE {path} answered {}",
        delete.status
    );
    let gone = request(&host, "GET", &path, &[], b"");
    assert_eq!(gone.status, 404, "{var}: GET after DELETE of {path}");
}

#[test]
fn apache_webdav_round_trip() {
    round_trip("OSTORE_WEBDAV_APACHE_URL");
}

#[test]
fn rclone_webdav_round_trip() {
    round_trip("OSTORE_WEBDAV_RCLONE_URL");
}

#[test]
fn parses_chunked_responses() {
    let raw = b"HTTP/1.1 207 Multi-Status\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
    let response = parse(raw).unwrap();
    assert_eq!(response.status, 207);
    assert_eq!(response.body, b"abcde");
    assert!(parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab").is_none());
}
