//! Multipart uploads: `CreateMultipartUpload`, `UploadPart`, `CompleteMultipartUpload`,
//! `AbortMultipartUpload`, the [`MultipartUpload`] of `put_multipart`, and the multipart
//! mode of `copy_if_not_exists` (`UploadPartCopy` completed with `If-None-Match: *`).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use http::header::IF_NONE_MATCH;
use http::{HeaderMap, Method, StatusCode};
use ostore_core::multipart::{MultipartId, PartId};
use ostore_core::path::Path;
use ostore_core::{Error, GetOptions, MultipartUpload, PutPayload, PutResult, Result, UploadPart};
use ostore_transport::xml::from_xml;

use crate::STORE;
use crate::client::{S3Client, S3Request, encode_query, put_result};
use crate::xml::{
    CompleteMultipartUploadResult, CompletedPart, InitiateMultipartUploadResult, complete_body,
};

/// The largest part `UploadPartCopy` copies: 5 GiB.
const MAX_COPY_PART: u64 = 5 * 1024 * 1024 * 1024;

impl S3Client {
    fn upload_url(&self, location: &Path, query: &str) -> String {
        let mut url = self.object_url(location);
        url.push('?');
        url.push_str(query);
        url
    }

    /// `CreateMultipartUpload` with the object's headers (attributes, tags, encryption).
    pub(crate) async fn create_multipart(
        &self,
        location: &Path,
        headers: HeaderMap,
    ) -> Result<MultipartId> {
        self.create_multipart_with(location, headers, true).await
    }

    /// `CreateMultipartUpload`, declaring the configured checksum or not (copied parts
    /// carry none).
    async fn create_multipart_with(
        &self,
        location: &Path,
        headers: HeaderMap,
        with_checksum: bool,
    ) -> Result<MultipartId> {
        let url = self.upload_url(location, "uploads");
        let mut request = self
            .request(Method::POST, &url, location.as_ref())
            .headers(headers)
            .customer_key();
        if let Some(checksum) = self.config.checksum.filter(|_| with_checksum) {
            request = request.header("x-amz-checksum-algorithm", checksum.algorithm());
            if checksum == crate::Checksum::CRC64NVME {
                request = request.header("x-amz-checksum-type", "FULL_OBJECT");
            }
        }
        let resp = request.idempotent(true).send().await?;
        let body = resp.bytes().await?;
        let result: InitiateMultipartUploadResult =
            from_xml(STORE, "CreateMultipartUpload answer", &body)?;
        Ok(result.upload_id)
    }

