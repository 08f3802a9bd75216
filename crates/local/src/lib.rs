//! [`LocalFileSystem`]: an [`ObjectStore`] over a directory of the local file system,
//! API-compatible with `object_store::local::LocalFileSystem` (0.12) and going further.
//!
//! # Layout
//!
//! Each segment of an object [`Path`] is one file or directory name, used verbatim: the
//! segment is already percent-encoded by [`Path`], so `a%2Fb` is a file named `a%2Fb`, never
//! a directory `a` holding `b`. Paths cannot name `.` or `..`, so no object path leads out of
//! the root. Symbolic links inside the root are followed: reads go through them and listings
//! descend into linked directories (a link loop is reported as an error of the listing).
//!
//! Names starting with `.ostore#` are the store's own staging files. They are never listed,
//! a read of such a path finds nothing, and writes to such paths are rejected.
//!
//! # Atomicity and durability
//!
//! Every write (put, copy, multipart upload) goes to a staging file in the destination's
//! directory, which is renamed over the destination once complete. A reader sees the old
//! object or the new one, never a part; a writer killed at any moment leaves at most an
//! invisible staging file. With [`LocalFileSystem::with_fsync`], file data and the directory
//! entry are flushed to stable storage before the write returns.
//!
//! # Conditional writes
//!
//! * [`PutMode::Create`], `copy_if_not_exists` and `rename_if_not_exists` use
//!   `renameat2(RENAME_NOREPLACE)` (or a hard link where that is unavailable): exactly one of
//!   concurrent creators wins, the others get [`Error::AlreadyExists`].
//! * [`PutMode::Update`] is a true compare-and-swap on the e-tag, which `object_store`'s
//!   local store does not offer. The data is written to the staging file first; then, under
//!   an exclusive `flock(2)` on the destination directory, the current e-tag is read,
//!   compared, and the staging file renamed into place. Every write, delete and rename in the
//!   directory commits under the same lock, so the check and the swap are atomic with respect
//!   to all of them, across threads and processes using this store (readers take no lock,
//!   and the lock is held only for a few system calls). A missing object or another e-tag
//!   fails with [`Error::Precondition`]. The lock is advisory: processes that modify the
//!   directory without it (or file systems without `flock`, such as some network mounts)
//!   are not excluded.
//!
//! # E-tags
//!
//! The e-tag is `{inode:x}-{mtime in ns:x}-{size:x}`. Each write stamps its new file with a
//! nanosecond modification time that never repeats within a process, so the e-tag changes
//! on every write, even when the file system reuses the inode of a deleted object and its
//! clock is coarse.
//!
//! # Listing
//!
//! Listings return keys in lexicographic order of their encoded form, as S3 does (`a.c`
//! before `a/b`, since `.` sorts before `/`), streaming a lazy depth-first walk in batches;
//! `list_with_offset` skips the directories that sort before the offset without reading them.
//! The common prefixes of `list_with_delimiter` are the subdirectories holding at least one
//! object.
//!
//! # Multipart uploads
//!
//! [`ObjectStore::put_multipart`] writes every part straight to its offset in one staging
//! file, concurrently. [`MultipartStore`](ostore_core::MultipartStore) (which
//! `object_store`'s local store lacks) keeps each part in a staging file of its own, so parts
//! can come from several processes in any order; completion concatenates them in the order
//! given. Abandoned uploads leave only invisible staging files.
//!
//! # Differences from `object_store`
//!
//! Attributes cannot be stored (a put with attributes fails with
//! [`Error::NotImplemented`]) and tags are ignored, as in `object_store`. Deleting a missing
//! object fails with [`Error::NotFound`], as in `object_store`. Beyond it: compare-and-swap,
//! sorted listings, permission errors reported as [`Error::PermissionDenied`], and a
//! directory or a path below a file read as [`Error::NotFound`]. A read that names a
//! version fails with [`Error::NotSupported`] instead of silently serving the current file.
//! A writer killed mid-write leaves its invisible staging file behind; nothing sweeps those
//! up yet.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ostore_core::Result<()> {
//! use ostore_core::{ObjectStore, PutMode, PutPayload, UpdateVersion, path::Path};
//! use ostore_local::LocalFileSystem;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = LocalFileSystem::new_with_prefix(dir.path())?;
//! let path = Path::from("counters/visits");
//! let v1 = store.put(&path, PutPayload::from("1")).await?;
//! // Replace the object only if nobody changed it since v1.
//! store
//!     .put_opts(&path, "2".into(), PutMode::Update(UpdateVersion::from(v1.clone())).into())
//!     .await?;
//! let stale = store
//!     .put_opts(&path, "3".into(), PutMode::Update(v1.into()).into())
//!     .await;
//! assert!(matches!(stale, Err(ostore_core::Error::Precondition { .. })));
//! assert_eq!(&store.get(&path).await?.bytes().await?[..], b"2");
//! # Ok(())
//! # }
//! ```

#![cfg(unix)]

mod error;
mod fs;
mod list;
mod lock;
mod multipart;
mod parts;
mod ranges;

