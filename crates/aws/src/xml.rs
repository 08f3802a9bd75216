//! The XML bodies of the S3 REST API: the answers the store parses (listings, multipart,
//! bulk deletes, errors) and the requests it writes.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use ostore_core::path::Path;
use ostore_core::{Error, ObjectMeta, Result};
use ostore_transport::xml::from_xml;
use serde::Deserialize;

use crate::STORE;

/// An S3 `<Error>` document.
#[derive(Debug, Deserialize)]
pub(crate) struct S3ErrorBody {
    #[serde(rename = "Code", default)]
    pub(crate) code: String,
    #[serde(rename = "Message", default)]
    pub(crate) message: String,
}

/// The `<Error>` of a `200` answer whose body is one (CopyObject, CompleteMultipartUpload,
/// DeleteObjects report late failures this way); `None` for any other body.
pub(crate) fn error_in_body(body: &[u8]) -> Option<S3ErrorBody> {
    let mut rest = body.trim_ascii_start();
    if rest.starts_with(b"<?") {
        let end = rest.windows(2).position(|w| w == b"?>")?;
        rest = rest[end + 2..].trim_ascii_start();
    }
    let is_error = rest.starts_with(b"<Error>") || rest.starts_with(b"<Error ");
    if !is_error {
        return None;
    }
    Some(
        from_xml::<S3ErrorBody>(STORE, "error", body).unwrap_or_else(|_| S3ErrorBody {
            code: "InternalError".to_string(),
            message: "unreadable <Error> document".to_string(),
        }),
    )
}

/// A `ListObjectsV2` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct ListBucketResult {
    #[serde(rename = "Contents", default)]
    pub(crate) contents: Vec<ListEntry>,
    #[serde(rename = "CommonPrefixes", default)]
    pub(crate) common_prefixes: Vec<ListPrefix>,
    #[serde(rename = "NextContinuationToken", default)]
    pub(crate) next_continuation_token: Option<String>,
    #[serde(rename = "IsTruncated", default)]
    pub(crate) is_truncated: bool,
}

/// One object of a listing.
#[derive(Debug, Deserialize)]
pub(crate) struct ListEntry {
    #[serde(rename = "Key")]
    pub(crate) key: String,
    #[serde(rename = "LastModified")]
    pub(crate) last_modified: String,
    #[serde(rename = "Size")]
    pub(crate) size: u64,
    #[serde(rename = "ETag", default)]
    pub(crate) e_tag: Option<String>,
}

/// One common prefix of a listing.
#[derive(Debug, Deserialize)]
pub(crate) struct ListPrefix {
    #[serde(rename = "Prefix")]
    pub(crate) prefix: String,
}

impl ListEntry {
    /// The entry as [`ObjectMeta`]; `None` when the key is no valid [`Path`] (a "directory
    /// marker" such as `dir/`, or `a//b`), which the store cannot name.
    pub(crate) fn into_meta(self) -> Result<Option<ObjectMeta>> {
        // Only keys a `Path` names exactly: `Path::parse` strips a leading or trailing `/`,
        // which would name another key.
        let location = match Path::parse(&self.key) {
            Ok(location) if location.as_ref() == self.key => location,
            _ => {
                tracing::debug!(key = %self.key, "skipping a key that is not a valid path");
                return Ok(None);
            }
        };
        let last_modified = DateTime::parse_from_rfc3339(&self.last_modified)
            .map_err(|_| {
                Error::generic(
                    STORE,
                    format!("invalid LastModified {:?} in a listing", self.last_modified),
                )
            })?
            .with_timezone(&Utc);
        Ok(Some(ObjectMeta {
            location,
            last_modified,
            size: self.size,
            e_tag: self.e_tag,
            version: None,
        }))
    }
}

/// A `CreateMultipartUpload` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct InitiateMultipartUploadResult {
    #[serde(rename = "UploadId")]
    pub(crate) upload_id: String,
}

/// A `CompleteMultipartUpload` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct CompleteMultipartUploadResult {
    #[serde(rename = "ETag", default)]
    pub(crate) e_tag: Option<String>,
}

/// A `CopyObject` / `UploadPartCopy` answer.
#[derive(Debug, Deserialize)]
pub(crate) struct CopyResult {
    #[serde(rename = "ETag", default)]
    pub(crate) e_tag: Option<String>,
}

/// A `DeleteObjects` answer (quiet mode lists failures only; `<Deleted>` entries of servers
/// that ignore quiet mode are skipped).
#[derive(Debug, Deserialize)]
pub(crate) struct DeleteResult {
    #[serde(rename = "Error", default)]
    pub(crate) errors: Vec<DeleteError>,
}