    /// `UploadPart` number `part_idx + 1`. With a checksum configured the part id carries
    /// the part's checksum too (`<base64>:<e-tag>`), for the completion request.
    pub(crate) async fn put_part(
        &self,
        location: &Path,
        upload_id: &str,
        part_idx: usize,
        payload: PutPayload,
    ) -> Result<PartId> {
        let url = self.upload_url(
            location,
            &format!(
                "partNumber={}&uploadId={}",
                part_idx + 1,
                encode_query(upload_id)
            ),
        );
        let (request, checksum) = self
            .request(Method::PUT, &url, location.as_ref())
            .customer_key()
            .upload_body(payload);
        let resp = request.idempotent(true).send().await?;
        let e_tag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::generic(STORE, "UploadPart answer without ETag"))?;
        let content_id = match &checksum {
            Some(value) => format!("{value}:{e_tag}"),
            None => e_tag.to_string(),
        };
        Ok(PartId { content_id })
    }

    /// `CompleteMultipartUpload` of `parts` in order; with `create` the object must not
    /// exist yet (`If-None-Match: *`, `AlreadyExists` otherwise).
    pub(crate) async fn complete_multipart(
        &self,
        location: &Path,
        upload_id: &str,
        mut parts: Vec<PartId>,
        create: bool,
    ) -> Result<PutResult> {
        if parts.is_empty() {
            // S3 refuses an upload without parts: an empty object has one empty part.
            parts.push(
                self.put_part(location, upload_id, 0, PutPayload::default())
                    .await?,
            );
        }
        let checksum_element = self.config.checksum.map(|c| match c {
            crate::Checksum::SHA256 => "ChecksumSHA256",
            crate::Checksum::CRC64NVME => "ChecksumCRC64NVME",
        });
        let body = complete_body(parts.iter().enumerate().map(|(i, part)| {
            let (checksum, e_tag) = match checksum_element {
                Some(element) => match part.content_id.split_once(':') {
                    Some((sum, e_tag)) => (Some((element, sum)), e_tag),
                    None => (None, part.content_id.as_str()),
                },
                None => (None, part.content_id.as_str()),
            };
            CompletedPart {
                number: i + 1,
                e_tag,
                checksum,
            }
        }));
        let url = self.upload_url(location, &format!("uploadId={}", encode_query(upload_id)));
        let payload = PutPayload::from(body);
        let make = || -> Result<S3Request<'_>> {
            let mut request = self
                .request(Method::POST, &url, location.as_ref())
                .header("content-type", "application/xml")
                .body(payload.clone())
                .idempotent(true);
            if create {
                request = request.header(IF_NONE_MATCH, "*");
            }
            Ok(request)
        };
        let mut headers = HeaderMap::new();
        let body = match self
            .send_checking_body_with_headers(make, location.as_ref(), &mut headers)
            .await
        {
            Ok(body) => body,
            Err((Some(StatusCode::PRECONDITION_FAILED | StatusCode::CONFLICT), e)) if create => {
                return Err(Error::AlreadyExists {
                    path: location.to_string(),
                    source: Box::new(e),
                });
            }
            Err((_, e)) => return Err(e),
        };
        let result: CompleteMultipartUploadResult =
            from_xml(STORE, "CompleteMultipartUpload answer", &body)?;
        let mut put = put_result(&headers);
        put.e_tag = result.e_tag.or(put.e_tag);
        Ok(put)
    }

    /// `AbortMultipartUpload`; an upload already gone is not an error.
    pub(crate) async fn abort_multipart(&self, location: &Path, upload_id: &str) -> Result<()> {
        let url = self.upload_url(location, &format!("uploadId={}", encode_query(upload_id)));
        match self
            .request(Method::DELETE, &url, location.as_ref())
            .idempotent(true)
            .send()
            .await
        {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Copies `from` to `to` unless `to` exists, through a multipart upload of
    /// `UploadPartCopy` parts completed with `If-None-Match: *`.
    pub(crate) async fn copy_multipart_create(&self, from: &Path, to: &Path) -> Result<()> {
        let source_meta = self
            .get(
                from,
                &GetOptions {
                    head: true,
                    ..Default::default()
                },
            )
            .await?
            .meta;
        let headers = self.object_headers(to, &Default::default(), &Default::default())?;
        let upload_id = self.create_multipart_with(to, headers, false).await?;
        let result = async {
            let source = self.copy_source(from)?;
            let mut parts = Vec::new();
            let mut start = 0;
            let size = source_meta.size;
            loop {
                let end = (start + MAX_COPY_PART).min(size);
                let url = self.upload_url(
                    to,
                    &format!(
                        "partNumber={}&uploadId={}",
                        parts.len() + 1,
                        encode_query(&upload_id)
                    ),
                );
                let mut request = self
                    .request(Method::PUT, &url, to.as_ref())
                    .header("x-amz-copy-source", source.clone())
                    .customer_key()
                    .copy_source_customer_key()
                    .idempotent(true);
                if let Some(e_tag) = &source_meta.e_tag {
                    request = request.header("x-amz-copy-source-if-match", e_tag.as_str());
                }
                if size > MAX_COPY_PART {
                    request = request.header(
                        "x-amz-copy-source-range",
                        format!("bytes={start}-{}", end - 1),
                    );
                }
                let resp = request.send().await?;
                let body = resp.bytes().await?;
                let copied: crate::xml::CopyResult =
                    from_xml(STORE, "UploadPartCopy answer", &body)?;
                let e_tag = copied
                    .e_tag
                    .ok_or_else(|| Error::generic(STORE, "UploadPartCopy answer without ETag"))?;
                parts.push(PartId { content_id: e_tag });
                start = end;
                if start >= size {
                    break;
                }
            }
            self.complete_multipart(to, &upload_id, parts, true).await
        }
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                if let Err(abort) = self.abort_multipart(to, &upload_id).await {
                    tracing::debug!(error = %abort, "aborting a failed multipart copy failed");
                }
                Err(e)
            }
        }
    }
}

/// The parts of an upload as they finish: `(index, part)`.
#[derive(Debug)]
struct UploadState {
    client: Arc<S3Client>,
    location: Path,
    upload_id: String,
    parts: Mutex<Vec<(usize, PartId)>>,
}

/// A [`MultipartUpload`] to S3: each part an `UploadPart` request.
#[derive(Debug)]
pub(crate) struct S3MultipartUpload {
    state: Arc<UploadState>,
    next_part: usize,
}

impl S3MultipartUpload {
    pub(crate) fn new(client: Arc<S3Client>, location: Path, upload_id: String) -> Self {
        Self {
            state: Arc::new(UploadState {
                client,
                location,
                upload_id,
                parts: Mutex::new(Vec::new()),
            }),
            next_part: 0,
        }
    }
}

#[async_trait]
impl MultipartUpload for S3MultipartUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let idx = self.next_part;
        self.next_part += 1;
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            let part = state
                .client
                .put_part(&state.location, &state.upload_id, idx, data)
                .await?;
            state.parts.lock().expect("parts lock").push((idx, part));
            Ok(())
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        let parts = {
            let guard = self.state.parts.lock().expect("parts lock");
            if guard.len() != self.next_part {
                return Err(Error::generic(
                    STORE,
                    format!(
                        "complete called with {} of {} parts uploaded: wait for every part first",
                        guard.len(),
                        self.next_part
                    ),
                ));
            }
            let mut parts = guard.clone();
            parts.sort_unstable_by_key(|(idx, _)| *idx);
            parts
        };
        let state = &self.state;
        state
            .client
            .complete_multipart(
                &state.location,
                &state.upload_id,
                parts.into_iter().map(|(_, p)| p).collect(),
                false,
            )
            .await
    }

    async fn abort(&mut self) -> Result<()> {
        let state = &self.state;
        state
            .client
            .abort_multipart(&state.location, &state.upload_id)
            .await
    }
}
