//! Options and results of reads and writes: put modes, get conditions and byte ranges.

use crate::{Attributes, Error, Extensions, ObjectMeta, Result, TagSet};
use chrono::{DateTime, Utc};
use snafu::Snafu;
use std::fmt;
use std::ops::{Bound, Range, RangeBounds};

/// What a put should do when an object already exists at the destination.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PutMode {
    /// Replace any existing object.
    #[default]
    Overwrite,
    /// Fail with [`Error::AlreadyExists`] if an object exists.
    Create,
    /// Replace the object only if it is still at the given version, else fail with
    /// [`Error::Precondition`]. This is compare-and-swap, the building block of optimistic
    /// concurrency control.
    Update(UpdateVersion),
}

/// Identifies the version of an object that a [`PutMode::Update`] expects to replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateVersion {
    /// The e-tag the object must still have.
    pub e_tag: Option<String>,
    /// The version the object must still have, for stores with versioning.
    pub version: Option<String>,
}

impl From<PutResult> for UpdateVersion {
    fn from(value: PutResult) -> Self {
        Self {
            e_tag: value.e_tag,
            version: value.version,
        }
    }
}

/// Options of [`ObjectStore::put_opts`](crate::ObjectStore::put_opts).
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// What to do if the object exists.
    pub mode: PutMode,
    /// Tags to set on the object; stores without tagging ignore them.
    pub tags: TagSet,
    /// Attributes to store; a store that cannot store one returns an error.
    pub attributes: Attributes,
    /// Caller-defined context for custom stores; ignored by the stores of ostore and left out
    /// of equality.
    pub extensions: Extensions,
}

impl PartialEq for PutOptions {
    fn eq(&self, other: &Self) -> bool {
        self.mode == other.mode && self.tags == other.tags && self.attributes == other.attributes
    }
}

impl Eq for PutOptions {}

impl From<PutMode> for PutOptions {
    fn from(mode: PutMode) -> Self {
        Self {
            mode,
            ..Default::default()
        }
    }
}

impl From<TagSet> for PutOptions {
    fn from(tags: TagSet) -> Self {
        Self {
            tags,
            ..Default::default()
        }
    }
}

impl From<Attributes> for PutOptions {
    fn from(attributes: Attributes) -> Self {
        Self {
            attributes,
            ..Default::default()
        }
    }
}

/// Options of [`ObjectStore::put_multipart_opts`](crate::ObjectStore::put_multipart_opts).
#[derive(Debug, Clone, Default)]
pub struct PutMultipartOptions {
    /// Tags to set on the object; stores without tagging ignore them.
    pub tags: TagSet,
    /// Attributes to store; a store that cannot store one returns an error.
    pub attributes: Attributes,
    /// Caller-defined context for custom stores; ignored by the stores of ostore and left out
    /// of equality.
    pub extensions: Extensions,
}

impl PartialEq for PutMultipartOptions {
    fn eq(&self, other: &Self) -> bool {
        self.tags == other.tags && self.attributes == other.attributes
    }
}

impl Eq for PutMultipartOptions {}

impl From<TagSet> for PutMultipartOptions {
    fn from(tags: TagSet) -> Self {
        Self {
            tags,
            ..Default::default()
        }
    }
}

impl From<Attributes> for PutMultipartOptions {
    fn from(attributes: Attributes) -> Self {
        Self {
            attributes,
            ..Default::default()
        }
    }
}

/// What a successful write returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutResult {
    /// The e-tag of the new object, if the store has one.
    pub e_tag: Option<String>,
    /// The version of the new object, if the store keeps versions.
    pub version: Option<String>,
}

/// Options of [`ObjectStore::get_opts`](crate::ObjectStore::get_opts): conditions, a byte
/// range, a version, or metadata only.
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// Fail with [`Error::Precondition`] unless the e-tag is one of these
    /// (comma separated; `*` matches any object).
    pub if_match: Option<String>,
    /// Fail with [`Error::NotModified`] if the e-tag is one of these
    /// (comma separated; `*` matches any object).
    pub if_none_match: Option<String>,
    /// Fail with [`Error::NotModified`] unless modified after this instant.
    pub if_modified_since: Option<DateTime<Utc>>,
    /// Fail with [`Error::Precondition`] if modified after this instant.
    pub if_unmodified_since: Option<DateTime<Utc>>,
    /// Read only these bytes.
    pub range: Option<GetRange>,
    /// Read this version of the object, for stores that keep versions.
    pub version: Option<String>,
    /// Fetch metadata only (a `HEAD` request); the payload of the result is empty.
    pub head: bool,
    /// Caller-defined context for custom stores; ignored by the stores of ostore.
    pub extensions: Extensions,
}

