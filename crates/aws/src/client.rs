//! [`S3Client`]: the S3 REST requests of the store (objects, copies, bulk deletes), signed
//! with SigV4 and sent through the shared transport. Listing and multipart uploads are in
//! `list.rs` and `multipart.rs`.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use futures::FutureExt;
use http::header::{CONTENT_TYPE, IF_MATCH, IF_NONE_MATCH, RANGE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use ostore_core::path::Path;
use ostore_core::{
    Attributes, Error, GetOptions, GetRange, GetResult, PutMode, PutOptions, PutPayload, PutResult,
    Result, TagSet,
};
use ostore_transport::headers::{
    MetaConfig, get_request_headers, get_result, validate_content_range,
};
use ostore_transport::resume::FetchRest;
use ostore_transport::retry::Backoff;
use ostore_transport::{
    ClientOptions, CredentialProvider, HttpClient, RequestBuilder, Response, RetryConfig,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::checksum::{Checksum, Crc64Nvme};
use crate::precondition::{S3ConditionalPut, S3CopyIfNotExists};
use crate::xml::{S3ErrorBody, error_in_body};
use crate::{AwsAuthorizer, AwsCredential, AwsCredentialProvider, STORE, UNSIGNED_PAYLOAD};

/// The header S3 returns the version id of an object in.
pub(crate) const VERSION_HEADER: &str = "x-amz-version-id";
/// The prefix of user metadata headers.
pub(crate) const META_PREFIX: &str = "x-amz-meta-";

const TAGGING: HeaderName = HeaderName::from_static("x-amz-tagging");
const COPY_SOURCE: HeaderName = HeaderName::from_static("x-amz-copy-source");
const REQUEST_PAYER: HeaderName = HeaderName::from_static("x-amz-request-payer");
const SSEC_ALGORITHM: &str = "x-amz-server-side-encryption-customer-algorithm";
const SSEC_KEY: &str = "x-amz-server-side-encryption-customer-key";
const SSEC_KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-md5";
const COPY_SSEC_ALGORITHM: &str = "x-amz-copy-source-server-side-encryption-customer-algorithm";
const COPY_SSEC_KEY: &str = "x-amz-copy-source-server-side-encryption-customer-key";
const COPY_SSEC_KEY_MD5: &str = "x-amz-copy-source-server-side-encryption-customer-key-md5";

/// Bytes encoded in a key segment of a URL: all but the RFC 3986 unreserved characters
/// (the encoding SigV4 canonicalises to, so the signed and the sent path agree).
const KEY_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes `key` for a URL path: each `/`-separated segment percent-encoded.
pub(crate) fn encode_key(key: &str, out: &mut String) {
    for (i, segment) in key.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.extend(utf8_percent_encode(segment, KEY_SEGMENT));
    }
}

/// Encodes a query parameter value.
pub(crate) fn encode_query(value: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(value, KEY_SEGMENT)
}

fn header_value(value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::generic(STORE, format!("invalid header value {value:?}")))
}

/// An SSE-C customer key, as S3 wants it in headers.
#[derive(Clone)]
pub(crate) struct SseCustomerKey {
    /// The 256-bit key, base64-encoded.
    pub(crate) key_base64: String,
    /// The MD5 of the key, base64-encoded.
    pub(crate) key_md5_base64: String,
}

impl std::fmt::Debug for SseCustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SseCustomerKey(<redacted>)")
    }
}

