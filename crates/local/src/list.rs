//! Listing in the lexicographic order of the encoded keys, as S3 lists: a lazy depth-first
//! walk that reads and sorts one directory at a time, and skips the subtrees that sort
//! before an offset without reading them.

use crate::error::{generic, io_error};
use crate::fs::{is_reserved, object_meta};
use ostore_core::path::{Path, PathPart};
use ostore_core::{ListResult, ObjectMeta, Result};
use std::cmp::Ordering;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// One name in a directory: a file (object) or a subdirectory (a prefix).
#[derive(Debug)]
struct Entry {
    name: String,
    dir: bool,
}

impl Entry {
    /// Keys below a directory all start with `name/`, so a directory sorts as `name/`: after
    /// `name.c` ('.' < '/') and before `name0` ('/' < '0').
    fn cmp_key(&self, other: &Self) -> Ordering {
        let a = self.name.bytes().chain(self.dir.then_some(b'/'));
        let b = other.name.bytes().chain(other.dir.then_some(b'/'));
        a.cmp(b)
    }
}

/// A directory being walked.
#[derive(Debug)]
struct Frame {
    dir: PathBuf,
    /// The key prefix of the entries: `""` at the root, else the directory's key and `/`.
    key: String,
    /// (device, inode), to detect symbolic link loops.
    id: (u64, u64),
    entries: std::vec::IntoIter<Entry>,
}

/// Reads, filters and sorts the entries of `dir`: names that are not valid path segments
/// (not UTF-8, control characters) and the store's internal files are skipped, symbolic
/// links are classified by their target (broken ones skipped), and anything that is neither
/// a file nor a directory is skipped.
fn read_entries(dir: &std::path::Path, key: &str) -> Result<Option<Vec<Entry>>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(None);
        }
        Err(e) => return Err(io_error("read directory", key, dir, e)),
    };
    let mut entries = Vec::new();
    for de in rd {
        let de = de.map_err(|e| io_error("read directory", key, dir, e))?;
        let Ok(name) = de.file_name().into_string() else {
            continue;
        };
        if is_reserved(&name) || PathPart::parse(&name).is_err() {
            continue;
        }
        let Ok(ft) = de.file_type() else { continue };
        let is_dir = if ft.is_dir() {
            true
        } else if ft.is_file() {
            false
        } else if ft.is_symlink() {
            match std::fs::metadata(de.path()) {
                Ok(m) if m.is_dir() => true,
                Ok(m) if m.is_file() => false,
                _ => continue,
            }
        } else {
            continue;
        };
        entries.push(Entry { name, dir: is_dir });
    }
    entries.sort_unstable_by(Entry::cmp_key);
    Ok(Some(entries))
}

/// A lazy, sorted, depth-first walk of the objects below a directory.
#[derive(Debug)]
pub(crate) struct Walk {
    stack: Vec<Frame>,
    /// Only keys strictly after this are produced; cleared once one is.
    offset: Option<String>,
    /// The directory to start from, until the first batch opens it.
    start: Option<(PathBuf, String)>,
}

impl Walk {
    /// Walks `dir`, whose objects have keys starting with `key` (`""` or ending in `/`).
    pub(crate) fn new(dir: PathBuf, key: String, offset: Option<String>) -> Self {
        Self {
            stack: Vec::new(),
            offset,
            start: Some((dir, key)),
        }
    }

    /// Whether every object was produced.
    pub(crate) fn is_done(&self) -> bool {
        self.start.is_none() && self.stack.is_empty()
    }