impl GetOptions {
    /// Evaluates the conditions against `meta` in the order RFC 9110 §13.2.2 prescribes.
    ///
    /// `If-Match` is evaluated first and, when present, `If-Unmodified-Since` is ignored; then
    /// `If-None-Match`, which when present makes `If-Modified-Since` ignored. An object
    /// without an e-tag matches no listed e-tag, only `*`.
    ///
    /// ```
    /// # use ostore_core::{GetOptions, ObjectMeta, Error, path::Path};
    /// let meta = ObjectMeta {
    ///     location: Path::from("a"),
    ///     last_modified: chrono::Utc::now(),
    ///     size: 1,
    ///     e_tag: Some("\"v1\"".into()),
    ///     version: None,
    /// };
    /// let opts = GetOptions { if_none_match: Some("\"v1\"".into()), ..Default::default() };
    /// assert!(matches!(opts.check_preconditions(&meta), Err(Error::NotModified { .. })));
    /// ```
    pub fn check_preconditions(&self, meta: &ObjectMeta) -> Result<()> {
        let etag = meta.e_tag.as_deref();
        let listed = |list: &str| {
            list.split(',')
                .map(str::trim)
                .any(|t| t == "*" || Some(t) == etag)
        };
        let precondition = |reason: String| Error::Precondition {
            path: meta.location.to_string(),
            source: reason.into(),
        };
        let not_modified = |reason: String| Error::NotModified {
            path: meta.location.to_string(),
            source: reason.into(),
        };

        if let Some(m) = &self.if_match {
            if !listed(m) {
                return Err(precondition(format!(
                    "e-tag {} does not match If-Match {m}",
                    etag.unwrap_or("(none)")
                )));
            }
        } else if let Some(t) = self.if_unmodified_since {
            if meta.last_modified > t {
                return Err(precondition(format!(
                    "modified at {} after If-Unmodified-Since {t}",
                    meta.last_modified
                )));
            }
        }

        if let Some(m) = &self.if_none_match {
            if listed(m) {
                return Err(not_modified(format!(
                    "e-tag {} matches If-None-Match {m}",
                    etag.unwrap_or("(none)")
                )));
            }
        } else if let Some(t) = self.if_modified_since {
            if meta.last_modified <= t {
                return Err(not_modified(format!(
                    "last modified at {} not after If-Modified-Since {t}",
                    meta.last_modified
                )));
            }
        }
        Ok(())
    }
}

/// A part of an object's bytes to read.
///
/// Built from any `u64` range expression:
///
/// ```
/// use ostore_core::GetRange;
/// assert_eq!(GetRange::from(50..150), GetRange::Bounded(50..150));
/// assert_eq!(GetRange::from(50..=150), GetRange::Bounded(50..151));
/// assert_eq!(GetRange::from(50..), GetRange::Offset(50));
/// assert_eq!(GetRange::from(..150), GetRange::Bounded(0..150));
/// assert_eq!(GetRange::Suffix(10).to_string(), "bytes=-10");
/// assert_eq!(GetRange::Bounded(0..10).as_range(4).unwrap(), 0..4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GetRange {
    /// The bytes `start..end`. An empty range or one starting past the end of the object
    /// is an error; one ending past the end is cut at the end.
    Bounded(Range<u64>),
    /// Every byte from this offset on.
    Offset(u64),
    /// The last `n` bytes, or the whole object if it is shorter.
    Suffix(u64),
}

/// Why a [`GetRange`] cannot be served.
#[derive(Debug, Snafu, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidGetRange {
    /// The range starts at or after the end of the object.
    #[snafu(display("range starts at {requested} but the object is {length} bytes long"))]
    StartTooLarge {
        /// The first byte asked for.
        requested: u64,
        /// The size of the object.
        length: u64,
    },
    /// The range is empty or reversed.
    #[snafu(display("range {start}..{end} is empty or reversed"))]
    Inconsistent {
        /// Start of the range.
        start: u64,
        /// End of the range (exclusive).
        end: u64,
    },
}

impl GetRange {
    /// Checks that the range is not empty or reversed.
    pub fn is_valid(&self) -> Result<(), InvalidGetRange> {
        match self {
            Self::Bounded(r) if r.start >= r.end => Err(InvalidGetRange::Inconsistent {
                start: r.start,
                end: r.end,
            }),
            _ => Ok(()),
        }
    }