/// Everything the store needs, as the builder resolved it.
#[derive(Debug)]
pub(crate) struct S3Config {
    /// The signing region, e.g. `us-east-1`.
    pub(crate) region: String,
    /// The bucket name.
    pub(crate) bucket: String,
    /// The URL of the bucket without a trailing `/`: `https://bucket.s3.region.amazonaws.com`
    /// (virtual-hosted style) or `http://127.0.0.1:9000/bucket` (path style). Object keys
    /// are appended after a `/`.
    pub(crate) bucket_endpoint: String,
    /// Where credentials come from; ignored when `skip_signature` is set.
    pub(crate) credentials: AwsCredentialProvider,
    pub(crate) retry_config: RetryConfig,
    pub(crate) client_options: ClientOptions,
    /// Sign the SHA-256 of bodies (`false`: `UNSIGNED-PAYLOAD`).
    pub(crate) sign_payload: bool,
    /// Send requests unsigned (public buckets).
    pub(crate) skip_signature: bool,
    /// Never send or fetch tags.
    pub(crate) disable_tagging: bool,
    /// The checksum attached to uploads.
    pub(crate) checksum: Option<Checksum>,
    pub(crate) copy_if_not_exists: Option<S3CopyIfNotExists>,
    pub(crate) conditional_put: S3ConditionalPut,
    /// Send `x-amz-request-payer: requester`.
    pub(crate) request_payer: bool,
    /// Server-side encryption headers sent on object creation (PutObject,
    /// CreateMultipartUpload, CopyObject): SSE-S3, SSE-KMS (+ key id, bucket key), DSSE-KMS.
    pub(crate) encryption_headers: HeaderMap,
    /// SSE-C: the customer key sent with every request that reads or writes object data.
    pub(crate) customer_key: Option<SseCustomerKey>,
    /// Filter `list_with_offset` here instead of sending `start-after`.
    pub(crate) client_side_list_offset: bool,
    /// The bucket is an S3 Express One Zone directory bucket: requests are signed with
    /// session credentials from `CreateSession`.
    pub(crate) s3_express: bool,
}

/// The S3 requests of the store.
#[derive(Debug)]
pub(crate) struct S3Client {
    pub(crate) config: S3Config,
    pub(crate) http: HttpClient,
    region: Arc<str>,
    /// The bucket URL for bucket-level requests (`?list-type=2`, `?delete`, `?uploads`).
    bucket_url: String,
    /// S3 Express session credentials (directory buckets only).
    session: Option<crate::express::SessionCredentials>,
}

/// A request being prepared: the transport's builder plus what signing needs.
pub(crate) struct S3Request<'a> {
    client: &'a S3Client,
    builder: RequestBuilder,
    /// The hex SHA-256 of the body, when the payload is signed and there is one.
    payload_sha256: Option<String>,
}

