//! Behaviour of `InMemory` through the `ObjectStore` trait: writes, reads, listings, copies.

// One-range slices are what these tests mean, not ranges to collect.
#![allow(clippy::single_range_in_vec_init)]

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use ostore_core::path::Path;
use ostore_core::{
    Attribute, Attributes, Error, GetOptions, GetRange, ObjectStore, PutMode, PutOptions,
    PutPayload, UpdateVersion,
};
use ostore_memory::InMemory;
use std::ops::Range;
use std::sync::Arc;

/// A reversed range, which reads nothing.
const REVERSED: Range<u64> = Range { start: 6, end: 3 };

fn p(s: &str) -> Path {
    Path::parse(s).unwrap()
}

async fn read(store: &InMemory, path: &str) -> Bytes {
    store.get(&p(path)).await.unwrap().bytes().await.unwrap()
}

async fn put(store: &InMemory, path: &str, data: &'static str) -> String {
    store
        .put(&p(path), data.into())
        .await
        .unwrap()
        .e_tag
        .unwrap()
}

async fn list(store: &InMemory, prefix: Option<&str>) -> Vec<String> {
    let prefix = prefix.map(p);
    store
        .list(prefix.as_ref())
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap()
}

fn update(e_tag: Option<&str>) -> PutOptions {
    PutMode::Update(UpdateVersion {
        e_tag: e_tag.map(str::to_string),
        version: None,
    })
    .into()
}

#[test]
fn display_and_debug() {
    let store = InMemory::default();
    assert_eq!(store.to_string(), "InMemory");
    assert!(format!("{store:?}").starts_with("InMemory"));
}

#[tokio::test]
async fn overwrite_returns_fresh_etags() {
    let store = InMemory::new();
    let r1 = store.put(&p("a"), "one".into()).await.unwrap();
    let r2 = store.put(&p("a"), "two".into()).await.unwrap();
    assert_eq!(r1.version, None);
    assert_ne!(r1.e_tag, r2.e_tag);
    assert_eq!(&read(&store, "a").await[..], b"two");
    let meta = store.head(&p("a")).await.unwrap();
    assert_eq!(meta.e_tag, r2.e_tag);
    assert_eq!(meta.version, None);
    assert_eq!(meta.size, 3);
    assert_eq!(meta.location, p("a"));
}

#[tokio::test]
async fn create_fails_if_present() {
    let store = InMemory::new();
    let e1 = store
        .put_opts(&p("a"), "one".into(), PutMode::Create.into())
        .await
        .unwrap()
        .e_tag;
    let err = store
        .put_opts(&p("a"), "two".into(), PutMode::Create.into())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { ref path, .. } if path == "a"),
        "{err}"
    );
    assert_eq!(&read(&store, "a").await[..], b"one");
    assert_eq!(store.head(&p("a")).await.unwrap().e_tag, e1);
}

#[tokio::test]
async fn update_modes() {
    let store = InMemory::new();
    // Missing object: precondition, whatever the e-tag (even none).
    for e_tag in [Some("0"), None] {
        let err = store
            .put_opts(&p("a"), "x".into(), update(e_tag))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Precondition { .. }), "{err}");
    }
    let e1 = put(&store, "a", "one").await;
    // No e-tag on an existing object: a generic error of this store.
    let err = store
        .put_opts(&p("a"), "x".into(), update(None))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Generic {
                store: "InMemory",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("e-tag"), "{err}");
    // Wrong e-tag.
    let err = store
        .put_opts(&p("a"), "x".into(), update(Some("nope")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Precondition { ref path, .. } if path == "a"),
        "{err}"
    );
    assert_eq!(&read(&store, "a").await[..], b"one");
    // Right e-tag, then the old one is stale.
    let e2 = store
        .put_opts(&p("a"), "two".into(), update(Some(&e1)))
        .await
        .unwrap()
        .e_tag
        .unwrap();
    assert_ne!(e1, e2);
    assert_eq!(&read(&store, "a").await[..], b"two");
    let err = store
        .put_opts(&p("a"), "three".into(), update(Some(&e1)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Precondition { .. }), "{err}");
    assert_eq!(&read(&store, "a").await[..], b"two");
}

