//! Listing with `ListObjectsV2`: pages with continuation tokens, as a stream of objects,
//! as one delimited level, or one page at a time ([`PaginatedListStore`]).

use std::sync::Arc;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt, stream};
use http::Method;
use ostore_core::path::{DELIMITER, Path};
use ostore_core::{Error, ListResult, ObjectMeta, Result};
use ostore_transport::xml::from_xml;

use crate::STORE;
use crate::client::{S3Client, encode_query};
use crate::xml::ListBucketResult;

/// What to list.
#[derive(Debug, Default, Clone)]
pub(crate) struct ListRequest<'a> {
    /// A raw key prefix.
    pub(crate) prefix: Option<&'a str>,
    pub(crate) delimiter: Option<&'a str>,
    /// Only keys after this one.
    pub(crate) start_after: Option<&'a str>,
    pub(crate) token: Option<&'a str>,
    pub(crate) max_keys: Option<usize>,
}

/// One page: its entries and the token of the next page.
pub(crate) struct Page {
    pub(crate) result: ListResult,
    pub(crate) next: Option<String>,
}

/// The key prefix listing below `prefix` means: `"a/b/"` for `a/b`, nothing for the root.
pub(crate) fn key_prefix(prefix: Option<&Path>) -> Option<String> {
    prefix
        .filter(|p| !p.as_ref().is_empty())
        .map(|p| format!("{}{DELIMITER}", p.as_ref()))
}

impl S3Client {
    /// One `ListObjectsV2` request.
    pub(crate) async fn list_page(&self, req: &ListRequest<'_>) -> Result<Page> {
        let mut url = String::with_capacity(self.bucket_url().len() + 64);
        url.push_str(self.bucket_url());
        url.push_str("?list-type=2");
        let mut param = |name: &str, value: &str| {
            url.push('&');
            url.push_str(name);
            url.push('=');
            url.push_str(&encode_query(value).to_string());
        };
        if let Some(token) = req.token {
            param("continuation-token", token);
        }
        if let Some(d) = req.delimiter {
            param("delimiter", d);
        }
        if let Some(n) = req.max_keys {
            param("max-keys", &n.to_string());
        }
        if let Some(p) = req.prefix.filter(|p| !p.is_empty()) {
            param("prefix", p);
        }
        if let Some(s) = req.start_after.filter(|s| !s.is_empty()) {
            param("start-after", s);
        }
        let path = req.prefix.unwrap_or("");
        let resp = self
            .request(Method::GET, &url, path)
            .idempotent(true)
            .send()
            .await?;
        let body = resp.bytes().await?;
        let list: ListBucketResult = from_xml(STORE, "ListObjectsV2 answer", &body)?;
        let mut objects = Vec::with_capacity(list.contents.len());
        for entry in list.contents {
            if let Some(meta) = entry.into_meta()? {
                // Some servers ignore start-after (or a prefix); never hand out keys outside
                // what was asked.
                let key: &str = meta.location.as_ref();
                let after = req.start_after.is_none_or(|s| key > s);
                let inside = req.prefix.is_none_or(|p| key.starts_with(p));
                if after && inside {
                    objects.push(meta);
                }
            }
        }
        let mut common_prefixes = Vec::with_capacity(list.common_prefixes.len());
        for p in list.common_prefixes {
            let trimmed = p.prefix.strip_suffix(DELIMITER).unwrap_or(&p.prefix);
            match Path::parse(trimmed) {
                Ok(path) => common_prefixes.push(path),
                Err(_) => tracing::debug!(prefix = %p.prefix, "skipping an invalid common prefix"),
            }
        }
        let next = match (list.is_truncated, list.next_continuation_token) {
            (true, Some(token)) => Some(token),
            (true, None) => {
                return Err(Error::generic(
                    STORE,
                    "truncated listing without a continuation token",
                ));
            }
            (false, _) => None,
        };
        Ok(Page {
            result: ListResult {
                common_prefixes,
                objects,
            },
            next,
        })
    }
}

/// Every object below `prefix` (after `offset`), page by page.
pub(crate) fn list_stream(
    client: Arc<S3Client>,
    prefix: Option<&Path>,
    offset: Option<&Path>,
) -> BoxStream<'static, Result<ObjectMeta>> {
    let prefix = key_prefix(prefix);
    let offset = offset.map(|o| o.as_ref().to_string());
    // State: the next token; `None` after the last page.
    let first: Option<Option<String>> = Some(None);
    stream::try_unfold(first, move |state| {
        let client = Arc::clone(&client);
        let (prefix, offset) = (prefix.clone(), offset.clone());
        async move {
            let Some(token) = state else {
                return Ok(None);
            };
            let send_offset = token.is_none() && !client.config.client_side_list_offset;
            let req = ListRequest {
                prefix: prefix.as_deref(),
                start_after: offset.as_deref().filter(|_| send_offset),
                token: token.as_deref(),
                ..Default::default()
            };
            let mut page = client.list_page(&req).await?;
            if let Some(offset) = offset.as_deref().filter(|_| !send_offset) {
                page.result.objects.retain(|m| m.location.as_ref() > offset);
            }
            let next = page.next.map(Some);
            Ok::<_, Error>(Some((page.result.objects, next)))
        }
    })
    .map_ok(|objects| stream::iter(objects.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

/// One level below `prefix`: its objects and common prefixes, all pages.
pub(crate) async fn list_with_delimiter(
    client: &S3Client,
    prefix: Option<&Path>,
) -> Result<ListResult> {
    let prefix = key_prefix(prefix);
    let mut result = ListResult::default();
    let mut token: Option<String> = None;
    loop {
        let req = ListRequest {
            prefix: prefix.as_deref(),
            delimiter: Some(DELIMITER),
            token: token.as_deref(),
            ..Default::default()
        };
        let page = client.list_page(&req).await?;
        result.objects.extend(page.result.objects);
        result.common_prefixes.extend(page.result.common_prefixes);
        match page.next {
            Some(next) => token = Some(next),
            None => {
                // S3 orders common prefixes with their delimiter (`a-b/` before `a/`);
                // callers get them in path order, like the objects.
                result.common_prefixes.sort_unstable();
                result.common_prefixes.dedup();
                return Ok(result);
            }
        }
    }
}