impl S3Request<'_> {
    pub(crate) fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
        K::Error: Into<http::Error>,
        V::Error: Into<http::Error>,
    {
        self.builder = self.builder.header(name, value);
        self
    }

    pub(crate) fn headers(mut self, headers: HeaderMap) -> Self {
        self.builder = self.builder.headers(headers);
        self
    }

    pub(crate) fn idempotent(mut self, idempotent: bool) -> Self {
        self.builder = self.builder.idempotent(idempotent);
        self
    }

    /// Sets the body of an upload (PutObject, UploadPart), reading it once for both the
    /// payload signature and the configured checksum, whose header is added; returns the
    /// checksum's base64 value. With SHA-256 for both, one digest serves both.
    pub(crate) fn upload_body(mut self, payload: PutPayload) -> (Self, Option<String>) {
        let config = &self.client.config;
        let sign = config.sign_payload && !config.skip_signature && payload.content_length() > 0;
        let mut sha = (sign || config.checksum == Some(Checksum::SHA256)).then(Sha256::new);
        let mut crc = (config.checksum == Some(Checksum::CRC64NVME)).then(Crc64Nvme::new);
        for chunk in &payload {
            if let Some(sha) = &mut sha {
                sha.update(chunk);
            }
            if let Some(crc) = &mut crc {
                crc.update(chunk);
            }
        }
        let sha = sha.map(|sha| sha.finalize());
        if sign {
            self.payload_sha256 = sha.as_ref().map(|d| crate::credential::hex(d));
        }
        let checksum = match config.checksum {
            Some(Checksum::SHA256) => sha.as_ref().map(|d| ostore_transport::base64::encode(d)),
            Some(Checksum::CRC64NVME) => crc.map(|c| ostore_transport::base64::encode(&c.finish())),
            None => None,
        };
        if let (Some(algorithm), Some(value)) = (config.checksum, &checksum) {
            self = self.header(algorithm.header_name(), value.as_str());
        }
        self.builder = self.builder.body(payload);
        (self, checksum)
    }

    /// Sets the body; its SHA-256 is computed here when payloads are signed.
    pub(crate) fn body(mut self, payload: PutPayload) -> Self {
        let config = &self.client.config;
        if config.sign_payload && !config.skip_signature && payload.content_length() > 0 {
            let mut hasher = Sha256::new();
            for chunk in &payload {
                hasher.update(chunk);
            }
            self.payload_sha256 = Some(crate::credential::hex(&hasher.finalize()));
        }
        self.builder = self.builder.body(payload);
        self
    }

    /// Adds the SSE-C headers (when a customer key is configured).
    pub(crate) fn customer_key(self) -> Self {
        match &self.client.config.customer_key {
            Some(key) => {
                let (k, md5) = (key.key_base64.clone(), key.key_md5_base64.clone());
                self.header(SSEC_ALGORITHM, "AES256")
                    .header(SSEC_KEY, sensitive(&k))
                    .header(SSEC_KEY_MD5, md5)
            }
            None => self,
        }
    }

    /// Adds the SSE-C headers for the source of a copy.
    pub(crate) fn copy_source_customer_key(self) -> Self {
        match &self.client.config.customer_key {
            Some(key) => {
                let (k, md5) = (key.key_base64.clone(), key.key_md5_base64.clone());
                self.header(COPY_SSEC_ALGORITHM, "AES256")
                    .header(COPY_SSEC_KEY, sensitive(&k))
                    .header(COPY_SSEC_KEY_MD5, md5)
            }
            None => self,
        }
    }

    async fn prepared(self) -> Result<RequestBuilder> {
        let client = self.client;
        let mut builder = self.builder;
        if client.config.request_payer {
            builder = builder.header(REQUEST_PAYER, "requester");
        }
        if client.config.skip_signature {
            return Ok(builder);
        }
        let (credential, service, token_header) = match &client.session {
            Some(session) => (
                session.get_credential().await?,
                crate::express::SERVICE,
                crate::express::SESSION_TOKEN_HEADER,
            ),
            None => (
                client.config.credentials.get_credential().await?,
                "s3",
                "x-amz-security-token",
            ),
        };
        let region = Arc::clone(&client.region);
        let payload = match (self.payload_sha256, client.config.sign_payload) {
            (Some(hash), _) => hash,
            (None, true) => crate::EMPTY_SHA256_HASH.to_string(),
            (None, false) => UNSIGNED_PAYLOAD.to_string(),
        };
        Ok(builder.sign(move |request| {
            AwsAuthorizer::new(&credential, service, &region)
                .with_token_header(token_header)
                .authorize(request, &payload, Utc::now())
        }))
    }

    /// Sends and maps an unsuccessful status to an [`Error`].
    pub(crate) async fn send(self) -> Result<Response> {
        self.prepared().await?.send().await
    }

    /// Sends and returns the response whatever its status.
    pub(crate) async fn send_raw(self) -> Result<Response> {
        self.prepared().await?.send_raw().await
    }
}

fn sensitive(value: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

/// Where a copy must not overwrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CopyMode {
    Overwrite,
    Create,
}

impl S3Client {
    pub(crate) fn new(config: S3Config) -> Result<Self> {
        let http = HttpClient::new(config.client_options.clone(), config.retry_config.clone())?;
        let endpoint = config.bucket_endpoint.trim_end_matches('/').to_string();
        let has_path = endpoint
            .split_once("://")
            .is_some_and(|(_, rest)| rest.contains('/'));
        let bucket_url = if has_path {
            endpoint.clone()
        } else {
            format!("{endpoint}/")
        };
        let region: Arc<str> = Arc::from(config.region.as_str());
        let session = (config.s3_express && !config.skip_signature).then(|| {
            crate::express::SessionProvider::credentials(
                http.clone(),
                &bucket_url,
                Arc::clone(&region),
                Arc::clone(&config.credentials),
            )
        });
        Ok(Self {
            config: S3Config {
                bucket_endpoint: endpoint,
                ..config
            },
            http,
            region,
            bucket_url,
            session,
        })
    }

