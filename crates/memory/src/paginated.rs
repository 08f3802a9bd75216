//! [`PaginatedListStore`] for [`InMemory`]: one page of keys at a time, resumable by token.

use crate::InMemory;
use crate::error::STORE;
use crate::storage::read;
use async_trait::async_trait;
use ostore_core::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use ostore_core::path::Path;
use ostore_core::{Error, ListResult, Result};

/// Pages list keys in order. `prefix` is matched as raw text (`foo` matches `foobar`), the
/// `offset` and page token are exclusive, and with a delimiter each key holding it after
/// the prefix is folded into a common prefix (the key up to and including the first
/// delimiter, then parsed as a [`Path`], which drops a trailing `/`). Objects and common
/// prefixes both count towards `max_keys` (no limit when `None`; `Some(0)` is taken as 1
/// so paging always advances). The page token is the raw text of the last entry returned.
#[async_trait]
impl PaginatedListStore for InMemory {
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> Result<PaginatedListResult> {
        let prefix = prefix.unwrap_or("");
        let delimiter = opts.delimiter.as_deref().filter(|d| !d.is_empty());
        let max_keys = opts.max_keys.map_or(usize::MAX, |n| n.max(1));
        let token = opts.page_token.as_deref();
        // Keys at or before the later of offset and token are skipped.
        let after = match (opts.offset.as_deref(), token) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        // A token that holds the delimiter after the prefix was a common prefix: every key
        // under it was already covered by that entry.
        let covered = token.filter(|t| {
            delimiter.is_some_and(|d| t.strip_prefix(prefix).is_some_and(|r| r.contains(d)))
        });

        let start = after.map_or(prefix, |a| a.max(prefix));
        let lower = Path::parse(start)
            .ok()
            .filter(|p| p.as_ref() <= start)
            .unwrap_or(Path::ROOT);

        let storage = read(&self.storage);
        let mut result = ListResult::default();
        let mut count = 0usize;
        let mut last: Option<&str> = None;
        let mut last_common: Option<&str> = None;
        let mut truncated = false;
        for (key, entry) in storage.map.range(lower..) {
            let k = key.as_ref();
            if !k.starts_with(prefix) {
                if k > prefix {
                    break; // past every key that starts with the prefix
                }
                continue;
            }
            if after.is_some_and(|a| k <= a) || covered.is_some_and(|c| k.starts_with(c)) {
                continue;
            }
            let common = delimiter.and_then(|d| {
                let rest = &k[prefix.len()..];
                rest.find(d).map(|i| &k[..prefix.len() + i + d.len()])
            });
            if common.is_some() && common == last_common {
                continue;
            }
            if count == max_keys {
                truncated = true;
                break;
            }
            count += 1;
            match common {
                Some(common) => {
                    let path = Path::parse(common).map_err(|e| {
                        Error::generic(STORE, format!("common prefix {common:?}: {e}"))
                    })?;
                    result.common_prefixes.push(path);
                    last_common = Some(common);
                    last = Some(common);
                }
                None => {
                    result.objects.push(entry.meta(key));
                    last = Some(k);
                }
            }
        }
        let page_token = if truncated {
            last.map(str::to_string)
        } else {
            None
        };
        Ok(PaginatedListResult { result, page_token })
    }
}