    /// Resolves the range against an object of `len` bytes.
    pub fn as_range(&self, len: u64) -> Result<Range<u64>, InvalidGetRange> {
        self.is_valid()?;
        match self {
            Self::Bounded(r) if r.start >= len => Err(InvalidGetRange::StartTooLarge {
                requested: r.start,
                length: len,
            }),
            Self::Bounded(r) => Ok(r.start..r.end.min(len)),
            Self::Offset(o) if *o >= len => Err(InvalidGetRange::StartTooLarge {
                requested: *o,
                length: len,
            }),
            Self::Offset(o) => Ok(*o..len),
            Self::Suffix(n) => Ok(len.saturating_sub(*n)..len),
        }
    }
}

impl fmt::Display for GetRange {
    /// The value of an HTTP `Range` header for this range.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bounded(r) => write!(f, "bytes={}-{}", r.start, r.end.saturating_sub(1)),
            Self::Offset(o) => write!(f, "bytes={o}-"),
            Self::Suffix(n) => write!(f, "bytes=-{n}"),
        }
    }
}

impl<T: RangeBounds<u64>> From<T> for GetRange {
    fn from(value: T) -> Self {
        let start = match value.start_bound() {
            Bound::Included(s) => *s,
            Bound::Excluded(s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        };
        match value.end_bound() {
            Bound::Included(e) => Self::Bounded(start..e.saturating_add(1)),
            Bound::Excluded(e) => Self::Bounded(start..*e),
            Bound::Unbounded => Self::Offset(start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Path;

    fn meta(etag: Option<&str>, modified: DateTime<Utc>) -> ObjectMeta {
        ObjectMeta {
            location: Path::from("x"),
            last_modified: modified,
            size: 0,
            e_tag: etag.map(Into::into),
            version: None,
        }
    }

    #[test]
    fn ranges_resolve() {
        assert_eq!(GetRange::Offset(3).as_range(10).unwrap(), 3..10);
        assert!(GetRange::Offset(10).as_range(10).is_err());
        assert_eq!(GetRange::Suffix(30).as_range(10).unwrap(), 0..10);
        assert_eq!(GetRange::Suffix(3).as_range(10).unwrap(), 7..10);
        assert!(GetRange::Bounded(5..5).as_range(10).is_err());
        assert!(GetRange::Bounded(10..12).as_range(10).is_err());
        assert_eq!(GetRange::Bounded(2..5).to_string(), "bytes=2-4");
        assert_eq!(GetRange::Offset(2).to_string(), "bytes=2-");
    }

    #[test]
    fn precondition_precedence() {
        let t0 = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let t1 = DateTime::from_timestamp(2_000_000, 0).unwrap();
        let m = meta(Some("e1"), t1);
        let ok = |o: GetOptions| o.check_preconditions(&m).is_ok();

        // If-Match wins over If-Unmodified-Since.
        assert!(ok(GetOptions {
            if_match: Some("e0, e1".into()),
            if_unmodified_since: Some(t0),
            ..Default::default()
        }));
        assert!(matches!(
            GetOptions {
                if_match: Some("e0".into()),
                ..Default::default()
            }
            .check_preconditions(&m),
            Err(Error::Precondition { .. })
        ));
        assert!(matches!(
            GetOptions {
                if_unmodified_since: Some(t0),
                ..Default::default()
            }
            .check_preconditions(&m),
            Err(Error::Precondition { .. })
        ));
        // If-None-Match wins over If-Modified-Since.
        assert!(ok(GetOptions {
            if_none_match: Some("e0".into()),
            if_modified_since: Some(t1),
            ..Default::default()
        }));
        assert!(matches!(
            GetOptions {
                if_none_match: Some("*".into()),
                ..Default::default()
            }
            .check_preconditions(&m),
            Err(Error::NotModified { .. })
        ));
        assert!(matches!(
            GetOptions {
                if_modified_since: Some(t1),
                ..Default::default()
            }
            .check_preconditions(&m),
            Err(Error::NotModified { .. })
        ));
        assert!(ok(GetOptions {
            if_modified_since: Some(t0),
            ..Default::default()
        }));
        // No e-tag: only `*` matches.
        let m = meta(None, t1);
        assert!(
            GetOptions {
                if_match: Some("*".into()),
                ..Default::default()
            }
            .check_preconditions(&m)
            .is_ok()
        );
        assert!(
            GetOptions {
                if_match: Some("e1".into()),
                ..Default::default()
            }
            .check_preconditions(&m)
            .is_err()
        );
    }
}
