//! Basic object life cycle: put, get, head, list, delete; missing objects; awkward keys;
//! empty and large objects; bulk deletes.

use crate::util::*;
use crate::{Capabilities, DeleteMissing};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use ostore_core::path::Path;
use ostore_core::{Error, GetOptions, GetRange, ObjectStore, PutPayload, Result};
use std::collections::BTreeSet;

/// Writes, reads, lists and deletes objects, including keys with an encoded delimiter,
/// non-ASCII text, literal percent-escapes and spaces, and an empty object.
///
/// Checks that listing with a prefix returns exactly the object below it, that a prefix is
/// not itself an object (`get`/`head` give `NotFound`), that a deleted object is gone from
/// reads and listings, and that keys are neither decoded nor re-encoded by the store.
pub async fn put_get_delete_list(store: &dyn ObjectStore, _caps: &Capabilities) {
    let base = scratch("put_get_delete_list");
    let dir = base.child("test_dir");
    let location = dir.child("test_file.json");
    let data = Bytes::from_static(b"{\"some\": \"json\"}");
    let put = store.put(&location, data.clone().into()).await.unwrap();

    assert_eq!(
        list_paths(store, Some(&base)).await,
        std::slice::from_ref(&location)
    );
    assert_eq!(
        list_paths(store, Some(&dir)).await,
        std::slice::from_ref(&location)
    );
    assert!(
        list_paths(store, Some(&base.child("something")))
            .await
            .is_empty()
    );
    let all = list_paths(store, None).await;
    assert!(all.contains(&location), "list(None) misses {location}");
    let all = list_paths(store, Some(&Path::from("/"))).await;
    assert!(all.contains(&location), "list(\"/\") must equal list(None)");

    let root = store.list_with_delimiter(None).await.unwrap();
    assert!(
        root.common_prefixes.contains(&Path::from(ROOT)),
        "root listing lacks {ROOT}: {root:?}"
    );
    let r = store.list_with_delimiter(Some(&base)).await.unwrap();
    assert!(r.objects.is_empty(), "{r:?}");
    assert_eq!(r.common_prefixes, std::slice::from_ref(&dir));

    // A "directory" is not an object.
    assert_not_found(store.get(&dir).await, &dir, "get of a prefix");
    assert_not_found(store.head(&dir).await, &dir, "head of a prefix");

    let got = store.get(&location).await.unwrap();
    assert_eq!(got.range, 0..data.len() as u64);
    assert_eq!(got.meta.location, location);
    assert_eq!(got.meta.size, data.len() as u64);
    assert_eq!(got.bytes().await.unwrap(), data);
    let head = store.head(&location).await.unwrap();
    assert_eq!(head.size, data.len() as u64);
    assert_eq!(head.location, location);
    assert_eq!(
        head.e_tag, put.e_tag,
        "head e-tag differs from the one put returned"
    );
    let listed: Vec<_> = store.list(Some(&dir)).try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, head.size);
    assert_eq!(
        listed[0].e_tag, head.e_tag,
        "list e-tag differs from head e-tag"
    );

    store.delete(&location).await.unwrap();
    assert!(list_paths(store, Some(&base)).await.is_empty());
    assert_not_found(store.get(&location).await, &location, "get after delete");
    assert_not_found(store.head(&location).await, &location, "head after delete");

    // An encoded delimiter stays part of its segment.
    let with_delimiter = base.child("a").child("b/c").child("foo.file");
    assert_eq!(with_delimiter, join(&base, "a/b%2Fc/foo.file"));
    write(store, &with_delimiter, "x").await;
    assert_eq!(
        list_paths(store, Some(&base)).await,
        std::slice::from_ref(&with_delimiter)
    );
    assert!(
        list_paths(store, Some(&join(&base, "a/b")))
            .await
            .is_empty()
    );
    let r = store
        .list_with_delimiter(Some(&join(&base, "a/b")))
        .await
        .unwrap();
    assert!(
        r.objects.is_empty() && r.common_prefixes.is_empty(),
        "{r:?}"
    );
    let r = store
        .list_with_delimiter(Some(&base.child("a")))
        .await
        .unwrap();
    assert_eq!(r.common_prefixes, [join(&base, "a/b%2Fc")]);
    assert!(r.objects.is_empty());
    let r = store
        .list_with_delimiter(Some(&join(&base, "a/b%2Fc")))
        .await
        .unwrap();
    assert!(r.common_prefixes.is_empty());
    assert_eq!(r.objects.len(), 1);
    assert_eq!(r.objects[0].location, with_delimiter);
    store.delete(&with_delimiter).await.unwrap();

    // Literal percent-escapes are not decoded: `%41` is not `A`.
    let escaped = join(&base, "%48%49/file");
    write(store, &escaped, "hi").await;
    assert_eq!(
        list_paths(store, Some(&join(&base, "%48%49"))).await,
        std::slice::from_ref(&escaped)
    );
    assert!(list_paths(store, Some(&base.child("HI"))).await.is_empty());
    let decoded = join(&base, "HI/file");
    assert_not_found(store.head(&decoded).await, &decoded, "head by decoded key");
    store.delete(&escaped).await.unwrap();

    // A `%` that starts no valid escape.
    let stray = join(&base, "%Q.bin");
    write(store, &stray, vec![0u8, 1]).await;
    assert_eq!(
        list_paths(store, Some(&base)).await,
        std::slice::from_ref(&stray)
    );
    assert_content(store, &stray, &[0, 1]).await;
    store.delete(&stray).await.unwrap();

    // Non-ASCII and spaces, as a directory and as a file name.
    let unicode = join(&base, "🇦🇺 dir/$weird name@@~.txt");
    write(store, &unicode, "test").await;
    assert_content(store, &unicode, b"test").await;
    let r = store.list_with_delimiter(Some(&base)).await.unwrap();
    assert_eq!(r.common_prefixes, [join(&base, "🇦🇺 dir")]);
    let r = store
        .list_with_delimiter(Some(&join(&base, "🇦🇺 dir")))
        .await
        .unwrap();
    assert_eq!(r.objects.len(), 1);
    assert_eq!(r.objects[0].location, unicode);
    store.delete(&unicode).await.unwrap();

    // An empty object.
    let empty = base.child("empty");
    store.put(&empty, PutPayload::default()).await.unwrap();
    assert_eq!(store.head(&empty).await.unwrap().size, 0);
    assert!(read(store, &empty).await.is_empty());
    store.delete(&empty).await.unwrap();
    assert!(list_paths(store, Some(&base)).await.is_empty());
}

