//! Header helpers shared by the HTTP-based stores: conditional and range headers for gets,
//! attribute headers for puts, [`ObjectMeta`] from response headers, `Content-Range`
//! validation, and turning a [`Response`] into a streaming [`GetResult`].

use std::ops::Range;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH,
    CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    IF_UNMODIFIED_SINCE, LAST_MODIFIED, RANGE,
};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use ostore_core::path::Path;
use ostore_core::{
    Attribute, Attributes, Error, GetOptions, GetRange, GetResult, GetResultPayload, ObjectMeta,
    Result,
};

use crate::response::Response;

/// The `strftime` format of an HTTP-date (RFC 9110 IMF-fixdate).
const HTTP_DATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// Formats `t` as an HTTP-date, e.g. `Thu, 26 Nov 2026 14:32:47 GMT` (sub-seconds dropped).
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// let t = Utc.with_ymd_and_hms(2026, 11, 26, 14, 32, 47).unwrap();
/// assert_eq!(ostore_transport::headers::format_http_date(t), "Thu, 26 Nov 2026 14:32:47 GMT");
/// ```
pub fn format_http_date(t: DateTime<Utc>) -> String {
    t.format(HTTP_DATE).to_string()
}

/// Parses an HTTP-date (IMF-fixdate, or any RFC 2822 date); `None` if it is not one.
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = NaiveDateTime::parse_from_str(s, HTTP_DATE) {
        return Some(Utc.from_utc_datetime(&t));
    }
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn header_value(store: &'static str, name: &str, value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::generic(store, format!("invalid value for the {name} header")))
}

/// The request headers of a get: `If-Match`, `If-None-Match`, `If-Modified-Since`,
/// `If-Unmodified-Since` (as HTTP-dates) and `Range`.
///
/// An empty or reversed range is refused here with [`Error::Generic`], before any request.
/// `GetOptions::version` is not handled (each store has its own way to name versions).
pub fn get_request_headers(store: &'static str, options: &GetOptions) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    if let Some(tag) = &options.if_match {
        headers.insert(IF_MATCH, header_value(store, "If-Match", tag)?);
    }
    if let Some(tag) = &options.if_none_match {
        headers.insert(IF_NONE_MATCH, header_value(store, "If-None-Match", tag)?);
    }
    if let Some(t) = options.if_modified_since {
        let v = header_value(store, "If-Modified-Since", &format_http_date(t))?;
        headers.insert(IF_MODIFIED_SINCE, v);
    }
    if let Some(t) = options.if_unmodified_since {
        let v = header_value(store, "If-Unmodified-Since", &format_http_date(t))?;
        headers.insert(IF_UNMODIFIED_SINCE, v);
    }
    if let Some(range) = &options.range {
        range.is_valid().map_err(|e| Error::generic(store, e))?;
        headers.insert(RANGE, header_value(store, "Range", &range.to_string())?);
    }
    Ok(headers)
}

/// The request headers carrying `attributes` on a put.
///
/// The standard attributes map to their HTTP headers (`Content-Type`, `Cache-Control`, ...).
/// [`Attribute::Metadata`] maps to `<metadata_prefix><key>` (e.g. `x-amz-meta-`); with no
/// prefix the store keeps no user metadata and such an attribute is refused with
/// [`Error::NotSupported`].
pub fn attribute_headers(
    store: &'static str,
    attributes: &Attributes,
    metadata_prefix: Option<&str>,
) -> Result<HeaderMap> {
    let mut headers = HeaderMap::with_capacity(attributes.len());
    for (attribute, value) in attributes {
        let name = match attribute {
            Attribute::ContentType => CONTENT_TYPE,
            Attribute::CacheControl => CACHE_CONTROL,
            Attribute::ContentDisposition => CONTENT_DISPOSITION,
            Attribute::ContentEncoding => CONTENT_ENCODING,
            Attribute::ContentLanguage => CONTENT_LANGUAGE,
            Attribute::Metadata(key) => {
                let Some(prefix) = metadata_prefix else {
                    return Err(Error::NotSupported {
                        source: format!("{store} stores no user metadata (attribute {key:?})")
                            .into(),
                    });
                };
                HeaderName::try_from(format!("{prefix}{key}"))
                    .map_err(|_| Error::generic(store, format!("invalid metadata key {key:?}")))?
            }
            other => {
                return Err(Error::NotSupported {
                    source: format!("{store} does not support the attribute {other:?}").into(),
                });
            }
        };
        headers.insert(name.clone(), header_value(store, name.as_str(), value)?);
    }
    Ok(headers)
}

