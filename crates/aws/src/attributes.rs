//! Object attributes on S3: the headers they are written as and read back from.
//!
//! S3 keeps header values as US-ASCII and AWS's SigV4 canonical form collapses runs of
//! spaces, so a value such as `"two  spaces and ünïcode"` cannot travel as it is. Such
//! values are sent as RFC 2047 encoded words (`=?UTF-8?B?…?=`), which S3 itself documents
//! for non-ASCII metadata, and decoded when read back: every value round-trips exactly.

use std::borrow::Cow;

use http::HeaderMap;
use ostore_core::{Attribute, Attributes, Result};
use ostore_transport::base64;

use crate::STORE;
use crate::client::META_PREFIX;

/// Whether `value` passes through S3 and SigV4 unchanged: visible ASCII and single inner
/// spaces, no leading or trailing whitespace, and not itself looking like an encoded word.
fn travels_as_is(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().all(|b| (0x20..0x7f).contains(b))
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && !value.contains("  ")
        && !value.starts_with("=?")
}

/// The header value for an attribute value: as it is, or an RFC 2047 `B`-encoded UTF-8
/// word.
pub(crate) fn encode_value(value: &str) -> Cow<'_, str> {
    if travels_as_is(value) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(format!("=?UTF-8?B?{}?=", base64::encode(value.as_bytes())))
    }
}

/// Decodes an RFC 2047 encoded word (`B` or `Q` encoding, UTF-8 or US-ASCII); anything
/// else is returned as it is.
pub(crate) fn decode_value(value: &str) -> String {
    decode_word(value).unwrap_or_else(|| value.to_string())
}

fn decode_word(value: &str) -> Option<String> {
    let inner = value.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("us-ascii") {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64::decode(text)?,
        "Q" | "q" => {
            let mut out = Vec::with_capacity(text.len());
            let mut bytes = text.bytes();
            while let Some(b) = bytes.next() {
                match b {
                    b'_' => out.push(b' '),
                    b'=' => {
                        let hi = (bytes.next()? as char).to_digit(16)?;
                        let lo = (bytes.next()? as char).to_digit(16)?;
                        out.push((hi * 16 + lo) as u8);
                    }
                    b => out.push(b),
                }
            }
            out
        }
        _ => return None,
    };
    String::from_utf8(bytes).ok()
}

/// The request headers for `attributes` (user metadata as `x-amz-meta-<key>`), values that
/// would not travel as they are sent as encoded words.
pub(crate) fn attribute_headers(attributes: &Attributes) -> Result<HeaderMap> {
    let headers = |attributes: &Attributes| {
        ostore_transport::headers::attribute_headers(STORE, attributes, Some(META_PREFIX))
    };
    if attributes.iter().all(|(_, v)| travels_as_is(v)) {
        return headers(attributes);
    }
    let encoded: Attributes = attributes
        .iter()
        .map(|(attribute, value)| (attribute.clone(), encode_value(value).into_owned()))
        .collect();
    headers(&encoded)
}

/// The attributes of an object from the headers of its GET/HEAD answer.
pub(crate) fn attributes_of(headers: &HeaderMap) -> Attributes {
    let mut attributes = Attributes::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else { continue };
        let attribute = match name.as_str() {
            "content-type" => Attribute::ContentType,
            "cache-control" => Attribute::CacheControl,
            "content-disposition" => Attribute::ContentDisposition,
            "content-encoding" => Attribute::ContentEncoding,
            "content-language" => Attribute::ContentLanguage,
            n => match n.strip_prefix(META_PREFIX) {
                Some(key) => Attribute::Metadata(key.to_string().into()),
                None => continue,
            },
        };
        attributes.insert(attribute, decode_value(value).into());
    }
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_travel_as_they_are() {
        for v in [
            "team-a",
            "text/csv; charset=utf-8",
            "attachment; filename=\"a b.csv\"",
        ] {
            assert_eq!(encode_value(v), v);
            assert_eq!(decode_value(v), v);
        }
    }

    #[test]
    fn other_values_round_trip_as_encoded_words() {
        for v in [
            "two  spaces and ünïcode",
            " lead",
            "trail ",
            "=?UTF-8?B?eA==?=",
            "tab\there",
            "日本",
        ] {
            let sent = encode_value(v);
            assert!(sent.starts_with("=?UTF-8?B?"), "{sent}");
            assert_eq!(decode_value(&sent), v);
        }
    }

    #[test]
    fn q_encoded_words_decode() {
        assert_eq!(
            decode_value("=?utf-8?Q?caf=C3=A9_au_lait?="),
            "café au lait"
        );
        assert_eq!(decode_value("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
        assert_eq!(decode_value("=?UTF-8?Q?bad=Z?="), "=?UTF-8?Q?bad=Z?=");
    }
}