/// Operations on objects that do not exist fail with `NotFound` naming the path.
///
/// Covers `get`, `get_opts` with conditions and ranges, `get_range(s)`, `head`, `copy` and
/// `rename` (and their `_if_not_exists` forms) from a missing source, which must also leave
/// the destination alone; `delete` of a missing object, whose outcome is
/// [`Capabilities::delete_missing`]; and `delete` of a prefix, which must not delete the
/// objects under it.
pub async fn missing_objects(store: &dyn ObjectStore, caps: &Capabilities) {
    let base = scratch("missing_objects");
    let missing = base.child("missing");
    let dest = base.child("dest");
    let child = base.child("dir").child("child");
    write(store, &dest, "keep").await;
    write(store, &child, "child").await;

    assert_not_found(store.get(&missing).await, &missing, "get");
    assert_not_found(store.head(&missing).await, &missing, "head");
    assert_not_found(store.get_range(&missing, 0..1).await, &missing, "get_range");
    assert_not_found(
        store.get_ranges(&missing, &[0..1, 2..3]).await,
        &missing,
        "get_ranges",
    );
    let opts = GetOptions {
        if_match: Some("*".into()),
        ..Default::default()
    };
    assert_not_found(
        store.get_opts(&missing, opts).await,
        &missing,
        "get If-Match: *",
    );
    let opts = GetOptions {
        range: Some(GetRange::Suffix(2)),
        head: true,
        ..Default::default()
    };
    assert_not_found(
        store.get_opts(&missing, opts).await,
        &missing,
        "get_opts(head)",
    );

    assert_not_found(store.copy(&missing, &dest).await, &missing, "copy");
    assert_not_found(store.rename(&missing, &dest).await, &missing, "rename");
    let fresh = base.child("fresh");
    assert_not_found(
        store.copy(&missing, &fresh).await,
        &missing,
        "copy to new path",
    );
    assert_absent(
        store,
        &fresh,
        "copy from a missing source created its destination",
    )
    .await;
    match &caps.copy_if_not_exists {
        crate::Support::Full => assert_not_found(
            store.copy_if_not_exists(&missing, &fresh).await,
            &missing,
            "copy_if_not_exists",
        ),
        crate::Support::Unsupported(why) => assert_unsupported(
            store.copy_if_not_exists(&missing, &fresh).await,
            "copy_if_not_exists",
            why,
        ),
    }
    match &caps.rename_if_not_exists {
        crate::Support::Full => assert_not_found(
            store.rename_if_not_exists(&missing, &fresh).await,
            &missing,
            "rename_if_not_exists",
        ),
        crate::Support::Unsupported(why) => assert_unsupported(
            store.rename_if_not_exists(&missing, &fresh).await,
            "rename_if_not_exists",
            why,
        ),
    }
    assert_absent(store, &fresh, "a failed copy created its destination").await;
    assert_content(store, &dest, b"keep").await;

    let prefix = base.child("dir");
    for path in [&missing, &prefix] {
        let result = store.delete(path).await;
        check_delete_missing(
            result,
            path,
            caps.delete_missing,
            "delete of a missing object",
        );
    }
    assert_content(store, &child, b"child").await;

    assert!(list_paths(store, Some(&missing)).await.is_empty());
    let r = store.list_with_delimiter(Some(&missing)).await.unwrap();
    assert!(
        r.objects.is_empty() && r.common_prefixes.is_empty(),
        "{r:?}"
    );
}

