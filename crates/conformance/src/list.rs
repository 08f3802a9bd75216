//! Listing: prefixes are whole segments, delimited listings, exclusive offsets, strict
//! lexicographic order, nested objects, and many keys.

use crate::util::*;
use crate::{Capabilities, Support};
use futures::StreamExt;
use ostore_core::ObjectStore;
use ostore_core::path::Path;

fn paths(base: &Path, keys: &[&str]) -> Vec<Path> {
    keys.iter().map(|k| join(base, k)).collect()
}

fn sorted(mut v: Vec<Path>) -> Vec<Path> {
    v.sort();
    v
}

/// A listing prefix matches whole segments: `foo` lists `foo/x` but not `foo.bar/y` or
/// `foobar`, and `fo` lists nothing. Listing the path of an object (or a partial file name)
/// returns nothing.
pub async fn list_prefix_is_segment_wise(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("list_prefix_is_segment_wise");
    let files = paths(
        &base,
        &[
            "foo/x.json",
            "foo/bar/z",
            "foo.bar/y.json",
            "foobar",
            "foo-1/w",
        ],
    );
    put_many(store, &files).await;
    let s = caps.sorted_list.is_full();

    let foo_dir = base.child("foo");
    let want = paths(&base, &["foo/bar/z", "foo/x.json"]);
    assert_listing(
        list_paths(store, Some(&foo_dir)).await,
        &want,
        s,
        "list(foo)",
    );
    assert!(
        list_paths(store, Some(&base.child("fo"))).await.is_empty(),
        "list(fo)"
    );

    let r = store.list_with_delimiter(Some(&foo_dir)).await.unwrap();
    let objects: Vec<Path> = r.objects.iter().map(|m| m.location.clone()).collect();
    assert_eq!(objects, paths(&base, &["foo/x.json"]));
    assert_eq!(r.common_prefixes, paths(&base, &["foo/bar"]));

    for prefix in ["foo/x.json", "foo/x", "foob"] {
        let prefix = join(&base, prefix);
        assert!(
            list_paths(store, Some(&prefix)).await.is_empty(),
            "list({prefix})"
        );
        let r = store.list_with_delimiter(Some(&prefix)).await.unwrap();
        assert!(
            r.objects.is_empty() && r.common_prefixes.is_empty(),
            "{prefix}: {r:?}"
        );
    }
    assert_listing(
        list_paths(store, Some(&base)).await,
        &sorted(files),
        s,
        "list(base)",
    );
}

/// An object `a` and an object `a/b` side by side.
///
/// Supported (S3): both can be written in either order and read back; `list` shows both,
/// the delimited listing shows `a` as an object and as a common prefix; deleting one leaves
/// the other. Unsupported (file systems): writing one while the other exists fails, with any
/// error, and leaves the existing object readable and the listing unchanged.
pub async fn nested_object_and_prefix(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("nested_object_and_prefix");
    // Object first, then the key below it; and the other way round.
    for (dir, first, second) in [("one", "a", "a/b"), ("two", "a/b", "a")] {
        let dir = base.child(dir);
        let (first, second) = (join(&dir, first), join(&dir, second));
        write(store, &first, "first").await;
        let result = store.put(&second, "second".into()).await;
        match &caps.nested_object_and_prefix {
            Support::Full => {
                result.unwrap_or_else(|e| panic!("put({second}) next to {first} failed: {e}"));
                assert_content(store, &first, b"first").await;
                assert_content(store, &second, b"second").await;
                let want = sorted(vec![first.clone(), second.clone()]);
                assert_listing(list_paths(store, Some(&dir)).await, &want, true, "list");
                let a = dir.child("a");
                let r = store.list_with_delimiter(Some(&dir)).await.unwrap();
                assert_eq!(r.common_prefixes, std::slice::from_ref(&a));
                assert_eq!(r.objects.len(), 1);
                assert_eq!(r.objects[0].location, a);
                assert_eq!(list_paths(store, Some(&a)).await, [a.child("b")]);
                store.delete(&a).await.unwrap();
                assert_content(
                    store,
                    &a.child("b"),
                    if first == a { b"second" } else { b"first" },
                )
                .await;
            }
            Support::Unsupported(why) => {
                assert!(
                    result.is_err(),
                    "put({second}) next to {first} must fail ({why})"
                );
                assert_content(store, &first, b"first").await;
                assert_eq!(
                    list_paths(store, Some(&dir)).await,
                    std::slice::from_ref(&first)
                );
                let head = store.head(&second).await;
                assert!(
                    head.is_err(),
                    "{second} readable after a failed put: {head:?}"
                );
            }
        }
    }
}

