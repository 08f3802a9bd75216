//! Parsing of WebDAV `PROPFIND` answers (`207 Multi-Status`) into the entries a listing
//! needs, whatever namespace prefix the server uses and however it writes its hrefs.

use chrono::{DateTime, Utc};
use ostore_core::{Error, Result};
use ostore_transport::headers::parse_http_date;
use percent_encoding::percent_decode_str;
use serde::Deserialize;

use crate::STORE;

/// `<multistatus>`: one `<response>` per resource.
#[derive(Debug, Deserialize)]
struct MultiStatus {
    #[serde(rename = "response", default)]
    responses: Vec<DavResponse>,
}

/// `<response>`: the resource's href and its properties, grouped by status.
#[derive(Debug, Deserialize)]
struct DavResponse {
    href: String,
    #[serde(rename = "propstat", default)]
    propstats: Vec<PropStat>,
}

#[derive(Debug, Deserialize)]
struct PropStat {
    prop: Prop,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Prop {
    #[serde(default)]
    getcontentlength: Option<String>,
    #[serde(default)]
    getlastmodified: Option<String>,
    #[serde(default)]
    getetag: Option<String>,
    #[serde(default)]
    resourcetype: Option<ResourceType>,
}

#[derive(Debug, Default, Deserialize)]
struct ResourceType {
    #[serde(default)]
    collection: Option<serde::de::IgnoredAny>,
}

/// One resource of a multistatus answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The decoded URL path of the resource (no scheme or host), e.g. `/dav/a b/c`, without
    /// a trailing `/`.
    pub(crate) path: String,
    /// Whether it is a collection (a directory).
    pub(crate) collection: bool,
    /// `getcontentlength`.
    pub(crate) size: Option<u64>,
    /// `getlastmodified`.
    pub(crate) last_modified: Option<DateTime<Utc>>,
    /// `getetag`.
    pub(crate) e_tag: Option<String>,
}

