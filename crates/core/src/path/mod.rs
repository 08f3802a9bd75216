//! Object locations: [`Path`], a `/`-delimited key made of validated [`PathPart`]s,
//! with conversions from strings, URL paths and local file system paths.

use std::borrow::Cow;
use std::fmt;
use std::path::Component;

use percent_encoding::percent_decode_str;
use snafu::{ResultExt, Snafu};

mod parts;

pub use parts::{InvalidPart, PathPart};

/// The separator between the segments of a [`Path`].
pub const DELIMITER: &str = "/";

/// [`DELIMITER`] as a single byte.
pub const DELIMITER_BYTE: u8 = b'/';

const DELIMITER_CHAR: char = '/';

/// Errors from building a [`Path`].
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
#[non_exhaustive]
pub enum Error {
    /// Two delimiters were adjacent, leaving an empty segment.
    #[snafu(display("path \"{path}\" has an empty segment"))]
    EmptySegment {
        /// The text that was being parsed.
        path: String,
    },

    /// A segment was not a valid [`PathPart`].
    #[snafu(display("path \"{path}\" has an invalid segment: {source}"))]
    BadSegment {
        /// The text that was being parsed.
        path: String,
        /// What was wrong with the segment.
        source: InvalidPart,
    },

    /// A file system path could not be made absolute.
    #[snafu(display("could not canonicalize \"{}\": {source}", path.display()))]
    Canonicalize {
        /// The file system path given.
        path: std::path::PathBuf,
        /// The underlying I/O failure.
        source: std::io::Error,
    },

    /// A file system path was not absolute, or could not be represented.
    #[snafu(display("\"{}\" cannot be turned into an object path", path.display()))]
    InvalidPath {
        /// The file system path given.
        path: std::path::PathBuf,
    },

    /// The input (after percent-decoding) was not valid UTF-8.
    #[snafu(display("path \"{path}\" is not valid UTF-8: {source}"))]
    NonUnicode {
        /// The input, lossily converted for display.
        path: String,
        /// Where decoding failed.
        source: std::str::Utf8Error,
    },

    /// A path did not start with the expected prefix.
    #[snafu(display("path \"{path}\" does not begin with prefix \"{prefix}\""))]
    PrefixMismatch {
        /// The path that was checked.
        path: String,
        /// The prefix it was expected to start with.
        prefix: String,
    },
}

/// The location of an object in a store: `/`-separated [`PathPart`]s, kept in their
/// encoded form.
///
/// There is no leading or trailing `/`, no empty segment, and no `.` or `..` segment.
/// The empty path is the root ([`Path::ROOT`]).
///
/// Paths order, compare and hash by their encoded text, so sorting paths gives the
/// same order as sorting the keys an object store such as S3 lists.
///
/// Build one with:
/// * [`Path::parse`] for text that is already a valid encoded path (e.g. a key an object
///   store returned);
/// * [`Path::from`] / [`FromIterator`] for arbitrary text, which is percent-encoded
///   segment by segment so it always succeeds;
/// * [`Path::from_url_path`] for the path of a URL;
/// * [`Path::from_filesystem_path`] / [`Path::from_absolute_path`] for local files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path {
    raw: String,
}

impl Path {
    /// The root path, with no segments.
    pub const ROOT: Self = Self { raw: String::new() };

    /// Validates `path` as an already-encoded path and takes it without re-encoding.
    ///
    /// One leading and one trailing `/` are ignored. Every remaining `/`-separated
    /// segment must be non-empty and a valid [`PathPart`]: not `.` or `..`, and free of
    /// ASCII control characters. Other characters, including `%`, are kept as given.
    ///
    /// ```
    /// # use ostore_core::path::Path;
    /// let p = Path::parse("/data/2024/file%231.csv/").unwrap();
    /// assert_eq!(p.as_ref(), "data/2024/file%231.csv");
    /// assert!(Path::parse("").unwrap().is_root());
    /// assert!(Path::parse("a//b").is_err());
    /// assert!(Path::parse("a/../b").is_err());
    /// ```
    pub fn parse(path: impl AsRef<str>) -> Result<Self, Error> {
        let path = path.as_ref();
        let trimmed = path.strip_prefix(DELIMITER).unwrap_or(path);
        if trimmed.is_empty() {
            return Ok(Self::ROOT);
        }
        let trimmed = trimmed.strip_suffix(DELIMITER).unwrap_or(trimmed);

        for segment in trimmed.split(DELIMITER_CHAR) {
            if segment.is_empty() {
                return EmptySegmentSnafu { path }.fail();
            }
            PathPart::parse(segment).context(BadSegmentSnafu { path })?;
        }

        Ok(Self {
            raw: trimmed.to_string(),
        })
    }

