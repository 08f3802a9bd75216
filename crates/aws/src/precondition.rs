//! How the store makes conditional writes on S3-compatible servers: [`S3ConditionalPut`] for
//! `put_opts` with `PutMode::Create`/`Update`, [`S3CopyIfNotExists`] for `copy_if_not_exists`.
//!
//! Both have a string form (their [`Display`](fmt::Display) and [`FromStr`]) used by the
//! `aws_conditional_put` and `aws_copy_if_not_exists` configuration keys.

use std::fmt;
use std::str::FromStr;

use http::StatusCode;
use http::header::{HeaderName, HeaderValue};
use ostore_core::{Error, Result};

use crate::STORE;

/// How `put_opts` with [`PutMode::Create`](ostore_core::PutMode::Create) and
/// [`PutMode::Update`](ostore_core::PutMode::Update) is carried out.
///
/// String form (ignoring surrounding whitespace): `etag` or `disabled`.
///
/// ```
/// use ostore_aws::S3ConditionalPut;
/// let mode: S3ConditionalPut = "disabled".parse().unwrap();
/// assert_eq!(mode, S3ConditionalPut::Disabled);
/// assert_eq!(S3ConditionalPut::default().to_string(), "etag");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum S3ConditionalPut {
    /// `If-None-Match: *` for Create and `If-Match: <e-tag>` for Update, as AWS S3 and most
    /// S3-compatible servers support (string form `etag`).
    #[default]
    ETagMatch,
    /// Conditional puts are refused with `NotImplemented` (string form `disabled`).
    Disabled,
}

impl fmt::Display for S3ConditionalPut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ETagMatch => "etag",
            Self::Disabled => "disabled",
        })
    }
}

impl FromStr for S3ConditionalPut {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "etag" => Ok(Self::ETagMatch),
            "disabled" => Ok(Self::Disabled),
            _ => Err(Error::generic(
                STORE,
                format!("invalid conditional put mode {s:?}: expected \"etag\" or \"disabled\""),
            )),
        }
    }
}

/// How `copy_if_not_exists` / `rename_if_not_exists` are carried out (none by default:
/// they then fail with `NotSupported`).
///
/// String forms, whitespace around each part ignored:
/// - `header: <name>: <value>` — [`Header`](Self::Header)
/// - `header-with-status: <name>: <value>: <status>` — [`HeaderWithStatus`](Self::HeaderWithStatus)
/// - `multipart` — [`Multipart`](Self::Multipart)
/// - `if-none-match` — [`IfNoneMatch`](Self::IfNoneMatch) (ours)
///
/// ```
/// use ostore_aws::S3CopyIfNotExists;
/// let r2: S3CopyIfNotExists = "header: cf-copy-destination-if-none-match: *".parse().unwrap();
/// assert_eq!(
///     r2,
///     S3CopyIfNotExists::Header("cf-copy-destination-if-none-match".into(), "*".into())
/// );
/// assert_eq!(r2.to_string(), "header: cf-copy-destination-if-none-match: *");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum S3CopyIfNotExists {
    /// Send this header (name, value) with CopyObject; the server answers
    /// `412 Precondition Failed` if the destination exists (e.g. Cloudflare R2's
    /// `cf-copy-destination-if-none-match: *`).
    Header(String, String),
    /// Send this header (name, value) with CopyObject; the server answers the given status if
    /// the destination exists.
    HeaderWithStatus(String, String, StatusCode),
    /// Copy through a multipart upload (UploadPartCopy) completed with `If-None-Match: *`,
    /// which AWS S3 supports. Tags and attributes of the source are not copied, and a failed
    /// copy may leave an incomplete upload behind (a lifecycle rule cleans those up).
    Multipart,
    /// Send `If-None-Match: *` with CopyObject (ours): AWS S3 and recent S3-compatible
    /// servers answer `412` if the destination exists. One request, tags and attributes
    /// copied.
    IfNoneMatch,
}

impl fmt::Display for S3CopyIfNotExists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(name, value) => write!(f, "header: {name}: {value}"),
            Self::HeaderWithStatus(name, value, status) => {
                write!(
                    f,
                    "header-with-status: {name}: {value}: {}",
                    status.as_u16()
                )
            }
            Self::Multipart => f.write_str("multipart"),
            Self::IfNoneMatch => f.write_str("if-none-match"),
        }
    }
}

