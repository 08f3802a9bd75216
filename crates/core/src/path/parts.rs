//! [`PathPart`]: a single validated segment of a [`Path`](super::Path).

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS, percent_encode};
use snafu::Snafu;

use super::DELIMITER_BYTE;

/// The error produced by [`PathPart::parse`] when a segment is not allowed in a path.
#[derive(Debug, Snafu)]
#[snafu(display(
    "\"{segment}\" is not a valid path segment: it must not be \".\" or \"..\" and must not contain '/' or ASCII control characters"
))]
pub struct InvalidPart {
    segment: String,
}

/// One segment of a [`Path`](super::Path), i.e. the text between two delimiters.
///
/// A `PathPart` never contains the delimiter `/` or an ASCII control character, and it
/// is never one of the relative segments `.` or `..`.
///
/// [`PathPart::parse`] validates text as-is, while the `From` conversions percent-encode
/// whatever would make the segment invalid (plus some characters that object stores
/// advise against), so they always succeed.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathPart<'a> {
    pub(super) raw: Cow<'a, str>,
}

/// Bytes escaped by the `From` conversions of [`PathPart`]: every ASCII control character,
/// the delimiter, and the characters that S3 lists as best avoided in object keys.
/// Non-ASCII bytes are always escaped by `percent_encode` regardless of this set.
const ESCAPED: &AsciiSet = &CONTROLS
    .add(DELIMITER_BYTE)
    .add(b'\\')
    .add(b'{')
    .add(b'^')
    .add(b'}')
    .add(b'%')
    .add(b'`')
    .add(b']')
    .add(b'"')
    .add(b'>')
    .add(b'[')
    .add(b'~')
    .add(b'<')
    .add(b'#')
    .add(b'|');

impl<'a> PathPart<'a> {
    /// Checks that `segment` can be used unchanged as a path segment, without encoding it.
    ///
    /// Fails if the segment is `.` or `..`, or contains `/` or an ASCII control character.
    /// Anything else, including `%` and non-ASCII text, is accepted verbatim.
    ///
    /// ```
    /// # use ostore_core::path::PathPart;
    /// assert_eq!(PathPart::parse("data.csv").unwrap().as_ref(), "data.csv");
    /// assert!(PathPart::parse("..").is_err());
    /// assert!(PathPart::parse("a/b").is_err());
    /// ```
    pub fn parse(segment: &'a str) -> Result<Self, InvalidPart> {
        if is_valid_segment(segment) {
            Ok(Self {
                raw: Cow::Borrowed(segment),
            })
        } else {
            InvalidPartSnafu { segment }.fail()
        }
    }
}

/// Whether `segment` satisfies the invariants of [`PathPart`]. The empty string passes;
/// callers that need non-empty segments check that separately.
pub(super) fn is_valid_segment(segment: &str) -> bool {
    segment != "."
        && segment != ".."
        && !segment
            .bytes()
            .any(|b| b == DELIMITER_BYTE || b.is_ascii_control())
}

impl<'a> From<&'a [u8]> for PathPart<'a> {
    /// Percent-encodes `bytes` into a segment that is always valid.
    fn from(bytes: &'a [u8]) -> Self {
        let raw = match bytes {
            // Dots are fine inside a name, but a whole segment of `.` or `..` would mean
            // "this directory" / "parent directory" to a file system.
            b"." => Cow::Borrowed("%2E"),
            b".." => Cow::Borrowed("%2E%2E"),
            other => Cow::from(percent_encode(other, ESCAPED)),
        };
        Self { raw }
    }
}

impl<'a> From<&'a str> for PathPart<'a> {
    /// Percent-encodes `s` into a segment that is always valid.
    ///
    /// ```
    /// # use ostore_core::path::PathPart;
    /// assert_eq!(PathPart::from("a/b#c").as_ref(), "a%2Fb%23c");
    /// assert_eq!(PathPart::from("..").as_ref(), "%2E%2E");
    /// ```
    fn from(s: &'a str) -> Self {
        Self::from(s.as_bytes())
    }
}

impl From<String> for PathPart<'static> {
    /// Percent-encodes `s` into a segment that is always valid.
    fn from(s: String) -> Self {
        Self {
            raw: Cow::Owned(PathPart::from(s.as_str()).raw.into_owned()),
        }
    }
}

impl AsRef<str> for PathPart<'_> {
    fn as_ref(&self) -> &str {
        &self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_plain_and_encoded_segments() {
        for ok in [
            "foo",
            "foo.bar",
            ".hidden",
            "...",
            "foo%2Fbar",
            "%Z",
            "%%",
            "a b",
            "ü🙂",
            "#[]{}",
            "",
        ] {
            assert_eq!(PathPart::parse(ok).unwrap().as_ref(), ok);
        }
    }

    #[test]
    fn parse_rejects_invalid_segments() {
        for bad in [".", "..", "a/b", "/", "a\nb", "\0", "tab\t", "\x7f", "\r"] {
            let err = PathPart::parse(bad).unwrap_err();
            assert!(err.to_string().contains("not a valid path segment"));
        }
    }

    #[test]
    fn invalid_part_message_names_segment() {
        let err = PathPart::parse("x/y").unwrap_err();
        assert!(err.to_string().contains("\"x/y\""), "{err}");
    }

    #[test]
    fn from_encodes_reserved_characters() {
        assert_eq!(PathPart::from("foo/bar").as_ref(), "foo%2Fbar");
        assert_eq!(PathPart::from("foo%2Fbar").as_ref(), "foo%252Fbar");
        assert_eq!(PathPart::from("100%").as_ref(), "100%25");
        assert_eq!(PathPart::from("a#b").as_ref(), "a%23b");
        assert_eq!(
            PathPart::from("\\{^}`]\">[~<|").as_ref(),
            "%5C%7B%5E%7D%60%5D%22%3E%5B%7E%3C%7C"
        );
        assert_eq!(PathPart::from("\n\r\t\0\x7f").as_ref(), "%0A%0D%09%00%7F");
    }

    #[test]
    fn from_leaves_safe_characters_alone() {
        let safe = "Az09 .-_!$&'()*+,;=:@?";
        assert_eq!(PathPart::from(safe).as_ref(), safe);
    }

    #[test]
    fn from_encodes_non_ascii() {
        assert_eq!(PathPart::from("ü").as_ref(), "%C3%BC");
    }

    #[test]
    fn from_encodes_dot_segments() {
        assert_eq!(PathPart::from(".").as_ref(), "%2E");
        assert_eq!(PathPart::from("..").as_ref(), "%2E%2E");
        assert_eq!(PathPart::from("...").as_ref(), "...");
        assert_eq!(PathPart::from(".a").as_ref(), ".a");
    }

    #[test]
    fn from_string_and_bytes_agree_with_str() {
        let s = "a/b c%..";
        let expected = PathPart::from(s);
        assert_eq!(PathPart::from(s.to_string()), expected);
        assert_eq!(PathPart::from(s.as_bytes()), expected);
        assert_eq!(PathPart::from(".".to_string()).as_ref(), "%2E");
    }

    #[test]
    fn from_borrows_when_nothing_to_encode() {
        assert!(matches!(PathPart::from("plain").raw, Cow::Borrowed(_)));
    }

    #[test]
    fn default_is_empty() {
        assert_eq!(PathPart::default().as_ref(), "");
    }
}