    /// Builds a path from a URL path: percent-decodes it, then validates the result as
    /// [`Path::parse`] does.
    ///
    /// Fails with [`Error::NonUnicode`] if the decoded bytes are not UTF-8.
    ///
    /// ```
    /// # use ostore_core::path::Path;
    /// let p = Path::from_url_path("/my%20dir/caf%C3%A9.txt").unwrap();
    /// assert_eq!(p.as_ref(), "my dir/café.txt");
    /// ```
    pub fn from_url_path(path: impl AsRef<str>) -> Result<Self, Error> {
        let path = path.as_ref();
        let decoded = percent_decode_str(path)
            .decode_utf8()
            .context(NonUnicodeSnafu { path })?;
        Self::parse(decoded)
    }

    /// Builds a path from a local file system path, which may be relative.
    ///
    /// The path is first canonicalized with [`std::fs::canonicalize`], so it must exist;
    /// symbolic links are resolved. The result is then converted by
    /// [`Path::from_absolute_path`].
    pub fn from_filesystem_path(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let absolute = std::fs::canonicalize(path).context(CanonicalizeSnafu { path })?;
        Self::from_absolute_path(absolute)
    }

    /// Builds a path from an absolute local file system path, without touching the file
    /// system.
    ///
    /// Each component becomes one segment, taken verbatim and validated like
    /// [`Path::parse`] (so a file name with a control character, or a `..` component, is
    /// an error). A Windows drive prefix such as `C:` becomes the first segment.
    ///
    /// Fails with [`Error::InvalidPath`] if `path` is not absolute and with
    /// [`Error::NonUnicode`] if a component is not valid Unicode.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// # use ostore_core::path::Path;
    /// let p = Path::from_absolute_path("/tmp/my dir/ü.txt").unwrap();
    /// assert_eq!(p.as_ref(), "tmp/my dir/ü.txt");
    /// # }
    /// ```
    pub fn from_absolute_path(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        if !path.is_absolute() {
            return InvalidPathSnafu { path }.fail();
        }

        let mut raw = String::new();
        for component in path.components() {
            let segment: Cow<'_, str> = match component {
                Component::RootDir | Component::CurDir => continue,
                Component::Prefix(prefix) => match prefix.kind() {
                    std::path::Prefix::Disk(letter) | std::path::Prefix::VerbatimDisk(letter) => {
                        Cow::Owned(format!("{}:", char::from(letter)))
                    }
                    _ => return InvalidPathSnafu { path }.fail(),
                },
                Component::ParentDir | Component::Normal(_) => {
                    let bytes = component.as_os_str().as_encoded_bytes();
                    let text = std::str::from_utf8(bytes).context(NonUnicodeSnafu {
                        path: path.to_string_lossy(),
                    })?;
                    Cow::Borrowed(text)
                }
            };
            PathPart::parse(&segment).context(BadSegmentSnafu {
                path: path.to_string_lossy(),
            })?;
            if !raw.is_empty() {
                raw.push(DELIMITER_CHAR);
            }
            raw.push_str(&segment);
        }
        Ok(Self { raw })
    }

    /// The segments of this path, in order; none for the root.
    pub fn parts(&self) -> impl Iterator<Item = PathPart<'_>> {
        split_parts(&self.raw)
    }

    /// The number of segments in this path; 0 for the root.
    pub fn parts_count(&self) -> usize {
        self.raw.split_terminator(DELIMITER_CHAR).count()
    }

    /// Whether this is the root path.
    pub fn is_root(&self) -> bool {
        self.raw.is_empty()
    }

    /// The path without its last segment; `None` for the root, and the root for a path
    /// with one segment.
    pub fn parent(&self) -> Option<Self> {
        if self.is_root() {
            return None;
        }
        let raw = match self.raw.rsplit_once(DELIMITER_CHAR) {
            Some((parent, _)) => parent.to_string(),
            None => String::new(),
        };
        Some(Self { raw })
    }

    /// The last segment, in its encoded form; `None` for the root.
    pub fn filename(&self) -> Option<&str> {
        if self.is_root() {
            return None;
        }
        self.raw.rsplit(DELIMITER_CHAR).next()
    }

    /// The text after the last `.` of the [filename](Self::filename); `None` if there is
    /// no dot or nothing follows it. A leading dot counts, so `.bashrc` has extension
    /// `bashrc`.
    pub fn extension(&self) -> Option<&str> {
        let (_, extension) = self.filename()?.rsplit_once('.')?;
        (!extension.is_empty()).then_some(extension)
    }

    /// If `prefix` is this path or one of its ancestors, the segments that follow it.
    ///
    /// The comparison is by whole segments: `foo/bar` starts with `foo` but `foobar` does
    /// not. The root is a prefix of every path, and a path is a prefix of itself (with no
    /// remaining segments).
    ///
    /// ```
    /// # use ostore_core::path::Path;
    /// let path = Path::from("foo/bar/baz.json");
    /// let rest: Vec<_> = path.prefix_match(&Path::from("foo")).unwrap().collect();
    /// assert_eq!(rest, ["bar".into(), "baz.json".into()]);
    ///
    /// assert!(Path::from("foobar").prefix_match(&Path::from("foo")).is_none());
    /// assert_eq!(path.prefix_match(&path).unwrap().count(), 0);
    /// ```
    pub fn prefix_match(&self, prefix: &Self) -> Option<impl Iterator<Item = PathPart<'_>> + '_> {
        let rest = self.raw.strip_prefix(prefix.raw.as_str())?;
        let rest = if rest.is_empty() || prefix.is_root() {
            rest
        } else {
            rest.strip_prefix(DELIMITER_CHAR)?
        };
        Some(split_parts(rest))
    }

    /// Whether `prefix` is this path or one of its ancestors; see [`Path::prefix_match`].
    pub fn prefix_matches(&self, prefix: &Self) -> bool {
        self.prefix_match(prefix).is_some()
    }

    /// This path with one more segment appended. Strings are percent-encoded through
    /// [`PathPart::from`], so `child` can never produce an invalid path.
    ///
    /// ```
    /// # use ostore_core::path::Path;
    /// let dir = Path::from("logs");
    /// assert_eq!(dir.child("2024-01-01.txt").as_ref(), "logs/2024-01-01.txt");
    /// assert_eq!(dir.child("a/b").as_ref(), "logs/a%2Fb");
    /// assert_eq!(Path::ROOT.child("top").as_ref(), "top");
    /// ```
    pub fn child<'a>(&self, child: impl Into<PathPart<'a>>) -> Self {
        let mut out = self.clone();
        out.push_part(&child.into());
        out
    }

    /// Appends `part`, skipping empty parts so the path stays valid.
    fn push_part(&mut self, part: &PathPart<'_>) {
        let part = part.as_ref();
        if part.is_empty() {
            return;
        }
        if !self.raw.is_empty() {
            self.raw.push(DELIMITER_CHAR);
        }
        self.raw.push_str(part);
    }
}