use crate::error::{generic, not_found};
use crate::fs::{Commit, Config, Staged};
use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use ostore_core::path::Path;
use ostore_core::{
    Attributes, Error, GetOptions, GetRange, GetResult, GetResultPayload, ListResult,
    MultipartUpload, ObjectMeta, ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload,
    PutResult, Result,
};
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// How many objects a listing reads per trip to the blocking thread pool.
const LIST_BATCH: usize = 1000;

/// An object store over a directory of the local file system.
///
/// See the [crate documentation](crate) for the layout on disk and the guarantees.
#[derive(Debug, Clone)]
pub struct LocalFileSystem {
    config: Arc<Config>,
}

impl Default for LocalFileSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for LocalFileSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalFileSystem({})", self.config.root.display())
    }
}

impl LocalFileSystem {
    /// A store whose root is the root of the file system: object `tmp/a` is `/tmp/a`.
    pub fn new() -> Self {
        Self {
            config: Arc::new(Config {
                root: PathBuf::from("/"),
                automatic_cleanup: false,
                fsync: false,
            }),
        }
    }

    /// A store rooted at the existing directory `prefix`, canonicalized (so symbolic links
    /// and relative paths are resolved once, now).
    pub fn new_with_prefix(prefix: impl AsRef<std::path::Path>) -> Result<Self> {
        let prefix = prefix.as_ref();
        let root = std::fs::canonicalize(prefix)
            .map_err(|e| error::io_error("canonicalize", "", prefix, e))?;
        if !root.is_dir() {
            return Err(generic(format!("{} is not a directory", root.display())));
        }
        Ok(Self {
            config: Arc::new(Config {
                root,
                automatic_cleanup: false,
                fsync: false,
            }),
        })
    }

    /// Whether a delete (or rename) removes the directories it leaves empty, up to but not
    /// including the root. Off by default.
    pub fn with_automatic_cleanup(mut self, automatic_cleanup: bool) -> Self {
        Arc::make_mut(&mut self.config).automatic_cleanup = automatic_cleanup;
        self
    }

    /// Whether writes are durable when they return: file data and the directory entries are
    /// fsynced before a put, copy, rename, delete or multipart completion returns. Off by
    /// default (the writes are still atomic, but may be lost in a power failure).
    pub fn with_fsync(mut self, fsync: bool) -> Self {
        Arc::make_mut(&mut self.config).fsync = fsync;
        self
    }

    /// The file that holds (or would hold) the object at `location`.
    ///
    /// Fails for the root path, which is not an object, and for paths with a segment
    /// reserved for the store's staging files (starting with `.ostore#`).
    ///
    /// ```
    /// # use ostore_local::LocalFileSystem;
    /// # use ostore_core::path::Path;
    /// let store = LocalFileSystem::new();
    /// let file = store.path_to_filesystem(&Path::from("tmp/a b")).unwrap();
    /// assert_eq!(file, std::path::Path::new("/tmp/a b"));
    /// ```
    pub fn path_to_filesystem(&self, location: &Path) -> Result<PathBuf> {
        self.write_file(location)
    }

    /// The file of `location` for a write: an error if it cannot hold an object.
    fn write_file(&self, location: &Path) -> Result<PathBuf> {
        self.config.object_file(location).ok_or_else(|| {
            generic(format!(
                "'{location}' cannot be an object: the root, or a name reserved for staging \
                 files ({}...)",
                fs::RESERVED_PREFIX
            ))
        })
    }

    /// The file of `location` for a read: `NotFound` if it cannot hold an object.
    fn read_file(&self, location: &Path) -> Result<PathBuf> {
        self.config
            .object_file(location)
            .ok_or_else(|| not_found(location.as_ref(), "no object can exist at this path"))
    }

    /// Streams the objects below `prefix`, after `offset` if given, in key order.
    fn walk(
        &self,
        prefix: Option<&Path>,
        offset: Option<&Path>,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let prefix = prefix.cloned().unwrap_or_default();
        let Some(dir) = self.config.prefix_dir(&prefix) else {
            return futures::stream::empty().boxed();
        };
        let key = if prefix.is_root() {
            String::new()
        } else {
            format!("{prefix}/")
        };
        let walk = list::Walk::new(dir, key, offset.map(ToString::to_string));
        futures::stream::unfold(Some(walk), |state| async move {
            let mut walk = state?;
            let batch = blocking(move || {
                let batch = walk.next_batch(LIST_BATCH);
                (walk, batch)
            })
            .await;
            Some(match batch {
                Ok((walk, batch)) => {
                    let next = (!walk.is_done()).then_some(walk);
                    (futures::stream::iter(batch), next)
                }
                Err(e) => (futures::stream::iter(vec![Err(e)]), None),
            })
        })
        .flatten()
        .boxed()
    }

    async fn copy_mode(&self, from: &Path, to: &Path, mode: Commit) -> Result<()> {
        let src = self.read_file(from)?;
        let dest = self.write_file(to)?;
        let (from, to) = (from.to_string(), to.to_string());
        let config = Arc::clone(&self.config);
        blocking(move || fs::copy(&config, &src, &dest, &from, &to, &mode)).await?
    }

