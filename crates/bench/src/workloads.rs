//! The benchmark workloads, written once and expanded for each crate by the `workloads!`
//! macro.
//!
//! ostore and object_store share the API shape but not the types, so the workload code is
//! a macro instantiated once per crate: both sides run exactly the same code.

use std::fmt;
use std::sync::Arc;

/// Errors of a benchmark run: any store error, or a wrong result.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The result of a benchmark run.
pub(crate) type BoxResult<T> = Result<T, BoxError>;

/// Which kind of store a workload runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// The in-memory store.
    Memory,
    /// The local filesystem store, rooted in a fresh temporary directory.
    Local,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Memory => "memory",
            Self::Local => "local",
        })
    }
}

/// One workload and its sizes. A run yields one duration per [`Workload::rows`] entry.
#[derive(Debug, Clone)]
pub(crate) enum Workload {
    /// `count` puts of `size` bytes, then `count` gets of them, by `concurrency` tasks.
    PutGet {
        /// The store kind.
        backend: Backend,
        /// Number of objects.
        count: usize,
        /// Size of each object in bytes.
        size: usize,
        /// Number of tasks sharing the operations.
        concurrency: usize,
    },
    /// A full recursive `list` of `count` objects spread over `dirs` directories.
    List {
        /// The store kind.
        backend: Backend,
        /// Number of objects.
        count: usize,
        /// Number of directories the objects are spread over.
        dirs: usize,
    },
    /// `list_with_delimiter` on the root of `count` objects in `dirs` directories, then on
    /// `listed` of those directories.
    ListWithDelimiter {
        /// The store kind.
        backend: Backend,
        /// Number of objects.
        count: usize,
        /// Number of directories the objects are spread over.
        dirs: usize,
        /// Number of directories listed after the root.
        listed: usize,
    },
    /// One `get_ranges` call of `ranges` random ranges of `range_size` bytes in an object
    /// of `object_size` bytes.
    GetRanges {
        /// The store kind.
        backend: Backend,
        /// Size of the object in bytes.
        object_size: usize,
        /// Number of ranges.
        ranges: usize,
        /// Size of each range in bytes.
        range_size: usize,
    },
}

impl Workload {
    /// The store kind the workload runs against.
    pub(crate) fn backend(&self) -> Backend {
        match *self {
            Self::PutGet { backend, .. }
            | Self::List { backend, .. }
            | Self::ListWithDelimiter { backend, .. }
            | Self::GetRanges { backend, .. } => backend,
        }
    }

    /// The largest payload the workload writes, in bytes.
    pub(crate) fn max_payload(&self) -> usize {
        match *self {
            Self::PutGet { size, .. } => size,
            Self::List { .. } | Self::ListWithDelimiter { .. } => SMALL_OBJECT,
            Self::GetRanges { object_size, .. } => object_size,
        }
    }

    /// The names of the measurements of one run, in the order [`ours::run`] returns them.
    pub(crate) fn rows(&self) -> Vec<String> {
        let backend = self.backend();
        match *self {
            Self::PutGet {
                count,
                size,
                concurrency,
                ..
            } => ["put", "get"]
                .iter()
                .map(|op| {
                    format!(
                        "{backend} {op} {} × {count}, c={concurrency}",
                        human_size(size)
                    )
                })
                .collect(),
            Self::List { count, dirs, .. } => {
                vec![format!("{backend} list {count} objects in {dirs} dirs")]
            }
            Self::ListWithDelimiter {
                count,
                dirs,
                listed,
                ..
            } => vec![
                format!("{backend} list_with_delimiter root: {dirs} dirs ({count} objects)"),
                format!(
                    "{backend} list_with_delimiter {listed} dirs of {} objects",
                    count / dirs
                ),
            ],
            Self::GetRanges {
                object_size,
                ranges,
                range_size,
                ..
            } => vec![format!(
                "{backend} get_ranges {ranges} × {} of {}",
                human_size(range_size),
                human_size(object_size)
            )],
        }
    }
}

/// How many times a `get_ranges` run calls it.
const GET_RANGES_CALLS: u32 = 20;

/// Size of the objects written only to be listed.
const SMALL_OBJECT: usize = 16;

/// `1024` → `1 KiB`, `268435456` → `256 MiB`.
pub(crate) fn human_size(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024 && value.is_multiple_of(1024) && unit + 1 < UNITS.len() {
        value /= 1024;
        unit += 1;
    }
    format!("{value} {}", UNITS[unit])
}

