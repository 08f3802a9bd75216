//! Paginated listing, for callers that keep their own position between calls.

use crate::{Extensions, ListResult, Result};
use async_trait::async_trait;
use std::borrow::Cow;

/// Options of [`PaginatedListStore::list_paginated`].
#[derive(Debug, Clone, Default)]
pub struct PaginatedListOptions {
    /// Only keys that sort strictly after this one.
    pub offset: Option<String>,
    /// Group keys by this delimiter into common prefixes.
    pub delimiter: Option<Cow<'static, str>>,
    /// At most this many entries in the page (the store may return fewer).
    pub max_keys: Option<usize>,
    /// The token returned with the previous page.
    pub page_token: Option<String>,
    /// Caller-defined context for custom stores.
    pub extensions: Extensions,
}

/// One page of a paginated listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaginatedListResult {
    /// The entries of this page.
    pub result: ListResult,
    /// The token for the next page; `None` on the last page.
    pub page_token: Option<String>,
}

/// A store that lists one page at a time.
#[async_trait]
pub trait PaginatedListStore: Send + Sync + 'static {
    /// Lists one page of keys starting with `prefix` (a raw string prefix, not segment-wise).
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> Result<PaginatedListResult>;
}