    /// The URL of bucket-level requests; append `?…`.
    pub(crate) fn bucket_url(&self) -> &str {
        &self.bucket_url
    }

    /// The URL of the object `key`.
    pub(crate) fn key_url(&self, key: &str) -> String {
        let mut url = String::with_capacity(self.config.bucket_endpoint.len() + key.len() + 8);
        url.push_str(&self.config.bucket_endpoint);
        url.push('/');
        encode_key(key, &mut url);
        url
    }

    /// The URL of the object at `path`.
    pub(crate) fn object_url(&self, path: &Path) -> String {
        self.key_url(path.as_ref())
    }

    /// Starts a request on `url` about `path` (named in errors).
    pub(crate) fn request(&self, method: Method, url: &str, path: &str) -> S3Request<'_> {
        S3Request {
            client: self,
            builder: self.http.request(method, url).context(STORE, path),
            payload_sha256: None,
        }
    }

    /// The current credential (`None` when requests are unsigned), for presigning.
    pub(crate) async fn credential(&self) -> Result<Option<Arc<AwsCredential>>> {
        if self.config.skip_signature {
            return Ok(None);
        }
        self.config.credentials.get_credential().await.map(Some)
    }

    /// The headers describing a new object: attributes, tags, encryption.
    pub(crate) fn object_headers(
        &self,
        location: &Path,
        attributes: &Attributes,
        tags: &TagSet,
    ) -> Result<HeaderMap> {
        let mut headers = crate::attributes::attribute_headers(attributes)?;
        if !headers.contains_key(CONTENT_TYPE) {
            if let Some(ct) = self.config.client_options.get_content_type(location) {
                headers.insert(CONTENT_TYPE, header_value(ct)?);
            }
        }
        let tags = tags.encoded();
        if !tags.is_empty() && !self.config.disable_tagging {
            headers.insert(TAGGING, header_value(tags)?);
        }
        headers.extend(self.config.encryption_headers.clone());
        Ok(headers)
    }

    /// PutObject.
    pub(crate) async fn put(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let headers = self.object_headers(location, &opts.attributes, &opts.tags)?;
        let url = self.object_url(location);
        let (request, _) = self
            .request(Method::PUT, &url, location.as_ref())
            .headers(headers)
            .customer_key()
            .upload_body(payload);
        let result = match (&opts.mode, &self.config.conditional_put) {
            (PutMode::Overwrite, _) => request.idempotent(true).send().await,
            (PutMode::Create | PutMode::Update(_), S3ConditionalPut::Disabled) => {
                return Err(Error::NotImplemented);
            }
            (PutMode::Create, S3ConditionalPut::ETagMatch) => {
                match request.header(IF_NONE_MATCH, "*").send().await {
                    // S3 answers 412; some servers 304 (R2) or 409 (a concurrent create).
                    Err(
                        e @ (Error::Precondition { .. }
                        | Error::NotModified { .. }
                        | Error::AlreadyExists { .. }),
                    ) => {
                        return Err(Error::AlreadyExists {
                            path: location.to_string(),
                            source: Box::new(e),
                        });
                    }
                    r => r,
                }
            }
            (PutMode::Update(version), S3ConditionalPut::ETagMatch) => {
                let e_tag = version.e_tag.as_deref().ok_or_else(|| {
                    Error::generic(STORE, "PutMode::Update on S3 needs the e-tag")
                })?;
                match request.header(IF_MATCH, header_value(e_tag)?).send().await {
                    // 409: a concurrent conditional write won; 404: the object is gone.
                    Err(
                        e @ (Error::AlreadyExists { .. }
                        | Error::NotFound { .. }
                        | Error::Precondition { .. }),
                    ) => {
                        return Err(Error::Precondition {
                            path: location.to_string(),
                            source: Box::new(e),
                        });
                    }
                    r => r,
                }
            }
        }?;
        Ok(put_result(result.headers()))
    }

    /// GetObject / HeadObject, without resuming (see [`Self::fetch_rest`]).
    pub(crate) async fn get(&self, location: &Path, options: &GetOptions) -> Result<GetResult> {
        let mut url = self.object_url(location);
        if let Some(version) = &options.version {
            url.push_str("?versionId=");
            url.push_str(&encode_query(version).to_string());
        }
        let mut headers = get_request_headers(STORE, options)?;
        // S3 takes one e-tag in If-Match / If-None-Match; lists (and `If-Match: *`, which
        // moto refuses) are checked here against the answer's e-tag instead. A missing
        // object is 404 either way.
        let listed = |v: &Option<String>| v.as_deref().is_some_and(|v| v.contains(',') || v == "*");
        let check_here = listed(&options.if_match) || listed(&options.if_none_match);
        // RFC 9110: a date condition is ignored when the e-tag condition of its kind is
        // present; moto evaluates both, so the superseded one is not sent.
        if options.if_match.is_some() {
            headers.remove(http::header::IF_UNMODIFIED_SINCE);
        }
        if options.if_none_match.is_some() {
            headers.remove(http::header::IF_MODIFIED_SINCE);
        }
        if check_here {
            for name in [
                IF_MATCH,
                IF_NONE_MATCH,
                http::header::IF_MODIFIED_SINCE,
                http::header::IF_UNMODIFIED_SINCE,
            ] {
                headers.remove(name);
            }
        }
        let method = if options.head {
            headers.remove(RANGE);
            Method::HEAD
        } else {
            Method::GET
        };
        let resp = self
            .request(method, &url, location.as_ref())
            .headers(headers)
            .customer_key()
            .idempotent(true)
            .send()
            .await?;
        let attributes = crate::attributes::attributes_of(resp.headers());
        let range = if options.head {
            None
        } else {
            options.range.as_ref()
        };
        let config = MetaConfig {
            version_header: Some(VERSION_HEADER),
        };
        let mut result = get_result(STORE, location, range, resp, None, config)?;
        if check_here {
            options.check_preconditions(&result.meta)?;
        }
        result.attributes = attributes;
        Ok(result)
    }

    /// Fetches `range` of the object at `location` while its e-tag is still the given one.
    pub(crate) fn fetch_rest(
        this: &Arc<Self>,
        location: &Path,
        version: Option<String>,
    ) -> FetchRest {
        let (client, location) = (Arc::clone(this), location.clone());
        Arc::new(move |range: Range<u64>, e_tag: String| {
            let (client, location, version) =
                (Arc::clone(&client), location.clone(), version.clone());
            async move {
                let requested = GetRange::Bounded(range);
                let mut url = client.object_url(&location);
                if let Some(version) = &version {
                    url.push_str("?versionId=");
                    url.push_str(&encode_query(version).to_string());
                }
                let resp = client
                    .request(Method::GET, &url, location.as_ref())
                    .header(RANGE, header_value(&requested.to_string())?)
                    .header(IF_MATCH, header_value(&e_tag)?)
                    .customer_key()
                    .idempotent(true)
                    .send()
                    .await?;
                validate_content_range(STORE, resp.headers(), &requested)?;
                Ok(resp.into_stream())
            }
            .boxed()
        })
    }

    /// DeleteObject. A missing object is not an error (S3 answers 204).
    pub(crate) async fn delete(&self, location: &Path) -> Result<()> {
        let url = self.object_url(location);
        self.request(Method::DELETE, &url, location.as_ref())
            .idempotent(true)
            .send()
            .await?;
        Ok(())
    }

    /// The value of `x-amz-copy-source` for `from`: `/bucket/key`, URL-encoded.
    pub(crate) fn copy_source(&self, from: &Path) -> Result<HeaderValue> {
        let mut source = String::with_capacity(from.as_ref().len() + self.config.bucket.len() + 2);
        source.push('/');
        source.extend(utf8_percent_encode(&self.config.bucket, KEY_SEGMENT));
        source.push('/');
        encode_key(from.as_ref(), &mut source);
        header_value(&source)
    }

    /// CopyObject. With [`CopyMode::Create`] the configured [`S3CopyIfNotExists`] decides
    /// how an existing destination is detected.
    pub(crate) async fn copy(&self, from: &Path, to: &Path, mode: CopyMode) -> Result<()> {
        let condition = match mode {
            CopyMode::Overwrite => None,
            CopyMode::Create => match &self.config.copy_if_not_exists {
                None => {
                    return Err(Error::NotSupported {
                        source: "copy_if_not_exists on S3 needs a copy-if-not-exists mode \
                                 (AmazonS3Builder::with_copy_if_not_exists)"
                            .into(),
                    });
                }
                Some(S3CopyIfNotExists::Multipart) => {
                    return self.copy_multipart_create(from, to).await;
                }
                Some(other) => Some(other.clone()),
            },
        };
        let url = self.object_url(to);
        let source = self.copy_source(from)?;
        let (name, value, status) = match &condition {
            None => (None, None, StatusCode::PRECONDITION_FAILED),
            Some(S3CopyIfNotExists::Header(k, v)) => (
                Some(k.as_str()),
                Some(v.as_str()),
                StatusCode::PRECONDITION_FAILED,
            ),
            Some(S3CopyIfNotExists::HeaderWithStatus(k, v, status)) => {
                (Some(k.as_str()), Some(v.as_str()), *status)
            }
            Some(S3CopyIfNotExists::IfNoneMatch) => (
                Some("if-none-match"),
                Some("*"),
                StatusCode::PRECONDITION_FAILED,
            ),
            Some(S3CopyIfNotExists::Multipart) => unreachable!("handled above"),
        };
        let make = || -> Result<S3Request<'_>> {
            let mut request = self
                .request(Method::PUT, &url, to.as_ref())
                .header(COPY_SOURCE, source.clone())
                .headers(self.config.encryption_headers.clone())
                .customer_key()
                .copy_source_customer_key()
                .idempotent(condition.is_none());
            if let (Some(k), Some(v)) = (name, value) {
                let k = HeaderName::try_from(k)
                    .map_err(|_| Error::generic(STORE, format!("invalid header name {k:?}")))?;
                request = request.header(k, header_value(v)?);
            }
            Ok(request)
        };
        match self.send_checking_body(make, to.as_ref()).await {
            Ok(_) => Ok(()),
            Err((Some(s), e)) if condition.is_some() && s == status => Err(Error::AlreadyExists {
                path: to.to_string(),
                source: Box::new(e),
            }),
            // S3 answers 404 NoSuchKey for a missing source.
            Err((_, Error::NotFound { source, .. })) => Err(Error::NotFound {
                path: from.to_string(),
                source,
            }),
            Err((_, e)) => Err(e),
        }
    }

    /// Sends the request made by `make` and reads the body of a `200` answer, which for
    /// CopyObject, CompleteMultipartUpload and DeleteObjects may be an `<Error>`: S3 sends
    /// the status before it knows whether the operation succeeds. An `InternalError` /
    /// `SlowDown` / `ServiceUnavailable` there is retried with backoff as a 5xx would be.
    /// The error comes with the status of an unsuccessful answer.
    pub(crate) async fn send_checking_body<'a, F>(
        &'a self,
        make: F,
        path: &str,
    ) -> std::result::Result<Bytes, (Option<StatusCode>, Error)>
    where
        F: Fn() -> Result<S3Request<'a>>,
    {
        let mut headers = HeaderMap::new();
        self.send_checking_body_with_headers(make, path, &mut headers)
            .await
    }

    /// [`Self::send_checking_body`], also handing out the headers of the answer.
    pub(crate) async fn send_checking_body_with_headers<'a, F>(
        &'a self,
        make: F,
        path: &str,
        headers: &mut HeaderMap,
    ) -> std::result::Result<Bytes, (Option<StatusCode>, Error)>
    where
        F: Fn() -> Result<S3Request<'a>>,
    {
        let retry = &self.config.retry_config;
        let mut backoff = Backoff::new(&retry.backoff);
        let start = tokio::time::Instant::now();
        let mut retries = 0;
        loop {
            let resp = make()
                .map_err(|e| (None, e))?
                .send_raw()
                .await
                .map_err(|e| (None, e))?;
            let status = resp.status();
            if !status.is_success() {
                return Err((Some(status), resp.into_error(path).await));
            }
            *headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(|e| (None, e))?;
            match error_in_body(&body) {
                None => return Ok(body),
                Some(err) => {
                    let retryable = err.is_retryable()
                        && retries < retry.max_retries
                        && start.elapsed() < retry.retry_timeout;
                    if !retryable {
                        return Err((None, err.into_error(path)));
                    }
                    retries += 1;
                    tracing::debug!(code = %err.code, retries, "S3 error in a 200 answer, retrying");
                    tokio::time::sleep(backoff.next()).await;
                }
            }
        }
    }
}