/// Splits the raw form of a path into its parts; an empty string has none.
fn split_parts(raw: &str) -> impl Iterator<Item = PathPart<'_>> {
    raw.split_terminator(DELIMITER_CHAR)
        .map(|segment| PathPart {
            raw: Cow::Borrowed(segment),
        })
}

impl AsRef<str> for Path {
    fn as_ref(&self) -> &str {
        &self.raw
    }
}

/// A path borrows as its encoded string, so ordered maps keyed by [`Path`] can be searched
/// by string bounds (for example "everything after `dir/`"). Ordering, equality and hashing
/// of a path are those of that string.
impl std::borrow::Borrow<str> for Path {
    fn borrow(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl From<Path> for String {
    fn from(path: Path) -> Self {
        path.raw
    }
}

impl From<&str> for Path {
    /// Splits `path` on `/`, drops empty segments and percent-encodes each remaining
    /// segment with [`PathPart::from`]. Never fails.
    ///
    /// ```
    /// # use ostore_core::path::Path;
    /// assert_eq!(Path::from("/a//b c/").as_ref(), "a/b c");
    /// assert_eq!(Path::from("100%/#1/..").as_ref(), "100%25/%231/%2E%2E");
    /// ```
    fn from(path: &str) -> Self {
        path.split(DELIMITER_CHAR).collect()
    }
}

impl From<String> for Path {
    /// Same as `Path::from(&str)`.
    fn from(path: String) -> Self {
        Self::from(path.as_str())
    }
}

impl<'a, I: Into<PathPart<'a>>> FromIterator<I> for Path {
    /// Joins the given parts, skipping empty ones.
    fn from_iter<T: IntoIterator<Item = I>>(iter: T) -> Self {
        let mut path = Self::ROOT;
        for part in iter {
            path.push_part(&part.into());
        }
        path
    }
}

impl<'a> IntoIterator for &'a Path {
    type Item = PathPart<'a>;
    type IntoIter = Box<dyn Iterator<Item = PathPart<'a>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.parts())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts_of(p: &Path) -> Vec<String> {
        p.parts().map(|p| p.as_ref().to_string()).collect()
    }

    #[test]
    fn constants() {
        assert_eq!(DELIMITER, "/");
        assert_eq!(DELIMITER_BYTE, b'/');
        assert_eq!(DELIMITER.as_bytes(), [DELIMITER_BYTE]);
    }

    #[test]
    fn root_and_default() {
        assert_eq!(Path::ROOT, Path::default());
        assert!(Path::ROOT.is_root());
        assert_eq!(Path::ROOT.as_ref(), "");
        assert_eq!(Path::ROOT.parts_count(), 0);
        assert_eq!(Path::ROOT.parts().count(), 0);
        assert!(!Path::from("a").is_root());
    }

    #[test]
    fn parse_strips_one_leading_and_trailing_delimiter() {
        assert_eq!(Path::parse("").unwrap(), Path::ROOT);
        assert_eq!(Path::parse("/").unwrap(), Path::ROOT);
        assert_eq!(Path::parse("foo/bar").unwrap().as_ref(), "foo/bar");
        assert_eq!(Path::parse("/foo/bar").unwrap().as_ref(), "foo/bar");
        assert_eq!(Path::parse("foo/bar/").unwrap().as_ref(), "foo/bar");
        assert_eq!(Path::parse("/foo/bar/").unwrap().as_ref(), "foo/bar");
    }

    #[test]
    fn parse_rejects_empty_segments() {
        for bad in ["//", "///", "a//b", "//a", "a//", "foo///bar", "/a/b//"] {
            let err = Path::parse(bad).unwrap_err();
            assert!(
                matches!(&err, Error::EmptySegment { path } if path == bad),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn parse_rejects_dot_segments_and_controls() {
        for bad in [
            ".", "..", "a/./b", "a/..", "../a", "a\nb", "a/\x00", "\t", "a\x7f",
        ] {
            let err = Path::parse(bad).unwrap_err();
            assert!(
                matches!(&err, Error::BadSegment { path, .. } if path == bad),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn parse_keeps_encoded_and_special_text() {
        for ok in [
            "a%2Fb", "%", "a#b", "ü/🙂", "a b/c", "...", ".a/b.", "[x]{y}", "%ZZ",
        ] {
            assert_eq!(Path::parse(ok).unwrap().as_ref(), ok);
        }
    }

    #[test]
    fn error_messages_mention_the_path() {
        let err = Path::parse("a//b").unwrap_err();
        assert!(err.to_string().contains("a//b"), "{err}");
        let err = Path::parse("a/../b").unwrap_err();
        assert!(err.to_string().contains("a/../b"), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn from_url_path_decodes_then_parses() {
        assert_eq!(
            Path::from_url_path("/foo%20bar/baz").unwrap().as_ref(),
            "foo bar/baz"
        );
        assert_eq!(Path::from_url_path("caf%C3%A9").unwrap().as_ref(), "café");
        assert_eq!(Path::from_url_path("a%25b").unwrap().as_ref(), "a%b");
        assert_eq!(Path::from_url_path("").unwrap(), Path::ROOT);
        // An encoded delimiter turns into a real one after decoding.
        assert_eq!(Path::from_url_path("a%2Fb").unwrap().parts_count(), 2);
        assert!(matches!(
            Path::from_url_path("a/%2E%2E/b"),
            Err(Error::BadSegment { .. })
        ));
        assert!(matches!(
            Path::from_url_path("a%0Ab"),
            Err(Error::BadSegment { .. })
        ));
        assert!(matches!(
            Path::from_url_path("a%2F%2Fb"),
            Err(Error::EmptySegment { .. })
        ));
        let err = Path::from_url_path("bad%FF").unwrap_err();
        assert!(
            matches!(&err, Error::NonUnicode { path, .. } if path == "bad%FF"),
            "{err:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn from_absolute_path_unix() {
        assert_eq!(Path::from_absolute_path("/").unwrap(), Path::ROOT);
        assert_eq!(
            Path::from_absolute_path("/tmp/some dir/file.txt")
                .unwrap()
                .as_ref(),
            "tmp/some dir/file.txt"
        );
        assert_eq!(
            Path::from_absolute_path("/données/ü🙂.bin")
                .unwrap()
                .as_ref(),
            "données/ü🙂.bin"
        );
        assert_eq!(Path::from_absolute_path("/a/./b/").unwrap().as_ref(), "a/b");
        assert_eq!(
            Path::from_absolute_path("/x/100%/#tag").unwrap().as_ref(),
            "x/100%/#tag"
        );
        assert!(matches!(
            Path::from_absolute_path("/a/../b"),
            Err(Error::BadSegment { .. })
        ));
        assert!(matches!(
            Path::from_absolute_path("/a/new\nline"),
            Err(Error::BadSegment { .. })
        ));
        for relative in ["a/b", "./a", "", "../a"] {
            assert!(
                matches!(
                    Path::from_absolute_path(relative),
                    Err(Error::InvalidPath { .. })
                ),
                "{relative:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn from_absolute_path_non_unicode() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let p = std::path::Path::new(OsStr::from_bytes(b"/tmp/bad\xFFname"));
        assert!(matches!(
            Path::from_absolute_path(p),
            Err(Error::NonUnicode { .. })
        ));
    }

    #[test]
    fn from_filesystem_path() {
        let cwd = std::env::current_dir().unwrap();
        let from_dot = Path::from_filesystem_path(".").unwrap();
        let expected = Path::from_absolute_path(std::fs::canonicalize(&cwd).unwrap()).unwrap();
        assert_eq!(from_dot, expected);

        let manifest = Path::from_filesystem_path("Cargo.toml").unwrap();
        assert_eq!(manifest.filename(), Some("Cargo.toml"));
        assert_eq!(manifest.parent(), Some(expected));

        let err = Path::from_filesystem_path("definitely/not/here.txt").unwrap_err();
        assert!(matches!(err, Error::Canonicalize { .. }), "{err:?}");
    }

    #[test]
    fn parts_and_count() {
        let p = Path::from("a/b c/d");
        assert_eq!(parts_of(&p), ["a", "b c", "d"]);
        assert_eq!(p.parts_count(), 3);
        assert_eq!(Path::from("one").parts_count(), 1);
        let via_into_iter: Vec<_> = (&p).into_iter().collect();
        assert_eq!(via_into_iter, p.parts().collect::<Vec<_>>());
        let mut n = 0;
        for part in &p {
            assert!(!part.as_ref().is_empty());
            n += 1;
        }
        assert_eq!(n, 3);
    }

    #[test]
    fn parent() {
        assert_eq!(Path::ROOT.parent(), None);
        assert_eq!(Path::from("a").parent(), Some(Path::ROOT));
        assert_eq!(Path::from("a/b").parent(), Some(Path::from("a")));
        assert_eq!(Path::from("a/b/c").parent(), Some(Path::from("a/b")));
    }

    #[test]
    fn filename() {
        assert_eq!(Path::ROOT.filename(), None);
        assert_eq!(Path::from("a").filename(), Some("a"));
        assert_eq!(Path::from("a/b.txt").filename(), Some("b.txt"));
        assert_eq!(Path::from("a/b#c").filename(), Some("b%23c"));
    }

    #[test]
    fn extension() {
        assert_eq!(Path::ROOT.extension(), None);
        assert_eq!(Path::from("a/b").extension(), None);
        assert_eq!(Path::from("a/b.txt").extension(), Some("txt"));
        assert_eq!(Path::from("a/b.tar.gz").extension(), Some("gz"));
        assert_eq!(Path::from("a/b.").extension(), None);
        assert_eq!(Path::from("a/.hidden").extension(), Some("hidden"));
        // Only the filename is considered, never a parent directory.
        assert_eq!(Path::from("dir.d/file").extension(), None);
    }

    #[test]
    fn prefix_match() {
        let path = Path::from("apple/bear/cow.json");
        let rest = |prefix: &str| {
            path.prefix_match(&Path::from(prefix))
                .map(|it| it.map(|p| p.as_ref().to_string()).collect::<Vec<_>>())
        };
        assert_eq!(rest("").unwrap(), ["apple", "bear", "cow.json"]);
        assert_eq!(rest("apple").unwrap(), ["bear", "cow.json"]);
        assert_eq!(rest("apple/bear").unwrap(), ["cow.json"]);
        assert_eq!(rest("apple/bear/cow.json").unwrap(), Vec::<String>::new());
        assert_eq!(rest("app"), None);
        assert_eq!(rest("apple/be"), None);
        assert_eq!(rest("apple/bear/cow"), None);
        assert_eq!(rest("bear"), None);
        assert_eq!(rest("apple/bear/cow.json/more"), None);

        let foo = Path::from("foo");
        assert!(Path::from("foo/bar").prefix_matches(&foo));
        assert!(!Path::from("foobar").prefix_matches(&foo));
        assert!(foo.prefix_matches(&foo));
        assert!(foo.prefix_matches(&Path::ROOT));
        assert!(Path::ROOT.prefix_matches(&Path::ROOT));
        assert!(!Path::ROOT.prefix_matches(&foo));
    }

    #[test]
    fn child() {
        let base = Path::from("a");
        assert_eq!(base.child("b").as_ref(), "a/b");
        assert_eq!(base.child("b/c").as_ref(), "a/b%2Fc");
        assert_eq!(base.child("..").as_ref(), "a/%2E%2E");
        assert_eq!(base.child(String::from("x y")).as_ref(), "a/x y");
        assert_eq!(
            base.child(PathPart::parse("%41").unwrap()).as_ref(),
            "a/%41"
        );
        assert_eq!(Path::ROOT.child("z").as_ref(), "z");
        // An empty part adds nothing rather than producing `a/`.
        assert_eq!(base.child("").as_ref(), "a");
        assert_eq!(base.as_ref(), "a");
    }

    #[test]
    fn from_str_encodes_segments() {
        assert_eq!(Path::from("").as_ref(), "");
        assert_eq!(Path::from("/").as_ref(), "");
        assert_eq!(Path::from("//a///b//").as_ref(), "a/b");
        assert_eq!(Path::from("a%b").as_ref(), "a%25b");
        assert_eq!(Path::from("a/b#c").as_ref(), "a/b%23c");
        assert_eq!(Path::from("./a/..").as_ref(), "%2E/a/%2E%2E");
        assert_eq!(Path::from("x\ny").as_ref(), "x%0Ay");
        assert_eq!(Path::from("ü").as_ref(), "%C3%BC");
        assert_eq!(Path::from(String::from("a/b")), Path::from("a/b"));
    }

    #[test]
    fn from_iter_encodes_and_skips_empty() {
        let p = Path::from_iter(["foo/bar", "", "baz%2Ftest"]);
        assert_eq!(p.as_ref(), "foo%2Fbar/baz%252Ftest");
        assert_eq!(Path::from_iter(["", ""]), Path::ROOT);
        assert_eq!(
            Path::from_iter(["dir", "file.json"]),
            Path::from("dir/file.json")
        );
        let owned: Path = vec![String::from("a"), String::from("b")]
            .into_iter()
            .collect();
        assert_eq!(owned.as_ref(), "a/b");
    }

    #[test]
    fn string_conversions_and_display() {
        let p = Path::from("a/b c");
        assert_eq!(p.to_string(), "a/b c");
        assert_eq!(format!("{p}"), "a/b c");
        assert_eq!(String::from(p.clone()), "a/b c");
        let s: &str = p.as_ref();
        assert_eq!(s, "a/b c");
    }

    #[test]
    fn ordering_is_encoded_string_order() {
        let mut paths = [
            Path::from("b"),
            Path::from("a/b"),
            Path::from("a"),
            Path::from("a-b"),
            Path::ROOT,
        ];
        paths.sort();
        let raw: Vec<&str> = paths.iter().map(AsRef::as_ref).collect();
        assert_eq!(raw, ["", "a", "a-b", "a/b", "b"]);
    }

    #[test]
    fn prefix_mismatch_message() {
        let err = Error::PrefixMismatch {
            path: "a/b".into(),
            prefix: "c".into(),
        };
        let msg = err.to_string();
        assert!(msg.contains("a/b") && msg.contains('c'), "{msg}");
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z/%#. \\x00-\\x1f\\x7f~\\[\\]üé🙂]{0,24}",
        ]
    }

    proptest! {
        #[test]
        fn prop_from_round_trips_through_parse(s in any_text()) {
            let p = Path::from(s.as_str());
            prop_assert_eq!(Path::parse(p.as_ref()).unwrap(), p.clone());
            prop_assert_eq!(Path::from(s.clone()), p);
        }

        #[test]
        fn prop_parse_never_panics(s in any_text()) {
            if let Ok(p) = Path::parse(&s) {
                // Anything accepted is stable under a second parse.
                prop_assert_eq!(Path::parse(p.as_ref()).unwrap(), p);
            }
        }

        #[test]
        fn prop_from_iter_round_trips(parts in prop::collection::vec(any_text(), 0..8)) {
            let p = Path::from_iter(parts.iter().map(String::as_str));
            prop_assert_eq!(Path::parse(p.as_ref()).unwrap(), p.clone());
            let expected = parts
                .iter()
                .filter(|s| !PathPart::from(s.as_str()).as_ref().is_empty())
                .count();
            prop_assert_eq!(p.parts_count(), expected);
            prop_assert_eq!(p.parts().count(), expected);
            let encoded: Vec<String> = parts
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| PathPart::from(s.as_str()).as_ref().to_string())
                .collect();
            prop_assert_eq!(parts_of(&p), encoded);
        }

        #[test]
        fn prop_path_part_from_is_valid(s in any_text()) {
            let part = PathPart::from(s.as_str());
            let reparsed = PathPart::parse(part.as_ref());
            prop_assert!(reparsed.is_ok());
            prop_assert_eq!(reparsed.unwrap(), part.clone());
        }

        #[test]
        fn prop_child_extends_parent(s in any_text(), t in any_text()) {
            let base = Path::from(s.as_str());
            let child = base.child(t.as_str());
            prop_assert!(child.prefix_matches(&base));
            if t.is_empty() {
                prop_assert_eq!(child, base);
            } else {
                prop_assert_eq!(child.parent(), Some(base));
                let last = PathPart::from(t.as_str());
                prop_assert_eq!(child.filename(), Some(last.as_ref()));
            }
        }
    }
}