/// `list_with_delimiter` over a tree several levels deep: exactly the objects directly below
/// the prefix and the common prefixes one level down, each once and sorted; a partial file
/// name or a missing prefix lists nothing.
pub async fn list_with_delimiter(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("list_with_delimiter");
    let files = paths(
        &base,
        &[
            "top_file",
            "db/wb/000/000/000.segment",
            "db/wb/000/000/001.segment",
            "db/wb/000/000/002.segment",
            "db/wb/001/001/000.segment",
            "db/wb/foo.json",
            "db/wb/foo.json.tmp",
            "db/wbwbwb/111/222/333.segment",
            "db/data/whatevs",
            "db/data-2/x",
            "db/data.d/x",
        ],
    );
    put_many(store, &files).await;
    let check = async |prefix: &str, objects: &[&str], prefixes: &[&str]| {
        let p = if prefix.is_empty() {
            base.clone()
        } else {
            join(&base, prefix)
        };
        let r = store.list_with_delimiter(Some(&p)).await.unwrap();
        let got: Vec<Path> = r.objects.iter().map(|m| m.location.clone()).collect();
        assert_eq!(got, paths(&base, objects), "objects under {p}");
        assert_eq!(
            r.common_prefixes,
            paths(&base, prefixes),
            "common prefixes under {p}"
        );
        for m in &r.objects {
            assert_eq!(
                m.size,
                m.location.as_ref().len() as u64,
                "size of {}",
                m.location
            );
        }
    };
    check("", &["top_file"], &["db"]).await;
    check(
        "db",
        &[],
        &["db/data", "db/data-2", "db/data.d", "db/wb", "db/wbwbwb"],
    )
    .await;
    check(
        "db/wb",
        &["db/wb/foo.json", "db/wb/foo.json.tmp"],
        &["db/wb/000", "db/wb/001"],
    )
    .await;
    check("db/wb/000", &[], &["db/wb/000/000"]).await;
    check(
        "db/wb/000/000",
        &[
            "db/wb/000/000/000.segment",
            "db/wb/000/000/001.segment",
            "db/wb/000/000/002.segment",
        ],
        &[],
    )
    .await;
    check("db/wb/000/000/001", &[], &[]).await;
    check("db/w", &[], &[]).await;
    check("not_there", &[], &[]).await;
    let s = caps.sorted_list.is_full();
    assert_listing(
        list_paths(store, Some(&base)).await,
        &sorted(files),
        s,
        "list(base)",
    );
}

/// `list_with_offset` returns only keys strictly after the offset (exclusive), within the
/// prefix, whether or not the offset is itself a key; offsets compare whole keys byte-wise
/// (`a b` < `a.txt` < `a/x`). Unsupported: the stream yields a typed error.
pub async fn list_with_offset(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("list_with_offset");
    let keys = [
        "f/a", "f/b", "f/c", "f/d", "f/e", "g/a b", "g/a.txt", "g/a/x", "g/b",
    ];
    let files = paths(&base, &keys);
    put_many(store, &files).await;
    if let Support::Unsupported(why) = &caps.list_with_offset {
        let first = store.list_with_offset(Some(&base), &files[0]).next().await;
        let result = first.expect("list_with_offset must yield the error, not nothing");
        assert_unsupported(result, "list_with_offset", why);
        return;
    }
    let s = caps.sorted_list.is_full();
    let cases: &[(&str, &str, &[&str])] = &[
        ("f", "f/b", &["f/c", "f/d", "f/e"]),
        ("f", "f/a", &["f/b", "f/c", "f/d", "f/e"]),
        ("f", "f/e", &[]),
        ("f", "f/bb", &["f/c", "f/d", "f/e"]),
        ("f", "f", &["f/a", "f/b", "f/c", "f/d", "f/e"]),
        ("f", "e/z", &["f/a", "f/b", "f/c", "f/d", "f/e"]),
        ("f", "g", &[]),
        ("g", "g/a", &["g/a b", "g/a.txt", "g/a/x", "g/b"]),
        ("g", "g/a b", &["g/a.txt", "g/a/x", "g/b"]),
        ("g", "g/a.txt", &["g/a/x", "g/b"]),
        ("g", "g/a/x", &["g/b"]),
        ("", "f/d", &["f/e", "g/a b", "g/a.txt", "g/a/x", "g/b"]),
    ];
    for (prefix, offset, want) in cases {
        let prefix = if prefix.is_empty() {
            base.clone()
        } else {
            join(&base, prefix)
        };
        let offset = join(&base, offset);
        let got = list_offset_paths(store, Some(&prefix), &offset).await;
        let what = format!("list_with_offset({prefix}, {offset})");
        assert_listing(got, &paths(&base, want), s, &what);
    }
    // Without a prefix, everything after the offset, which includes our keys after it.
    let got = list_offset_paths(store, None, &files[7]).await;
    assert!(!got.contains(&files[7]), "offset itself listed");
    assert!(got.contains(&files[8]), "key after the offset missing");
    assert!(
        !got.iter().any(|p| files[..7].contains(p)),
        "keys before the offset listed"
    );
}

