//! The one public error type of ostore, shared by every backend.

use snafu::Snafu;

/// A boxed error from a backend or a lower layer, kept as the source of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A specialized `Result` for object store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in an object store operation.
///
/// Variants carry the path they concern where one exists, so callers can match on the kind
/// of failure (`NotFound`, `Precondition`, ...) without parsing messages. Backends map their
/// own errors and HTTP statuses onto these kinds in one place.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub))]
#[non_exhaustive]
pub enum Error {
    /// A failure that fits no other kind, tagged with the name of the backend.
    #[snafu(display("{store} store error: {source}"))]
    Generic {
        /// The backend that reported the error, e.g. `"S3"` or `"LocalFileSystem"`.
        store: &'static str,
        /// The underlying error.
        source: BoxError,
    },

    /// The object does not exist.
    #[snafu(display("object not found at '{path}': {source}"))]
    NotFound {
        /// The path that was looked up.
        path: String,
        /// The underlying error.
        source: BoxError,
    },

    /// A path could not be parsed or converted.
    #[snafu(display("invalid path: {source}"), context(false))]
    InvalidPath {
        /// Why the path is invalid.
        source: crate::path::Error,
    },

    /// A spawned blocking task panicked or was cancelled.
    #[snafu(display("background task failed: {source}"), context(false))]
    JoinError {
        /// The error reported by the tokio runtime.
        source: tokio::task::JoinError,
    },

    /// The store does not support this operation or option.
    #[snafu(display("operation not supported: {source}"))]
    NotSupported {
        /// What is unsupported.
        source: BoxError,
    },

    /// The destination already exists and the operation asked not to overwrite it.
    #[snafu(display("object already exists at '{path}': {source}"))]
    AlreadyExists {
        /// The path that already exists.
        path: String,
        /// The underlying error.
        source: BoxError,
    },

    /// A precondition of the request (e-tag, version, modification time) did not hold.
    #[snafu(display("precondition failed for '{path}': {source}"))]
    Precondition {
        /// The path the precondition was evaluated against.
        path: String,
        /// The underlying error.
        source: BoxError,
    },

    /// The object has not been modified since the version the caller already has.
    #[snafu(display("object at '{path}' not modified: {source}"))]
    NotModified {
        /// The path that was requested.
        path: String,
        /// The underlying error.
        source: BoxError,
    },

    /// The operation is not implemented by this store.
    #[snafu(display("operation not implemented by this store"))]
    NotImplemented,

    /// The credentials were valid but lack permission for the operation.
    #[snafu(display("permission denied for '{path}': {source}"))]
    PermissionDenied {
        /// The path the operation concerned.
        path: String,
        /// The underlying error.
        source: BoxError,
    },

    /// The request carried no valid credentials.
    #[snafu(display("not authenticated for '{path}': {source}"))]
    Unauthenticated {
        /// The path the operation concerned.
        path: String,
        /// The underlying error.
        source: BoxError,
    },

    /// A configuration key is not known to the store it was given to.
    #[snafu(display("configuration key '{key}' is not valid for the {store} store"))]
    UnknownConfigurationKey {
        /// The store being configured.
        store: &'static str,
        /// The key that was not recognised.
        key: String,
    },
}

impl Error {
    /// Builds a [`Error::Generic`] from any error, tagged with the backend name.
    pub fn generic(store: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Generic {
            store,
            source: source.into(),
        }
    }

    /// Builds a [`Error::NotFound`] for `path` with a short reason.
    pub fn not_found(path: impl std::fmt::Display, source: impl Into<BoxError>) -> Self {
        Self::NotFound {
            path: path.to_string(),
            source: source.into(),
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind;
        let kind = match &e {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Error::PermissionDenied { .. } | Error::Unauthenticated { .. } => {
                ErrorKind::PermissionDenied
            }
            Error::InvalidPath { .. } => ErrorKind::InvalidInput,
            Error::NotSupported { .. } | Error::NotImplemented => ErrorKind::Unsupported,
            _ => ErrorKind::Other,
        };
        Self::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_kinds() {
        let e: std::io::Error = Error::not_found("a/b", "missing").into();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(e.to_string().contains("a/b"));
        let e: std::io::Error = Error::NotImplemented.into();
        assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
    }
}