impl S3ErrorBody {
    /// Whether S3 asks to try again.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self.code.as_str(),
            "InternalError" | "SlowDown" | "ServiceUnavailable" | "RequestTimeout"
        )
    }

    /// The error for a failed operation on `path`.
    pub(crate) fn into_error(self, path: &str) -> Error {
        let message = format!("S3 error {}: {}", self.code, self.message);
        match self.code.as_str() {
            "NoSuchKey" | "NoSuchUpload" | "NoSuchBucket" => Error::NotFound {
                path: path.to_string(),
                source: message.into(),
            },
            "PreconditionFailed" => Error::Precondition {
                path: path.to_string(),
                source: message.into(),
            },
            "AccessDenied" => Error::PermissionDenied {
                path: path.to_string(),
                source: message.into(),
            },
            _ if path.is_empty() => Error::generic(STORE, message),
            _ => Error::generic(STORE, format!("{path}: {message}")),
        }
    }
}

/// The [`PutResult`] of a write answer: its e-tag and version.
pub(crate) fn put_result(headers: &HeaderMap) -> PutResult {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    PutResult {
        e_tag: get("etag"),
        version: get(VERSION_HEADER),
    }
}

impl S3Client {
    /// One `DeleteObjects` request for up to 1000 `paths`: the result of each, in order.
    pub(crate) async fn bulk_delete(&self, paths: Vec<Path>) -> Result<Vec<Result<Path>>> {
        use md5::Digest as _;
        let body = crate::xml::delete_objects_body(paths.iter().map(|p| p.as_ref()));
        let md5 = ostore_transport::base64::encode(&md5::Md5::digest(body.as_bytes()));
        let payload = PutPayload::from(body);
        let url = format!("{}?delete", self.bucket_url());
        let make = || -> Result<S3Request<'_>> {
            Ok(self
                .request(Method::POST, &url, "")
                .header("content-type", "application/xml")
                .header("content-md5", header_value(&md5)?)
                .body(payload.clone())
                .idempotent(true))
        };
        let body = self
            .send_checking_body(make, "")
            .await
            .map_err(|(_, e)| e)?;
        let result: crate::xml::DeleteResult =
            ostore_transport::xml::from_xml(STORE, "DeleteObjects answer", &body)?;
        let mut failed: std::collections::HashMap<String, S3ErrorBody> = result
            .errors
            .into_iter()
            .map(|e| {
                (
                    e.key,
                    S3ErrorBody {
                        code: e.code,
                        message: e.message,
                    },
                )
            })
            .collect();
        Ok(paths
            .into_iter()
            .map(|path| match failed.remove(path.as_ref()) {
                // A key that was already gone counts as deleted, as DeleteObject has it.
                Some(e) if e.code == "NoSuchKey" => Ok(path),
                Some(e) => Err(e.into_error(path.as_ref())),
                None => Ok(path),
            })
            .collect())
    }
}
