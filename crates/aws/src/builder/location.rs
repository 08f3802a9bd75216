//! Where the bucket is: the URL forms
//! [`AmazonS3Builder::with_url`](crate::AmazonS3Builder::with_url) understands, and the bucket
//! endpoint the store sends its requests to.

use ostore_core::{Error, Result};
use url::Url;

use crate::STORE;

/// The settings a URL carries; `None` leaves the builder's value alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct UrlSettings {
    pub(crate) bucket: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) virtual_hosted_style: Option<bool>,
    pub(crate) s3_express: Option<bool>,
}

fn not_recognised(url: &str) -> Error {
    Error::generic(
        STORE,
        format!(
            "URL {url:?} is not an S3 location: expected s3://<bucket>, s3a://<bucket>, \
             https://s3[.dualstack].<region>.amazonaws.com/<bucket>, \
             https://<bucket>.s3[.dualstack].<region>.amazonaws.com or \
             https://<account>.r2.cloudflarestorage.com/<bucket>"
        ),
    )
}

/// A region or zone label: non-empty, no dots.
fn label(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.contains('.')).then_some(s)
}

/// Parses one of the URL forms listed on `with_url`.
pub(crate) fn parse(url: &str) -> Result<UrlSettings> {
    let parsed =
        Url::parse(url).map_err(|e| Error::generic(STORE, format!("invalid URL {url:?}: {e}")))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| not_recognised(url))?;
    let first_segment = parsed
        .path_segments()
        .and_then(|mut s| s.next())
        .filter(|s| !s.is_empty())
        .map(str::to_string);

    let mut out = UrlSettings::default();
    match parsed.scheme() {
        "s3" | "s3a" => out.bucket = Some(host.to_string()),
        "https" => {
            if let Some(account) = host.strip_suffix(".r2.cloudflarestorage.com") {
                // Cloudflare R2 (also `<account>.<jurisdiction>.r2...`): path style on the
                // account endpoint, region `auto`.
                if account.is_empty() {
                    return Err(not_recognised(url));
                }
                out.endpoint = Some(format!("https://{host}"));
                out.region = Some("auto".to_string());
                out.bucket = first_segment;
                out.virtual_hosted_style = Some(false);
            } else if let Some(rest) = host.strip_suffix(".amazonaws.com") {
                aws_host(rest, host, first_segment, &mut out).ok_or_else(|| not_recognised(url))?;
            } else {
                return Err(not_recognised(url));
            }
        }
        other => {
            return Err(Error::generic(
                STORE,
                format!("URL {url:?} has scheme {other:?}: expected s3, s3a or https"),
            ));
        }
    }
    Ok(out)
}

/// Reads an `*.amazonaws.com` host (`rest` is the host without that suffix).
fn aws_host(
    rest: &str,
    host: &str,
    first_segment: Option<String>,
    out: &mut UrlSettings,
) -> Option<()> {
    // Path style: s3.amazonaws.com, s3.<region>, s3.dualstack.<region>.
    if let Some(after) = rest.strip_prefix("s3.").or((rest == "s3").then_some("")) {
        if let Some(region) = after.strip_prefix("dualstack.") {
            out.region = Some(label(region)?.to_string());
            out.endpoint = Some(format!("https://{host}"));
            // The endpoint set here has no bucket in it.
            out.virtual_hosted_style = Some(false);
        } else if !after.is_empty() {
            out.region = Some(label(after)?.to_string());
        }
        out.bucket = first_segment;
        return Some(());
    }
    // Virtual-hosted style: <bucket>.s3, <bucket>.s3.<region>, <bucket>.s3.dualstack.<region>.
    if let Some(bucket) = rest.strip_suffix(".s3") {
        out.bucket = Some(bucket.to_string());
        out.virtual_hosted_style = Some(true);
        return Some(());
    }
    if let Some((bucket, after)) = rest.rsplit_once(".s3.").filter(|(b, _)| !b.is_empty()) {
        match after.strip_prefix("dualstack.") {
            Some(region) => {
                out.region = Some(label(region)?.to_string());
                out.endpoint = Some(format!("https://{host}"));
            }
            None => out.region = Some(label(after)?.to_string()),
        }
        out.bucket = Some(bucket.to_string());
        out.virtual_hosted_style = Some(true);
        return Some(());
    }
    // S3 Express One Zone: <bucket>.s3express-<zone>.<region>.
    let (bucket, after) = rest.split_once(".s3express-")?;
    let (zone, region) = after.split_once('.')?;
    label(zone)?;
    out.region = Some(label(region)?.to_string());
    out.bucket = Some(label(bucket)?.to_string());
    out.s3_express = Some(true);
    Some(())
}

/// The zone id of an S3 Express One Zone directory bucket, `<name>--<zone-id>--x-s3`.
fn directory_bucket_zone(bucket: &str) -> Option<&str> {
    let (_, zone) = bucket.strip_suffix("--x-s3")?.rsplit_once("--")?;
    (!zone.is_empty()).then_some(zone)
}