#[tokio::test]
async fn attributes_roundtrip_and_copy() {
    let store = InMemory::new();
    let mut attributes = Attributes::new();
    attributes.insert(Attribute::ContentType, "text/plain".into());
    attributes.insert(Attribute::Metadata("k".into()), "v".into());
    store
        .put_opts(&p("a"), "x".into(), attributes.clone().into())
        .await
        .unwrap();
    assert_eq!(store.get(&p("a")).await.unwrap().attributes, attributes);
    store.copy(&p("a"), &p("b")).await.unwrap();
    assert_eq!(store.get(&p("b")).await.unwrap().attributes, attributes);
    // A plain overwrite drops them.
    store.put(&p("a"), "y".into()).await.unwrap();
    assert!(store.get(&p("a")).await.unwrap().attributes.is_empty());
}

#[tokio::test]
async fn single_chunk_payload_is_not_copied() {
    let store = InMemory::new();
    let data = Bytes::from(vec![1u8; 4096]);
    store.put(&p("a"), data.clone().into()).await.unwrap();
    let got = read(&store, "a").await;
    assert_eq!(got.as_ptr(), data.as_ptr());
    let part = store.get_range(&p("a"), 10..20).await.unwrap();
    assert_eq!(part.as_ptr(), data[10..].as_ptr());
    // Several chunks are joined in order.
    let payload: PutPayload = [Bytes::from_static(b"ab"), Bytes::from_static(b"cd")]
        .into_iter()
        .collect();
    store.put(&p("b"), payload).await.unwrap();
    assert_eq!(&read(&store, "b").await[..], b"abcd");
}

#[tokio::test]
async fn missing_objects() {
    let store = InMemory::new();
    let path = p("no/such/thing");
    for err in [
        store.get(&path).await.unwrap_err(),
        store.head(&path).await.map(|_| ()).unwrap_err(),
        store.get_range(&path, 0..1).await.map(|_| ()).unwrap_err(),
        store
            .get_ranges(&path, &[0..1])
            .await
            .map(|_| ())
            .unwrap_err(),
        store.copy(&path, &p("x")).await.unwrap_err(),
        store.rename(&path, &p("x")).await.unwrap_err(),
        store.copy_if_not_exists(&path, &p("x")).await.unwrap_err(),
        store
            .rename_if_not_exists(&path, &p("x"))
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(err, Error::NotFound { ref path, .. } if path == "no/such/thing"),
            "{err}"
        );
        assert!(err.to_string().contains("no/such/thing"), "{err}");
    }
    // Deleting nothing is fine.
    store.delete(&path).await.unwrap();
    assert!(store.head(&p("x")).await.is_err());
}

#[tokio::test]
async fn delete_and_delete_stream() {
    let store = InMemory::new();
    for k in ["a", "b", "c"] {
        put(&store, k, "x").await;
    }
    store.delete(&p("a")).await.unwrap();
    assert!(matches!(
        store.head(&p("a")).await,
        Err(Error::NotFound { .. })
    ));
    let input = futures::stream::iter(["b", "missing", "c"].map(|k| Ok(p(k)))).boxed();
    let deleted: Vec<Path> = store.delete_stream(input).try_collect().await.unwrap();
    assert_eq!(deleted, vec![p("b"), p("missing"), p("c")]);
    assert!(list(&store, None).await.is_empty());
}

