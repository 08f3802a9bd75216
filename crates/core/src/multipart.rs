//! Low-level multipart uploads addressed by upload id, for callers that manage parts
//! themselves (for example across processes).

use crate::path::Path;
use crate::{PutPayload, PutResult, Result};
use async_trait::async_trait;

/// The id of a multipart upload, as given by the store.
pub type MultipartId = String;

/// Identifies an uploaded part; pass them in order to
/// [`MultipartStore::complete_multipart`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartId {
    /// The store's identifier of the part's content (an e-tag on S3).
    pub content_id: String,
}

/// A store whose multipart uploads can be driven by id.
///
/// Parts may be uploaded concurrently and in any order; the object is assembled from the
/// parts in the order of the list given at completion, and becomes visible atomically then.
#[async_trait]
pub trait MultipartStore: Send + Sync + 'static {
    /// Starts an upload to `path` and returns its id.
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId>;

    /// Uploads part number `part_idx` (from 0) of upload `id`.
    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId>;

    /// Assembles the object from `parts`, in that order.
    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult>;

    /// Abandons upload `id` and frees its parts.
    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()>;
}
