//! [`DavClient`]: the WebDAV requests of the store (GET/HEAD/PUT/DELETE/MKCOL/COPY/MOVE/
//! PROPFIND) on the shared transport, with the mapping between [`Path`]s and URLs.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::FutureExt;
use http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, RANGE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use ostore_core::path::Path;
use ostore_core::{
    Attribute, Error, GetOptions, GetRange, GetResult, GetResultPayload, ObjectMeta, PutMode,
    PutOptions, PutPayload, PutResult, Result,
};
use ostore_transport::headers::{
    MetaConfig, attribute_headers, content_length, get_request_headers, get_result, object_meta,
    validate_content_range,
};
use ostore_transport::resume::FetchRest;
use ostore_transport::status::{error_for_status, redact_url};
use ostore_transport::{HttpClient, RequestBuilder, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::STORE;
use crate::propfind::{Entry, href_path, parse_multistatus};

/// Bytes encoded in a URL path segment: all but the RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The properties a listing asks for.
const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>"#;

fn method(name: &'static str) -> Method {
    Method::from_bytes(name.as_bytes()).expect("a valid method name")
}

/// Encodes one raw path segment for a URL path (so `%` becomes `%25`, space `%20`, ...).
pub(crate) fn encode_segment(segment: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(segment, SEGMENT)
}

/// Waits a little before retrying a request answered `423 Locked`.
async fn locked_pause(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(10 << attempt.min(5))).await;
}

/// Why a PROPFIND listing cannot be answered in one request.
enum Listing {
    /// The entries of the answer.
    Entries(Vec<Entry>),
    /// Nothing there (404), or not a collection (Apache: 400 for `file/`).
    Missing,
    /// The server refuses `Depth: infinity`.
    Refused,
}

/// WebDAV requests against one base URL.
#[derive(Debug)]
pub(crate) struct DavClient {
    http: HttpClient,
    /// Set once the server refused `Depth: infinity`: later listings walk at once.
    finite_depth: AtomicBool,
    /// The base URL without its trailing `/`, e.g. `http://h:8080/dav`.
    base: String,
    /// `scheme://authority` of the base URL.
    origin: String,
    /// The decoded path of the base URL without its trailing `/`, e.g. `/dav` or ``.
    base_path: String,
    /// The `Authorization` header value, marked sensitive.
    auth: Option<HeaderValue>,
    /// Whether the server honours `If-None-Match: *` / `If-Match` on PUT.
    conditional_put: bool,
}