#[tokio::test]
async fn conditional_gets() {
    let store = InMemory::new();
    let e_tag = put(&store, "a", "data").await;
    let modified = store.head(&p("a")).await.unwrap().last_modified;
    let hour = chrono::Duration::hours(1);
    let get = |o: GetOptions| {
        let store = &store;
        async move { store.get_opts(&p("a"), o).await.map(|r| r.meta) }
    };
    let matching = |t: &str| GetOptions {
        if_match: Some(t.into()),
        ..Default::default()
    };
    let none_matching = |t: &str| GetOptions {
        if_none_match: Some(t.into()),
        ..Default::default()
    };
    let since = |t| GetOptions {
        if_modified_since: Some(t),
        ..Default::default()
    };
    let unmodified_since = |t| GetOptions {
        if_unmodified_since: Some(t),
        ..Default::default()
    };

    assert!(get(matching(&e_tag)).await.is_ok());
    assert!(get(matching("*")).await.is_ok());
    assert!(get(matching(&format!("x, {e_tag}"))).await.is_ok());
    assert!(matches!(
        get(matching("other")).await,
        Err(Error::Precondition { .. })
    ));
    assert!(matches!(
        get(none_matching(&e_tag)).await,
        Err(Error::NotModified { .. })
    ));
    assert!(matches!(
        get(none_matching("*")).await,
        Err(Error::NotModified { .. })
    ));
    assert!(get(none_matching("other")).await.is_ok());
    assert!(matches!(
        get(since(modified)).await,
        Err(Error::NotModified { .. })
    ));
    assert!(get(since(modified - hour)).await.is_ok());
    assert!(get(unmodified_since(modified)).await.is_ok());
    assert!(matches!(
        get(unmodified_since(modified - hour)).await,
        Err(Error::Precondition { .. })
    ));
    // After a rewrite the old e-tag no longer matches.
    put(&store, "a", "new").await;
    assert!(matches!(
        get(matching(&e_tag)).await,
        Err(Error::Precondition { .. })
    ));
    assert!(get(none_matching(&e_tag)).await.is_ok());
    // A version is ignored: this store keeps none.
    let versioned = GetOptions {
        version: Some("7".into()),
        ..Default::default()
    };
    assert!(get(versioned).await.is_ok());
}

#[tokio::test]
async fn ranges() {
    let store = InMemory::new();
    put(&store, "a", "0123456789").await;
    let get = |range: GetRange| {
        let store = &store;
        async move {
            let opts = GetOptions {
                range: Some(range),
                ..Default::default()
            };
            let r = store.get_opts(&p("a"), opts).await?;
            let served = r.range.clone();
            assert_eq!(r.meta.size, 10);
            let bytes = r.bytes().await?;
            assert_eq!(bytes.len() as u64, served.end - served.start);
            Ok::<_, Error>((served, bytes))
        }
    };
    let (r, b) = get(GetRange::Bounded(2..5)).await.unwrap();
    assert_eq!((r, &b[..]), (2..5, &b"234"[..]));
    let (r, b) = get(GetRange::Bounded(8..100)).await.unwrap();
    assert_eq!((r, &b[..]), (8..10, &b"89"[..]));
    let (r, b) = get(GetRange::Offset(7)).await.unwrap();
    assert_eq!((r, &b[..]), (7..10, &b"789"[..]));
    let (r, b) = get(GetRange::Suffix(3)).await.unwrap();
    assert_eq!((r, &b[..]), (7..10, &b"789"[..]));
    let (r, b) = get(GetRange::Suffix(50)).await.unwrap();
    assert_eq!((r, &b[..]), (0..10, &b"0123456789"[..]));
    for bad in [
        GetRange::Bounded(10..12),
        GetRange::Bounded(5..5),
        GetRange::Bounded(REVERSED),
        GetRange::Offset(10),
    ] {
        let err = get(bad.clone()).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Generic {
                    store: "InMemory",
                    ..
                }
            ),
            "{bad:?}: {err}"
        );
        assert!(err.to_string().contains("range"), "{err}");
    }
    assert_eq!(&store.get_range(&p("a"), 1..3).await.unwrap()[..], b"12");
}

