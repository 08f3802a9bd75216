//! Fault tests for listings on servers that refuse `PROPFIND Depth: infinity`: an
//! in-process WebDAV-like server serves a fixed tree and refuses infinity (403 with the
//! `propfind-finite-depth` precondition, or 501), so the store must walk with `Depth: 1`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use futures::TryStreamExt;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use ostore_core::path::Path;
use ostore_core::{ObjectMeta, ObjectStore};
use ostore_http::{ClientOptions, HttpBuilder, HttpStore};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The base path of the store on the server.
const BASE: &str = "/dav";

/// What the server encodes in an href segment (it leaves a few more characters alone than
/// the store does, as real servers differ).
const HREF: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'=');

/// How the server answers `Depth: infinity`.
#[derive(Clone, Copy)]
enum Refusal {
    /// 403 with `<D:propfind-finite-depth/>` (RFC 4918, 9.1).
    FiniteDepth,
    /// 501 Not Implemented.
    NotImplemented,
}

/// The served tree and the requests counted by depth.
struct Server {
    /// File contents by decoded path below [`BASE`], e.g. `a/b c/x`.
    files: BTreeMap<String, Vec<u8>>,
    refusal: Refusal,
    addr: std::net::SocketAddr,
    infinity: AtomicUsize,
    depth1: AtomicUsize,
    depth0: AtomicUsize,
    other: AtomicUsize,
}

