//! Reads: byte ranges, conditional requests, versions, streaming and vectored reads.

use crate::util::*;
use crate::{Capabilities, Support};
use bytes::Bytes;
use chrono::Duration;
use futures::TryStreamExt;
use ostore_core::{Error, GetOptions, GetRange, ObjectStore, PutPayload, Result};
use std::ops::Range;

const TEXT: &[u8] = b"the quick brown fox";

fn ranged(range: GetRange) -> GetOptions {
    GetOptions {
        range: Some(range),
        ..Default::default()
    }
}

/// Byte ranges through `get_opts` and `get_range`: bounded, bounded past the end (cut at the
/// end), offset, suffix (longer than the object: the whole object), and invalid ranges
/// (starting at or past the end, empty, reversed), which fail. Also `head`, and
/// `get_opts(head)`, whose metadata equals `head`'s.
///
/// The reported `GetResult::range` is the served range and `meta.size` the size of the
/// whole object.
pub async fn get_opts_ranges(store: &dyn ObjectStore, _caps: &Capabilities) {
    let path = scratch("get_opts_ranges").child("obj");
    write(store, &path, TEXT).await;
    let len = TEXT.len() as u64;

    let cases: [(GetRange, Range<u64>); 7] = [
        (GetRange::Bounded(2..5), 2..5),
        (GetRange::Bounded(0..len), 0..len),
        (GetRange::Bounded(4..100), 4..len),
        (GetRange::Offset(3), 3..len),
        (GetRange::Offset(len - 1), len - 1..len),
        (GetRange::Suffix(3), len - 3..len),
        (GetRange::Suffix(100), 0..len),
    ];
    for (range, want) in cases {
        let got = store
            .get_opts(&path, ranged(range.clone()))
            .await
            .unwrap_or_else(|e| panic!("range {range:?} failed: {e}"));
        assert_eq!(got.range, want, "served range of {range:?}");
        assert_eq!(
            got.meta.size, len,
            "meta.size of {range:?} must be the object size"
        );
        let bytes = got.bytes().await.unwrap();
        assert_eq!(
            &bytes[..],
            &TEXT[want.start as usize..want.end as usize],
            "{range:?}"
        );
    }
    assert_eq!(&store.get_range(&path, 4..9).await.unwrap()[..], b"quick");
    assert_eq!(&store.get_range(&path, 16..100).await.unwrap()[..], b"fox");

    let invalid = [
        GetRange::Bounded(len..len + 5),
        GetRange::Bounded(200..300),
        GetRange::Bounded(5..5),
        GetRange::Bounded(Range { start: 6, end: 2 }),
        GetRange::Offset(len),
        GetRange::Offset(100),
    ];
    for range in invalid {
        let result = store.get_opts(&path, ranged(range.clone())).await;
        match result {
            Err(
                Error::NotFound { .. } | Error::Precondition { .. } | Error::NotModified { .. },
            ) => {
                panic!(
                    "invalid range {range:?} must not fail as if the object were missing or changed: {result:?}"
                )
            }
            Err(_) => {}
            Ok(r) => panic!("invalid range {range:?} must fail, served {:?}", r.range),
        }
    }
    assert!(store.get_range(&path, 100..200).await.is_err());
    assert!(
        store.get_range(&path, 3..3).await.is_err(),
        "empty get_range"
    );

    let head = store.head(&path).await.unwrap();
    assert_eq!(head.size, len);
    assert_eq!(head.location, path);
    let opts = GetOptions {
        head: true,
        ..Default::default()
    };
    let got = store.get_opts(&path, opts).await.unwrap();
    assert_eq!(got.meta, head, "get_opts(head) metadata differs from head");
    let full = store.get(&path).await.unwrap();
    assert_eq!(full.meta, head, "get metadata differs from head");
    assert_eq!(full.range, 0..len);
}

