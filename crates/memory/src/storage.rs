//! The state behind an [`InMemory`](crate::InMemory): objects in key order, pending
//! multipart uploads, and the counter that hands out e-tags and upload ids.

use crate::error::MemoryError;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use ostore_core::path::Path;
use ostore_core::{Attributes, Error, ObjectMeta, PutMode, Result};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One stored object.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) data: Bytes,
    pub(crate) last_modified: DateTime<Utc>,
    pub(crate) attributes: Attributes,
    pub(crate) e_tag: u64,
}

impl Entry {
    /// The metadata of this entry when stored at `location`.
    pub(crate) fn meta(&self, location: &Path) -> ObjectMeta {
        ObjectMeta {
            location: location.clone(),
            last_modified: self.last_modified,
            size: self.data.len() as u64,
            e_tag: Some(self.e_tag.to_string()),
            version: None,
        }
    }
}

/// Everything an [`InMemory`](crate::InMemory) holds. Cloning it is what `fork` does.
#[derive(Debug, Default, Clone)]
pub(crate) struct Storage {
    /// The next e-tag or upload id; only ever grows.
    next_id: u64,
    /// The objects, ordered by encoded path, which is the listing order.
    pub(crate) map: BTreeMap<Path, Entry>,
    /// Parts of uploads started through `MultipartStore`, by upload id and part index.
    pub(crate) uploads: HashMap<u64, BTreeMap<usize, Bytes>>,
}

impl Storage {
    /// Takes the next value of the store-wide counter.
    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Writes `data` at `location` under `mode`, stamping a fresh e-tag and modification
    /// time; returns the e-tag. Nothing changes (and no e-tag is used up) on failure.
    pub(crate) fn put(
        &mut self,
        location: &Path,
        data: Bytes,
        attributes: Attributes,
        mode: PutMode,
    ) -> Result<u64> {
        match mode {
            PutMode::Overwrite => {}
            PutMode::Create => {
                if self.map.contains_key(location) {
                    return Err(already_exists(location));
                }
            }
            PutMode::Update(expected) => {
                // A missing object fails the precondition (as a conditional request to a
                // service would), before the e-tag is even looked at.
                let Some(existing) = self.map.get(location) else {
                    return Err(Error::Precondition {
                        path: location.to_string(),
                        source: format!("no object at {location} to update").into(),
                    });
                };
                let expected = expected
                    .e_tag
                    .ok_or_else(|| Error::from(MemoryError::MissingETag))?;
                let current = existing.e_tag.to_string();
                if current != expected {
                    return Err(Error::Precondition {
                        path: location.to_string(),
                        source: format!(
                            "e-tag of {location} is {current}, not the expected {expected}"
                        )
                        .into(),
                    });
                }
            }
        }
        Ok(self.insert(location.clone(), data, attributes))
    }

    /// Inserts or replaces the object at `location` unconditionally; returns its e-tag.
    pub(crate) fn insert(&mut self, location: Path, data: Bytes, attributes: Attributes) -> u64 {
        let e_tag = self.next_id();
        let entry = Entry {
            data,
            last_modified: Utc::now(),
            attributes,
            e_tag,
        };
        self.map.insert(location, entry);
        e_tag
    }

    /// The object at `location`, or `NotFound`.
    pub(crate) fn get(&self, location: &Path) -> Result<&Entry> {
        self.map.get(location).ok_or_else(|| not_found(location))
    }

    /// Copies (or, with `remove_source`, moves) `from` to `to` as a new write: the copy
    /// gets a fresh e-tag and modification time and keeps the attributes. With `create`
    /// an existing `to` fails with `AlreadyExists` and nothing changes.
    pub(crate) fn copy(
        &mut self,
        from: &Path,
        to: &Path,
        create: bool,
        remove_source: bool,
    ) -> Result<()> {
        let source = self.get(from)?;
        let (data, attributes) = (source.data.clone(), source.attributes.clone());
        if create && self.map.contains_key(to) {
            return Err(already_exists(to));
        }
        if remove_source {
            self.map.remove(from);
        }
        self.insert(to.clone(), data, attributes);
        Ok(())
    }

    /// The metadata of the objects strictly below `prefix` (segment-wise), in key order,
    /// starting after `offset` if given. An object whose path equals `prefix` is not below
    /// it and is left out.
    pub(crate) fn list(&self, prefix: &Path, offset: Option<&Path>) -> Vec<Result<ObjectMeta>> {
        let start = match offset {
            Some(offset) if offset >= prefix => Bound::Excluded(offset),
            _ => Bound::Included(prefix),
        };
        self.map
            .range::<Path, _>((start, Bound::Unbounded))
            .take_while(|(key, _)| key.as_ref().starts_with(prefix.as_ref()))
            .filter(|(key, _)| is_strictly_below(key, prefix))
            .map(|(key, entry)| Ok(entry.meta(key)))
            .collect()
    }

    /// Starts a `MultipartStore` upload and returns its id.
    pub(crate) fn create_upload(&mut self) -> u64 {
        let id = self.next_id();
        self.uploads.insert(id, BTreeMap::new());
        id
    }

    /// The parts of upload `id`, or an error naming the id.
    pub(crate) fn upload_mut(&mut self, id: &str) -> Result<&mut BTreeMap<usize, Bytes>> {
        parse_upload_id(id)
            .and_then(|n| self.uploads.get_mut(&n))
            .ok_or_else(|| upload_not_found(id))
    }

    /// Removes upload `id`, or fails with an error naming the id.
    pub(crate) fn remove_upload(&mut self, id: &str) -> Result<BTreeMap<usize, Bytes>> {
        parse_upload_id(id)
            .and_then(|n| self.uploads.remove(&n))
            .ok_or_else(|| upload_not_found(id))
    }
}

/// Whether `key` is `prefix` followed by at least one more segment.
pub(crate) fn is_strictly_below(key: &Path, prefix: &Path) -> bool {
    key.prefix_match(prefix)
        .is_some_and(|mut rest| rest.next().is_some())
}

fn parse_upload_id(id: &str) -> Option<u64> {
    id.parse().ok()
}

fn upload_not_found(id: &str) -> Error {
    MemoryError::UploadNotFound { id: id.to_string() }.into()
}

pub(crate) fn not_found(location: &Path) -> Error {
    MemoryError::NotFound {
        path: location.to_string(),
    }
    .into()
}

fn already_exists(location: &Path) -> Error {
    MemoryError::AlreadyExists {
        path: location.to_string(),
    }
    .into()
}

/// Locks `lock` for reading. A panic while the lock was held cannot leave the map half
/// updated (every change is a single map operation), so poisoning is ignored.
pub(crate) fn read(lock: &RwLock<Storage>) -> RwLockReadGuard<'_, Storage> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Locks `lock` for writing; see [`read`] on poisoning.
pub(crate) fn write(lock: &RwLock<Storage>) -> RwLockWriteGuard<'_, Storage> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