    async fn rename_mode(&self, from: &Path, to: &Path, noreplace: bool) -> Result<()> {
        let src = self.read_file(from)?;
        let dest = self.write_file(to)?;
        let (from, to) = (from.to_string(), to.to_string());
        let config = Arc::clone(&self.config);
        blocking(move || fs::rename(&config, &src, &dest, &from, &to, noreplace)).await?
    }
}

/// Runs blocking file system work on tokio's blocking pool, or in place when there is no
/// runtime.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => Ok(handle.spawn_blocking(f).await?),
        Err(_) => Ok(f()),
    }
}

#[async_trait]
impl ObjectStore for LocalFileSystem {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        if !opts.attributes.is_empty() {
            return Err(Error::NotImplemented);
        }
        let mode = match opts.mode {
            PutMode::Overwrite => Commit::Overwrite,
            PutMode::Create => Commit::Create,
            PutMode::Update(v) => Commit::Update(v.e_tag.ok_or_else(|| {
                generic("PutMode::Update needs an e-tag: this store keeps no versions")
            })?),
        };
        let dest = self.write_file(location)?;
        let location = location.to_string();
        let fsync = self.config.fsync;
        blocking(move || {
            let mut staged = Staged::create(&dest, &location, fsync)?;
            staged.write_payload(&payload, &location)?;
            staged.finish(&dest, &location, &mode, fsync)
        })
        .await?
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        if !opts.attributes.is_empty() {
            return Err(Error::NotImplemented);
        }
        let dest = self.write_file(location)?;
        let location = location.to_string();
        let config = Arc::clone(&self.config);
        blocking(move || {
            let staged = Staged::create(&dest, &location, config.fsync)?;
            let upload =
                multipart::LocalUpload::new(staged.file, staged.guard, dest, location, config);
            Ok(Box::new(upload) as Box<dyn MultipartUpload>)
        })
        .await?
    }

    /// Reads an object. A request for a version fails with [`Error::NotSupported`]: this
    /// store keeps no versions (`object_store` ignores the option and serves the current
    /// object, which is not the version asked for).
    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if let Some(version) = &options.version {
            return Err(Error::NotSupported {
                source: format!(
                    "{}: no versions are kept, cannot read version {version}",
                    error::STORE
                )
                .into(),
            });
        }
        let file = self.read_file(location)?;
        let location = location.clone();
        blocking(move || {
            let (f, m) = fs::open_object(&file, location.as_ref())?;
            let meta = fs::object_meta(location, &m);
            options.check_preconditions(&meta)?;
            let range = match &options.range {
                Some(r) => r
                    .as_range(meta.size)
                    .map_err(|e| Error::generic(error::STORE, e))?,
                None => 0..meta.size,
            };
            Ok(GetResult {
                payload: GetResultPayload::File(f, file),
                meta,
                range,
                attributes: Attributes::default(),
            })
        })
        .await?
    }

    async fn get_range(&self, location: &Path, range: Range<u64>) -> Result<Bytes> {
        // Unlike `get_ranges`, a single empty range is an error, as in `get_opts`.
        GetRange::Bounded(range.clone())
            .is_valid()
            .map_err(|e| Error::generic(error::STORE, e))?;
        let file = self.read_file(location)?;
        let location = location.to_string();
        blocking(move || {
            let part = ranges::read_ranges(&file, &location, std::slice::from_ref(&range))?;
            Ok(part.into_iter().next().unwrap_or_default())
        })
        .await?
    }

    /// Reads exactly the requested bytes in one trip to the blocking pool, into one buffer
    /// (no coalescing: reading the gaps of a local file would only cost time).
    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let file = self.read_file(location)?;
        let location = location.to_string();
        let ranges = ranges.to_vec();
        blocking(move || ranges::read_ranges(&file, &location, &ranges)).await?
    }

    async fn head(&self, location: &Path) -> Result<ObjectMeta> {
        let file = self.read_file(location)?;
        let location = location.clone();
        blocking(move || {
            let m = fs::stat_object(&file, location.as_ref())?;
            Ok(fs::object_meta(location, &m))
        })
        .await?
    }

    async fn delete(&self, location: &Path) -> Result<()> {
        let file = self.read_file(location)?;
        let location = location.to_string();
        let config = Arc::clone(&self.config);
        blocking(move || fs::delete(&config, &file, &location)).await?
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.walk(prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.walk(prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let prefix = prefix.cloned().unwrap_or_default();
        let Some(dir) = self.config.prefix_dir(&prefix) else {
            return Ok(ListResult::default());
        };
        blocking(move || list::list_dir(dir, &prefix)).await?
    }

    async fn copy(&self, from: &Path, to: &Path) -> Result<()> {
        self.copy_mode(from, to, Commit::Overwrite).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.copy_mode(from, to, Commit::Create).await
    }

    async fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.rename_mode(from, to, false).await
    }

    async fn rename_if_not_exists(&self, from: &Path, to: &Path) -> Result<()> {
        self.rename_mode(from, to, true).await
    }
}