#[tokio::test]
async fn head_option_returns_metadata_only() {
    let store = InMemory::new();
    let e_tag = put(&store, "a", "0123456789").await;
    let opts = GetOptions {
        head: true,
        ..Default::default()
    };
    let r = store.get_opts(&p("a"), opts).await.unwrap();
    assert_eq!(r.meta.e_tag.as_deref(), Some(e_tag.as_str()));
    assert_eq!(r.range, 0..10);
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn get_ranges_match_get_range() {
    let store = InMemory::new();
    let data: Bytes = (0..=255u8).cycle().take(3000).collect::<Vec<_>>().into();
    store.put(&p("a"), data.clone().into()).await.unwrap();
    let ranges = [
        0..10,
        2990..3000,
        5..6,
        100..2000,
        0..3000,
        50..60,
        2999..4000,
    ];
    let many = store.get_ranges(&p("a"), &ranges).await.unwrap();
    assert_eq!(many.len(), ranges.len());
    for (r, got) in ranges.iter().zip(&many) {
        let one = store.get_range(&p("a"), r.clone()).await.unwrap();
        assert_eq!(got, &one, "{r:?}");
        let end = r.end.min(3000) as usize;
        assert_eq!(&got[..], &data[r.start as usize..end]);
        // Slices of the stored buffer, not copies.
        assert_eq!(got.as_ptr(), data[r.start as usize..].as_ptr());
    }
    // Empty ranges give empty bytes; a range starting past the end is an error.
    let empty = store
        .get_ranges(&p("a"), &[7..7, REVERSED, 5000..5000])
        .await
        .unwrap();
    assert!(empty.iter().all(Bytes::is_empty));
    let err = store
        .get_ranges(&p("a"), &[0..1, 3000..3001])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Generic {
                store: "InMemory",
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn list_is_segment_wise_and_sorted() {
    let store = InMemory::new();
    for k in ["foo/b", "foo/a/x", "foobar/c", "foo-x/d", "foo", "zed", "a"] {
        put(&store, k, "x").await;
    }
    assert_eq!(
        list(&store, None).await,
        ["a", "foo", "foo-x/d", "foo/a/x", "foo/b", "foobar/c", "zed"]
    );
    // `foo` lists what is below `foo`, not `foobar` or `foo-x`, nor `foo` itself.
    assert_eq!(list(&store, Some("foo")).await, ["foo/a/x", "foo/b"]);
    assert_eq!(list(&store, Some("foo/a")).await, ["foo/a/x"]);
    assert!(list(&store, Some("fo")).await.is_empty());
    assert!(list(&store, Some("nothing")).await.is_empty());

    let meta = store.list(None).try_collect::<Vec<_>>().await.unwrap();
    let head = store.head(&p("zed")).await.unwrap();
    assert_eq!(meta.last(), Some(&head));
}

#[tokio::test]
async fn list_with_offset_is_exclusive() {
    let store = InMemory::new();
    for k in ["d/a", "d/b", "d/c", "e/a", "c/z"] {
        put(&store, k, "x").await;
    }
    let with_offset = |prefix: Option<&str>, offset: &str| {
        let prefix = prefix.map(p);
        store
            .list_with_offset(prefix.as_ref(), &p(offset))
            .map_ok(|m| m.location.to_string())
            .try_collect::<Vec<_>>()
    };
    assert_eq!(
        with_offset(None, "d/a").await.unwrap(),
        ["d/b", "d/c", "e/a"]
    );
    assert_eq!(with_offset(Some("d"), "d/a").await.unwrap(), ["d/b", "d/c"]);
    assert_eq!(
        with_offset(Some("d"), "d/aa").await.unwrap(),
        ["d/b", "d/c"]
    );
    assert_eq!(
        with_offset(Some("d"), "a").await.unwrap(),
        ["d/a", "d/b", "d/c"]
    );
    assert!(with_offset(Some("d"), "d/c").await.unwrap().is_empty());
    assert!(with_offset(Some("d"), "z").await.unwrap().is_empty());
}

#[tokio::test]
async fn list_with_delimiter_groups_one_level() {
    let store = InMemory::new();
    for k in [
        "a/b/c/1", "a/b/2", "a/b-x/3", "a/d", "a/e", "a", "ab/f", "a/b/c/4",
    ] {
        put(&store, k, "x").await;
    }
    let r = store.list_with_delimiter(Some(&p("a"))).await.unwrap();
    let objects: Vec<_> = r.objects.iter().map(|m| m.location.to_string()).collect();
    assert_eq!(objects, ["a/d", "a/e"]);
    assert_eq!(r.common_prefixes, [p("a/b"), p("a/b-x")]);

    let r = store.list_with_delimiter(Some(&p("a/b"))).await.unwrap();
    let objects: Vec<_> = r.objects.iter().map(|m| m.location.to_string()).collect();
    assert_eq!(objects, ["a/b/2"]);
    assert_eq!(r.common_prefixes, [p("a/b/c")]);

    let r = store.list_with_delimiter(None).await.unwrap();
    let objects: Vec<_> = r.objects.iter().map(|m| m.location.to_string()).collect();
    assert_eq!(objects, ["a"]);
    assert_eq!(r.common_prefixes, [p("a"), p("ab")]);

    let r = store.list_with_delimiter(Some(&p("zz"))).await.unwrap();
    assert!(r.objects.is_empty() && r.common_prefixes.is_empty());
}

#[tokio::test]
async fn copy_and_rename() {
    let store = InMemory::new();
    let e_a = put(&store, "a", "A").await;
    put(&store, "b", "B").await;

    store.copy(&p("a"), &p("c")).await.unwrap();
    assert_eq!(&read(&store, "c").await[..], b"A");
    assert_eq!(&read(&store, "a").await[..], b"A");
    let e_c = store.head(&p("c")).await.unwrap().e_tag.unwrap();
    assert_ne!(e_a, e_c, "a copy is a new write");

    let err = store
        .copy_if_not_exists(&p("a"), &p("b"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { ref path, .. } if path == "b"),
        "{err}"
    );
    assert_eq!(&read(&store, "b").await[..], b"B");
    store.copy_if_not_exists(&p("a"), &p("d")).await.unwrap();
    assert_eq!(&read(&store, "d").await[..], b"A");

    store.rename(&p("a"), &p("b")).await.unwrap();
    assert_eq!(&read(&store, "b").await[..], b"A");
    assert!(matches!(
        store.head(&p("a")).await,
        Err(Error::NotFound { .. })
    ));

    let err = store
        .rename_if_not_exists(&p("b"), &p("c"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(&read(&store, "b").await[..], b"A", "source kept on failure");
    store.rename_if_not_exists(&p("b"), &p("e")).await.unwrap();
    assert!(store.head(&p("b")).await.is_err());
    assert_eq!(list(&store, None).await, ["c", "d", "e"]);

    // Renaming onto itself keeps the object.
    store.rename(&p("e"), &p("e")).await.unwrap();
    assert_eq!(&read(&store, "e").await[..], b"A");
}

#[tokio::test]
async fn fork_is_independent() {
    let store = InMemory::new();
    put(&store, "a", "one").await;
    let fork = store.fork();
    put(&store, "a", "two").await;
    put(&store, "b", "x").await;
    put(&fork, "c", "y").await;
    assert_eq!(&read(&fork, "a").await[..], b"one");
    assert_eq!(list(&fork, None).await, ["a", "c"]);
    assert_eq!(list(&store, None).await, ["a", "b"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_compare_and_swap_loses_no_update() {
    const TASKS: u64 = 8;
    const ROUNDS: u64 = 50;
    let store = Arc::new(InMemory::new());
    let counter = p("counter");
    store.put(&counter, "0".into()).await.unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (store, counter) = (Arc::clone(&store), counter.clone());
            tokio::spawn(async move {
                let mut conflicts = 0u64;
                for _ in 0..ROUNDS {
                    loop {
                        let got = store.get(&counter).await.unwrap();
                        let version = UpdateVersion {
                            e_tag: got.meta.e_tag.clone(),
                            version: None,
                        };
                        let bytes = got.bytes().await.unwrap();
                        let n: u64 = std::str::from_utf8(&bytes).unwrap().parse().unwrap();
                        let next = PutPayload::from((n + 1).to_string());
                        match store
                            .put_opts(&counter, next, PutMode::Update(version).into())
                            .await
                        {
                            Ok(_) => break,
                            Err(Error::Precondition { .. }) => conflicts += 1,
                            Err(e) => panic!("unexpected error: {e}"),
                        }
                        tokio::task::yield_now().await;
                    }
                }
                conflicts
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let bytes = store.get(&counter).await.unwrap().bytes().await.unwrap();
    assert_eq!(
        std::str::from_utf8(&bytes).unwrap(),
        (TASKS * ROUNDS).to_string()
    );
}