/// Runs `op(i)` for every `i` in `0..count`, split across `concurrency` tokio tasks
/// (task `k` takes `k`, `k + concurrency`, ...), so that the multi-thread runtime runs them
/// in parallel.
pub(crate) async fn for_each_parallel<F, Fut>(
    count: usize,
    concurrency: usize,
    op: F,
) -> BoxResult<()>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = BoxResult<()>> + Send + 'static,
{
    let op = Arc::new(op);
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|worker| {
            let op = Arc::clone(&op);
            tokio::spawn(async move {
                for i in (worker..count).step_by(concurrency.max(1)) {
                    op(i).await?;
                }
                Ok::<_, BoxError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// The `ranges` ranges of `range_size` bytes that [`Workload::GetRanges`] reads: random,
/// unsorted, possibly overlapping, the same for every run.
pub(crate) fn random_ranges(
    object_size: usize,
    ranges: usize,
    range_size: usize,
) -> Vec<std::ops::Range<u64>> {
    // xorshift64*: deterministic and good enough to scatter offsets.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let span = (object_size - range_size) as u64 + 1;
    (0..ranges)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let start = state.wrapping_mul(0x2545_F491_4F6C_DD1D) % span;
            start..start + range_size as u64
        })
        .collect()
}

/// Checks a benchmark result, failing the run with `what` if it is wrong.
pub(crate) fn check(ok: bool, what: impl FnOnce() -> String) -> BoxResult<()> {
    if ok { Ok(()) } else { Err(what().into()) }
}

/// Expands the workload code for one crate into module `$module`.
///
/// `$krate` is the crate with the `ObjectStore` trait, `PutPayload` and `path::Path`;
/// `$memory` builds its in-memory store and `$local` its local filesystem store rooted in
/// an existing directory.
macro_rules! workloads {
    ($(#[$attr:meta])* $module:ident, $krate:ident, memory: $memory:expr, local: $local:expr $(,)?) => {
        $(#[$attr])*
        pub(crate) mod $module {
            use super::{BoxResult, Backend, GET_RANGES_CALLS, Workload, check, for_each_parallel, random_ranges};
            use bytes::Bytes;
            use futures::TryStreamExt;
            use std::sync::Arc;
            use std::time::{Duration, Instant};
            use $krate::{ObjectStore, PutPayload, path::Path};

            type Store = Arc<dyn ObjectStore>;

            /// Runs `workload` once on a fresh store (in `dir` if it is a local one), with
            /// object contents taken from `data`; returns the durations of its rows.
            pub(crate) async fn run(
                workload: &Workload,
                data: &Bytes,
                dir: &std::path::Path,
            ) -> BoxResult<Vec<Duration>> {
                let store: Store = match workload.backend() {
                    Backend::Memory => Arc::new($memory),
                    Backend::Local => Arc::new(($local)(dir)?),
                };
                match *workload {
                    Workload::PutGet { count, size, concurrency, .. } => {
                        put_get(store, data.slice(..size), count, concurrency).await
                    }
                    Workload::List { count, dirs, .. } => {
                        let small = data.slice(..super::SMALL_OBJECT);
                        populate(&store, small, count, dirs).await?;
                        Ok(vec![list(&store, count).await?])
                    }
                    Workload::ListWithDelimiter { count, dirs, listed, .. } => {
                        let small = data.slice(..super::SMALL_OBJECT);
                        populate(&store, small, count, dirs).await?;
                        list_with_delimiter(&store, count, dirs, listed).await
                    }
                    Workload::GetRanges { object_size, ranges, range_size, .. } => {
                        let object = data.slice(..object_size);
                        get_ranges(&store, object, ranges, range_size).await
                    }
                }
            }

            /// Object `i` of `count` spread over `dirs` directories.
            fn object_path(i: usize, dirs: usize) -> Path {
                Path::from(format!("d{:04}/o{i:07}", i % dirs))
            }

            async fn put_get(
                store: Store,
                payload: Bytes,
                count: usize,
                concurrency: usize,
            ) -> BoxResult<Vec<Duration>> {
                let paths: Arc<[Path]> = (0..count).map(|i| object_path(i, 100)).collect();
                let size = payload.len();

                let start = Instant::now();
                let (s, p) = (Arc::clone(&store), Arc::clone(&paths));
                for_each_parallel(count, concurrency, move |i| {
                    let (store, paths) = (Arc::clone(&s), Arc::clone(&p));
                    let payload = PutPayload::from(payload.clone());
                    async move {
                        store.put(&paths[i], payload).await?;
                        Ok(())
                    }
                })
                .await?;
                let put = start.elapsed();

                let start = Instant::now();
                for_each_parallel(count, concurrency, move |i| {
                    let (store, paths) = (Arc::clone(&store), Arc::clone(&paths));
                    async move {
                        let bytes = store.get(&paths[i]).await?.bytes().await?;
                        check(bytes.len() == size, || {
                            format!("get {} returned {} bytes, not {size}", paths[i], bytes.len())
                        })
                    }
                })
                .await?;
                Ok(vec![put, start.elapsed()])
            }

            /// Writes `count` copies of `payload` in `dirs` directories (not timed).
            async fn populate(store: &Store, payload: Bytes, count: usize, dirs: usize) -> BoxResult<()> {
                let store = Arc::clone(store);
                for_each_parallel(count, 16, move |i| {
                    let store = Arc::clone(&store);
                    let payload = PutPayload::from(payload.clone());
                    async move {
                        store.put(&object_path(i, dirs), payload).await?;
                        Ok(())
                    }
                })
                .await
            }

            async fn list(store: &Store, count: usize) -> BoxResult<Duration> {
                let start = Instant::now();
                let listed = store
                    .list(None)
                    .try_fold(0usize, |n, _| futures::future::ready(Ok(n + 1)))
                    .await?;
                let elapsed = start.elapsed();
                check(listed == count, || format!("list found {listed} objects, not {count}"))?;
                Ok(elapsed)
            }

            async fn list_with_delimiter(
                store: &Store,
                count: usize,
                dirs: usize,
                listed: usize,
            ) -> BoxResult<Vec<Duration>> {
                let start = Instant::now();
                let root = store.list_with_delimiter(None).await?;
                let root_time = start.elapsed();
                check(root.common_prefixes.len() == dirs && root.objects.is_empty(), || {
                    format!(
                        "root listing has {} prefixes and {} objects, not {dirs} and 0",
                        root.common_prefixes.len(),
                        root.objects.len()
                    )
                })?;

                // Directories spread evenly over the sorted prefixes.
                let prefixes: Vec<Path> = (0..listed)
                    .map(|j| root.common_prefixes[j * dirs / listed].clone())
                    .collect();
                let start = Instant::now();
                let mut results = Vec::with_capacity(listed);
                for prefix in &prefixes {
                    results.push(store.list_with_delimiter(Some(prefix)).await?);
                }
                let dirs_time = start.elapsed();
                for (prefix, result) in prefixes.iter().zip(&results) {
                    check(result.objects.len() == count / dirs, || {
                        format!("{prefix} lists {} objects, not {}", result.objects.len(), count / dirs)
                    })?;
                }
                Ok(vec![root_time, dirs_time])
            }

            async fn get_ranges(
                store: &Store,
                object: Bytes,
                ranges: usize,
                range_size: usize,
            ) -> BoxResult<Vec<Duration>> {
                let path = Path::from("big/object");
                store.put(&path, PutPayload::from(object.clone())).await?;
                let ranges = random_ranges(object.len(), ranges, range_size);

                // One call takes a few milliseconds: time several and report the mean, so
                // one scheduling hiccup does not decide the figure.
                let start = Instant::now();
                let mut parts = Vec::new();
                for _ in 0..GET_RANGES_CALLS {
                    parts = store.get_ranges(&path, &ranges).await?;
                }
                let elapsed = start.elapsed() / GET_RANGES_CALLS;

                check(parts.len() == ranges.len(), || {
                    format!("get_ranges returned {} parts for {} ranges", parts.len(), ranges.len())
                })?;
                for (range, part) in ranges.iter().zip(&parts) {
                    let expected = &object[range.start as usize..range.end as usize];
                    check(part[..] == *expected, || format!("wrong bytes for range {range:?}"))?;
                }
                Ok(vec![elapsed])
            }
        }
    };
}

workloads!(
    /// The workloads on ostore's stores.
    ours,
    ostore_core,
    memory: ostore_memory::InMemory::new(),
    local: ostore_local::LocalFileSystem::new_with_prefix,
);

workloads!(
    /// The workloads on object_store's stores.
    theirs,
    object_store,
    memory: object_store::memory::InMemory::new(),
    local: object_store::local::LocalFileSystem::new_with_prefix,
);
