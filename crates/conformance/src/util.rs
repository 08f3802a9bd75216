//! Helpers shared by the tests: scratch prefixes, test data, listing and error assertions.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use ostore_core::path::Path;
use ostore_core::{Error, ObjectStore, PutPayload, Result};
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

/// The first segment of every key the suite writes.
pub(crate) const ROOT: &str = "ostore-conformance";

/// A prefix no other test (in this or another process) uses: `ostore-conformance/<test>-<id>`.
pub(crate) fn scratch(test: &str) -> Path {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    Path::from(ROOT).child(format!("{test}-{}-{nanos:x}-{n}", std::process::id()))
}

/// `base` followed by the `/`-separated, already valid `rest`.
pub(crate) fn join(base: &Path, rest: &str) -> Path {
    Path::parse(format!("{base}/{rest}")).unwrap_or_else(|e| panic!("bad test path {rest}: {e}"))
}

/// A small deterministic PRNG (SplitMix64), so failures reproduce.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// `len` pseudo-random bytes; different seeds give different data.
pub(crate) fn data(len: usize, seed: u64) -> Bytes {
    let mut rng = Rng::new(seed);
    let mut buf = Vec::with_capacity(len + 8);
    while buf.len() < len {
        buf.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    buf.truncate(len);
    buf.into()
}

/// The paths `list(prefix)` yields, in the order yielded.
pub(crate) async fn list_paths(store: &dyn ObjectStore, prefix: Option<&Path>) -> Vec<Path> {
    store
        .list(prefix)
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("list({prefix:?}) failed: {e}"))
}

/// The paths `list_with_offset(prefix, offset)` yields, in the order yielded.
pub(crate) async fn list_offset_paths(
    store: &dyn ObjectStore,
    prefix: Option<&Path>,
    offset: &Path,
) -> Vec<Path> {
    store
        .list_with_offset(prefix, offset)
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("list_with_offset({prefix:?}, {offset}) failed: {e}"))
}

/// Asserts `actual` equals `expected` (which must be sorted) in order, or, if the store does
/// not sort listings, as a set without duplicates.
#[track_caller]
pub(crate) fn assert_listing(actual: Vec<Path>, expected: &[Path], sorted: bool, what: &str) {
    if sorted {
        assert_eq!(
            actual, expected,
            "{what}: wrong keys or not in lexicographic order"
        );
    } else {
        let mut actual = actual;
        actual.sort();
        assert_eq!(actual, expected, "{what}: wrong keys");
    }
}

/// Writes every path (its content is the path itself), 64 at a time.
pub(crate) async fn put_many(store: &dyn ObjectStore, paths: &[Path]) {
    futures::stream::iter(paths.iter().cloned())
        .map(|p| async move {
            let body = PutPayload::from(p.to_string());
            store
                .put(&p, body)
                .await
                .unwrap_or_else(|e| panic!("put({p}) failed: {e}"));
        })
        .buffer_unordered(64)
        .collect::<()>()
        .await;
}

/// Reads the whole object at `path`.
pub(crate) async fn read(store: &dyn ObjectStore, path: &Path) -> Bytes {
    let result = store
        .get(path)
        .await
        .unwrap_or_else(|e| panic!("get({path}) failed: {e}"));
    result
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("reading the body of {path} failed: {e}"))
}

/// Writes `data` to `path`, overwriting.
pub(crate) async fn write(store: &dyn ObjectStore, path: &Path, data: impl Into<Bytes>) {
    let data: Bytes = data.into();
    store
        .put(path, data.into())
        .await
        .unwrap_or_else(|e| panic!("put({path}) failed: {e}"));
}

/// Asserts `result` failed with `NotFound` naming `path`.
#[track_caller]
pub(crate) fn assert_not_found<T: Debug>(result: Result<T>, path: &Path, what: &str) {
    match result {
        Err(e @ Error::NotFound { .. }) => {
            let message = e.to_string();
            let Error::NotFound { path: p, .. } = e else {
                unreachable!()
            };
            assert!(
                p.ends_with(path.as_ref()),
                "{what}: NotFound names {p:?}, not the requested path {path}"
            );
            assert!(
                message.contains(path.as_ref()),
                "{what}: the message {message:?} does not mention {path}"
            );
        }
        other => panic!("{what}: expected NotFound for {path}, got {other:?}"),
    }
}

/// Asserts `result` failed with the typed "unsupported" errors: `NotImplemented` or
/// `NotSupported`.
#[track_caller]
pub(crate) fn assert_unsupported<T: Debug>(result: Result<T>, what: &str, reason: &str) {
    match result {
        Err(Error::NotImplemented | Error::NotSupported { .. }) => {}
        other => panic!(
            "{what} is declared unsupported ({reason}), so it must fail with NotImplemented or \
             NotSupported; got {other:?}"
        ),
    }
}

/// Asserts nothing exists at `path`.
pub(crate) async fn assert_absent(store: &dyn ObjectStore, path: &Path, what: &str) {
    assert_not_found(store.head(path).await, path, what);
}

/// Asserts the object at `path` holds `expected`.
pub(crate) async fn assert_content(store: &dyn ObjectStore, path: &Path, expected: &[u8]) {
    let got = read(store, path).await;
    assert!(
        got == expected,
        "content of {path}: expected {} bytes {:?}, got {} bytes {:?}",
        expected.len(),
        preview(expected),
        got.len(),
        preview(&got)
    );
}

/// The start of `b`, for messages.
pub(crate) fn preview(b: &[u8]) -> String {
    let n = b.len().min(32);
    format!(
        "{}{}",
        String::from_utf8_lossy(&b[..n]),
        if n < b.len() { "…" } else { "" }
    )
}
