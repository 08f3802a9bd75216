//! XML response bodies (S3 and Azure listings, WebDAV multistatus, error documents)
//! deserialized with quick-xml + serde, with one way of reporting a bad document.

use crate::status::trim_body;
use ostore_core::{Error, Result};
use serde::de::DeserializeOwned;

/// Deserializes the XML document `body`, the answer to `what` (e.g. `"PROPFIND"`).
///
/// A body that is not UTF-8 or not the expected document is an [`Error::Generic`] naming
/// `what`, the parser's complaint and the start of the body (trimmed), never a panic.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Owner { #[serde(rename = "ID")] id: String }
///
/// let owner: Owner = ostore_transport::xml::from_xml("S3", "GetOwner", b"<Owner><ID>42</ID></Owner>").unwrap();
/// assert_eq!(owner.id, "42");
/// assert!(ostore_transport::xml::from_xml::<Owner>("S3", "GetOwner", b"<Owner>").is_err());
/// ```
pub fn from_xml<T: DeserializeOwned>(store: &'static str, what: &str, body: &[u8]) -> Result<T> {
    let bad = |why: String| {
        Error::generic(
            store,
            format!("invalid {what} answer: {why}; body: {}", trim_body(body)),
        )
    };
    let text = std::str::from_utf8(body).map_err(|e| bad(e.to_string()))?;
    quick_xml::de::from_str(text).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct List {
        #[serde(rename = "Key", default)]
        keys: Vec<String>,
    }

    #[test]
    fn documents_and_bad_documents() {
        let ok: List = from_xml("T", "List", b"<List><Key>a</Key><Key>b</Key></List>").unwrap();
        assert_eq!(ok.keys, ["a", "b"]);
        for garbage in [
            &b"<List><Key>a</Key>"[..],
            b"<<<>>>",
            b"\xff\xfe<List/>",
            b"",
            b"not xml at all",
        ] {
            let err = from_xml::<List>("T", "List", garbage).unwrap_err();
            assert!(matches!(err, Error::Generic { store: "T", .. }), "{err:?}");
            assert!(err.to_string().contains("invalid List answer"), "{err}");
        }
    }
}