impl DavClient {
    pub(crate) fn new(
        http: HttpClient,
        url: &url::Url,
        auth: Option<HeaderValue>,
        conditional_put: bool,
    ) -> Result<Self> {
        let origin = url.origin().ascii_serialization();
        let path = url.path().trim_end_matches('/');
        let base_path = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| Error::generic(STORE, "the base URL's path is not UTF-8"))?
            .into_owned();
        Ok(Self {
            http,
            finite_depth: AtomicBool::new(false),
            base: format!("{origin}{path}"),
            origin,
            base_path,
            auth,
            conditional_put,
        })
    }

    /// The base URL (without secrets), for display.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The URL of the object at `location`: the base URL and each segment encoded.
    pub(crate) fn object_url(&self, location: &Path) -> String {
        let mut url = self.base.clone();
        for part in location.parts() {
            url.push('/');
            url.push_str(&encode_segment(part.as_ref()).to_string());
        }
        url
    }

    /// The URL of the collection at `prefix` (the base for `None`), ending in `/`.
    pub(crate) fn collection_url(&self, prefix: Option<&Path>) -> String {
        let mut url = match prefix {
            Some(p) => self.object_url(p),
            None => self.base.clone(),
        };
        url.push('/');
        url
    }

    /// The URL of the collection whose decoded URL path is `path`.
    fn url_of_entry(&self, path: &str) -> String {
        let mut url = self.origin.clone();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            url.push('/');
            url.push_str(&encode_segment(segment).to_string());
        }
        url.push('/');
        url
    }

    /// The [`Path`] of a listed resource, from its decoded URL path; `None` if it lies
    /// outside the base URL or is the base itself.
    pub(crate) fn path_of(&self, url_path: &str) -> Option<Path> {
        let rest = url_path.strip_prefix(&self.base_path)?;
        let rest = rest.strip_prefix('/')?.trim_end_matches('/');
        if rest.is_empty() {
            return None;
        }
        Some(Path::parse(rest).unwrap_or_else(|_| Path::from_iter(rest.split('/'))))
    }

    fn request(&self, method: Method, url: &str, path: &str) -> RequestBuilder {
        let request = self.http.request(method, url).context(STORE, path);
        match &self.auth {
            Some(auth) => request.header(AUTHORIZATION, auth.clone()),
            None => request,
        }
    }

    fn not_found(path: &Path, why: &str) -> Error {
        Error::NotFound {
            path: path.to_string(),
            source: why.to_string().into(),
        }
    }

    async fn propfind(&self, url: &str, depth: &'static str, path: &str) -> Result<Response> {
        self.request(method("PROPFIND"), url, path)
            .header("Depth", depth)
            .header(CONTENT_TYPE, "application/xml; charset=utf-8")
            .body(PutPayload::from_static(PROPFIND_BODY.as_bytes()))
            .idempotent(true)
            .send_raw()
            .await
    }

    /// `PROPFIND Depth: 0` of the object at `location`: its entry, or `NotFound` if it is
    /// missing or a collection.
    async fn stat(&self, location: &Path) -> Result<Entry> {
        let url = self.object_url(location);
        let resp = self.propfind(&url, "0", location.as_ref()).await?;
        match resp.status() {
            StatusCode::MULTI_STATUS => {}
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
                return Err(Self::not_found(location, "no object at this path"));
            }
            _ => return Err(resp.into_error(location.as_ref()).await),
        }
        let entries = parse_multistatus(&resp.bytes().await?)?;
        match entries.into_iter().next() {
            Some(e) if !e.collection => Ok(e),
            Some(_) => Err(Self::not_found(location, "the path is a collection")),
            None => Err(Error::generic(STORE, "empty PROPFIND answer")),
        }
    }

    /// The metadata of the object at `location`.
    pub(crate) async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        let opts = GetOptions {
            head: true,
            ..Default::default()
        };
        Ok(self.get_opts(location, opts).await?.meta)
    }

    pub(crate) async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if options.version.is_some() {
            return Err(Error::NotSupported {
                source: "WebDAV servers keep no object versions".into(),
            });
        }
        // Servers disagree on dates (Apache ignores an If-Modified-Since in the future):
        // the date conditions are checked here against the answer's metadata, the e-tag
        // conditions by the server.
        let date_conditions =
            options.if_modified_since.is_some() || options.if_unmodified_since.is_some();
        let mut headers = get_request_headers(STORE, &options)?;
        headers.remove(http::header::IF_MODIFIED_SINCE);
        headers.remove(http::header::IF_UNMODIFIED_SINCE);
        let m = if options.head {
            // A HEAD answers for the whole object.
            headers.remove(RANGE);
            Method::HEAD
        } else {
            Method::GET
        };
        let url = self.object_url(location);
        let resp = self
            .request(m, &url, location.as_ref())
            .headers(headers)
            .send_raw()
            .await?;
        match resp.status() {
            s if s.is_success() => {}
            // rclone answers 405 for a GET or HEAD of a collection.
            StatusCode::METHOD_NOT_ALLOWED => {
                return Err(Self::not_found(location, "the path is a collection"));
            }
            _ => return Err(resp.into_error(location.as_ref()).await),
        }
        // Apache omits Content-Length for empty files: ask PROPFIND for the size.
        let size = match (resp.status(), content_length(resp.headers())) {
            (StatusCode::OK, None) => Some(self.stat(location).await?.size.unwrap_or(0)),
            _ => None,
        };
        if options.head || date_conditions {
            let meta = object_meta(STORE, location, resp.headers(), size, MetaConfig::default())?;
            if date_conditions {
                let mut meta = meta.clone();
                if resp.status() == StatusCode::PARTIAL_CONTENT {
                    // Content-Length is the part's length here; the size is not compared.
                    meta.size = 0;
                }
                options.check_preconditions(&meta)?;
            }
        }
        if options.head {
            let meta = object_meta(STORE, location, resp.headers(), size, MetaConfig::default())?;
            return Ok(GetResult {
                payload: GetResultPayload::Stream(Box::pin(futures::stream::empty())),
                range: 0..meta.size,
                meta,
                attributes: Default::default(),
            });
        }
        get_result(
            STORE,
            location,
            options.range.as_ref(),
            resp,
            size,
            MetaConfig::default(),
        )
    }

    /// The request that fetches the rest of a broken download of `location`: a ranged GET
    /// that only succeeds while the object keeps the given e-tag (`If-Match`; a changed
    /// object answers 412, mapped to `Precondition`), checked to be the `206` asked for.
    pub(crate) fn fetch_rest(this: &Arc<Self>, location: &Path) -> FetchRest {
        let (client, location) = (Arc::clone(this), location.clone());
        Arc::new(move |range: Range<u64>, e_tag: String| {
            let (client, location) = (Arc::clone(&client), location.clone());
            async move {
                let requested = GetRange::Bounded(range);
                let url = client.object_url(&location);
                let mut headers = HeaderMap::new();
                headers.insert(RANGE, header_value(&requested.to_string())?);
                headers.insert(IF_MATCH, header_value(&e_tag)?);
                let resp = client
                    .request(Method::GET, &url, location.as_ref())
                    .headers(headers)
                    .send()
                    .await?;
                validate_content_range(STORE, resp.headers(), &requested)?;
                Ok(resp.into_stream())
            }
            .boxed()
        })
    }

    pub(crate) async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        if let Some((a, _)) = opts
            .attributes
            .iter()
            .find(|(a, _)| **a != Attribute::ContentType)
        {
            return Err(Error::NotSupported {
                source: format!("a WebDAV server keeps no attribute {a:?}").into(),
            });
        }
        let mut headers = attribute_headers(STORE, &opts.attributes, None)?;
        let refuse = |what: &str| Error::NotSupported {
            source: format!(
                "{what} needs a server honouring conditional PUT (with_conditional_put(false))"
            )
            .into(),
        };
        match &opts.mode {
            PutMode::Overwrite => {}
            PutMode::Create if !self.conditional_put => return Err(refuse("PutMode::Create")),
            PutMode::Update(_) if !self.conditional_put => return Err(refuse("PutMode::Update")),
            PutMode::Create => {
                headers.insert(http::header::IF_NONE_MATCH, HeaderValue::from_static("*"));
            }
            PutMode::Update(v) => {
                let tag = v.e_tag.as_deref().ok_or_else(|| {
                    Error::generic(STORE, "PutMode::Update needs an e-tag on a WebDAV server")
                })?;
                let tag = HeaderValue::from_str(tag)
                    .map_err(|_| Error::generic(STORE, "invalid e-tag"))?;
                headers.insert(http::header::IF_MATCH, tag);
            }
        }
        let url = self.object_url(location);
        let path = location.as_ref();
        let send = || {
            self.request(Method::PUT, &url, path)
                .headers(headers.clone())
                .body(payload.clone())
                .send_raw()
        };
        let mut resp = send().await?;
        // A missing parent collection: 409 (Apache) or 404 (rclone). Concurrent writers
        // may race on the collections, hence a few attempts.
        for attempt in 0..3 {
            match resp.status() {
                StatusCode::CONFLICT | StatusCode::NOT_FOUND => {
                    if let PutMode::Update(_) = opts.mode {
                        return Err(Error::Precondition {
                            path: path.to_string(),
                            source: "no object to update".into(),
                        });
                    }
                    self.make_parents(location).await?;
                }
                StatusCode::LOCKED => locked_pause(attempt).await,
                _ => break,
            }
            resp = send().await?;
        }
        match (resp.status(), &opts.mode) {
            (s, _) if s.is_success() => {}
            (StatusCode::PRECONDITION_FAILED, PutMode::Create) => {
                return Err(Error::AlreadyExists {
                    path: path.to_string(),
                    source: "the object exists".into(),
                });
            }
            _ => return Err(resp.into_error(path).await),
        }
        let e_tag = match resp.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
            Some(tag) => Some(tag.to_string()),
            // Apache sends no ETag with a PUT's answer.
            None => self.head(location).await?.e_tag,
        };
        Ok(PutResult {
            e_tag,
            version: None,
        })
    }

    /// Creates the missing parent collections of `location` with MKCOL, one per missing
    /// level: climbs until a level exists or is created, then creates the levels below.
    async fn make_parents(&self, location: &Path) -> Result<()> {
        let parts: Vec<_> = location.parts().collect();
        let depth = parts.len().saturating_sub(1);
        let url_at = |level: usize| {
            let mut url = self.base.clone();
            for part in &parts[..level] {
                url.push('/');
                url.push_str(&encode_segment(part.as_ref()).to_string());
            }
            url.push('/');
            url
        };
        let mut level = depth;
        while level > 0 {
            if self.mkcol(&url_at(level), location).await? {
                break;
            }
            level -= 1;
        }
        for l in level + 1..=depth {
            if !self.mkcol(&url_at(l), location).await? {
                return Err(Error::generic(
                    STORE,
                    format!("cannot create the collection {}", redact_url(&url_at(l))),
                ));
            }
        }
        Ok(())
    }

    /// MKCOL: `true` if the collection exists now, `false` if its parent is missing.
    async fn mkcol(&self, url: &str, location: &Path) -> Result<bool> {
        let mut attempt = 0;
        let resp = loop {
            let resp = self
                .request(method("MKCOL"), url, location.as_ref())
                .idempotent(true)
                .send_raw()
                .await?;
            // rclone answers 423 while a concurrent MKCOL of the same collection runs.
            if resp.status() == StatusCode::LOCKED && attempt < 10 {
                locked_pause(attempt).await;
                attempt += 1;
                continue;
            }
            break resp;
        };
        match resp.status() {
            // 405: it exists already (or is a file, which the retried request reports);
            // Apache answers 403 while a concurrent MKCOL creates the same collection.
            s if s.is_success()
                || s == StatusCode::METHOD_NOT_ALLOWED
                || s == StatusCode::FORBIDDEN =>
            {
                Ok(true)
            }
            StatusCode::CONFLICT | StatusCode::NOT_FOUND => Ok(false),
            _ => Err(resp.into_error(location.as_ref()).await),
        }
    }

    /// Deletes the object at `location`; a missing object or a collection is `NotFound`
    /// (a DELETE of a collection would remove everything below it).
    pub(crate) async fn delete(&self, location: &Path) -> Result<()> {
        self.stat(location).await?;
        let url = self.object_url(location);
        let resp = self
            .request(Method::DELETE, &url, location.as_ref())
            .send_raw()
            .await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(resp.into_error(location.as_ref()).await)
        }
    }

    /// COPY (`rename: false`) or MOVE (`rename: true`) `from` to `to`; without `overwrite`
    /// an existing `to` is `AlreadyExists`. Missing parents of `to` are created.
    pub(crate) async fn transfer(
        &self,
        from: &Path,
        to: &Path,
        rename: bool,
        overwrite: bool,
    ) -> Result<()> {
        if rename {
            // rclone's MOVE deletes an existing destination before it finds out that the
            // source is missing: never send a MOVE without a source.
            self.stat(from).await?;
        }
        let url = self.object_url(from);
        let destination = self.object_url(to);
        let send = || {
            let request = if rename {
                self.request(method("MOVE"), &url, from.as_ref())
            } else {
                self.request(method("COPY"), &url, from.as_ref())
                    .header("Depth", "0")
                    .idempotent(overwrite)
            };
            request
                .header("Destination", destination.as_str())
                .header("Overwrite", if overwrite { "T" } else { "F" })
                .send_raw()
        };
        let mut resp = send().await?;
        // A missing parent of `to`: 409 (COPY), or for MOVE 500 (Apache) or 403 (rclone,
        // which also answers 403 for a missing source). Check the source, create the
        // parents, and try once more.
        if matches!(
            resp.status(),
            StatusCode::CONFLICT | StatusCode::FORBIDDEN | StatusCode::INTERNAL_SERVER_ERROR
        ) {
            self.stat(from).await?;
            self.make_parents(to).await?;
            resp = send().await?;
        }
        match resp.status() {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Err(Self::not_found(from, "no object to copy")),
            StatusCode::PRECONDITION_FAILED => Err(Error::AlreadyExists {
                path: to.to_string(),
                source: "the destination exists".into(),
            }),
            _ => Err(resp.into_error(from.as_ref()).await),
        }
    }

    async fn listing(&self, url: &str, depth: &'static str, path: &str) -> Result<Listing> {
        let resp = self.propfind(url, depth, path).await?;
        Self::answer(resp, url, depth, path).await
    }

    /// What a PROPFIND answer says about a listing.
    async fn answer(resp: Response, url: &str, depth: &str, path: &str) -> Result<Listing> {
        match resp.status() {
            StatusCode::MULTI_STATUS => {
                Ok(Listing::Entries(parse_multistatus(&resp.bytes().await?)?))
            }
            StatusCode::NOT_FOUND => Ok(Listing::Missing),
            StatusCode::BAD_REQUEST if depth == "1" => Ok(Listing::Missing),
            StatusCode::BAD_REQUEST | StatusCode::NOT_IMPLEMENTED => Ok(Listing::Refused),
            StatusCode::FORBIDDEN => {
                let body = resp.bytes().await.unwrap_or_default();
                if String::from_utf8_lossy(&body).contains("propfind-finite-depth") {
                    Ok(Listing::Refused)
                } else {
                    Err(error_for_status(
                        STORE,
                        path,
                        StatusCode::FORBIDDEN,
                        &body,
                        Some(&redact_url(url)),
                    ))
                }
            }
            _ => Err(resp.into_error(path).await),
        }
    }

    /// Every object below `prefix`, sorted by path: one `PROPFIND Depth: infinity`, or a
    /// walk with `Depth: 1` if the server refuses infinity.
    pub(crate) async fn list_all(&self, prefix: Option<&Path>) -> Result<Vec<ObjectMeta>> {
        let root = self.collection_url(prefix);
        let path = prefix.map(|p| p.as_ref()).unwrap_or_default();
        let listing = if self.finite_depth.load(Ordering::Relaxed) {
            Listing::Refused
        } else {
            // A server without `Depth: infinity` answers 501 (which the transport does
            // not retry) or 403 `propfind-finite-depth`: both read as `Refused`.
            self.listing(&root, "infinity", path).await?
        };
        let entries = match listing {
            Listing::Entries(e) => e,
            Listing::Missing => Vec::new(),
            Listing::Refused => {
                self.finite_depth.store(true, Ordering::Relaxed);
                self.walk(root, path).await?
            }
        };
        let mut out = Vec::new();
        for entry in entries {
            if entry.collection {
                continue;
            }
            let Some(location) = self.path_of(&entry.path) else {
                continue;
            };
            if let Some(p) = prefix {
                if location == *p || !location.prefix_matches(p) {
                    continue;
                }
            }
            let last_modified = entry.last_modified.ok_or_else(|| {
                Error::generic(STORE, format!("no getlastmodified for {location}"))
            })?;
            let size = entry.size.ok_or_else(|| {
                Error::generic(STORE, format!("no getcontentlength for {location}"))
            })?;
            out.push(ObjectMeta {
                location,
                last_modified,
                size,
                e_tag: entry.e_tag,
                version: None,
            });
        }
        out.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(out)
    }

    /// Lists the tree under the collection `root` with `Depth: 1` requests.
    ///
    /// The collection itself is recognised by its href, wherever the server puts it in the
    /// answer (RFC 4918 sets no order), and only collections strictly below the one listed
    /// are walked into, so a server listing an ancestor cannot send the walk in circles.
    async fn walk(&self, root: String, path: &str) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        let mut queue = VecDeque::from([root]);
        while let Some(url) = queue.pop_front() {
            let Listing::Entries(entries) = self.listing(&url, "1", path).await? else {
                // Missing (deleted meanwhile, or not a collection): nothing below it.
                continue;
            };
            let this = href_path(&url)?;
            for entry in entries {
                let below = entry
                    .path
                    .strip_prefix(this.as_str())
                    .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'));
                if !below {
                    // The collection itself (or, from a server that lists a file for a
                    // `Depth: 1` of it, that file), or something outside it.
                    if entry.path == this && !entry.collection {
                        out.push(entry);
                    }
                    continue;
                }
                if entry.collection {
                    queue.push_back(self.url_of_entry(&entry.path));
                }
                out.push(entry);
            }
        }
        Ok(out)
    }
}

