//! The file system side of the store: object paths to files, staging files, atomic commits
//! (rename, no-replace rename, compare-and-swap), e-tags, positional reads and fsync.

use crate::error::{generic, io_error, not_found, write_error};
use crate::lock::DirLock;
use chrono::{DateTime, Utc};
use ostore_core::path::Path;
use ostore_core::{Error, ObjectMeta, PutPayload, PutResult, Result};
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// File and directory names starting with this are the store's own (staging files); they
/// are never listed or read, and object paths containing such a segment are rejected.
pub(crate) const RESERVED_PREFIX: &str = ".ostore#";

/// How many times a staging file name or a directory creation is retried before giving up.
const MAX_ATTEMPTS: usize = 64;

/// The longest part of the destination file name kept in a staging file name (for humans
/// looking at the directory; uniqueness comes from the counter).
const STAGING_NAME_HINT: usize = 64;

/// Whether `name` is one of the store's internal names.
pub(crate) fn is_reserved(name: &str) -> bool {
    name.starts_with(RESERVED_PREFIX)
}

/// The settings of a store, shared by its operations.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// The canonical directory holding the objects.
    pub(crate) root: PathBuf,
    /// Remove directories left empty by a delete or rename.
    pub(crate) automatic_cleanup: bool,
    /// fsync data and directories before a write returns.
    pub(crate) fsync: bool,
}

impl Config {
    /// The directory of `prefix` (the root for the root path); `None` if a segment is one of
    /// the reserved internal names. Segments are used verbatim as file names.
    pub(crate) fn prefix_dir(&self, prefix: &Path) -> Option<PathBuf> {
        let mut dir = self.root.clone();
        for part in prefix.parts() {
            let name = part.as_ref();
            if is_reserved(name) {
                return None;
            }
            dir.push(name);
        }
        Some(dir)
    }

    /// The file of the object at `location`; `None` for the root or a reserved name.
    pub(crate) fn object_file(&self, location: &Path) -> Option<PathBuf> {
        if location.is_root() {
            return None;
        }
        self.prefix_dir(location)
    }
}

/// The parent directory of an object file (object files are never the root itself).
pub(crate) fn parent(file: &FsPath) -> &FsPath {
    file.parent().unwrap_or(file)
}

/// The e-tag of a file: `{inode:x}-{mtime in ns:x}-{size:x}`.
pub(crate) fn e_tag(meta: &Metadata) -> String {
    format!("{:x}-{:x}-{:x}", meta.ino(), mtime_nanos(meta), meta.len())
}

fn mtime_nanos(meta: &Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// The metadata of the object at `location` stored in a file with `meta`.
pub(crate) fn object_meta(location: Path, meta: &Metadata) -> ObjectMeta {
    ObjectMeta {
        location,
        last_modified: meta
            .modified()
            .map(DateTime::<Utc>::from)
            .unwrap_or_default(),
        size: meta.len(),
        e_tag: Some(e_tag(meta)),
        version: None,
    }
}

/// The last modification time given to a new object, in ns since the epoch.
static LAST_STAMP: AtomicU64 = AtomicU64::new(0);

/// Sets the modification time of a file about to become an object to "now", strictly after
/// every stamp this process gave before.
///
/// File systems keep timestamps from a coarse clock (often several milliseconds), and inode
/// numbers are reused once a file is deleted. Without this, a new object could reuse the
/// inode of an older one with the same size and timestamp, repeating its e-tag and fooling a
/// compare-and-swap that holds that old e-tag. With a nanosecond stamp that never repeats in
/// a process (and practically never across processes), every write gets a new e-tag.
pub(crate) fn stamp(file: &File) -> io::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let prev = LAST_STAMP
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(now);
    let ns = now.max(prev + 1);
    file.set_modified(UNIX_EPOCH + Duration::from_nanos(ns))
}

/// Opens the object file, failing with `NotFound` if it is missing or a directory.
pub(crate) fn open_object(file: &FsPath, location: &str) -> Result<(File, Metadata)> {
    let f = File::open(file).map_err(|e| io_error("open", location, file, e))?;
    let meta = f
        .metadata()
        .map_err(|e| io_error("stat", location, file, e))?;
    if meta.is_dir() {
        return Err(not_found(location, "a directory is not an object"));
    }
    Ok((f, meta))
}

/// Reads the metadata of the object file, failing with `NotFound` if it is missing or a
/// directory.
pub(crate) fn stat_object(file: &FsPath, location: &str) -> Result<Metadata> {
    let meta = std::fs::metadata(file).map_err(|e| io_error("stat", location, file, e))?;
    if meta.is_dir() {
        return Err(not_found(location, "a directory is not an object"));
    }
    Ok(meta)
}