    /// Pushes the frame of directory `dir` with key prefix `key`; nothing if it is not (or no
    /// longer) a directory.
    fn enter(&mut self, dir: PathBuf, key: String) -> Result<()> {
        let meta = match std::fs::metadata(&dir) {
            Ok(m) => m,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                return Ok(());
            }
            Err(e) => return Err(io_error("stat directory", &key, &dir, e)),
        };
        if !meta.is_dir() {
            return Ok(());
        }
        let id = (meta.dev(), meta.ino());
        if self.stack.iter().any(|f| f.id == id) {
            return Err(generic(format!(
                "symbolic link loop: {} is its own ancestor",
                dir.display()
            )));
        }
        if let Some(entries) = read_entries(&dir, &key)? {
            self.stack.push(Frame {
                dir,
                key,
                id,
                entries: entries.into_iter(),
            });
        }
        Ok(())
    }

    /// Produces up to `max` more results in key order. Errors (an unreadable directory, a
    /// link loop) are produced in place and the walk goes on past them.
    pub(crate) fn next_batch(&mut self, max: usize) -> Vec<Result<ObjectMeta>> {
        let mut out = Vec::new();
        if let Some((dir, key)) = self.start.take() {
            if let Err(e) = self.enter(dir, key) {
                out.push(Err(e));
            }
        }
        while out.len() < max {
            let Some(frame) = self.stack.last_mut() else {
                break;
            };
            let Some(entry) = frame.entries.next() else {
                self.stack.pop();
                continue;
            };
            let path = frame.dir.join(&entry.name);
            let mut key = String::with_capacity(frame.key.len() + entry.name.len() + 1);
            key.push_str(&frame.key);
            key.push_str(&entry.name);
            if entry.dir {
                key.push('/');
                if let Some(offset) = &self.offset {
                    // Every key below sorts before the offset: skip the subtree unread.
                    if key.as_str() < offset.as_str() && !offset.starts_with(&key) {
                        continue;
                    }
                }
                if let Err(e) = self.enter(path, key) {
                    out.push(Err(e));
                }
                continue;
            }
            if self.offset.as_deref().is_some_and(|o| key.as_str() <= o) {
                continue;
            }
            match file_meta(path, key) {
                Some(Ok(meta)) => {
                    self.offset = None;
                    out.push(Ok(meta));
                }
                Some(Err(e)) => out.push(Err(e)),
                None => {}
            }
        }
        out
    }
}

/// The metadata of the object in file `path` with key `key`; `None` if it vanished or is no
/// longer a file.
fn file_meta(path: PathBuf, key: String) -> Option<Result<ObjectMeta>> {
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => {
            // Every segment was validated when its directory was read.
            Some(
                Path::parse(&key)
                    .map_err(Into::into)
                    .map(|location| object_meta(location, &m)),
            )
        }
        Ok(_) => None,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => None,
        Err(e) => Some(Err(io_error("stat", &key, &path, e))),
    }
}

/// Whether any object exists below `dir` (the store's internal files do not count).
/// `ancestors` are the (device, inode) of the directories above, to stop at link loops.
fn holds_object(dir: &std::path::Path, ancestors: &mut Vec<(u64, u64)>) -> bool {
    let Ok(meta) = std::fs::metadata(dir) else {
        return false;
    };
    let id = (meta.dev(), meta.ino());
    if ancestors.contains(&id) {
        return false;
    }
    let Ok(Some(entries)) = read_entries(dir, "") else {
        return false;
    };
    if entries.iter().any(|e| !e.dir) {
        return true;
    }
    ancestors.push(id);
    let found = entries
        .iter()
        .any(|e| holds_object(&dir.join(&e.name), ancestors));
    ancestors.pop();
    found
}

/// The objects directly in `dir` (the directory of `prefix`) and, as common prefixes, its
/// subdirectories that hold at least one object, both sorted.
pub(crate) fn list_dir(dir: PathBuf, prefix: &Path) -> Result<ListResult> {
    let mut result = ListResult::default();
    let key = if prefix.is_root() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let Some(entries) = read_entries(&dir, &key)? else {
        return Ok(result);
    };
    let mut ancestors = match std::fs::metadata(&dir) {
        Ok(m) => vec![(m.dev(), m.ino())],
        Err(_) => Vec::new(),
    };
    for entry in entries {
        let path = dir.join(&entry.name);
        if entry.dir {
            if holds_object(&path, &mut ancestors) {
                // The name is used verbatim (it was validated as a segment), not re-encoded.
                result
                    .common_prefixes
                    .push(Path::parse(format!("{key}{}", entry.name))?);
            }
        } else if let Some(meta) = file_meta(path, format!("{key}{}", entry.name)) {
            result.objects.push(meta?);
        }
    }
    // Entries were sorted with directories as `name/`; each list on its own sorts by name.
    result.common_prefixes.sort_unstable();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, dir: bool) -> Entry {
        Entry {
            name: name.into(),
            dir,
        }
    }

    #[test]
    fn directories_sort_as_name_slash() {
        let mut v = [
            entry("a0", false),
            entry("a", true),
            entry("a.c", false),
            entry("a-", true),
            entry("b", false),
        ];
        v.sort_unstable_by(Entry::cmp_key);
        let names: Vec<_> = v.iter().map(|e| (e.name.as_str(), e.dir)).collect();
        assert_eq!(
            names,
            [
                ("a-", true),
                ("a.c", false),
                ("a", true),
                ("a0", false),
                ("b", false)
            ]
        );
    }
}
