//! How file system failures become [`ostore_core::Error`]s: the kind from the `io::Error`,
//! the context (operation and file) kept in the source.

use ostore_core::Error;
use std::fmt;
use std::io::{self, ErrorKind};
use std::path::{Path as FsPath, PathBuf};

/// The name of this store in [`Error::Generic`].
pub(crate) const STORE: &str = "LocalFileSystem";

/// An I/O failure with what was being done and to which file; the source of the public error.
#[derive(Debug)]
pub(crate) struct IoContext {
    op: &'static str,
    file: PathBuf,
    source: io::Error,
}

impl fmt::Display for IoContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.op, self.file.display(), self.source)
    }
}

impl std::error::Error for IoContext {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Maps an I/O failure of operation `op` on `file` (holding the object `location`) to the
/// public error kind: `NotFound` for a missing file or a missing directory on the way to it,
/// `AlreadyExists`, `PermissionDenied`, and `Generic` for everything else.
pub(crate) fn io_error(
    op: &'static str,
    location: &str,
    file: &FsPath,
    source: io::Error,
) -> Error {
    let kind = source.kind();
    let path = location.to_string();
    let source = Box::new(IoContext {
        op,
        file: file.to_path_buf(),
        source,
    });
    match kind {
        ErrorKind::NotFound | ErrorKind::NotADirectory => Error::NotFound { path, source },
        ErrorKind::AlreadyExists => Error::AlreadyExists { path, source },
        ErrorKind::PermissionDenied => Error::PermissionDenied { path, source },
        _ => Error::Generic {
            store: STORE,
            source,
        },
    }
}

/// Like [`io_error`], but never `NotFound`: for failures while preparing a write (a file
/// where a directory is needed is a conflict, not a missing object).
pub(crate) fn write_error(
    op: &'static str,
    location: &str,
    file: &FsPath,
    source: io::Error,
) -> Error {
    match source.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::AlreadyExists => {
            Error::generic(
                STORE,
                IoContext {
                    op,
                    file: file.to_path_buf(),
                    source,
                },
            )
        }
        _ => io_error(op, location, file, source),
    }
}

/// A `NotFound` error for `location` with a plain reason.
pub(crate) fn not_found(location: &str, reason: &str) -> Error {
    Error::not_found(location, reason.to_string())
}

/// A `Generic` error of this store with a plain reason.
pub(crate) fn generic(reason: impl Into<String>) -> Error {
    Error::generic(STORE, reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map() {
        let f = FsPath::new("/x/y");
        let e = io_error("open", "y", f, io::Error::from(ErrorKind::NotFound));
        assert!(matches!(e, Error::NotFound { ref path, .. } if path == "y"));
        assert!(e.to_string().contains("/x/y"), "{e}");
        let e = io_error("open", "y", f, io::Error::from(ErrorKind::PermissionDenied));
        assert!(matches!(e, Error::PermissionDenied { .. }));
        let e = io_error("open", "y", f, io::Error::from(ErrorKind::AlreadyExists));
        assert!(matches!(e, Error::AlreadyExists { .. }));
        let e = io_error("open", "y", f, io::Error::from(ErrorKind::InvalidData));
        assert!(matches!(e, Error::Generic { store: STORE, .. }));
        let e = write_error("mkdir", "y", f, io::Error::from(ErrorKind::NotADirectory));
        assert!(matches!(e, Error::Generic { .. }));
    }
}