/// A key `DeleteObjects` failed to remove.
#[derive(Debug, Deserialize)]
pub(crate) struct DeleteError {
    #[serde(rename = "Key")]
    pub(crate) key: String,
    #[serde(rename = "Code", default)]
    pub(crate) code: String,
    #[serde(rename = "Message", default)]
    pub(crate) message: String,
}

/// Appends `text` with the XML special characters escaped.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                let _ = write!(out, "&#x{:x};", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// The body of a `DeleteObjects` request for `keys` (quiet mode: only failures reported).
pub(crate) fn delete_objects_body<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let mut body = String::from("<Delete><Quiet>true</Quiet>");
    for key in keys {
        body.push_str("<Object><Key>");
        escape_into(&mut body, key);
        body.push_str("</Key></Object>");
    }
    body.push_str("</Delete>");
    body
}

/// One part of a `CompleteMultipartUpload` request.
pub(crate) struct CompletedPart<'a> {
    pub(crate) number: usize,
    pub(crate) e_tag: &'a str,
    /// `(element name, base64 value)` of the part's checksum, e.g. `ChecksumSHA256`.
    pub(crate) checksum: Option<(&'static str, &'a str)>,
}

/// The body of a `CompleteMultipartUpload` request.
pub(crate) fn complete_body<'a>(parts: impl Iterator<Item = CompletedPart<'a>>) -> String {
    let mut body = String::from("<CompleteMultipartUpload>");
    for part in parts {
        let _ = write!(body, "<Part><PartNumber>{}</PartNumber><ETag>", part.number);
        escape_into(&mut body, part.e_tag);
        body.push_str("</ETag>");
        if let Some((name, value)) = part.checksum {
            let _ = write!(body, "<{name}>");
            escape_into(&mut body, value);
            let _ = write!(body, "</{name}>");
        }
        body.push_str("</Part>");
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_recognised() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message><RequestId>1</RequestId></Error>"#;
        let err = error_in_body(body).unwrap();
        assert_eq!(err.code, "InternalError");
        assert!(err.message.contains("internal"));
        assert!(error_in_body(b"<Error><Code>SlowDown</Code></Error>").is_some());
        let ok = br#"<?xml version="1.0"?><CopyObjectResult><ETag>"x"</ETag></CopyObjectResult>"#;
        assert!(error_in_body(ok).is_none());
        assert!(error_in_body(b"").is_none());
        // Garbage that starts like an error is still an error, not a success.
        assert_eq!(
            error_in_body(b"<Error><Code>").unwrap().code,
            "InternalError"
        );
    }

    #[test]
    fn list_results_parse() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>a/</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>tok+/=</NextContinuationToken>
  <Contents><Key>a/x &amp; y</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>&quot;e1&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>a/dir/</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>"e2"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>a/b/</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let list: ListBucketResult = from_xml(STORE, "list", body).unwrap();
        assert!(list.is_truncated);
        assert_eq!(list.next_continuation_token.as_deref(), Some("tok+/="));
        assert_eq!(list.common_prefixes[0].prefix, "a/b/");
        let mut metas = list.contents.into_iter().map(|e| e.into_meta().unwrap());
        let first = metas.next().unwrap().unwrap();
        assert_eq!(first.location.as_ref(), "a/x & y");
        assert_eq!(first.e_tag.as_deref(), Some("\"e1\""));
        assert_eq!(first.size, 5);
        assert!(
            metas.next().unwrap().is_none(),
            "a directory marker is skipped"
        );
    }

    #[test]
    fn bad_dates_are_errors() {
        let entry = ListEntry {
            key: "k".into(),
            last_modified: "yesterday".into(),
            size: 1,
            e_tag: None,
        };
        assert!(entry.into_meta().is_err());
    }

    #[test]
    fn request_bodies_escape_keys() {
        let body = delete_objects_body(["a<b", "c&d"].into_iter());
        assert_eq!(
            body,
            "<Delete><Quiet>true</Quiet><Object><Key>a&lt;b</Key></Object>\
             <Object><Key>c&amp;d</Key></Object></Delete>"
        );
        let body = complete_body(
            [CompletedPart {
                number: 1,
                e_tag: "\"e\"",
                checksum: Some(("ChecksumSHA256", "abc=")),
            }]
            .into_iter(),
        );
        assert!(body.contains("<PartNumber>1</PartNumber><ETag>&quot;e&quot;</ETag><ChecksumSHA256>abc=</ChecksumSHA256>"));
    }

    #[test]
    fn delete_results_parse() {
        let body = br#"<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"#;
        let r: DeleteResult = from_xml(STORE, "delete", body).unwrap();
        assert_eq!(r.errors[0].key, "b");
        assert_eq!(r.errors[0].code, "AccessDenied");
    }
}
