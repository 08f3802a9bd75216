//! The failures specific to the in-memory store, and how they map onto [`ostore_core::Error`].

use ostore_core::{Error, InvalidGetRange};
use snafu::Snafu;

/// The name of the store in [`Error::Generic`].
pub(crate) const STORE: &str = "InMemory";

/// Why an in-memory operation failed; kept as the `source` of the public error.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
pub(crate) enum MemoryError {
    #[snafu(display("no object in memory at {path}"))]
    NotFound { path: String },

    #[snafu(display("an object already exists at {path}"))]
    AlreadyExists { path: String },

    #[snafu(display("invalid range: {source}"))]
    Range { source: InvalidGetRange },

    #[snafu(display("a conditional update (PutMode::Update) needs an e-tag"))]
    MissingETag,

    #[snafu(display("no multipart upload with id {id}"))]
    UploadNotFound { id: String },

    #[snafu(display("multipart upload {id} has no part {content_id}"))]
    MissingPart { id: String, content_id: String },
}

impl From<MemoryError> for Error {
    fn from(e: MemoryError) -> Self {
        match e {
            MemoryError::NotFound { ref path } => Self::NotFound {
                path: path.clone(),
                source: e.into(),
            },
            MemoryError::AlreadyExists { ref path } => Self::AlreadyExists {
                path: path.clone(),
                source: e.into(),
            },
            other => Self::generic(STORE, other),
        }
    }
}