/// Asserts the outcome of deleting a missing object is the declared one.
#[track_caller]
fn check_delete_missing(result: Result<()>, path: &Path, expect: DeleteMissing, what: &str) {
    match expect {
        DeleteMissing::Succeeds => {
            if let Err(e) = result {
                panic!("{what} {path} must succeed (Capabilities::delete_missing), got {e}")
            }
        }
        DeleteMissing::NotFound => assert_not_found(result, path, what),
    }
}

/// Keys with spaces, non-ASCII text and the characters `% # ? + = " ' &` round-trip through
/// put, get, head, list (the listed path equals the path put), delimited listing, copy and
/// delete, both as file names and as directory names, whether written verbatim
/// (`Path::parse`) or percent-encoded by `Path::from`.
pub async fn special_characters(store: &dyn ObjectStore, caps: &Capabilities) {
    const NAMES: &[&str] = &[
        "with space",
        " leading and trailing ",
        "ünïcödé-日本語-🦀",
        "100%",
        "50%25",
        "hash#tag",
        "what?",
        "a+b",
        "k=v",
        "double\"quote",
        "single'quote",
        "amp&ersand",
        "all ?#%&=+'\" of them",
    ];
    let base = scratch("special_characters");
    let mut expected = BTreeSet::new();
    for (i, name) in NAMES.iter().enumerate() {
        let verbatim = join(&base, &format!("verbatim/{name}"));
        let encoded = base.child("encoded").child(*name);
        let as_dir = join(&base, &format!("dirs/{name}/file"));
        for path in [verbatim, encoded, as_dir] {
            let content = format!("{i}:{path}");
            write(store, &path, content.clone()).await;
            assert_content(store, &path, content.as_bytes()).await;
            let head = store.head(&path).await.unwrap();
            assert_eq!(head.location, path);
            assert_eq!(head.size, content.len() as u64);
            expected.insert(path);
        }
    }
    let expected: Vec<Path> = expected.into_iter().collect();
    let listed = list_paths(store, Some(&base)).await;
    assert_listing(
        listed,
        &expected,
        caps.sorted_list.is_full(),
        "listing special keys",
    );

    let r = store
        .list_with_delimiter(Some(&base.child("dirs")))
        .await
        .unwrap();
    let want: BTreeSet<Path> = NAMES
        .iter()
        .map(|n| join(&base, &format!("dirs/{n}")))
        .collect();
    assert!(r.objects.is_empty());
    assert_eq!(r.common_prefixes, want.into_iter().collect::<Vec<_>>());

    for name in NAMES {
        let dir = join(&base, &format!("dirs/{name}"));
        assert_eq!(list_paths(store, Some(&dir)).await, [dir.child("file")]);
    }

    for path in &expected {
        let copy = base.child("copies").child(path.filename().unwrap());
        store.copy(path, &copy).await.unwrap();
        assert_eq!(read(store, &copy).await, read(store, path).await);
        store.delete(&copy).await.unwrap();
        store.delete(path).await.unwrap();
        assert_absent(store, path, "deleted special key").await;
    }
    assert!(list_paths(store, Some(&base)).await.is_empty());
}