/// Conditional reads and e-tags.
///
/// The e-tag that `put` returns is the one `head`, `get` and `list` report; rewriting the
/// object with new content changes it. `If-Match` (e-tag, `*`, list) / `If-None-Match`
/// give `Precondition` / `NotModified`; `If-Unmodified-Since` / `If-Modified-Since` compare
/// with `last_modified` (equal counts as not modified). RFC 9110 precedence: with
/// `If-Match` present, `If-Unmodified-Since` is ignored; with `If-None-Match` present,
/// `If-Modified-Since` is ignored; a failed `If-Match` wins over `If-None-Match`. Conditions
/// also apply to `head` requests and combine with ranges; a missing object is `NotFound`.
pub async fn get_opts_preconditions(store: &dyn ObjectStore, _caps: &Capabilities) {
    let path = scratch("get_opts_preconditions").child("obj");
    let put = store.put(&path, "foo".into()).await.unwrap();
    let meta = store.head(&path).await.unwrap();
    let tag = meta.e_tag.clone().expect("the store must report e-tags");
    assert_eq!(put.e_tag.as_ref(), Some(&tag), "put and head e-tags differ");
    let got = store.get(&path).await.unwrap();
    assert_eq!(
        got.meta.e_tag.as_ref(),
        Some(&tag),
        "get and head e-tags differ"
    );
    let listed: Vec<_> = store
        .list(path.parent().as_ref())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        listed[0].e_tag.as_ref(),
        Some(&tag),
        "list and head e-tags differ"
    );

    let t = meta.last_modified;
    let hours = Duration::hours(10);
    let check = async |opts: GetOptions, want: Want, what: &str| {
        let head = GetOptions {
            head: true,
            ..opts.clone()
        };
        for (opts, kind) in [(opts, "get"), (head, "head")] {
            let result = store.get_opts(&path, opts).await;
            want.check(result, &format!("{kind} with {what}"));
        }
    };
    let opts = |f: &dyn Fn(&mut GetOptions)| {
        let mut o = GetOptions::default();
        f(&mut o);
        o
    };

    check(
        opts(&|o| o.if_unmodified_since = Some(t)),
        Want::Ok,
        "If-Unmodified-Since = mtime",
    )
    .await;
    check(
        opts(&|o| o.if_unmodified_since = Some(t + hours)),
        Want::Ok,
        "If-Unmodified-Since later",
    )
    .await;
    check(
        opts(&|o| o.if_unmodified_since = Some(t - hours)),
        Want::Precondition,
        "If-Unmodified-Since earlier",
    )
    .await;
    check(
        opts(&|o| o.if_modified_since = Some(t)),
        Want::NotModified,
        "If-Modified-Since = mtime",
    )
    .await;
    check(
        opts(&|o| o.if_modified_since = Some(t + hours)),
        Want::NotModified,
        "If-Modified-Since later",
    )
    .await;
    check(
        opts(&|o| o.if_modified_since = Some(t - hours)),
        Want::Ok,
        "If-Modified-Since earlier",
    )
    .await;

    check(
        opts(&|o| o.if_match = Some(tag.clone())),
        Want::Ok,
        "If-Match e-tag",
    )
    .await;
    check(
        opts(&|o| o.if_match = Some("*".into())),
        Want::Ok,
        "If-Match *",
    )
    .await;
    check(
        opts(&|o| o.if_match = Some(format!("\"nope\", {tag}"))),
        Want::Ok,
        "If-Match list",
    )
    .await;
    check(
        opts(&|o| o.if_match = Some("\"nope\"".into())),
        Want::Precondition,
        "If-Match other",
    )
    .await;
    check(
        opts(&|o| o.if_none_match = Some(tag.clone())),
        Want::NotModified,
        "If-None-Match e-tag",
    )
    .await;
    check(
        opts(&|o| o.if_none_match = Some("*".into())),
        Want::NotModified,
        "If-None-Match *",
    )
    .await;
    check(
        opts(&|o| o.if_none_match = Some(format!("\"nope\", {tag}"))),
        Want::NotModified,
        "If-None-Match list",
    )
    .await;
    check(
        opts(&|o| o.if_none_match = Some("\"nope\"".into())),
        Want::Ok,
        "If-None-Match other",
    )
    .await;

    // RFC 9110 §13.2.2 precedence.
    check(
        opts(&|o| {
            o.if_match = Some(tag.clone());
            o.if_unmodified_since = Some(t - hours);
        }),
        Want::Ok,
        "matching If-Match and failing If-Unmodified-Since",
    )
    .await;
    check(
        opts(&|o| {
            o.if_match = Some("\"nope\"".into());
            o.if_unmodified_since = Some(t + hours);
        }),
        Want::Precondition,
        "failing If-Match and passing If-Unmodified-Since",
    )
    .await;
    check(
        opts(&|o| {
            o.if_none_match = Some("\"nope\"".into());
            o.if_modified_since = Some(t + hours);
        }),
        Want::Ok,
        "passing If-None-Match and failing If-Modified-Since",
    )
    .await;
    check(
        opts(&|o| {
            o.if_none_match = Some(tag.clone());
            o.if_modified_since = Some(t - hours);
        }),
        Want::NotModified,
        "failing If-None-Match and passing If-Modified-Since",
    )
    .await;
    check(
        opts(&|o| {
            o.if_match = Some("\"nope\"".into());
            o.if_none_match = Some(tag.clone());
        }),
        Want::Precondition,
        "failing If-Match and failing If-None-Match",
    )
    .await;

    // Conditions combine with a range.
    let got = store
        .get_opts(
            &path,
            GetOptions {
                if_match: Some(tag.clone()),
                range: Some(GetRange::Bounded(1..3)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(got.range, 1..3);
    assert_eq!(&got.bytes().await.unwrap()[..], b"oo");

    // New content, new e-tag; the old one no longer matches.
    let put2 = store.put(&path, "test".into()).await.unwrap();
    let new_tag = put2.e_tag.clone().expect("put must return the e-tag");
    assert_ne!(
        new_tag, tag,
        "rewriting with new content must change the e-tag"
    );
    assert_eq!(
        store.head(&path).await.unwrap().e_tag,
        Some(new_tag.clone())
    );
    check(
        opts(&|o| o.if_match = Some(new_tag.clone())),
        Want::Ok,
        "If-Match new e-tag",
    )
    .await;
    check(
        opts(&|o| o.if_match = Some(tag.clone())),
        Want::Precondition,
        "If-Match old e-tag",
    )
    .await;
    check(
        opts(&|o| o.if_none_match = Some(tag.clone())),
        Want::Ok,
        "If-None-Match old e-tag",
    )
    .await;
}

#[derive(Clone, Copy, Debug)]
enum Want {
    Ok,
    Precondition,
    NotModified,
}

impl Want {
    #[track_caller]
    fn check<T: std::fmt::Debug>(self, result: Result<T>, what: &str) {
        match (self, &result) {
            (Want::Ok, Ok(_))
            | (Want::Precondition, Err(Error::Precondition { .. }))
            | (Want::NotModified, Err(Error::NotModified { .. })) => {}
            _ => panic!("{what}: expected {self:?}, got {result:?}"),
        }
    }
}

/// Reading an earlier version with `GetOptions::version`.
///
/// Supported: `put` returns the version, `head` reports it, and after an overwrite the old
/// version still reads back its content while a plain `get` reads the new one. Unsupported:
/// versions are `None` everywhere, and a get naming a version fails with `NotImplemented` /
/// `NotSupported` rather than quietly returning the current object.
pub async fn get_version(store: &dyn ObjectStore, caps: &Capabilities) {
    let path = scratch("get_version").child("obj");
    let v1 = store.put(&path, "one".into()).await.unwrap();
    match &caps.get_version {
        Support::Full => {
            let version = v1.version.clone().expect("put must return the version");
            assert_eq!(
                store.head(&path).await.unwrap().version,
                Some(version.clone())
            );
            let v2 = store.put(&path, "two".into()).await.unwrap();
            assert_ne!(
                v2.version,
                Some(version.clone()),
                "overwrite must make a version"
            );
            let opts = GetOptions {
                version: Some(version.clone()),
                ..Default::default()
            };
            let old = store.get_opts(&path, opts).await.unwrap();
            assert_eq!(old.meta.version, Some(version));
            assert_eq!(&old.bytes().await.unwrap()[..], b"one");
            assert_content(store, &path, b"two").await;
        }
        Support::Unsupported(why) => {
            assert_eq!(
                v1.version, None,
                "put returned a version, but versions are unsupported"
            );
            assert_eq!(store.head(&path).await.unwrap().version, None);
            let opts = GetOptions {
                version: Some("1".into()),
                ..Default::default()
            };
            // A store without versions refuses the option; a store on an unversioned
            // bucket (S3) finds no such version. Either way, never the current object.
            match store.get_opts(&path, opts).await {
                Err(
                    Error::NotImplemented | Error::NotSupported { .. } | Error::NotFound { .. },
                ) => {}
                other => panic!(
                    "get by version is declared unsupported ({why}), so it must fail with \
                     NotImplemented, NotSupported or NotFound; got {:?}",
                    other.map(|r| r.meta)
                ),
            }
        }
    }
}

/// Streaming a 10 MiB object: `into_stream` yields exactly its bytes, `bytes()` agrees, and
/// a ranged stream yields exactly the range.
pub async fn stream_get(store: &dyn ObjectStore, _caps: &Capabilities) {
    const LEN: usize = 10 * 1024 * 1024;
    let path = scratch("stream_get").child("obj");
    let data = data(LEN, 10);
    store.put(&path, data.clone().into()).await.unwrap();

    let result = store.get(&path).await.unwrap();
    assert_eq!(result.range, 0..LEN as u64);
    let mut stream = result.into_stream();
    let mut streamed = Vec::with_capacity(LEN);
    while let Some(chunk) = stream.try_next().await.unwrap() {
        streamed.extend_from_slice(&chunk);
    }
    assert_eq!(streamed.len(), LEN, "streamed length");
    assert!(streamed == data, "streamed bytes differ from what was put");
    let bytes = store.get(&path).await.unwrap().bytes().await.unwrap();
    assert!(bytes == streamed, "bytes() differs from the stream");

    let range = 1234..LEN - 4321;
    let result = store
        .get_opts(
            &path,
            ranged(GetRange::Bounded(range.start as u64..range.end as u64)),
        )
        .await
        .unwrap();
    let chunks: Vec<Bytes> = result.into_stream().try_collect().await.unwrap();
    let joined = chunks.concat();
    assert!(joined == data[range], "ranged stream differs");
}

/// `get_ranges` agrees with slicing `get` for 200 random ranges of a 1 MiB object, including
/// overlapping, adjacent, repeated, empty and end-touching ranges, asked all at once and in
/// small batches.
pub async fn get_ranges_random(store: &dyn ObjectStore, _caps: &Capabilities) {
    const LEN: u64 = 1024 * 1024;
    let path = scratch("get_ranges_random").child("obj");
    let data = data(LEN as usize, 1);
    store
        .put(&path, PutPayload::from(data.clone()))
        .await
        .unwrap();
    let full = read(store, &path).await;
    assert!(full == data);

    let mut rng = Rng::new(0x5eed);
    let mut ranges: Vec<Range<u64>> = Vec::with_capacity(200);
    while ranges.len() < 200 {
        let start = rng.below(LEN);
        let len = match rng.below(4) {
            0 => rng.below(16),
            1 => rng.below(4096),
            _ => rng.below(LEN - start + 1),
        };
        let r = start..start + len.min(LEN - start);
        match rng.below(6) {
            // Adjacent to the previous range.
            0 if !ranges.is_empty() => {
                let prev = ranges[ranges.len() - 1].end;
                ranges.push(prev..(prev + 100).min(LEN));
            }
            // Overlapping / repeating the previous range.
            1 if !ranges.is_empty() => {
                let prev = ranges[ranges.len() - 1].clone();
                ranges.push(prev.start..prev.end.max(prev.start + 1).min(LEN));
            }
            2 => ranges.push(start..start), // empty
            3 => ranges.push(LEN - rng.below(100) - 1..LEN),
            _ => ranges.push(r),
        }
    }
    let check = |ranges: &[Range<u64>], got: Vec<Bytes>| {
        assert_eq!(
            got.len(),
            ranges.len(),
            "get_ranges must answer every range"
        );
        for (r, b) in ranges.iter().zip(got) {
            assert!(
                b == full[r.start as usize..r.end as usize],
                "get_ranges {r:?}: {} bytes differ from get",
                b.len()
            );
        }
    };
    check(&ranges, store.get_ranges(&path, &ranges).await.unwrap());
    for batch in ranges.chunks(7) {
        check(batch, store.get_ranges(&path, batch).await.unwrap());
    }
    check(&[], store.get_ranges(&path, &[]).await.unwrap());
}