/// `list` yields keys in strict lexicographic byte order (as S3 does), even where that
/// differs from a walk of directories sorted by name: `a b` < `a-b` < `a.b` < `a/b-c` <
/// `a/b/c` < `a0` < `aa` < `é`. Checks `list_with_offset` order too.
pub async fn list_order(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("list_order");
    // No key is a prefix of another, so file systems can hold them all.
    let keys = [
        "é", "aa", "a0", "a/b/c", "a/b-c", "a.b", "a-b", "a b", "A", "a/a%2Fx", "a%2Fa", "z/0",
        "a/😀", "a/a file", "a/a.file", "a/a/b",
    ];
    let files = paths(&base, &keys);
    put_many(store, &files).await;
    let want = sorted(files.clone());
    match &caps.sorted_list {
        Support::Full => {
            assert_eq!(list_paths(store, Some(&base)).await, want, "list order");
            let offset = join(&base, "a-b");
            let after: Vec<Path> = want.iter().filter(|p| **p > offset).cloned().collect();
            if caps.list_with_offset.is_full() {
                assert_eq!(list_offset_paths(store, Some(&base), &offset).await, after);
            }
            let a = base.child("a");
            let under_a: Vec<Path> = want
                .iter()
                .filter(|p| p.prefix_matches(&a))
                .cloned()
                .collect();
            assert_eq!(list_paths(store, Some(&a)).await, under_a, "list(a) order");
        }
        Support::Unsupported(_) => {
            assert_listing(list_paths(store, Some(&base)).await, &want, false, "list");
        }
    }
    let r = store.list_with_delimiter(Some(&base)).await.unwrap();
    let objects: Vec<Path> = r.objects.iter().map(|m| m.location.clone()).collect();
    assert_eq!(
        objects,
        paths(&base, &["A", "a b", "a%2Fa", "a-b", "a.b", "a0", "aa", "é"])
    );
    assert_eq!(r.common_prefixes, paths(&base, &["a", "z"]));
}

/// Many keys (10 000 by default, [`Capabilities::many_keys`]), written concurrently in two
/// levels: `list` returns each once and in order, with and without an offset, and delimited
/// listings at both levels are exact.
pub async fn list_many_keys(store: &dyn ObjectStore, caps: &Capabilities) {
    let n = caps.many_keys;
    let base = scratch("list_many_keys");
    let files: Vec<Path> = (0..n)
        .map(|i| base.child(format!("d{}", i % 10)).child(format!("k{i}")))
        .collect();
    put_many(store, &files).await;
    let want = sorted(files);
    let s = caps.sorted_list.is_full();
    assert_listing(
        list_paths(store, Some(&base)).await,
        &want,
        s,
        "list of many keys",
    );

    if caps.list_with_offset.is_full() {
        for at in [0, n / 3, n - 1] {
            let got = list_offset_paths(store, Some(&base), &want[at]).await;
            assert_listing(got, &want[at + 1..], s, "list_with_offset of many keys");
        }
    }

    let r = store.list_with_delimiter(Some(&base)).await.unwrap();
    assert!(r.objects.is_empty());
    let dirs: Vec<Path> = (0..10.min(n))
        .map(|d| base.child(format!("d{d}")))
        .collect();
    assert_eq!(r.common_prefixes, dirs);
    let d3 = base.child("d3");
    let r = store.list_with_delimiter(Some(&d3)).await.unwrap();
    let got: Vec<Path> = r.objects.into_iter().map(|m| m.location).collect();
    let want_d3: Vec<Path> = want
        .iter()
        .filter(|p| p.prefix_matches(&d3))
        .cloned()
        .collect();
    assert_eq!(
        got, want_d3,
        "delimited listing of one directory of many keys"
    );
    assert!(r.common_prefixes.is_empty());
}
