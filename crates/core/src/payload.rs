//! Request bodies: [`PutPayload`], an immutable list of [`Bytes`] chunks, and its builder.

use bytes::Bytes;
use std::sync::Arc;

/// A cheaply cloneable, ordered list of [`Bytes`] chunks to upload.
///
/// Cloning shares the chunks; nothing is copied. Transports send the chunks in order
/// without joining them into one buffer.
///
/// ```
/// use ostore_core::PutPayload;
/// let payload = PutPayload::from_static(b"hello");
/// assert_eq!(payload.content_length(), 5);
/// ```
#[derive(Debug, Clone)]
pub struct PutPayload(Arc<[Bytes]>);

impl Default for PutPayload {
    fn default() -> Self {
        Self(Arc::new([]))
    }
}

impl PutPayload {
    /// An empty payload.
    pub fn new() -> Self {
        Self::default()
    }

    /// A payload of one static slice, without copying.
    pub fn from_static(s: &'static [u8]) -> Self {
        s.into()
    }

    /// A payload of one [`Bytes`] chunk.
    pub fn from_bytes(s: Bytes) -> Self {
        s.into()
    }

    /// The total number of bytes.
    pub fn content_length(&self) -> usize {
        self.0.iter().map(Bytes::len).sum()
    }

    /// Iterates over the chunks.
    pub fn iter(&self) -> PutPayloadIter<'_> {
        PutPayloadIter(self.0.iter())
    }
}

impl AsRef<[Bytes]> for PutPayload {
    fn as_ref(&self) -> &[Bytes] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a PutPayload {
    type Item = &'a Bytes;
    type IntoIter = PutPayloadIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for PutPayload {
    type Item = Bytes;
    type IntoIter = PutPayloadIntoIter;
    fn into_iter(self) -> Self::IntoIter {
        PutPayloadIntoIter {
            payload: self,
            next: 0,
        }
    }
}

/// Iterator over the chunks of a borrowed [`PutPayload`].
#[derive(Debug)]
pub struct PutPayloadIter<'a>(std::slice::Iter<'a, Bytes>);

impl<'a> Iterator for PutPayloadIter<'a> {
    type Item = &'a Bytes;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// Owning iterator over the chunks of a [`PutPayload`]; each chunk is a cheap clone.
#[derive(Debug)]
pub struct PutPayloadIntoIter {
    payload: PutPayload,
    next: usize,
}

impl Iterator for PutPayloadIntoIter {
    type Item = Bytes;
    fn next(&mut self) -> Option<Self::Item> {
        let chunk = self.payload.0.get(self.next)?.clone();
        self.next += 1;
        Some(chunk)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.payload.0.len() - self.next;
        (left, Some(left))
    }
}

impl From<Bytes> for PutPayload {
    fn from(value: Bytes) -> Self {
        if value.is_empty() {
            return Self::default();
        }
        Self(Arc::new([value]))
    }
}

impl From<Vec<u8>> for PutPayload {
    fn from(value: Vec<u8>) -> Self {
        Bytes::from(value).into()
    }
}

impl From<&'static str> for PutPayload {
    fn from(value: &'static str) -> Self {
        Bytes::from_static(value.as_bytes()).into()
    }
}

impl From<&'static [u8]> for PutPayload {
    fn from(value: &'static [u8]) -> Self {
        Bytes::from_static(value).into()
    }
}

impl From<String> for PutPayload {
    fn from(value: String) -> Self {
        Bytes::from(value).into()
    }
}

impl FromIterator<u8> for PutPayload {
    fn from_iter<T: IntoIterator<Item = u8>>(iter: T) -> Self {
        Bytes::from_iter(iter).into()
    }
}

impl FromIterator<Bytes> for PutPayload {
    fn from_iter<T: IntoIterator<Item = Bytes>>(iter: T) -> Self {
        Self(iter.into_iter().filter(|b| !b.is_empty()).collect())
    }
}