/// How [`object_meta`] reads response headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetaConfig<'a> {
    /// The header holding the object's version, if the store has versions.
    pub version_header: Option<&'a str>,
}

fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `Content-Length` header, if present and a number.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    header_str(headers, &CONTENT_LENGTH)?.trim().parse().ok()
}

/// The metadata of the object at `location` from a response's headers: `Content-Length`
/// (or `size` if given, e.g. the total from `Content-Range`), `Last-Modified`, `ETag` and
/// the version header. A missing size or `Last-Modified` is an [`Error::Generic`].
pub fn object_meta(
    store: &'static str,
    location: &Path,
    headers: &HeaderMap,
    size: Option<u64>,
    config: MetaConfig<'_>,
) -> Result<ObjectMeta> {
    let size = size.or_else(|| content_length(headers)).ok_or_else(|| {
        Error::generic(
            store,
            format!("response for {location} has no valid Content-Length"),
        )
    })?;
    let last_modified = header_str(headers, &LAST_MODIFIED)
        .and_then(parse_http_date)
        .ok_or_else(|| {
            Error::generic(
                store,
                format!("response for {location} has no valid Last-Modified"),
            )
        })?;
    let e_tag = header_str(headers, &ETAG).map(str::to_string);
    let version = config
        .version_header
        .and_then(|name| headers.get(name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(ObjectMeta {
        location: location.clone(),
        last_modified,
        size,
        e_tag,
        version,
    })
}

/// Parses a `Content-Range` value `bytes <first>-<last>/<total>` into the served range
/// (end exclusive) and the object size; `None` for anything else (including `*/<total>`,
/// a reversed range, or one past the total).
pub fn parse_content_range(value: &str) -> Option<(Range<u64>, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last): (u64, u64) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    let total: u64 = total.trim().parse().ok()?;
    (first <= last && last < total).then(|| (first..last + 1, total))
}

/// Checks a `206` answer's `Content-Range` against the requested range and returns the
/// served range and the object size. A missing, malformed or different range is an
/// [`Error::Generic`], so wrong bytes are never returned as the requested ones.
pub fn validate_content_range(
    store: &'static str,
    headers: &HeaderMap,
    requested: &GetRange,
) -> Result<(Range<u64>, u64)> {
    let value = header_str(headers, &CONTENT_RANGE)
        .ok_or_else(|| Error::generic(store, "206 response without Content-Range"))?;
    let (served, total) = parse_content_range(value)
        .ok_or_else(|| Error::generic(store, format!("invalid Content-Range {value:?}")))?;
    let expected = requested.as_range(total).map_err(|e| {
        Error::generic(
            store,
            format!("server answered {value:?} to the unsatisfiable range {requested}: {e}"),
        )
    })?;
    if served != expected {
        return Err(Error::generic(
            store,
            format!("server answered {value:?} to the range {requested} (expected {expected:?})"),
        ));
    }
    Ok((served, total))
}

/// Builds a [`GetResult`] streaming the body of a successful get response.
///
/// For `206` the `Content-Range` is checked against `requested` ([`validate_content_range`]).
/// A `200` answer to a ranged request is refused, since it holds the whole object. `size`
/// overrides the object size when the headers lack it (a server omitting `Content-Length`);
/// the attributes are left empty: stores that keep attributes fill them in.
pub fn get_result(
    store: &'static str,
    location: &Path,
    requested: Option<&GetRange>,
    response: Response,
    size: Option<u64>,
    config: MetaConfig<'_>,
) -> Result<GetResult> {
    let headers = response.headers();
    let (range, meta) = match (response.status(), requested) {
        (StatusCode::PARTIAL_CONTENT, Some(requested)) => {
            let (range, total) = validate_content_range(store, headers, requested)?;
            (
                range,
                object_meta(store, location, headers, Some(total), config)?,
            )
        }
        (StatusCode::PARTIAL_CONTENT, None) => {
            return Err(Error::generic(
                store,
                "206 response to a request without Range",
            ));
        }
        (StatusCode::OK, Some(requested)) => {
            return Err(Error::generic(
                store,
                format!("server ignored the range {requested} and sent the whole object"),
            ));
        }
        (StatusCode::OK, None) => {
            let meta = object_meta(store, location, headers, size, config)?;
            (0..meta.size, meta)
        }
        (status, _) => {
            return Err(Error::generic(
                store,
                format!("unexpected status {status} for a get"),
            ));
        }
    };
    Ok(GetResult {
        payload: GetResultPayload::Stream(response.into_stream()),
        meta,
        range,
        attributes: Attributes::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn http_dates_round_trip() {
        let t = Utc.with_ymd_and_hms(2024, 2, 29, 8, 5, 9).unwrap();
        let s = format_http_date(t);
        assert_eq!(s, "Thu, 29 Feb 2024 08:05:09 GMT");
        assert_eq!(parse_http_date(&s), Some(t));
        assert_eq!(parse_http_date("Thu, 29 Feb 2024 08:05:09 +0000"), Some(t));
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn get_headers_carry_conditions_and_range() {
        let t = Utc.with_ymd_and_hms(2020, 1, 2, 3, 4, 5).unwrap();
        let options = GetOptions {
            if_match: Some("\"a\"".into()),
            if_none_match: Some("*".into()),
            if_modified_since: Some(t),
            if_unmodified_since: Some(t),
            range: Some(GetRange::Suffix(10)),
            ..Default::default()
        };
        let h = get_request_headers("X", &options).unwrap();
        assert_eq!(h[IF_MATCH], "\"a\"");
        assert_eq!(h[IF_NONE_MATCH], "*");
        assert_eq!(h[IF_MODIFIED_SINCE], "Thu, 02 Jan 2020 03:04:05 GMT");
        assert_eq!(h[IF_UNMODIFIED_SINCE], "Thu, 02 Jan 2020 03:04:05 GMT");
        assert_eq!(h[RANGE], "bytes=-10");
        assert!(
            get_request_headers("X", &GetOptions::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn invalid_range_and_header_values_are_errors() {
        let options = GetOptions {
            range: Some(GetRange::Bounded(5..5)),
            ..Default::default()
        };
        assert!(matches!(
            get_request_headers("X", &options),
            Err(Error::Generic { store: "X", .. })
        ));
        let options = GetOptions {
            if_match: Some("a\nb".into()),
            ..Default::default()
        };
        assert!(matches!(
            get_request_headers("X", &options),
            Err(Error::Generic { .. })
        ));
    }

    #[test]
    fn attributes_map_to_headers() {
        let attrs = Attributes::from_iter([
            (Attribute::ContentType, "text/csv"),
            (Attribute::CacheControl, "no-cache"),
            (Attribute::ContentDisposition, "inline"),
            (Attribute::ContentEncoding, "gzip"),
            (Attribute::ContentLanguage, "de"),
            (Attribute::Metadata("owner".into()), "me"),
        ]);
        let h = attribute_headers("S3", &attrs, Some("x-amz-meta-")).unwrap();
        assert_eq!(h.len(), 6);
        assert_eq!(h[CONTENT_TYPE], "text/csv");
        assert_eq!(h[CACHE_CONTROL], "no-cache");
        assert_eq!(h[CONTENT_DISPOSITION], "inline");
        assert_eq!(h[CONTENT_ENCODING], "gzip");
        assert_eq!(h[CONTENT_LANGUAGE], "de");
        assert_eq!(h["x-amz-meta-owner"], "me");

        let err = attribute_headers("HTTP", &attrs, None).unwrap_err();
        assert!(matches!(err, Error::NotSupported { .. }), "{err:?}");
        let bad_key = Attributes::from_iter([(Attribute::Metadata("a b".into()), "v")]);
        assert!(matches!(
            attribute_headers("S3", &bad_key, Some("x-amz-meta-")),
            Err(Error::Generic { .. })
        ));
    }

    #[test]
    fn meta_from_headers() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_LENGTH, hv("42"));
        h.insert(LAST_MODIFIED, hv("Thu, 26 Nov 2026 14:32:47 GMT"));
        h.insert(ETAG, hv("\"abc\""));
        h.insert("x-version", hv("v7"));
        let path = Path::from("a/b");
        let config = MetaConfig {
            version_header: Some("x-version"),
        };
        let meta = object_meta("X", &path, &h, None, config).unwrap();
        assert_eq!(meta.location, path);
        assert_eq!(meta.size, 42);
        assert_eq!(
            meta.last_modified,
            Utc.with_ymd_and_hms(2026, 11, 26, 14, 32, 47).unwrap()
        );
        assert_eq!(meta.e_tag.as_deref(), Some("\"abc\""));
        assert_eq!(meta.version.as_deref(), Some("v7"));
        // An explicit size wins over Content-Length.
        let meta = object_meta("X", &path, &h, Some(7), MetaConfig::default()).unwrap();
        assert_eq!((meta.size, meta.version), (7, None));

        let mut no_len = h.clone();
        no_len.remove(CONTENT_LENGTH);
        assert!(object_meta("X", &path, &no_len, None, config).is_err());
        assert_eq!(
            object_meta("X", &path, &no_len, Some(0), config)
                .unwrap()
                .size,
            0
        );
        let mut no_date = h.clone();
        no_date.insert(LAST_MODIFIED, hv("never"));
        assert!(object_meta("X", &path, &no_date, None, config).is_err());
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(parse_content_range("bytes 0-4/5"), Some((0..5, 5)));
        assert_eq!(parse_content_range("bytes 10-19/100"), Some((10..20, 100)));
        for bad in [
            "bytes */100",
            "bytes 5-4/10",
            "bytes 0-10/10",
            "items 0-1/2",
            "bytes 0-1",
            "bytes a-b/c",
            "",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_range_must_match_the_request() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_RANGE, hv(v));
            h
        };
        let ok = validate_content_range("X", &with("bytes 2-4/10"), &GetRange::Bounded(2..5));
        assert_eq!(ok.unwrap(), (2..5, 10));
        // Bounded past the end, offset and suffix resolve against the total.
        let r = validate_content_range("X", &with("bytes 4-9/10"), &GetRange::Bounded(4..100));
        assert_eq!(r.unwrap(), (4..10, 10));
        let r = validate_content_range("X", &with("bytes 7-9/10"), &GetRange::Suffix(3));
        assert_eq!(r.unwrap(), (7..10, 10));
        let r = validate_content_range("X", &with("bytes 0-9/10"), &GetRange::Suffix(30));
        assert_eq!(r.unwrap(), (0..10, 10));
        let r = validate_content_range("X", &with("bytes 3-9/10"), &GetRange::Offset(3));
        assert_eq!(r.unwrap(), (3..10, 10));

        // Wrong bytes, unsatisfiable requests and missing headers are errors.
        for (value, range) in [
            ("bytes 0-4/10", GetRange::Bounded(2..5)),
            ("bytes 2-9/10", GetRange::Bounded(2..5)),
            ("bytes 0-9/10", GetRange::Suffix(3)),
            ("bytes 0-9/10", GetRange::Offset(20)),
            ("bytes */10", GetRange::Offset(2)),
        ] {
            assert!(
                validate_content_range("X", &with(value), &range).is_err(),
                "{value} for {range}"
            );
        }
        assert!(validate_content_range("X", &HeaderMap::new(), &GetRange::Offset(1)).is_err());
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &'static [u8]) -> Response {
        use http_body_util::BodyExt;
        let mut builder = http::Response::builder().status(status);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = http_body_util::Full::new(bytes::Bytes::from_static(body))
            .map_err(|never| match never {})
            .boxed();
        Response::new(builder.body(body).unwrap(), None, "X", "http://h/p".into())
    }

    const DATE: (&str, &str) = ("last-modified", "Thu, 26 Nov 2026 14:32:47 GMT");

    #[tokio::test]
    async fn get_result_streams_validated_ranges() {
        let path = Path::from("p");
        let full = response(
            200,
            &[DATE, ("content-length", "5"), ("etag", "\"e\"")],
            b"hello",
        );
        let r = get_result("X", &path, None, full, None, MetaConfig::default()).unwrap();
        assert_eq!((r.range.clone(), r.meta.size), (0..5, 5));
        assert_eq!(r.meta.e_tag.as_deref(), Some("\"e\""));
        assert!(matches!(r.payload, GetResultPayload::Stream(_)));
        assert_eq!(&r.bytes().await.unwrap()[..], b"hello");

        let part = response(
            206,
            &[
                DATE,
                ("content-length", "3"),
                ("content-range", "bytes 1-3/5"),
            ],
            b"ell",
        );
        let range = GetRange::Bounded(1..4);
        let r = get_result("X", &path, Some(&range), part, None, MetaConfig::default()).unwrap();
        assert_eq!((r.range.clone(), r.meta.size), (1..4, 5));
        assert_eq!(&r.bytes().await.unwrap()[..], b"ell");

        // The wrong bytes, or the whole object for a range, are refused.
        let wrong = response(206, &[DATE, ("content-range", "bytes 0-2/5")], b"hel");
        assert!(get_result("X", &path, Some(&range), wrong, None, MetaConfig::default()).is_err());
        let whole = response(200, &[DATE, ("content-length", "5")], b"hello");
        assert!(get_result("X", &path, Some(&range), whole, None, MetaConfig::default()).is_err());
        // A missing Content-Length is filled in from the caller's size.
        let empty = response(200, &[DATE], b"");
        let r = get_result("X", &path, None, empty, Some(0), MetaConfig::default()).unwrap();
        assert_eq!((r.range, r.meta.size), (0..0, 0));
    }
}