/// A 0-byte and a 20 MiB object: `get`, ranges, `head` and listed size.
pub async fn empty_and_large_objects(store: &dyn ObjectStore, _caps: &Capabilities) {
    let base = scratch("empty_and_large_objects");
    let empty = base.child("empty");
    store.put(&empty, PutPayload::new()).await.unwrap();
    assert_eq!(store.head(&empty).await.unwrap().size, 0);
    let got = store.get(&empty).await.unwrap();
    assert_eq!(got.range, 0..0);
    assert_eq!(got.meta.size, 0);
    assert!(got.bytes().await.unwrap().is_empty());
    let chunks: Vec<Bytes> = store
        .get(&empty)
        .await
        .unwrap()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert!(
        chunks.iter().all(Bytes::is_empty),
        "stream of an empty object"
    );
    assert!(
        store.get_range(&empty, 0..1).await.is_err(),
        "range of an empty object"
    );

    const LARGE: usize = 20 * 1024 * 1024;
    let data = data(LARGE, 20);
    let large = base.child("large");
    // Sent as many chunks, as a caller streaming a file would.
    let payload: PutPayload = (0..20)
        .map(|i| data.slice(i * 1024 * 1024..(i + 1) * 1024 * 1024))
        .collect();
    store.put(&large, payload).await.unwrap();
    assert_eq!(store.head(&large).await.unwrap().size, LARGE as u64);
    assert!(
        read(store, &large).await == data,
        "20 MiB object read back differs"
    );
    for r in [0..1, 1_000_000..9_000_000, LARGE - 1..LARGE, 5..LARGE] {
        let got = store
            .get_range(&large, r.start as u64..r.end as u64)
            .await
            .unwrap();
        assert!(
            got == data[r.clone()],
            "range {r:?} of the 20 MiB object differs"
        );
    }
    let opts = GetOptions {
        range: Some(GetRange::Suffix(1000)),
        ..Default::default()
    };
    let got = store.get_opts(&large, opts).await.unwrap();
    assert_eq!(got.range, (LARGE - 1000) as u64..LARGE as u64);
    assert!(got.bytes().await.unwrap() == data[LARGE - 1000..]);

    let listed: Vec<_> = store.list(Some(&base)).try_collect().await.unwrap();
    let sizes: Vec<_> = listed
        .iter()
        .map(|m| (m.location.clone(), m.size))
        .collect();
    assert_eq!(sizes, [(empty, 0), (large, LARGE as u64)]);
}

/// `delete_stream` of many keys (and one missing key) deletes them all and yields each path
/// once.
pub async fn delete_stream_many(store: &dyn ObjectStore, caps: &Capabilities) {
    const N: usize = 300;
    let base = scratch("delete_stream_many");
    let paths: Vec<Path> = (0..N).map(|i| base.child(format!("k{i}"))).collect();
    put_many(store, &paths).await;
    let missing = base.child("never-written");
    let mut input = paths.clone();
    input.insert(N / 2, missing.clone());

    let out: Vec<Result<Path>> = store
        .delete_stream(futures::stream::iter(input.clone()).map(Ok).boxed())
        .collect()
        .await;
    assert_eq!(
        out.len(),
        input.len(),
        "delete_stream must yield one item per input"
    );
    let mut deleted = BTreeSet::new();
    for item in out {
        match item {
            Ok(p) => assert!(deleted.insert(p.clone()), "{p} yielded twice"),
            Err(Error::NotFound { path, .. })
                if caps.delete_missing == DeleteMissing::NotFound
                    && path.ends_with(missing.as_ref()) => {}
            Err(e) => panic!("delete_stream failed: {e}"),
        }
    }
    let mut want: BTreeSet<Path> = paths.iter().cloned().collect();
    if caps.delete_missing == DeleteMissing::Succeeds {
        want.insert(missing);
    }
    assert_eq!(deleted, want);
    assert!(list_paths(store, Some(&base)).await.is_empty());
    assert_absent(store, &paths[0], "after delete_stream").await;
}
