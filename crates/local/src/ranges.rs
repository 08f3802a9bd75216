//! Vectored reads: many byte ranges of one file, read into one buffer without zeroing it.
//!
//! Measured on a 2-core machine (1 000 random 4 KiB ranges of a 256 MiB file in the page
//! cache), splitting the reads across blocking threads made them slower, not faster: the
//! copy out of the page cache is memory bound and the hand-off costs more than it saves.
//! What does pay is skipping the zeroing of the destination, which costs as much as the
//! copy itself for small ranges.

use crate::error::{STORE, generic, io_error};
use crate::fs;
use bytes::Bytes;
use ostore_core::{Error, GetRange, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path as FsPath;

/// Reads `ranges` of the object file `path`, checking each as a [`GetRange::Bounded`] read:
/// a range starting at or past the end is an error, one ending past the end is cut, and an
/// empty range reads nothing. The results share one buffer.
pub(crate) fn read_ranges(
    path: &FsPath,
    location: &str,
    ranges: &[Range<u64>],
) -> Result<Vec<Bytes>> {
    let (file, meta) = fs::open_object(path, location)?;
    let len = meta.len();
    let ranges = ranges
        .iter()
        .map(|r| {
            if r.start >= r.end {
                return Ok(r.start..r.start);
            }
            GetRange::Bounded(r.clone())
                .as_range(len)
                .map_err(|e| Error::generic(STORE, e))
        })
        .collect::<Result<Vec<_>>>()?;

    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let total =
        usize::try_from(total).map_err(|_| generic("ranges larger than the address space"))?;
    let mut buf = Vec::with_capacity(total);
    for r in &ranges {
        append_range(&file, &mut buf, r.clone(), location, path)?;
    }
    let buf = Bytes::from(buf);
    let mut at = 0;
    Ok(ranges
        .iter()
        .map(|r| {
            // Every range fits in `total`, which fits in `usize`.
            let n = (r.end - r.start) as usize;
            at += n;
            buf.slice(at - n..at)
        })
        .collect())
}

/// Appends the bytes `r` of `f` to `buf`, reading straight into its spare capacity
/// (`read_to_end` on a file does not zero it first). Seeking is fine: this reader owns the
/// file handle.
fn append_range(
    mut f: &File,
    buf: &mut Vec<u8>,
    r: Range<u64>,
    location: &str,
    path: &FsPath,
) -> Result<()> {
    let want = r.end - r.start;
    let before = buf.len();
    f.seek(SeekFrom::Start(r.start))
        .and_then(|_| f.take(want).read_to_end(buf))
        .map_err(|e| io_error("read", location, path, e))?;
    let got = (buf.len() - before) as u64;
    if got != want {
        return Err(generic(format!(
            "{location}: the file ended {got} bytes into the {want}-byte range at {}",
            r.start
        )));
    }
    Ok(())
}
