//! Listing order (S3's lexicographic order of encoded keys), offsets and delimiters.

use futures::TryStreamExt;
use ostore_core::ObjectStore;
use ostore_core::path::Path;
use ostore_local::LocalFileSystem;
use rand::Rng;
use rand::seq::IndexedRandom;

fn store() -> (tempfile::TempDir, LocalFileSystem) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    (dir, store)
}

fn p(s: &str) -> Path {
    Path::parse(s).unwrap()
}

async fn keys(store: &LocalFileSystem, prefix: Option<&Path>) -> Vec<String> {
    let metas: Vec<_> = store.list(prefix).try_collect().await.unwrap();
    metas.into_iter().map(|m| m.location.to_string()).collect()
}

async fn keys_after(store: &LocalFileSystem, prefix: Option<&Path>, offset: &Path) -> Vec<String> {
    let metas: Vec<_> = store
        .list_with_offset(prefix, offset)
        .try_collect()
        .await
        .unwrap();
    metas.into_iter().map(|m| m.location.to_string()).collect()
}

/// Random keys over an alphabet rich in characters that sort around `/`, such that no key
/// is a "directory" of another (a file system cannot hold both `a` and `a/b`).
fn random_keys(n: usize) -> Vec<String> {
    let alphabet = ['a', 'b', 'z', '-', '.', '_', '0', '~', 'é', 'ß', '中', '/'];
    let mut rng = rand::rng();
    let mut keys: Vec<String> = Vec::new();
    while keys.len() < n {
        let len = rng.random_range(1..8);
        let key: String = (0..len)
            .map(|_| *alphabet.choose(&mut rng).unwrap())
            .collect();
        let Ok(path) = Path::parse(&key) else {
            continue;
        };
        let key = path.to_string();
        if key.is_empty() || key.split('/').any(|s| s == "." || s == "..") {
            continue;
        }
        let conflicts = keys.iter().any(|k| {
            k == &key || k.starts_with(&format!("{key}/")) || key.starts_with(&format!("{k}/"))
        });
        if !conflicts {
            keys.push(key);
        }
    }
    keys
}

#[tokio::test]
async fn dot_sorts_before_slash() {
    let (_dir, store) = store();
    for k in ["a/b", "a.c", "a0", "a-/x", "a/a", "b"] {
        store.put(&p(k), "x".into()).await.unwrap();
    }
    assert_eq!(
        keys(&store, None).await,
        ["a-/x", "a.c", "a/a", "a/b", "a0", "b"]
    );
}

#[tokio::test]
async fn random_keys_list_in_sorted_order_with_offsets_and_prefixes() {
    let (_dir, store) = store();
    let mut expected = random_keys(200);
    for k in &expected {
        store.put(&p(k), k.clone().into()).await.unwrap();
    }
    expected.sort();
    assert_eq!(keys(&store, None).await, expected);

    // Offsets: every existing key, and random strings between them.
    let mut offsets: Vec<String> = expected.iter().step_by(7).cloned().collect();
    offsets.extend(random_keys(30));
    for offset in &offsets {
        let want: Vec<_> = expected
            .iter()
            .filter(|k| k.as_str() > offset.as_str())
            .cloned()
            .collect();
        assert_eq!(
            keys_after(&store, None, &p(offset)).await,
            want,
            "offset {offset}"
        );
    }

    // Prefixes are segment-wise.
    let mut prefixes: Vec<String> = expected
        .iter()
        .filter_map(|k| k.rsplit_once('/').map(|(d, _)| d.to_string()))
        .collect();
    prefixes.dedup();
    for prefix in prefixes.iter().take(20) {
        let want: Vec<_> = expected
            .iter()
            .filter(|k| k.starts_with(&format!("{prefix}/")))
            .cloned()
            .collect();
        assert!(!want.is_empty());
        assert_eq!(
            keys(&store, Some(&p(prefix))).await,
            want,
            "prefix {prefix}"
        );
        let offset = &want[want.len() / 2];
        let want_after: Vec<_> = want
            .iter()
            .filter(|k| k.as_str() > offset.as_str())
            .cloned()
            .collect();
        assert_eq!(
            keys_after(&store, Some(&p(prefix)), &p(offset)).await,
            want_after
        );
    }
}

#[tokio::test]
async fn prefixes_are_segment_wise() {
    let (_dir, store) = store();
    for k in ["foo/bar", "foobar/x", "foo.txt"] {
        store.put(&p(k), "x".into()).await.unwrap();
    }
    assert_eq!(keys(&store, Some(&p("foo"))).await, ["foo/bar"]);
    // A prefix naming an object (not a directory) lists nothing, like object_store.
    assert!(keys(&store, Some(&p("foo.txt"))).await.is_empty());
    assert!(keys(&store, Some(&p("nope"))).await.is_empty());
    assert!(keys(&store, Some(&p("foo/bar/baz"))).await.is_empty());
    assert_eq!(keys(&store, Some(&Path::ROOT)).await.len(), 3);
}

#[tokio::test]
async fn listing_streams_in_batches() {
    let (dir, store) = store();
    // More objects than one batch, in several directories, written directly.
    let mut expected = Vec::new();
    for d in 0..3 {
        std::fs::create_dir(dir.path().join(format!("d{d}"))).unwrap();
        for i in 0..700 {
            std::fs::write(dir.path().join(format!("d{d}/{i:04}")), b"").unwrap();
            expected.push(format!("d{d}/{i:04}"));
        }
    }
    assert_eq!(keys(&store, None).await, expected);
    let off = p("d1/0350");
    assert_eq!(
        keys_after(&store, None, &off).await,
        expected[1051..].to_vec()
    );
}

#[tokio::test]
async fn list_with_delimiter_sorted_and_only_prefixes_with_objects() {
    let (dir, store) = store();
    for k in ["b", "a.c", "a/x", "a/y/z", "a-/q", "c/d/e/f"] {
        store.put(&p(k), "x".into()).await.unwrap();
    }
    std::fs::create_dir_all(dir.path().join("empty/nested")).unwrap();
    let l = store.list_with_delimiter(None).await.unwrap();
    let prefixes: Vec<_> = l.common_prefixes.iter().map(ToString::to_string).collect();
    assert_eq!(prefixes, ["a", "a-", "c"]);
    let objects: Vec<_> = l.objects.iter().map(|m| m.location.to_string()).collect();
    assert_eq!(objects, ["a.c", "b"]);

    let l = store.list_with_delimiter(Some(&p("a"))).await.unwrap();
    assert_eq!(l.common_prefixes, [p("a/y")]);
    assert_eq!(l.objects.len(), 1);
    assert_eq!(l.objects[0].location, p("a/x"));
    assert_eq!(l.objects[0].size, 1);

    for missing in ["b", "zzz", "a/x/deeper"] {
        let l = store.list_with_delimiter(Some(&p(missing))).await.unwrap();
        assert!(
            l.objects.is_empty() && l.common_prefixes.is_empty(),
            "{missing}"
        );
    }
}