impl From<PutPayload> for Bytes {
    /// Joins the chunks; free when there is at most one chunk.
    fn from(mut value: PutPayload) -> Self {
        match value.0.len() {
            0 => Bytes::new(),
            // Moving the chunk out of a payload nobody else holds spares the two atomic
            // updates of a clone and a drop on the buffer's shared count.
            1 => match Arc::get_mut(&mut value.0) {
                Some(chunks) => std::mem::take(&mut chunks[0]),
                None => value.0[0].clone(),
            },
            _ => {
                let mut buf = Vec::with_capacity(value.content_length());
                for chunk in &value {
                    buf.extend_from_slice(chunk);
                }
                buf.into()
            }
        }
    }
}

/// Builds a [`PutPayload`] from many small writes without re-allocating.
///
/// Bytes are appended to fixed-size blocks; a full block is frozen and a new one started,
/// so no write ever copies earlier data again. Pushed [`Bytes`] are kept as they are.
///
/// ```
/// use ostore_core::PutPayloadMut;
/// let mut buf = PutPayloadMut::new().with_block_size(4);
/// buf.extend_from_slice(b"hello world");
/// assert_eq!(buf.content_length(), 11);
/// let payload = buf.freeze();
/// assert_eq!(payload.content_length(), 11);
/// ```
#[derive(Debug)]
pub struct PutPayloadMut {
    len: usize,
    completed: Vec<Bytes>,
    in_progress: Vec<u8>,
    block_size: usize,
}

/// The block size a [`PutPayloadMut`] allocates unless told otherwise.
const DEFAULT_BLOCK_SIZE: usize = 8 * 1024;

impl Default for PutPayloadMut {
    fn default() -> Self {
        Self {
            len: 0,
            completed: Vec::new(),
            in_progress: Vec::new(),
            block_size: DEFAULT_BLOCK_SIZE,
        }
    }
}

impl PutPayloadMut {
    /// An empty builder with 8 KiB blocks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the size of the blocks later writes allocate.
    pub fn with_block_size(self, block_size: usize) -> Self {
        Self {
            block_size: block_size.max(1),
            ..self
        }
    }

    /// Appends a copy of `slice`.
    pub fn extend_from_slice(&mut self, mut slice: &[u8]) {
        self.len += slice.len();
        while !slice.is_empty() {
            let room = self.in_progress.capacity() - self.in_progress.len();
            if room == 0 {
                self.flush_block();
                // Large writes get a block of their own size, avoiding a split.
                self.in_progress = Vec::with_capacity(self.block_size.max(slice.len()));
                continue;
            }
            let n = room.min(slice.len());
            self.in_progress.extend_from_slice(&slice[..n]);
            slice = &slice[n..];
        }
    }

    /// Appends `bytes` without copying.
    pub fn push(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        self.flush_block();
        self.len += bytes.len();
        self.completed.push(bytes);
    }

    /// The number of bytes written so far.
    pub fn content_length(&self) -> usize {
        self.len
    }

    /// Finishes the payload.
    pub fn freeze(mut self) -> PutPayload {
        self.flush_block();
        PutPayload(self.completed.into())
    }

    fn flush_block(&mut self) {
        if !self.in_progress.is_empty() {
            let block = std::mem::take(&mut self.in_progress);
            self.completed.push(block.into());
        }
    }
}

impl From<PutPayloadMut> for PutPayload {
    fn from(value: PutPayloadMut) -> Self {
        value.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_keeps_bytes_in_order() {
        let mut b = PutPayloadMut::new().with_block_size(3);
        b.extend_from_slice(b"ab");
        b.push(Bytes::from_static(b"XY"));
        b.extend_from_slice(b"cdefgh");
        b.extend_from_slice(b"");
        let p = b.freeze();
        assert_eq!(p.content_length(), 10);
        let joined: Bytes = p.clone().into();
        assert_eq!(&joined[..], b"abXYcdefgh");
        assert!(p.iter().all(|c| !c.is_empty()));
    }

    #[test]
    fn empty_payload() {
        let p = PutPayload::new();
        assert_eq!(p.content_length(), 0);
        assert_eq!(p.iter().count(), 0);
        let b: Bytes = PutPayload::from(Bytes::new()).into();
        assert!(b.is_empty());
    }

    #[test]
    fn single_chunk_is_not_copied() {
        let data = Bytes::from(vec![7u8; 1000]);
        let p = PutPayload::from(data.clone());
        let back: Bytes = p.into();
        assert_eq!(back.as_ptr(), data.as_ptr());
    }
}