/// fsyncs a directory, making the entries created or removed in it durable.
pub(crate) fn sync_dir(dir: &FsPath) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` and its missing ancestors. With `fsync`, each new directory's entry in its
/// parent is made durable.
pub(crate) fn create_dirs(dir: &FsPath, location: &str, fsync: bool) -> Result<()> {
    let err = |e| write_error("create directory", location, dir, e);
    if !fsync {
        return std::fs::create_dir_all(dir).map_err(err);
    }
    let mut missing = Vec::new();
    let mut cur = dir;
    loop {
        match std::fs::metadata(cur) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => return Err(err(io::Error::from(ErrorKind::NotADirectory))),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                missing.push(cur);
                match cur.parent() {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            Err(e) => return Err(err(e)),
        }
    }
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => sync_dir(parent(d)).map_err(err)?,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(err(e)),
        }
    }
    Ok(())
}

/// Counter making staging file names unique within a process.
static STAGING_SEQ: AtomicU64 = AtomicU64::new(0);

fn staging_name(dest_name: &str) -> String {
    let mut hint = dest_name.len().min(STAGING_NAME_HINT);
    while !dest_name.is_char_boundary(hint) {
        hint -= 1;
    }
    format!(
        "{RESERVED_PREFIX}{:x}-{:x}#{}",
        std::process::id(),
        STAGING_SEQ.fetch_add(1, Ordering::Relaxed),
        &dest_name[..hint]
    )
}

/// Removes a staging file when dropped, unless it was committed.
#[derive(Debug)]
pub(crate) struct StagingGuard(Option<PathBuf>);

impl StagingGuard {
    /// A guard of no file.
    pub(crate) fn none() -> Self {
        Self(None)
    }

    /// The staging file's path.
    pub(crate) fn path(&self) -> &FsPath {
        self.0.as_deref().unwrap_or(FsPath::new(""))
    }

    /// Forgets the file: it was renamed into place (or removed).
    pub(crate) fn defuse(&mut self) {
        self.0 = None;
    }
}

impl Drop for StagingGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Best effort: a leftover staging file is invisible, merely wasted space.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A new, empty staging file in the directory of an object, removed on drop unless
/// committed.
#[derive(Debug)]
pub(crate) struct Staged {
    pub(crate) file: File,
    pub(crate) guard: StagingGuard,
}

impl Staged {
    /// Creates a staging file next to `dest`, creating the directory as needed.
    pub(crate) fn create(dest: &FsPath, location: &str, fsync: bool) -> Result<Self> {
        let dir = parent(dest);
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("");
        for _ in 0..MAX_ATTEMPTS {
            let path = dir.join(staging_name(name));
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(Self {
                        file,
                        guard: StagingGuard(Some(path)),
                    });
                }
                // A leftover of a crashed process with a reused pid: take the next name.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                // The directory is missing, or was just removed by an automatic cleanup.
                Err(e) if e.kind() == ErrorKind::NotFound => create_dirs(dir, location, fsync)?,
                Err(e) => return Err(write_error("create staging file", location, &path, e)),
            }
        }
        Err(generic(format!(
            "could not create a staging file in {}",
            dir.display()
        )))
    }

    /// Takes charge of an existing staging file.
    pub(crate) fn adopt(file: File, path: PathBuf) -> Self {
        Self {
            file,
            guard: StagingGuard(Some(path)),
        }
    }

    /// Writes the whole payload.
    pub(crate) fn write_payload(&mut self, payload: &PutPayload, location: &str) -> Result<()> {
        for chunk in payload {
            self.file
                .write_all(chunk)
                .map_err(|e| io_error("write", location, self.guard.path(), e))?;
        }
        Ok(())
    }

    /// Stamps the file, syncs it if asked, and returns its e-tag: the e-tag the object will
    /// have once committed (a rename keeps inode, mtime and size).
    pub(crate) fn seal(&self, location: &str, fsync: bool) -> Result<String> {
        let path = self.guard.path();
        // Best effort: a file system that refuses explicit timestamps still gets the write,
        // with its own (coarser) modification time.
        let _ = stamp(&self.file);
        if fsync {
            self.file
                .sync_all()
                .map_err(|e| io_error("fsync", location, path, e))?;
        }
        let meta = self
            .file
            .metadata()
            .map_err(|e| io_error("stat", location, path, e))?;
        Ok(e_tag(&meta))
    }

    /// Seals and commits the staging file to `dest`.
    pub(crate) fn finish(
        self,
        dest: &FsPath,
        location: &str,
        mode: &Commit,
        fsync: bool,
    ) -> Result<PutResult> {
        let e_tag = self.seal(location, fsync)?;
        let Self { file, mut guard } = self;
        // Some FUSE file systems only publish a file's data once it is closed.
        drop(file);
        commit(guard.path(), dest, location, mode, fsync)?;
        guard.defuse();
        Ok(PutResult {
            e_tag: Some(e_tag),
            version: None,
        })
    }
}

/// How a staging file replaces the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Commit {
    /// Replace whatever is there.
    Overwrite,
    /// Fail with `AlreadyExists` if anything is there.
    Create,
    /// Replace the object only if its current e-tag is this one, else `Precondition`.
    Update(String),
}

/// Moves `staging` to `dest` as `mode` says, holding the lock of the destination directory
/// for just the check and the rename; with `fsync` the directory is synced afterwards.
pub(crate) fn commit(
    staging: &FsPath,
    dest: &FsPath,
    location: &str,
    mode: &Commit,
    fsync: bool,
) -> Result<()> {
    let dir = parent(dest);
    let lock = DirLock::acquire(dir).map_err(|e| write_error("lock", location, dir, e))?;
    match mode {
        Commit::Overwrite => std::fs::rename(staging, dest)
            .map_err(|e| write_error("rename into place", location, dest, e))?,
        Commit::Create => rename_noreplace(staging, dest)
            .map_err(|e| write_error_keep_exists("create", location, dest, e))?,
        Commit::Update(expected) => {
            let current = match std::fs::metadata(dest) {
                Ok(m) if !m.is_dir() => Some(e_tag(&m)),
                Ok(_) => None,
                Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                    None
                }
                Err(e) => return Err(io_error("stat", location, dest, e)),
            };
            let reason = match current {
                None => format!("no object to update (expected e-tag {expected})"),
                Some(ref c) if c != expected => {
                    format!("e-tag is {c}, expected {expected}")
                }
                Some(_) => String::new(),
            };
            if !reason.is_empty() {
                return Err(Error::Precondition {
                    path: location.to_string(),
                    source: reason.into(),
                });
            }
            std::fs::rename(staging, dest)
                .map_err(|e| write_error("rename into place", location, dest, e))?;
        }
    }
    let dir_file = lock.release();
    if fsync {
        dir_file
            .sync_all()
            .map_err(|e| io_error("fsync directory", location, dir, e))?;
    }
    Ok(())
}

/// [`write_error`], but `AlreadyExists` stays `AlreadyExists`.
pub(crate) fn write_error_keep_exists(
    op: &'static str,
    location: &str,
    file: &FsPath,
    e: io::Error,
) -> Error {
    if e.kind() == ErrorKind::AlreadyExists {
        io_error(op, location, file, e)
    } else {
        write_error(op, location, file, e)
    }
}

/// Renames `from` to `to`, failing with `AlreadyExists` if `to` exists, atomically:
/// `renameat2(RENAME_NOREPLACE)` where the kernel and file system have it, else a hard link
/// (which fails if `to` exists) followed by removing `from`.
pub(crate) fn rename_noreplace(from: &FsPath, to: &FsPath) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c_from = CString::new(from.as_os_str().as_bytes())?;
        let c_to = CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: both pointers are NUL-terminated strings alive for the call.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                c_from.as_ptr(),
                libc::AT_FDCWD,
                c_to.as_ptr(),
                libc::RENAME_NOREPLACE as _,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => {}
            _ => return Err(e),
        }
    }
    std::fs::hard_link(from, to)?;
    // The object is in place; a failure to remove the source name is reported.
    std::fs::remove_file(from)
}

/// Removes the directories from `dir` up to (not including) `root` while they are empty.
pub(crate) fn remove_empty_dirs(root: &FsPath, dir: &FsPath, fsync: bool) {
    let mut cur = dir;
    while cur != root && cur.starts_with(root) {
        if std::fs::remove_dir(cur).is_err() {
            break;
        }
        let up = parent(cur);
        if fsync {
            // Best effort: the delete itself already succeeded and was synced.
            let _ = sync_dir(up);
        }
        cur = up;
    }
}

/// Deletes the object file under the lock of its directory; `NotFound` if there is none.
pub(crate) fn delete(cfg: &Config, file: &FsPath, location: &str) -> Result<()> {
    let dir = parent(file);
    let lock = DirLock::acquire(dir).map_err(|e| io_error("lock", location, dir, e))?;
    if let Err(e) = std::fs::remove_file(file) {
        let is_dir = std::fs::symlink_metadata(file).is_ok_and(|m| m.is_dir());
        return Err(if is_dir {
            not_found(location, "a directory is not an object")
        } else {
            io_error("delete", location, file, e)
        });
    }
    let dir_file = lock.release();
    if cfg.fsync {
        dir_file
            .sync_all()
            .map_err(|e| io_error("fsync directory", location, dir, e))?;
    }
    drop(dir_file);
    if cfg.automatic_cleanup {
        remove_empty_dirs(&cfg.root, dir, cfg.fsync);
    }
    Ok(())
}

/// Copies the object file `src` to a staging file next to `dest` and commits it; the copy is
/// a new object with its own e-tag.
pub(crate) fn copy(
    cfg: &Config,
    src: &FsPath,
    dest: &FsPath,
    from: &str,
    to: &str,
    mode: &Commit,
) -> Result<()> {
    let (mut source, _) = open_object(src, from)?;
    let mut staged = Staged::create(dest, to, cfg.fsync)?;
    // On Linux this is copy_file_range: in-kernel, and a reflink where the file system can.
    io::copy(&mut source, &mut staged.file)
        .map_err(|e| io_error("copy", to, staged.guard.path(), e))?;
    staged.finish(dest, to, mode, cfg.fsync).map(drop)
}

/// Moves the object file `src` to `dest` (replacing it unless `noreplace`), creating the
/// destination directory; both directories are locked for the rename.
pub(crate) fn rename(
    cfg: &Config,
    src: &FsPath,
    dest: &FsPath,
    from: &str,
    to: &str,
    noreplace: bool,
) -> Result<()> {
    let (src_dir, dest_dir) = (parent(src), parent(dest));
    for _ in 0..MAX_ATTEMPTS {
        stat_object(src, from)?;
        create_dirs(dest_dir, to, cfg.fsync)?;
        let (a, b) = match DirLock::acquire_pair(src_dir, dest_dir) {
            Ok(locks) => locks,
            // A directory vanished (automatic cleanup racing with us): start over.
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error("lock", to, dest_dir, e)),
        };
        let moved = if noreplace {
            rename_noreplace(src, dest)
        } else {
            std::fs::rename(src, dest)
        };
        let (a, b) = (a.release(), b.map(DirLock::release));
        match moved {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(write_error_keep_exists("rename", to, dest, e)),
        }
        if cfg.fsync {
            a.sync_all()
                .map_err(|e| io_error("fsync directory", to, dest_dir, e))?;
            if let Some(b) = b {
                b.sync_all()
                    .map_err(|e| io_error("fsync directory", to, dest_dir, e))?;
            }
        }
        if cfg.automatic_cleanup {
            remove_empty_dirs(&cfg.root, src_dir, cfg.fsync);
        }
        return Ok(());
    }
    Err(generic(format!(
        "could not rename {} to {}: directories kept changing",
        src.display(),
        dest.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_are_reserved_unique_and_short() {
        let long = "é".repeat(200);
        let a = staging_name(&long);
        let b = staging_name(&long);
        assert_ne!(a, b);
        assert!(is_reserved(&a));
        assert!(a.len() < 100, "{a}");
        assert!(staging_name("x").ends_with("#x"));
    }

    #[test]
    fn stamps_strictly_increase() {
        let dir = tempfile::tempdir().unwrap();
        let f = File::create(dir.path().join("f")).unwrap();
        let mut last = 0;
        for _ in 0..100 {
            stamp(&f).unwrap();
            let t = mtime_nanos(&f.metadata().unwrap());
            assert!(t > last, "{t} after {last}");
            last = t;
        }
    }

    #[test]
    fn noreplace_refuses_existing() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"1").unwrap();
        std::fs::write(&b, b"2").unwrap();
        let e = rename_noreplace(&a, &b).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        std::fs::remove_file(&b).unwrap();
        rename_noreplace(&a, &b).unwrap();
        assert!(!a.exists());
        assert_eq!(std::fs::read(&b).unwrap(), b"1");
    }

    #[test]
    fn mapping_rejects_reserved_segments() {
        let cfg = Config {
            root: PathBuf::from("/r"),
            automatic_cleanup: false,
            fsync: false,
        };
        assert_eq!(
            cfg.object_file(&Path::parse("a/b%2Fc").unwrap()).unwrap(),
            PathBuf::from("/r/a/b%2Fc")
        );
        assert!(cfg.object_file(&Path::ROOT).is_none());
        assert!(
            cfg.object_file(&Path::parse(".ostore#1/x").unwrap())
                .is_none()
        );
        assert_eq!(cfg.prefix_dir(&Path::ROOT).unwrap(), PathBuf::from("/r"));
    }
}
