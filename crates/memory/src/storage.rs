//! The state behind an [`InMemory`](crate::InMemory): objects in key order, pending
//! multipart uploads, and the counter that hands out e-tags and upload ids.

use crate::error::MemoryError;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use ostore_core::path::{DELIMITER, Path};
use ostore_core::{Attributes, Error, ListResult, ObjectMeta, PutMode, Result};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One stored object.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) data: Bytes,
    pub(crate) last_modified: DateTime<Utc>,
    pub(crate) attributes: Attributes,
    pub(crate) e_tag: String,
}

/// Source of e-tags: unique across every store of the process, so a forked store can never
/// hand out an e-tag its origin already used for another version of the same key.
static NEXT_E_TAG: AtomicU64 = AtomicU64::new(0);

impl Entry {
    /// A new version of an object, stamped with a fresh e-tag and the current time.
    ///
    /// Built before the store's lock is taken, so the lock covers only the map update.
    pub(crate) fn new(data: Bytes, attributes: Attributes) -> Self {
        let e_tag = NEXT_E_TAG.fetch_add(1, Ordering::Relaxed);
        Self {
            data,
            last_modified: Utc::now(),
            attributes,
            e_tag: format_e_tag(e_tag),
        }
    }

    /// The metadata of this entry when stored at `location`.
    pub(crate) fn meta(&self, location: &Path) -> ObjectMeta {
        ObjectMeta {
            location: location.clone(),
            last_modified: self.last_modified,
            size: self.data.len() as u64,
            e_tag: Some(self.e_tag.clone()),
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

    /// Stores `entry` at `key` under `mode`; returns the entry's e-tag. Nothing changes on
    /// failure.
    pub(crate) fn put(&mut self, key: Path, entry: Entry, mode: PutMode) -> Result<String> {
        match mode {
            PutMode::Overwrite => {}
            PutMode::Create => {
                if self.map.contains_key(&key) {
                    return Err(already_exists(&key));
                }
            }
            PutMode::Update(expected) => {
                // A missing object fails the precondition (as a conditional request to a
                // service would), before the e-tag is even looked at.
                let Some(existing) = self.map.get(&key) else {
                    return Err(Error::Precondition {
                        path: key.to_string(),
                        source: format!("no object at {key} to update").into(),
                    });
                };
                let expected = expected
                    .e_tag
                    .ok_or_else(|| Error::from(MemoryError::MissingETag))?;
                if existing.e_tag != expected {
                    return Err(Error::Precondition {
                        path: key.to_string(),
                        source: format!(
                            "e-tag of {key} is {}, not the expected {expected}",
                            existing.e_tag
                        )
                        .into(),
                    });
                }
            }
        }
        Ok(self.insert(key, entry))
    }

    /// Inserts or replaces the object at `key` unconditionally; returns its e-tag.
    pub(crate) fn insert(&mut self, key: Path, entry: Entry) -> String {
        let e_tag = entry.e_tag.clone();
        self.map.insert(key, entry);
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
        let entry = Entry::new(source.data.clone(), source.attributes.clone());
        if create && self.map.contains_key(to) {
            return Err(already_exists(to));
        }
        if remove_source {
            self.map.remove(from);
        }
        self.insert(to.clone(), entry);
        Ok(())
    }

    /// Up to `limit` objects strictly below `prefix` (segment-wise), in key order, starting
    /// after `after` if given. An object whose path equals `prefix` is not below it.
    pub(crate) fn list_batch(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Vec<ObjectMeta> {
        let below = below(prefix);
        let start = match after {
            Some(after) if after >= below.as_str() => Bound::Excluded(after),
            _ => Bound::Included(below.as_str()),
        };
        self.map
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(key, _)| key.as_ref().starts_with(below.as_str()))
            .take(limit)
            .map(|(key, entry)| entry.meta(key))
            .collect()
    }

    /// The objects directly below `prefix` and the prefixes one level deeper, both sorted.
    ///
    /// Each deeper prefix costs one seek, not a visit of every object beneath it: after
    /// `dir/sub` is found, the scan resumes at `dir/sub0`, the first key past `dir/sub/…`
    /// (`0` being the character after `/`).
    pub(crate) fn list_level(&self, prefix: &str) -> ListResult {
        let below = below(prefix);
        let mut result = ListResult::default();
        let mut cursor = below.clone();
        'seek: loop {
            let range = self
                .map
                .range::<str, _>((Bound::Included(cursor.as_str()), Bound::Unbounded));
            for (key, entry) in range {
                let Some(rest) = key.as_ref().strip_prefix(below.as_str()) else {
                    break 'seek;
                };
                match rest.find(DELIMITER_CHAR) {
                    None => result.objects.push(entry.meta(key)),
                    Some(i) => {
                        let common = &key.as_ref()[..below.len() + i];
                        // `common` is a run of the key's own valid segments.
                        result
                            .common_prefixes
                            .push(Path::parse(common).unwrap_or_default());
                        cursor.clear();
                        cursor.push_str(common);
                        cursor.push(AFTER_DELIMITER);
                        continue 'seek;
                    }
                }
            }
            break;
        }
        // Found in key order, where `a-b/` and `a.b/` come before `a/`; reported in path order.
        result.common_prefixes.sort_unstable();
        result
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

/// The string every key strictly below `prefix` starts with: `prefix/`, or nothing for the
/// root.
fn below(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}{DELIMITER}")
    }
}

/// The delimiter as a character: searching for a `char` is a byte scan, for a `&str` it is
/// a general substring search.
const DELIMITER_CHAR: char = '/';

/// The character right after the delimiter `/` in code point (and byte) order.
const AFTER_DELIMITER: char = '0';

/// `n` in decimal, without the formatting machinery of `to_string`.
fn format_e_tag(mut n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    String::from_utf8_lossy(&digits[start..]).into_owned()
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