/// The URL of the bucket, without a trailing `/`.
///
/// A custom endpoint comes first: the bucket is appended to it for path-style requests, and
/// it is used as is (it must name the bucket) for virtual-hosted-style ones. Without one,
/// S3 Express buckets use their zonal endpoint, others the regional AWS endpoint in the
/// chosen style.
pub(crate) fn bucket_endpoint(
    bucket: &str,
    region: &str,
    endpoint: Option<&str>,
    virtual_hosted: bool,
    s3_express: bool,
) -> Result<String> {
    let zone = if s3_express {
        Some(directory_bucket_zone(bucket).ok_or_else(|| {
            Error::generic(
                STORE,
                format!(
                    "bucket {bucket:?} is not an S3 Express directory bucket name \
                     (<name>--<zone-id>--x-s3)"
                ),
            )
        })?)
    } else {
        None
    };
    Ok(match (endpoint, zone, virtual_hosted) {
        (Some(endpoint), _, virtual_hosted) => {
            let parsed = Url::parse(endpoint).map_err(|e| {
                Error::generic(STORE, format!("invalid endpoint {endpoint:?}: {e}"))
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(Error::generic(
                    STORE,
                    format!("invalid endpoint {endpoint:?}: expected an http:// or https:// URL"),
                ));
            }
            let endpoint = endpoint.trim_end_matches('/');
            if virtual_hosted {
                endpoint.to_string()
            } else {
                format!("{endpoint}/{bucket}")
            }
        }
        (None, Some(zone), _) => {
            format!("https://{bucket}.s3express-{zone}.{region}.amazonaws.com")
        }
        (None, None, true) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        (None, None, false) => format!("https://s3.{region}.amazonaws.com/{bucket}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        bucket: Option<&str>,
        region: Option<&str>,
        endpoint: Option<&str>,
        virtual_hosted_style: Option<bool>,
    ) -> UrlSettings {
        UrlSettings {
            bucket: bucket.map(Into::into),
            region: region.map(Into::into),
            endpoint: endpoint.map(Into::into),
            virtual_hosted_style,
            s3_express: None,
        }
    }

    #[test]
    fn every_url_form() {
        let cases = [
            (
                "s3://bucket/path/to/x",
                settings(Some("bucket"), None, None, None),
            ),
            ("s3a://bucket", settings(Some("bucket"), None, None, None)),
            (
                "s3://dotted.bucket.name/p",
                settings(Some("dotted.bucket.name"), None, None, None),
            ),
            (
                "https://s3.eu-west-1.amazonaws.com/bucket/key",
                settings(Some("bucket"), Some("eu-west-1"), None, None),
            ),
            (
                "https://s3.eu-west-1.amazonaws.com",
                settings(None, Some("eu-west-1"), None, None),
            ),
            (
                "https://s3.amazonaws.com/bucket",
                settings(Some("bucket"), None, None, None),
            ),
            (
                "https://bucket.s3.eu-west-1.amazonaws.com/key",
                settings(Some("bucket"), Some("eu-west-1"), None, Some(true)),
            ),
            (
                "https://my.dotted.bucket.s3.eu-west-1.amazonaws.com",
                settings(
                    Some("my.dotted.bucket"),
                    Some("eu-west-1"),
                    None,
                    Some(true),
                ),
            ),
            (
                "https://bucket.s3.amazonaws.com",
                settings(Some("bucket"), None, None, Some(true)),
            ),
            (
                "https://s3.dualstack.us-east-2.amazonaws.com/bucket",
                settings(
                    Some("bucket"),
                    Some("us-east-2"),
                    Some("https://s3.dualstack.us-east-2.amazonaws.com"),
                    Some(false),
                ),
            ),
            (
                "https://bucket.s3.dualstack.us-east-2.amazonaws.com",
                settings(
                    Some("bucket"),
                    Some("us-east-2"),
                    Some("https://bucket.s3.dualstack.us-east-2.amazonaws.com"),
                    Some(true),
                ),
            ),
            (
                "https://acct123.r2.cloudflarestorage.com/bucket/key",
                settings(
                    Some("bucket"),
                    Some("auto"),
                    Some("https://acct123.r2.cloudflarestorage.com"),
                    Some(false),
                ),
            ),
            (
                "https://acct123.eu.r2.cloudflarestorage.com/bucket",
                settings(
                    Some("bucket"),
                    Some("auto"),
                    Some("https://acct123.eu.r2.cloudflarestorage.com"),
                    Some(false),
                ),
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(parse(url).unwrap(), expected, "{url}");
        }
        let express =
            parse("https://b--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com").unwrap();
        assert_eq!(express.bucket.as_deref(), Some("b--usw2-az1--x-s3"));
        assert_eq!(express.region.as_deref(), Some("us-west-2"));
        assert_eq!(express.s3_express, Some(true));
    }

    #[test]
    fn unrecognised_urls_are_errors() {
        for url in [
            "not a url",
            "gs://bucket/x",
            "http://s3.us-east-1.amazonaws.com/bucket",
            "https://example.com/bucket",
            "https://s3.a.b.amazonaws.com/bucket",
            "https://ec2.us-east-1.amazonaws.com",
            "https://r2.cloudflarestorage.com/bucket",
            "https://.s3.us-east-1.amazonaws.com",
        ] {
            let err = parse(url).unwrap_err().to_string();
            assert!(err.contains(&format!("{url:?}")), "{url}: {err}");
        }
    }
}
