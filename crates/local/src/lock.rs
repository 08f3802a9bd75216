//! Advisory locks on directories (`flock(2)`), serializing the commits into one directory
//! across threads and processes, which is what makes `PutMode::Update` a true
//! compare-and-swap.
//!
//! The lock is taken on the directory itself, so no lock file is ever created, listed or
//! left behind. Each acquisition opens its own file description, so two threads of one
//! process exclude each other exactly like two processes do.

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::Path as FsPath;

/// An exclusive lock on a directory, released by [`DirLock::release`] or on drop (closing
/// the descriptor releases a `flock`).
#[derive(Debug)]
pub(crate) struct DirLock {
    dir: File,
}

impl DirLock {
    /// Opens `dir` and waits for its exclusive lock.
    pub(crate) fn acquire(dir: &FsPath) -> io::Result<Self> {
        let dir = File::open(dir)?;
        flock(&dir, libc::LOCK_EX)?;
        Ok(Self { dir })
    }

    /// Locks two directories without deadlocking against a caller locking them in the
    /// other order: locks are taken in the order of (device, inode), and a directory reached
    /// by two paths is locked once (the second lock is `None`).
    pub(crate) fn acquire_pair(a: &FsPath, b: &FsPath) -> io::Result<(Self, Option<Self>)> {
        let fa = File::open(a)?;
        let fb = File::open(b)?;
        let (ma, mb) = (fa.metadata()?, fb.metadata()?);
        let (ka, kb) = ((ma.dev(), ma.ino()), (mb.dev(), mb.ino()));
        if ka == kb {
            flock(&fa, libc::LOCK_EX)?;
            return Ok((Self { dir: fa }, None));
        }
        let (first, second) = if ka < kb { (fa, fb) } else { (fb, fa) };
        flock(&first, libc::LOCK_EX)?;
        flock(&second, libc::LOCK_EX)?;
        Ok((Self { dir: first }, Some(Self { dir: second })))
    }

    /// Releases the lock and hands back the open directory (to fsync it outside the lock).
    pub(crate) fn release(self) -> File {
        // Unlocking an flock we hold cannot fail in a way we could act on; closing the
        // descriptor would release it anyway.
        let _ = flock(&self.dir, libc::LOCK_UN);
        self.dir
    }
}

/// `flock(2)` with retries on `EINTR`.
fn flock(file: &File, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: the descriptor is open for the lifetime of `file`; flock has no memory
        // effects.
        let r = unsafe { libc::flock(file.as_raw_fd(), op) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn excludes_threads_of_one_process() {
        let dir = tempfile::tempdir().unwrap();
        let inside = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (dir, inside) = (dir.path().to_path_buf(), inside.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let lock = DirLock::acquire(&dir).unwrap();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                        drop(lock.release());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn pair_of_same_directory_locks_once() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let alias = dir.path().join("alias");
        std::os::unix::fs::symlink(&sub, &alias).unwrap();
        let (a, b) = DirLock::acquire_pair(&sub, &alias).unwrap();
        assert!(b.is_none());
        drop(a);
        let (_a, b) = DirLock::acquire_pair(&sub, dir.path()).unwrap();
        assert!(b.is_some());
    }
}
