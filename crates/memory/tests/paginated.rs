//! `PaginatedListStore` for `InMemory`: raw prefixes, offsets, delimiters and page tokens.

use ostore_core::ObjectStore;
use ostore_core::list::{PaginatedListOptions, PaginatedListStore};
use ostore_core::path::Path;
use ostore_memory::InMemory;

async fn store_with(keys: &[&str]) -> InMemory {
    let store = InMemory::new();
    for k in keys {
        store
            .put(&Path::parse(k).unwrap(), "x".into())
            .await
            .unwrap();
    }
    store
}

/// Every page of a listing, as (objects, common prefixes) per page.
async fn pages(
    store: &InMemory,
    prefix: Option<&str>,
    opts: PaginatedListOptions,
) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut opts = opts;
    loop {
        let page = store.list_paginated(prefix, opts.clone()).await.unwrap();
        out.push((
            page.result
                .objects
                .iter()
                .map(|m| m.location.to_string())
                .collect(),
            page.result
                .common_prefixes
                .iter()
                .map(ToString::to_string)
                .collect(),
        ));
        match page.page_token {
            Some(t) => opts.page_token = Some(t),
            None => return out,
        }
        assert!(out.len() < 100, "paging does not advance");
    }
}

fn flat(pages: &[(Vec<String>, Vec<String>)]) -> (Vec<String>, Vec<String>) {
    let objects = pages.iter().flat_map(|p| p.0.clone()).collect();
    let prefixes = pages.iter().flat_map(|p| p.1.clone()).collect();
    (objects, prefixes)
}

/// In key order.
const KEYS: &[&str] = &[
    "a/1", "a/5", "a/b/2", "a/b/3", "a/c/4", "ab", "b/6", "foo", "foobar",
];

#[tokio::test]
async fn raw_prefix_and_no_limit() {
    let store = store_with(KEYS).await;
    let all = pages(&store, Some("foo"), Default::default()).await;
    assert_eq!(all, [(vec!["foo".into(), "foobar".into()], vec![])]);
    let all = pages(&store, Some("a"), Default::default()).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0, ["a/1", "a/5", "a/b/2", "a/b/3", "a/c/4", "ab"]);
    let all = pages(&store, Some("zzz"), Default::default()).await;
    assert_eq!(all, [(vec![], vec![])]);
}

#[tokio::test]
async fn pages_cover_everything_once() {
    let store = store_with(KEYS).await;
    for max in 1..=10 {
        let opts = PaginatedListOptions {
            max_keys: Some(max),
            ..Default::default()
        };
        let all = pages(&store, None, opts).await;
        assert!(all.iter().all(|p| p.0.len() <= max));
        assert_eq!(
            flat(&all).0,
            KEYS.iter().map(|k| k.to_string()).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn offset_is_exclusive() {
    let store = store_with(KEYS).await;
    let opts = PaginatedListOptions {
        offset: Some("a/b/2".into()),
        max_keys: Some(2),
        ..Default::default()
    };
    let all = pages(&store, Some("a/"), opts).await;
    assert_eq!(flat(&all).0, ["a/b/3", "a/c/4"]);
}

#[tokio::test]
async fn delimiter_folds_common_prefixes_across_pages() {
    let store = store_with(KEYS).await;
    for max in [None, Some(1), Some(2), Some(3)] {
        let opts = PaginatedListOptions {
            delimiter: Some("/".into()),
            max_keys: max,
            ..Default::default()
        };
        let (objects, prefixes) = flat(&pages(&store, Some("a/"), opts).await);
        assert_eq!(objects, ["a/1", "a/5"], "max {max:?}");
        assert_eq!(prefixes, ["a/b", "a/c"], "max {max:?}");

        let opts = PaginatedListOptions {
            delimiter: Some("/".into()),
            max_keys: max,
            ..Default::default()
        };
        let (objects, prefixes) = flat(&pages(&store, None, opts).await);
        assert_eq!(objects, ["ab", "foo", "foobar"], "max {max:?}");
        assert_eq!(prefixes, ["a", "b"], "max {max:?}");
    }
}

#[tokio::test]
async fn other_delimiters_keep_the_delimiter_in_the_prefix() {
    let store = store_with(&["x-1-a", "x-1-b", "x-2", "x-3-c", "y"]).await;
    for max in [None, Some(1)] {
        let opts = PaginatedListOptions {
            delimiter: Some("-".into()),
            max_keys: max,
            ..Default::default()
        };
        let (objects, prefixes) = flat(&pages(&store, Some("x-"), opts).await);
        assert_eq!(objects, ["x-2"], "max {max:?}");
        assert_eq!(prefixes, ["x-1-", "x-3-"], "max {max:?}");
    }
}