/// A header value from a string this store built, or a clear error.
fn header_value(s: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(s).map_err(|e| Error::generic(STORE, format!("bad header value: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ostore_transport::{ClientOptions, RetryConfig};

    fn client(base: &str) -> DavClient {
        let http = HttpClient::new(ClientOptions::new(), RetryConfig::default()).unwrap();
        DavClient::new(http, &url::Url::parse(base).unwrap(), None, true).unwrap()
    }

    #[test]
    fn urls_encode_each_segment() {
        let c = client("http://h:8/dav/");
        let p = Path::parse("a b/ü#?+=\"'%/x").unwrap();
        assert_eq!(
            c.object_url(&p),
            "http://h:8/dav/a%20b/%C3%BC%23%3F%2B%3D%22%27%25/x"
        );
        assert_eq!(c.collection_url(None), "http://h:8/dav/");
        assert_eq!(c.collection_url(Some(&p)), format!("{}/", c.object_url(&p)));
        // Path::from encodes a `/` inside a segment as `%2F`: the `%` is encoded again.
        let p = Path::from_iter(["a/b"]);
        assert_eq!(c.object_url(&p), "http://h:8/dav/a%252Fb");
        let root = client("https://h");
        assert_eq!(root.object_url(&Path::from("x")), "https://h/x");
        assert_eq!(root.collection_url(None), "https://h/");
    }

    #[test]
    fn listed_paths_map_back_exactly() {
        let c = client("http://h/my%20dav");
        for raw in [
            "with space/x",
            " lead and trail /y",
            "ünï-日本語-🦀",
            "100%",
            "50%25",
            "hash#tag/what?",
            "a+b/k=v/double\"quote/single'quote/amp&",
            "a%2Fb",
        ] {
            let p = Path::parse(raw).unwrap();
            let url = c.object_url(&p);
            let href = url.strip_prefix("http://h").unwrap();
            let decoded = crate::propfind::href_path(href).unwrap();
            assert_eq!(c.path_of(&decoded), Some(p.clone()), "{raw}");
            assert_eq!(
                c.path_of(&crate::propfind::href_path(&url).unwrap()),
                Some(p),
                "{raw} as a full URL"
            );
        }
        assert_eq!(c.path_of("/my dav"), None);
        assert_eq!(c.path_of("/other/x"), None);
        assert_eq!(c.path_of("/my davx/y"), None);
        assert_eq!(c.url_of_entry("/my dav/a b"), "http://h/my%20dav/a%20b/");
    }
}
