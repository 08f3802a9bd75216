//! Behaviour of the single operations: reads, writes, errors, paths, symlinks, staging files,
//! multipart uploads, copies, renames, fsync and automatic cleanup.

use bytes::Bytes;
use futures::TryStreamExt;
use ostore_core::path::Path;
use ostore_core::{
    Attribute, Attributes, Error, GetOptions, GetRange, GetResultPayload, ObjectStore, PutMode,
    PutOptions, PutPayload, UpdateVersion, WriteMultipart,
};
use ostore_local::LocalFileSystem;
use std::ops::Range;

fn store() -> (tempfile::TempDir, LocalFileSystem) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    (dir, store)
}

fn p(s: &str) -> Path {
    Path::parse(s).unwrap()
}

async fn read(store: &LocalFileSystem, path: &Path) -> Bytes {
    store.get(path).await.unwrap().bytes().await.unwrap()
}

async fn keys(store: &LocalFileSystem, prefix: Option<&Path>) -> Vec<String> {
    let metas: Vec<_> = store.list(prefix).try_collect().await.unwrap();
    metas.into_iter().map(|m| m.location.to_string()).collect()
}

/// Every file name in the tree below `dir`, relative, including hidden ones.
fn files_on_disk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn put_get_head_delete_roundtrip() {
    let (dir, store) = store();
    let path = p("a/b/c.txt");
    let put = store.put(&path, "hello world".into()).await.unwrap();
    assert!(dir.path().join("a/b/c.txt").is_file());
    let got = store.get(&path).await.unwrap();
    assert_eq!(got.meta.size, 11);
    assert_eq!(got.meta.e_tag, put.e_tag);
    assert_eq!(got.range, 0..11);
    assert!(matches!(got.payload, GetResultPayload::File(_, ref f) if f.ends_with("a/b/c.txt")));
    assert_eq!(&got.bytes().await.unwrap()[..], b"hello world");
    let head = store.head(&path).await.unwrap();
    assert_eq!(head.e_tag, put.e_tag);
    assert_eq!(head.location, path);
    store.delete(&path).await.unwrap();
    assert!(matches!(
        store.get(&path).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.head(&path).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.delete(&path).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(files_on_disk(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn directories_and_paths_below_files_are_not_found() {
    let (_dir, store) = store();
    store.put(&p("d/x"), "1".into()).await.unwrap();
    for path in ["d", "d/x/y"] {
        assert!(
            matches!(store.get(&p(path)).await, Err(Error::NotFound { .. })),
            "{path}"
        );
        assert!(matches!(
            store.head(&p(path)).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            store.delete(&p(path)).await,
            Err(Error::NotFound { .. })
        ));
    }
    assert!(matches!(
        store.get(&Path::ROOT).await,
        Err(Error::NotFound { .. })
    ));
    // A put through a file, or onto a directory, fails without panicking.
    assert!(store.put(&p("d/x/y"), "2".into()).await.is_err());
    assert!(store.put(&p("d"), "2".into()).await.is_err());
    assert!(store.put(&Path::ROOT, "2".into()).await.is_err());
}

#[tokio::test]
async fn e_tag_changes_on_every_write() {
    let (_dir, store) = store();
    let path = p("x");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let r = store.put(&path, "same".into()).await.unwrap();
        assert!(seen.insert(r.e_tag.clone().unwrap()), "e-tag repeated");
        assert_eq!(store.head(&path).await.unwrap().e_tag, r.e_tag);
    }
}

#[tokio::test]
async fn get_options_ranges_and_preconditions() {
    let (_dir, store) = store();
    let path = p("r");
    let put = store.put(&path, "0123456789".into()).await.unwrap();
    let get = |range: GetRange| {
        let store = &store;
        let path = &path;
        async move {
            let opts = GetOptions {
                range: Some(range),
                ..Default::default()
            };
            let r = store.get_opts(path, opts).await?;
            let range = r.range.clone();
            Ok::<_, Error>((range, r.bytes().await?))
        }
    };
    let (r, b) = get(GetRange::Bounded(2..5)).await.unwrap();
    assert_eq!((r, &b[..]), (2..5, &b"234"[..]));
    let (r, b) = get(GetRange::Bounded(7..100)).await.unwrap();
    assert_eq!((r, &b[..]), (7..10, &b"789"[..]));
    let (_, b) = get(GetRange::Offset(8)).await.unwrap();
    assert_eq!(&b[..], b"89");
    let (_, b) = get(GetRange::Suffix(3)).await.unwrap();
    assert_eq!(&b[..], b"789");
    assert!(get(GetRange::Bounded(10..12)).await.is_err());
    assert!(get(GetRange::Offset(10)).await.is_err());

    let etag = put.e_tag.unwrap();
    let opts = GetOptions {
        if_match: Some(etag.clone()),
        ..Default::default()
    };
    store.get_opts(&path, opts).await.unwrap();
    let opts = GetOptions {
        if_match: Some("nope".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.get_opts(&path, opts).await,
        Err(Error::Precondition { .. })
    ));
    let opts = GetOptions {
        if_none_match: Some(etag),
        ..Default::default()
    };
    assert!(matches!(
        store.get_opts(&path, opts).await,
        Err(Error::NotModified { .. })
    ));
}

#[tokio::test]
async fn get_range_and_get_ranges_match_slices() {
    let (_dir, store) = store();
    let path = p("big");
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    store.put(&path, data.clone().into()).await.unwrap();
    let len = data.len() as u64;
    let ranges: Vec<Range<u64>> = vec![
        0..1,
        99_999..100_000,
        50..60_000,
        10..20,
        15..25,          // overlaps the previous one
        5..5,            // empty
        90_000..200_000, // cut at the end
        0..len,
    ];
    let got = store.get_ranges(&path, &ranges).await.unwrap();
    for (r, b) in ranges.iter().zip(&got) {
        let end = r.end.min(len) as usize;
        assert_eq!(&b[..], &data[r.start as usize..end], "{r:?}");
    }
    for r in &ranges[..5] {
        let b = store.get_range(&path, r.clone()).await.unwrap();
        assert_eq!(&b[..], &data[r.start as usize..r.end as usize]);
    }
    assert_eq!(
        store.get_range(&path, 90_000..200_000).await.unwrap().len(),
        10_000
    );
    assert!(store.get_range(&path, len..len + 1).await.is_err());
    assert!(
        store
            .get_ranges(&path, &[0..1, len..len + 5])
            .await
            .is_err()
    );
    assert!(matches!(
        store.get_ranges(&p("missing"), &[0..1, 2..3]).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn create_and_update_modes() {
    let (_dir, store) = store();
    let path = p("m/obj");
    let create = PutOptions::from(PutMode::Create);
    let v1 = store
        .put_opts(&path, "1".into(), create.clone())
        .await
        .unwrap();
    assert!(matches!(
        store.put_opts(&path, "x".into(), create).await,
        Err(Error::AlreadyExists { .. })
    ));
    let update = |v: &ostore_core::PutResult| PutOptions::from(PutMode::Update(v.clone().into()));
    let v2 = store
        .put_opts(&path, "2".into(), update(&v1))
        .await
        .unwrap();
    assert_ne!(v1.e_tag, v2.e_tag);
    assert!(matches!(
        store.put_opts(&path, "3".into(), update(&v1)).await,
        Err(Error::Precondition { .. })
    ));
    assert_eq!(&read(&store, &path).await[..], b"2");
    let missing = store.put_opts(&p("m/none"), "x".into(), update(&v2)).await;
    assert!(matches!(missing, Err(Error::Precondition { .. })));
    let no_etag = PutMode::Update(UpdateVersion {
        e_tag: None,
        version: None,
    });
    assert!(matches!(
        store.put_opts(&path, "x".into(), no_etag.into()).await,
        Err(Error::Generic { .. })
    ));
    // Failed writes leave no staging files behind.
    assert_eq!(files_on_disk(_dir.path()), ["m/obj"]);
}

#[tokio::test]
async fn attributes_are_not_implemented_and_tags_ignored() {
    let (_dir, store) = store();
    let attrs: Attributes = [(Attribute::ContentType, "text/plain")]
        .into_iter()
        .collect();
    let r = store
        .put_opts(&p("a"), "x".into(), PutOptions::from(attrs.clone()))
        .await;
    assert!(matches!(r, Err(Error::NotImplemented)));
    let r = store.put_multipart_opts(&p("a"), attrs.into()).await;
    assert!(matches!(r, Err(Error::NotImplemented)));
    let mut tags = ostore_core::TagSet::default();
    tags.push("k", "v");
    store
        .put_opts(&p("a"), "x".into(), PutOptions::from(tags))
        .await
        .unwrap();
}

#[tokio::test]
async fn segments_are_file_names_verbatim_and_cannot_escape() {
    let (dir, store) = store();
    assert!(Path::parse("../x").is_err());
    assert!(Path::parse("a/./x").is_err());
    // Encoded separators and dots are plain file names inside the root.
    let dots = Path::from("..");
    assert_eq!(dots.as_ref(), "%2E%2E");
    store.put(&dots, "d".into()).await.unwrap();
    let slash = Path::from_iter(["a/b", "c"]);
    assert_eq!(slash.as_ref(), "a%2Fb/c");
    store.put(&slash, "s".into()).await.unwrap();
    let raw = p("100%/x#1");
    store.put(&raw, "r".into()).await.unwrap();
    assert_eq!(files_on_disk(dir.path()), ["%2E%2E", "100%/x#1", "a%2Fb/c"]);
    assert_eq!(
        store.path_to_filesystem(&slash).unwrap(),
        dir.path().canonicalize().unwrap().join("a%2Fb").join("c")
    );
    assert_eq!(keys(&store, None).await, ["%2E%2E", "100%/x#1", "a%2Fb/c"]);
    let parent = dir.path().parent().unwrap();
    assert!(!parent.join("d").exists());
}

#[tokio::test]
async fn symlinks_are_followed() {
    let (dir, store) = store();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("f"), b"linked").unwrap();
    std::fs::create_dir(outside.path().join("sub")).unwrap();
    std::fs::write(outside.path().join("sub/g"), b"deep").unwrap();
    std::os::unix::fs::symlink(outside.path().join("f"), dir.path().join("file")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("sub"), dir.path().join("dir")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("broken")).unwrap();
    assert_eq!(&read(&store, &p("file")).await[..], b"linked");
    assert_eq!(&read(&store, &p("dir/g")).await[..], b"deep");
    assert_eq!(store.head(&p("file")).await.unwrap().size, 6);
    assert_eq!(keys(&store, None).await, ["dir/g", "file"]);
    assert_eq!(keys(&store, Some(&p("dir"))).await, ["dir/g"]);
    let l = store.list_with_delimiter(None).await.unwrap();
    assert_eq!(l.common_prefixes, [p("dir")]);
    assert_eq!(l.objects.len(), 1);
}

#[tokio::test]
async fn symlink_loop_is_an_error_not_a_hang() {
    let (dir, store) = store();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::write(dir.path().join("a/f"), b"1").unwrap();
    std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("a/loop")).unwrap();
    let results: Vec<_> = futures::StreamExt::collect::<Vec<_>>(store.list(None)).await;
    assert!(results.iter().any(|r| r.is_err()));
    let ok: Vec<_> = results
        .into_iter()
        .filter_map(|r| r.ok().map(|m| m.location.to_string()))
        .collect();
    assert_eq!(ok, ["a/f"]);
}

#[tokio::test]
async fn staging_files_are_never_listed_or_read() {
    let (dir, store) = store();
    store.put(&p("d/real"), "1".into()).await.unwrap();
    let mut upload = store.put_multipart(&p("d/pending")).await.unwrap();
    upload.put_part("partial".into()).await.unwrap();
    let on_disk = files_on_disk(dir.path());
    let staging: Vec<_> = on_disk.iter().filter(|f| f.contains(".ostore#")).collect();
    assert_eq!(staging.len(), 1, "{on_disk:?}");
    assert_eq!(keys(&store, None).await, ["d/real"]);
    let l = store.list_with_delimiter(Some(&p("d"))).await.unwrap();
    assert_eq!(l.objects.len(), 1);
    let staged = p(staging[0]);
    assert!(matches!(
        store.get(&staged).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.head(&staged).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.get_range(&staged, 0..1).await,
        Err(Error::NotFound { .. })
    ));
    assert!(store.put(&staged, "overwrite".into()).await.is_err());
    assert!(store.delete(&staged).await.is_err());
    assert!(store.path_to_filesystem(&staged).is_err());
    // A directory of pending uploads only is no common prefix.
    let mut other = store.put_multipart(&p("e/pending")).await.unwrap();
    other.put_part("x".into()).await.unwrap();
    let l = store.list_with_delimiter(None).await.unwrap();
    assert_eq!(l.common_prefixes, [p("d")]);
    upload.abort().await.unwrap();
    drop(other);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(files_on_disk(dir.path()), ["d/real"]);
}

#[tokio::test]
async fn multipart_parts_finish_out_of_order() {
    let (dir, store) = store();
    let path = p("mp/obj");
    let mut upload = store.put_multipart(&path).await.unwrap();
    let parts: Vec<Vec<u8>> = (0..6u8)
        .map(|i| vec![b'a' + i; 1000 + i as usize * 37])
        .collect();
    let futures: Vec<_> = parts
        .iter()
        .map(|part| upload.put_part(part.clone().into()))
        .collect();
    // Await the parts last-to-first.
    for f in futures.into_iter().rev() {
        f.await.unwrap();
    }
    assert!(matches!(
        store.head(&path).await,
        Err(Error::NotFound { .. })
    ));
    let result = upload.complete().await.unwrap();
    let expected: Vec<u8> = parts.concat();
    assert_eq!(&read(&store, &path).await[..], &expected[..]);
    assert_eq!(store.head(&path).await.unwrap().e_tag, result.e_tag);
    assert_eq!(files_on_disk(dir.path()), ["mp/obj"]);
    // Completing twice fails; the object stays.
    assert!(upload.complete().await.is_err());
    assert_eq!(read(&store, &path).await.len(), expected.len());
}

#[tokio::test]
async fn multipart_with_unawaited_part_does_not_complete() {
    let (dir, store) = store();
    let path = p("obj");
    let mut upload = store.put_multipart(&path).await.unwrap();
    upload.put_part("first".into()).await.unwrap();
    let pending = upload.put_part("second".into());
    assert!(upload.complete().await.is_err());
    assert!(matches!(
        store.head(&path).await,
        Err(Error::NotFound { .. })
    ));
    pending.await.unwrap();
    upload.complete().await.unwrap();
    assert_eq!(&read(&store, &path).await[..], b"firstsecond");
    assert_eq!(files_on_disk(dir.path()), ["obj"]);
}

#[tokio::test]
async fn multipart_abort_and_drop_remove_staging() {
    let (dir, store) = store();
    let mut upload = store.put_multipart(&p("x/a")).await.unwrap();
    upload.put_part("data".into()).await.unwrap();
    upload.abort().await.unwrap();
    assert_eq!(files_on_disk(dir.path()), Vec::<String>::new());
    let mut upload = store.put_multipart(&p("x/b")).await.unwrap();
    upload.put_part("data".into()).await.unwrap();
    drop(upload);
    // The removal runs on the blocking pool.
    for _ in 0..100 {
        if files_on_disk(dir.path()).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(files_on_disk(dir.path()), Vec::<String>::new());
    assert_eq!(keys(&store, None).await, Vec::<String>::new());
}

#[tokio::test]
async fn write_multipart_helper_roundtrip() {
    let (_dir, store) = store();
    let path = p("w");
    let mut w =
        WriteMultipart::new_with_chunk_size(store.put_multipart(&path).await.unwrap(), 1000);
    let data: Vec<u8> = (0..10_500u32).map(|i| i as u8).collect();
    for chunk in data.chunks(333) {
        w.write(chunk);
    }
    w.finish().await.unwrap();
    assert_eq!(&read(&store, &path).await[..], &data[..]);
}

#[tokio::test]
async fn copy_and_rename() {
    let (dir, store) = store();
    let (a, b, c) = (p("src/a"), p("dst/deep/b"), p("c"));
    let put = store.put(&a, "content".into()).await.unwrap();
    store.copy(&a, &b).await.unwrap();
    assert_eq!(&read(&store, &b).await[..], b"content");
    assert_ne!(store.head(&b).await.unwrap().e_tag, put.e_tag);
    assert!(matches!(
        store.copy_if_not_exists(&a, &b).await,
        Err(Error::AlreadyExists { .. })
    ));
    store.copy_if_not_exists(&a, &c).await.unwrap();
    store.put(&a, "newer".into()).await.unwrap();
    store.copy(&a, &b).await.unwrap();
    assert_eq!(&read(&store, &b).await[..], b"newer");
    assert!(matches!(
        store.copy(&p("missing"), &b).await,
        Err(Error::NotFound { .. })
    ));

    assert!(matches!(
        store.rename_if_not_exists(&a, &c).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(&read(&store, &a).await[..], b"newer");
    store.rename(&a, &c).await.unwrap();
    assert_eq!(&read(&store, &c).await[..], b"newer");
    assert!(matches!(store.head(&a).await, Err(Error::NotFound { .. })));
    store
        .rename_if_not_exists(&c, &p("new/dir/d"))
        .await
        .unwrap();
    assert!(matches!(
        store.rename(&p("missing"), &c).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.rename(&p("src"), &p("moved")).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(keys(&store, None).await, ["dst/deep/b", "new/dir/d"]);
    assert!(
        files_on_disk(dir.path())
            .iter()
            .all(|f| !f.contains(".ostore#")),
        "staging left behind"
    );
}

#[tokio::test]
async fn fsync_on_and_off_both_work() {
    for fsync in [false, true] {
        let (dir, store) = store();
        let store = store.with_fsync(fsync).with_automatic_cleanup(fsync);
        let path = p("a/b/c/obj");
        store.put(&path, "x".into()).await.unwrap();
        let mut up = store.put_multipart(&p("a/m")).await.unwrap();
        up.put_part("y".into()).await.unwrap();
        up.complete().await.unwrap();
        store.copy(&path, &p("z/copy")).await.unwrap();
        store.rename(&p("z/copy"), &p("z/moved")).await.unwrap();
        store.delete(&path).await.unwrap();
        assert_eq!(
            keys(&store, None).await,
            ["a/m", "z/moved"],
            "fsync {fsync}"
        );
        assert_eq!(dir.path().join("a/b").exists(), !fsync);
    }
}

#[tokio::test]
async fn automatic_cleanup_removes_empty_dirs_up_to_root() {
    let (dir, store) = store();
    let store = store.with_automatic_cleanup(true);
    store.put(&p("x/y/z/1"), "1".into()).await.unwrap();
    store.put(&p("x/2"), "2".into()).await.unwrap();
    store.delete(&p("x/y/z/1")).await.unwrap();
    assert!(!dir.path().join("x/y").exists());
    assert!(dir.path().join("x").is_dir());
    store.delete(&p("x/2")).await.unwrap();
    assert!(!dir.path().join("x").exists());
    assert!(dir.path().is_dir());

    let (dir, store) = self::store();
    store.put(&p("x/y/1"), "1".into()).await.unwrap();
    store.delete(&p("x/y/1")).await.unwrap();
    assert!(dir.path().join("x/y").is_dir(), "cleanup is off by default");
}

#[tokio::test]
async fn constructors_and_display() {
    let dir = tempfile::tempdir().unwrap();
    assert!(LocalFileSystem::new_with_prefix(dir.path().join("missing")).is_err());
    std::fs::write(dir.path().join("file"), b"").unwrap();
    assert!(LocalFileSystem::new_with_prefix(dir.path().join("file")).is_err());
    // Relative components are canonicalized away.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let store = LocalFileSystem::new_with_prefix(dir.path().join("sub/../sub")).unwrap();
    let root = dir.path().canonicalize().unwrap().join("sub");
    assert_eq!(
        store.to_string(),
        format!("LocalFileSystem({})", root.display())
    );
    assert!(format!("{store:?}").contains("automatic_cleanup"));
    let whole = LocalFileSystem::new();
    assert_eq!(whole.to_string(), "LocalFileSystem(/)");
    // The file-system-root store reaches the same files by absolute path.
    let obj = Path::from_absolute_path(root.join("o")).unwrap();
    whole.put(&obj, "abs".into()).await.unwrap();
    assert_eq!(&read(&store, &p("o")).await[..], b"abs");
}

#[test]
fn works_without_a_tokio_runtime() {
    let (_dir, store) = store();
    futures::executor::block_on(async {
        store.put(&p("a/b"), PutPayload::from("x")).await.unwrap();
        assert_eq!(&store.get_range(&p("a/b"), 0..1).await.unwrap()[..], b"x");
        assert_eq!(store.head(&p("a/b")).await.unwrap().size, 1);
        assert_eq!(keys(&store, None).await, ["a/b"]);
    });
}

#[tokio::test]
async fn multipart_store_assembles_parts_in_given_order() {
    use ostore_core::MultipartStore;
    let (dir, store) = store();
    let path = p("ms/obj");
    let id = store.create_multipart(&path).await.unwrap();
    // Parts uploaded out of order, concurrently.
    let (p2, p0, p1) = tokio::join!(
        store.put_part(&path, &id, 2, "cc".into()),
        store.put_part(&path, &id, 0, "a".into()),
        store.put_part(&path, &id, 1, "bbb".into()),
    );
    assert_eq!(keys(&store, None).await, Vec::<String>::new());
    let parts = vec![p0.unwrap(), p1.unwrap(), p2.unwrap()];
    let r = store.complete_multipart(&path, &id, parts).await.unwrap();
    assert_eq!(&read(&store, &path).await[..], b"abbbcc");
    assert_eq!(store.head(&path).await.unwrap().e_tag, r.e_tag);
    assert_eq!(files_on_disk(dir.path()), ["ms/obj"]);

    let id = store.create_multipart(&path).await.unwrap();
    store.put_part(&path, &id, 0, "zz".into()).await.unwrap();
    store.abort_multipart(&path, &id).await.unwrap();
    assert_eq!(files_on_disk(dir.path()), ["ms/obj"]);
    assert!(store.put_part(&path, &id, 1, "x".into()).await.is_err());
    // Ids that are not ours cannot reach other files.
    for bad in ["../../etc/passwd", "obj", ".ostore#x/../../y"] {
        let bad = bad.to_string();
        assert!(store.put_part(&path, &bad, 0, "x".into()).await.is_err());
        assert!(store.complete_multipart(&path, &bad, vec![]).await.is_err());
    }
    assert_eq!(&read(&store, &path).await[..], b"abbbcc");
}