/// The decoded URL path of an href, which is either an absolute path or a full URL.
pub(crate) fn href_path(href: &str) -> Result<String> {
    let href = href.trim();
    let path = match href.find("://") {
        Some(i) => {
            let rest = &href[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        None => href,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| Error::generic(STORE, format!("PROPFIND href {href:?} is not UTF-8")))?;
    Ok(decoded.trim_end_matches('/').to_string())
}

/// Parses a multistatus body into its entries, in the server's order.
///
/// Only properties under a `200` propstat count (servers list the properties they lack
/// under `404`). A resource is a collection if its `resourcetype` holds `collection` or its
/// href ends with `/`.
pub(crate) fn parse_multistatus(body: &[u8]) -> Result<Vec<Entry>> {
    let status: MultiStatus = ostore_transport::xml::from_xml(STORE, "PROPFIND", body)?;
    status
        .responses
        .into_iter()
        .map(|r| {
            let mut prop = Prop::default();
            for ps in r.propstats {
                let ok = ps
                    .status
                    .as_deref()
                    .is_none_or(|s| s.split_whitespace().nth(1) == Some("200"));
                if ok {
                    prop = ps.prop;
                    break;
                }
            }
            let collection = r.href.trim_end().ends_with('/')
                || prop.resourcetype.is_some_and(|t| t.collection.is_some());
            let size = match prop.getcontentlength.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(s) => Some(s.parse().map_err(|_| {
                    Error::generic(STORE, format!("invalid getcontentlength {s:?}"))
                })?),
            };
            Ok(Entry {
                path: href_path(&r.href)?,
                collection,
                size,
                last_modified: prop.getlastmodified.as_deref().and_then(parse_http_date),
                e_tag: prop.getetag.filter(|t| !t.is_empty()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// As Apache mod_dav_fs writes it: `D:` plus per-response `lp1:` prefixes, dead
    /// properties, pretty-printed, encoded absolute-path hrefs.
    const APACHE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:ns0="DAV:">
<D:response xmlns:lp1="DAV:" xmlns:lp2="http://apache.org/dav/props/">
<D:href>/dav/dir/</D:href>
<D:propstat>
<D:prop>
<lp1:resourcetype><D:collection/></lp1:resourcetype>
<lp1:getlastmodified>Thu, 26 Nov 2026 14:32:47 GMT</lp1:getlastmodified>
<lp1:getetag>W/""</lp1:getetag>
<D:supportedlock>
<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>
</D:supportedlock>
<D:lockdiscovery/>
<D:getcontenttype>httpd/unix-directory</D:getcontenttype>
</D:prop>
<D:status>HTTP/1.1 200 OK</D:status>
</D:propstat>
</D:response>
<D:response xmlns:lp1="DAV:" xmlns:lp2="http://apache.org/dav/props/">
<D:href>/dav/dir/a%20b%23c%3f%25%C3%BC</D:href>
<D:propstat>
<D:prop>
<lp1:resourcetype/>
<lp1:creationdate>2026-11-26T14:32:47Z</lp1:creationdate>
<lp1:getcontentlength>0</lp1:getcontentlength>
<lp1:getlastmodified>Thu, 26 Nov 2026 14:32:48 GMT</lp1:getlastmodified>
<lp1:getetag>"2jmj7l5rSw0yVb/vlWAYkK/YBwk="</lp1:getetag>
<lp2:executable>F</lp2:executable>
</D:prop>
<D:status>HTTP/1.1 200 OK</D:status>
</D:propstat>
<D:propstat>
<D:prop><D:quota/></D:prop>
<D:status>HTTP/1.1 404 Not Found</D:status>
</D:propstat>
</D:response>
</D:multistatus>"#;

    /// As rclone (golang.org/x/net/webdav) writes it: one line, `D:` prefix, displayname.
    const RCLONE: &str = r#"<?xml version="1.0" encoding="UTF-8"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/t1/</D:href><D:propstat><D:prop><D:displayname>t1</D:displayname><D:getlastmodified>Thu, 26 Nov 2026 14:32:47 GMT</D:getlastmodified><D:resourcetype><D:collection xmlns:D="DAV:"/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response><D:response><D:href>/t1/a/b%2Bc=d</D:href><D:propstat><D:prop><D:getetag>"5d41402abc4b2a76b9719d911017c592"</D:getetag><D:displayname>b+c=d</D:displayname><D:getcontentlength>5</D:getcontentlength><D:getlastmodified>Thu, 26 Nov 2026 14:32:47 GMT</D:getlastmodified><D:getcontenttype>application/octet-stream</D:getcontenttype><D:resourcetype></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"#;

    /// Lower-case prefix, default namespace and full-URL hrefs.
    const MIXED: &str = r#"<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:">
  <d:response>
    <d:href>https://example.com:8443/root/x%22y%27z</d:href>
    <d:propstat><d:prop>
      <d:getcontentlength> 12 </d:getcontentlength>
      <d:getetag>"t"</d:getetag>
      <d:resourcetype/>
    </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
  </d:response>
</d:multistatus>"#;

    /// The default namespace, no prefix at all, and no propstat status.
    const UNPREFIXED: &str = r#"<multistatus xmlns="DAV:">
  <response>
    <href>http://h/root/sub</href>
    <propstat><prop><resourcetype><collection/></resourcetype></prop></propstat>
  </response>
</multistatus>"#;

    fn t(s: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2026, 11, 26, 14, 32, s).unwrap())
    }

    #[test]
    fn apache_answer() {
        let entries = parse_multistatus(APACHE.as_bytes()).unwrap();
        assert_eq!(
            entries,
            [
                Entry {
                    path: "/dav/dir".into(),
                    collection: true,
                    size: None,
                    last_modified: t(47),
                    e_tag: Some("W/\"\"".into()),
                },
                Entry {
                    path: "/dav/dir/a b#c?%ü".into(),
                    collection: false,
                    size: Some(0),
                    last_modified: t(48),
                    e_tag: Some("\"2jmj7l5rSw0yVb/vlWAYkK/YBwk=\"".into()),
                },
            ]
        );
    }

    #[test]
    fn rclone_answer() {
        let entries = parse_multistatus(RCLONE.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        assert!(entries[0].collection);
        assert_eq!(entries[0].path, "/t1");
        let file = &entries[1];
        assert_eq!(file.path, "/t1/a/b+c=d");
        assert!(!file.collection);
        assert_eq!(file.size, Some(5));
        assert_eq!(file.last_modified, t(47));
        assert_eq!(
            file.e_tag.as_deref(),
            Some("\"5d41402abc4b2a76b9719d911017c592\"")
        );
    }

    #[test]
    fn other_prefixes_and_full_url_hrefs() {
        let mut entries = parse_multistatus(MIXED.as_bytes()).unwrap();
        entries.extend(parse_multistatus(UNPREFIXED.as_bytes()).unwrap());
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].path, "/root/x\"y'z");
        assert_eq!(entries[0].size, Some(12));
        assert!(!entries[0].collection);
        assert_eq!(entries[0].last_modified, None);
        assert_eq!(entries[1].path, "/root/sub");
        assert!(entries[1].collection);
    }

    #[test]
    fn hrefs_decode() {
        assert_eq!(href_path("/a%2Fb/").unwrap(), "/a/b");
        assert_eq!(href_path("http://h:1/p%20q").unwrap(), "/p q");
        assert_eq!(href_path("http://h").unwrap(), "");
        assert!(href_path("/%FF").is_err());
    }

    #[test]
    fn bad_answers_are_errors() {
        assert!(parse_multistatus(b"<not xml").is_err());
        assert!(parse_multistatus(b"\xff\xfe").is_err());
        let bad_len = RCLONE.replace(">5<", ">five<");
        assert!(parse_multistatus(bad_len.as_bytes()).is_err());
        let empty = parse_multistatus(br#"<D:multistatus xmlns:D="DAV:"/>"#).unwrap();
        assert!(empty.is_empty());
    }
}
