//! The id-based [`MultipartStore`] of an [`InMemory`]. (Its `put_multipart` uploads are
//! the shared [`BufferedUpload`](ostore_core::BufferedUpload).)

use crate::InMemory;
use crate::error::MemoryError;
use crate::storage::{Entry, write};
use async_trait::async_trait;
use bytes::Bytes;
use ostore_core::path::Path;
use ostore_core::{Attributes, MultipartId, MultipartStore, PartId, PutPayload, PutResult, Result};

/// Joins chunks into one buffer; a single chunk is kept as it is, without copying.
fn join(chunks: impl Iterator<Item = Bytes>) -> Bytes {
    Bytes::from(chunks.collect::<PutPayload>())
}

/// Uploads by id. The id and e-tags share one counter. A part's [`PartId::content_id`] is
/// its index; the object is assembled from the parts listed at completion, in list order.
/// The upload's path is not recorded: `complete_multipart` writes to the path it is given.
#[async_trait]
impl MultipartStore for InMemory {
    async fn create_multipart(&self, _path: &Path) -> Result<MultipartId> {
        Ok(write(&self.storage).create_upload().to_string())
    }

    /// Uploading the same index again replaces that part.
    async fn put_part(
        &self,
        _path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let data = Bytes::from(data);
        write(&self.storage).upload_mut(id)?.insert(part_idx, data);
        Ok(PartId {
            content_id: part_idx.to_string(),
        })
    }

    /// A listed part that was never uploaded fails the completion and leaves the upload in
    /// place, so it can still be fixed or aborted.
    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let chunks = {
            let mut storage = write(&self.storage);
            let uploaded = storage.upload_mut(id)?;
            let chunks = parts
                .iter()
                .map(|part| {
                    part.content_id
                        .parse::<usize>()
                        .ok()
                        .and_then(|idx| uploaded.get(&idx))
                        .cloned()
                        .ok_or_else(|| {
                            MemoryError::MissingPart {
                                id: id.clone(),
                                content_id: part.content_id.clone(),
                            }
                            .into()
                        })
                })
                .collect::<Result<Vec<Bytes>>>()?;
            storage.remove_upload(id)?;
            chunks
        };
        // Joining copies (unless there is one part), so it happens outside the lock.
        let data = join(chunks.into_iter());
        let entry = Entry::new(data, Attributes::new());
        let e_tag = write(&self.storage).insert(path.clone(), entry);
        Ok(PutResult {
            e_tag: Some(e_tag),
            version: None,
        })
    }

    async fn abort_multipart(&self, _path: &Path, id: &MultipartId) -> Result<()> {
        write(&self.storage).remove_upload(id)?;
        Ok(())
    }
}