/// Checks that `name: value` can be sent as an HTTP header and returns both trimmed.
fn header_pair(input: &str, name: &str, value: &str) -> Result<(String, String)> {
    let (name, value) = (name.trim(), value.trim());
    if HeaderName::from_bytes(name.as_bytes()).is_err() || HeaderValue::from_str(value).is_err() {
        return Err(Error::generic(
            STORE,
            format!("invalid copy-if-not-exists mode {input:?}: not a valid HTTP header"),
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

impl FromStr for S3CopyIfNotExists {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::generic(
                STORE,
                format!(
                    "invalid copy-if-not-exists mode {s:?}: expected \"header: <name>: <value>\", \
                     \"header-with-status: <name>: <value>: <status>\", \"multipart\" or \
                     \"if-none-match\""
                ),
            )
        };
        match s.trim() {
            "multipart" => return Ok(Self::Multipart),
            "if-none-match" => return Ok(Self::IfNoneMatch),
            _ => {}
        }
        let (variant, rest) = s.split_once(':').ok_or_else(bad)?;
        match variant.trim() {
            "header" => {
                let (name, value) = rest.split_once(':').ok_or_else(bad)?;
                let (name, value) = header_pair(s, name, value)?;
                Ok(Self::Header(name, value))
            }
            "header-with-status" => {
                let mut parts = rest.split(':');
                let (Some(name), Some(value), Some(status), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(bad());
                };
                let status = status
                    .trim()
                    .parse::<u16>()
                    .ok()
                    .and_then(|code| StatusCode::from_u16(code).ok())
                    .ok_or_else(bad)?;
                let (name, value) = header_pair(s, name, value)?;
                Ok(Self::HeaderWithStatus(name, value, status))
            }
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditional_put_round_trips() {
        for mode in [S3ConditionalPut::ETagMatch, S3ConditionalPut::Disabled] {
            assert_eq!(mode.to_string().parse::<S3ConditionalPut>().unwrap(), mode);
        }
        assert_eq!(
            " etag ".parse::<S3ConditionalPut>().unwrap(),
            S3ConditionalPut::ETagMatch
        );
        assert!("dynamo:table".parse::<S3ConditionalPut>().is_err());
        assert!("ETAG".parse::<S3ConditionalPut>().is_err());
    }

    #[test]
    fn copy_if_not_exists_parses_every_form_whatever_the_spacing() {
        let header =
            S3CopyIfNotExists::Header("cf-copy-destination-if-none-match".into(), "*".into());
        for s in [
            "header:cf-copy-destination-if-none-match:*",
            "header: cf-copy-destination-if-none-match: *",
            " header : cf-copy-destination-if-none-match : * ",
        ] {
            assert_eq!(s.parse::<S3CopyIfNotExists>().unwrap(), header, "{s}");
        }
        let with_status = S3CopyIfNotExists::HeaderWithStatus(
            "key".into(),
            "value".into(),
            StatusCode::FORBIDDEN,
        );
        for s in [
            "header-with-status:key:value:403",
            "header-with-status : key : value : 403 ",
        ] {
            assert_eq!(s.parse::<S3CopyIfNotExists>().unwrap(), with_status, "{s}");
        }
        assert_eq!(
            " multipart ".parse::<S3CopyIfNotExists>().unwrap(),
            S3CopyIfNotExists::Multipart
        );
        assert_eq!(
            "if-none-match".parse::<S3CopyIfNotExists>().unwrap(),
            S3CopyIfNotExists::IfNoneMatch
        );
    }

    #[test]
    fn copy_if_not_exists_round_trips_through_display() {
        for mode in [
            S3CopyIfNotExists::Header("x-a".into(), "b".into()),
            S3CopyIfNotExists::HeaderWithStatus("x-a".into(), "b".into(), StatusCode::CONFLICT),
            S3CopyIfNotExists::Multipart,
            S3CopyIfNotExists::IfNoneMatch,
        ] {
            assert_eq!(mode.to_string().parse::<S3CopyIfNotExists>().unwrap(), mode);
        }
    }

    #[test]
    fn copy_if_not_exists_rejects_malformed_input() {
        for s in [
            "",
            "header",
            "header: only-name",
            "header: bad name: *",
            "header-with-status: k: v",
            "header-with-status: k: v: 99",
            "header-with-status: k: v: abc",
            "header-with-status: k: v: 412: extra",
            "dynamo: table",
            "multipart please",
        ] {
            assert!(
                s.parse::<S3CopyIfNotExists>().is_err(),
                "{s:?} was accepted"
            );
        }
    }
}