/// The files of a three-level tree, with names that need encoding.
fn tree() -> BTreeMap<String, Vec<u8>> {
    [
        ("top.txt", "t"),
        ("a/one", "1"),
        ("a/two words", "22"),
        ("a/b/deep#1", "333"),
        ("a/b/100%", "4444"),
        ("a/b/c/leaf", "55555"),
        ("a/b/c/ünï 🦀", "666666"),
        ("a/b2/x=y!", "7777777"),
        ("z z/q?", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect()
}

impl Server {
    /// What `rel` (decoded, below [`BASE`], no trailing `/`) is: `Some(true)` a collection,
    /// `Some(false)` a file, `None` missing.
    fn kind(&self, rel: &str) -> Option<bool> {
        if self.files.contains_key(rel) {
            return Some(false);
        }
        let dir = format!("{rel}/");
        (rel.is_empty() || self.files.keys().any(|k| k.starts_with(&dir))).then_some(true)
    }

    /// The direct children of the collection `rel`: (name, is collection), sorted.
    fn children(&self, rel: &str) -> Vec<(String, bool)> {
        let dir = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let mut out = BTreeMap::new();
        for key in self.files.keys() {
            if let Some(rest) = key.strip_prefix(&dir) {
                match rest.split_once('/') {
                    Some((name, _)) => out.insert(name.to_string(), true),
                    None => out.insert(rest.to_string(), false),
                };
            }
        }
        out.into_iter().collect()
    }

    /// One `<D:response>`; every other href is a full URL, the rest absolute paths.
    fn response(&self, rel: &str, collection: bool, n: usize) -> String {
        let mut href = String::from(BASE);
        for seg in rel.split('/').filter(|s| !s.is_empty()) {
            href.push('/');
            href.extend(utf8_percent_encode(seg, HREF));
        }
        if collection {
            href.push('/');
        }
        if n % 2 == 1 {
            href = format!("http://{}{href}", self.addr);
        }
        let props = if collection {
            "<D:resourcetype><D:collection/></D:resourcetype>\
             <D:getlastmodified>Mon, 02 Mar 2026 10:00:00 GMT</D:getlastmodified>"
                .to_string()
        } else {
            let data = &self.files[rel];
            format!(
                "<D:resourcetype/><D:getcontentlength>{}</D:getcontentlength>\
                 <D:getlastmodified>Mon, 02 Mar 2026 10:00:00 GMT</D:getlastmodified>\
                 <D:getetag>\"{}\"</D:getetag>",
                data.len(),
                etag(rel)
            )
        };
        format!(
            "<D:response><D:href>{href}</D:href><D:propstat><D:prop>{props}</D:prop>\
             <D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
        )
    }

    fn handle(&self, req: &Request<Incoming>) -> (StatusCode, String) {
        if req.method().as_str() != "PROPFIND" {
            self.other.fetch_add(1, Ordering::SeqCst);
            return (StatusCode::METHOD_NOT_ALLOWED, String::new());
        }
        let depth = req
            .headers()
            .get("Depth")
            .map_or("infinity", |v| v.to_str().unwrap_or("bad"));
        match depth {
            "infinity" => {
                self.infinity.fetch_add(1, Ordering::SeqCst);
                return match self.refusal {
                    Refusal::FiniteDepth => (
                        StatusCode::FORBIDDEN,
                        r#"<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>"#
                            .to_string(),
                    ),
                    Refusal::NotImplemented => (StatusCode::NOT_IMPLEMENTED, String::new()),
                };
            }
            "1" => self.depth1.fetch_add(1, Ordering::SeqCst),
            "0" => self.depth0.fetch_add(1, Ordering::SeqCst),
            _ => return (StatusCode::BAD_REQUEST, String::new()),
        };
        let raw = req.uri().path();
        let decoded = percent_decode_str(raw).decode_utf8().unwrap().into_owned();
        let Some(rel) = decoded.strip_prefix(BASE) else {
            return (StatusCode::NOT_FOUND, String::new());
        };
        let slash = rel.ends_with('/');
        let rel = rel.trim_matches('/');
        let collection = match self.kind(rel) {
            None => return (StatusCode::NOT_FOUND, String::new()),
            // A file addressed as a collection, as Apache answers it.
            Some(false) if slash => return (StatusCode::BAD_REQUEST, String::new()),
            Some(c) => c,
        };
        let mut body =
            String::from(r#"<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">"#);
        let mut n = 0;
        let this = self.response(rel, collection, n);
        // RFC 4918 does not order the responses: put the collection itself last in
        // collections that hold a subcollection, first elsewhere.
        let children = if collection && depth == "1" {
            self.children(rel)
        } else {
            Vec::new()
        };
        let self_last = children.iter().any(|(_, c)| *c);
        if !self_last {
            body.push_str(&this);
        }
        for (name, c) in &children {
            n += 1;
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            body.push_str(&self.response(&child, *c, n));
        }
        if self_last {
            body.push_str(&this);
        }
        body.push_str("</D:multistatus>");
        (StatusCode::MULTI_STATUS, body)
    }

    fn counts(&self) -> [usize; 4] {
        [
            self.infinity.load(Ordering::SeqCst),
            self.depth1.load(Ordering::SeqCst),
            self.depth0.load(Ordering::SeqCst),
            self.other.load(Ordering::SeqCst),
        ]
    }
}

fn etag(rel: &str) -> String {
    format!("e-{}", rel.len())
}

/// Starts a server refusing infinity as `refusal`, and a store on it.
async fn start(refusal: Refusal) -> (Arc<Server>, HttpStore) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Arc::new(Server {
        files: tree(),
        refusal,
        addr: listener.local_addr().unwrap(),
        infinity: AtomicUsize::new(0),
        depth1: AtomicUsize::new(0),
        depth0: AtomicUsize::new(0),
        other: AtomicUsize::new(0),
    });
    let s = Arc::clone(&server);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (status, body) = s.handle(&req);
                    async move {
                        let mut resp = Response::new(Full::new(Bytes::from(body)));
                        *resp.status_mut() = status;
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let store = HttpBuilder::new()
        .with_url(format!("http://{}{BASE}", server.addr))
        .with_client_options(ClientOptions::new().with_allow_http(true))
        .build()
        .unwrap();
    (server, store)
}

/// What the listing of the files below `prefix` must be, in key order.
fn expected(prefix: &str) -> Vec<(Path, u64, String)> {
    let mut out: Vec<_> = tree()
        .iter()
        .filter(|(k, _)| prefix.is_empty() || k.starts_with(&format!("{prefix}/")))
        .map(|(k, v)| {
            (
                Path::parse(k).unwrap(),
                v.len() as u64,
                format!("\"{}\"", etag(k)),
            )
        })
        .collect();
    out.sort();
    out
}

fn summary(metas: &[ObjectMeta]) -> Vec<(Path, u64, String)> {
    metas
        .iter()
        .map(|m| {
            (
                m.location.clone(),
                m.size,
                m.e_tag.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// The collections of the tree, `""` for the root.
fn collections(prefix: &str) -> usize {
    let mut dirs = std::collections::BTreeSet::from([prefix.to_string()]);
    for key in tree().keys() {
        let mut dir = key.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if parent.len() > prefix.len() || prefix.is_empty() {
                dirs.insert(parent.to_string());
            }
            dir = parent;
        }
    }
    dirs.iter()
        .filter(|d| prefix.is_empty() || **d == prefix || d.starts_with(&format!("{prefix}/")))
        .count()
}

#[tokio::test]
async fn list_walks_with_depth_one_after_a_finite_depth_refusal() {
    let (server, store) = start(Refusal::FiniteDepth).await;
    let all: Vec<_> = store.list(None).try_collect().await.unwrap();
    assert_eq!(summary(&all), expected(""));
    assert!(all.iter().all(|m| m.version.is_none()));
    // One refused infinity, then one Depth 1 per collection: "", a, a/b, a/b/c, a/b2, "z z".
    assert_eq!(collections(""), 6);
    assert_eq!(server.counts(), [1, 6, 0, 0]);

    let (server, store) = start(Refusal::FiniteDepth).await;
    let below: Vec<_> = store
        .list(Some(&Path::from("a/b")))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(summary(&below), expected("a/b"));
    assert_eq!(below.len(), 4);
    assert_eq!(server.counts(), [1, collections("a/b"), 0, 0]);
    assert_eq!(collections("a/b"), 2);
}

#[tokio::test]
async fn list_falls_back_after_not_implemented() {
    let (server, store) = start(Refusal::NotImplemented).await;
    let started = std::time::Instant::now();
    let all: Vec<_> = store.list(None).try_collect().await.unwrap();
    assert_eq!(summary(&all), expected(""));
    // A 501 is final: not retried as if it were a passing server error.
    assert_eq!(server.counts(), [1, 6, 0, 0]);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn list_with_offset_walks_too() {
    let (server, store) = start(Refusal::FiniteDepth).await;
    let offset = Path::from("a/b/c/leaf");
    let after: Vec<_> = store
        .list_with_offset(None, &offset)
        .try_collect()
        .await
        .unwrap();
    let want: Vec<_> = expected("")
        .into_iter()
        .filter(|(p, _, _)| *p > offset)
        .collect();
    assert_eq!(want.len(), 7);
    assert_eq!(summary(&after), want);
    assert_eq!(server.counts()[..2], [1, 6]);

    let after: Vec<_> = store
        .list_with_offset(Some(&Path::from("a")), &Path::from("a/b/deep#1"))
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = after.iter().map(|m| m.location.to_string()).collect();
    assert_eq!(names, ["a/b2/x=y!", "a/one", "a/two words"]);
    // The refusal is remembered: the second listing walks at once (a, a/b, a/b/c, a/b2).
    assert_eq!(server.counts(), [1, 10, 0, 0]);
}

#[tokio::test]
async fn list_with_delimiter_on_a_finite_depth_server() {
    let (_server, store) = start(Refusal::FiniteDepth).await;
    let root = store.list_with_delimiter(None).await.unwrap();
    let prefixes: Vec<_> = root.common_prefixes.iter().map(Path::to_string).collect();
    assert_eq!(prefixes, ["a", "z z"]);
    assert_eq!(summary(&root.objects), expected("")[7..8]);
    assert_eq!(root.objects[0].location, Path::from("top.txt"));

    let b = store
        .list_with_delimiter(Some(&Path::from("a/b")))
        .await
        .unwrap();
    let prefixes: Vec<_> = b.common_prefixes.iter().map(Path::to_string).collect();
    assert_eq!(prefixes, ["a/b/c"]);
    let objects: Vec<_> = b.objects.iter().map(|m| m.location.to_string()).collect();
    assert_eq!(objects, ["a/b/100%", "a/b/deep#1"]);
    assert_eq!(b.objects[0].size, 4);
    assert_eq!(b.objects[0].e_tag.as_deref(), Some("\"e-8\""));

    let empty = store
        .list_with_delimiter(Some(&Path::from("nope")))
        .await
        .unwrap();
    assert!(empty.common_prefixes.is_empty() && empty.objects.is_empty());
}

#[tokio::test]
async fn a_missing_prefix_lists_empty() {
    for refusal in [Refusal::FiniteDepth, Refusal::NotImplemented] {
        let (server, store) = start(refusal).await;
        let none: Vec<_> = store
            .list(Some(&Path::from("a/missing")))
            .try_collect()
            .await
            .unwrap();
        assert!(none.is_empty());
        // The refused infinity, then one Depth 1 answered 404.
        assert_eq!(server.counts(), [1, 1, 0, 0]);
    }
}
