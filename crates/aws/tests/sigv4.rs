//! AWS Signature Version 4 against published test vectors.
//!
//! Sources of the expected values (test data only):
//! * AWS's SigV4 test suite (`aws-sig-v4-test-suite`, documented at
//!   <https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html>), as
//!   shipped in the `@aws-sdk/signature-v4` npm package (`suite.fixture`); `get-space`
//!   is the suite's `normalize-path/get-space` (cross-checked in several SDK test files).
//! * The Amazon S3 API reference, "Authenticating Requests: Using the Authorization Header
//!   (AWS Signature Version 4)" (GET Object and PUT Object examples) and "Authenticating
//!   Requests: Using Query Parameters" (presigned URL example),
//!   <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html> and
//!   <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use http::{Method, Request};
use ostore_aws::{AwsAuthorizer, AwsCredential, EMPTY_SHA256_HASH, UNSIGNED_PAYLOAD, hex_sha256};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

fn suite_credential(token: Option<&str>) -> AwsCredential {
    AwsCredential {
        key_id: "AKIDEXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        token: token.map(str::to_string),
    }
}

fn suite_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap()
}

const SUITE_SCOPE: &str = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

/// Signs a suite request (host `example.amazonaws.com`) and checks the whole
/// `Authorization` header.
#[allow(clippy::too_many_arguments)]
fn check_suite(
    name: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
    token: Option<&str>,
    double_encode: bool,
    signed_headers: &str,
    signature: &str,
) {
    let mut builder = Request::builder()
        .method(method)
        .uri(format!("https://example.amazonaws.com{path_and_query}"))
        .header("host", "example.amazonaws.com")
        .header("x-amz-date", "20150830T123600Z");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder.body(()).unwrap();
    let credential = suite_credential(token);
    AwsAuthorizer::new(&credential, "service", "us-east-1")
        .with_double_encode(double_encode)
        .authorize(&mut request, &hex_sha256(body.as_bytes()), suite_time())
        .unwrap();
    let expected = format!(
        "AWS4-HMAC-SHA256 {SUITE_SCOPE}, SignedHeaders={signed_headers}, Signature={signature}"
    );
    assert_eq!(
        request.headers()["authorization"],
        expected.as_str(),
        "{name}"
    );
    assert_eq!(
        request.headers()["x-amz-date"],
        "20150830T123600Z",
        "{name}"
    );
    // Only S3 sends the payload hash header.
    assert!(
        !request.headers().contains_key("x-amz-content-sha256"),
        "{name}"
    );
}

#[test]
fn get_vanilla() {
    check_suite(
        "get-vanilla",
        "GET",
        "/",
        &[],
        "",
        None,
        true,
        "host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
}

#[test]
fn get_vanilla_query_order_key_case() {
    check_suite(
        "get-vanilla-query-order-key-case",
        "GET",
        "/?Param2=value2&Param1=value1",
        &[],
        "",
        None,
        true,
        "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    );
}

#[test]
fn get_vanilla_query_unreserved() {
    let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    check_suite(
        "get-vanilla-query-unreserved",
        "GET",
        &format!("/?{unreserved}={unreserved}"),
        &[],
        "",
        None,
        true,
        "host;x-amz-date",
        "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    );
}

#[test]
fn get_vanilla_utf8_query() {
    check_suite(
        "get-vanilla-utf8-query",
        "GET",
        "/?%E1%88%B4=bar",
        &[],
        "",
        None,
        true,
        "host;x-amz-date",
        "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    );
}

#[test]
fn get_unreserved() {
    check_suite(
        "get-unreserved",
        "GET",
        "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        &[],
        "",
        None,
        true,
        "host;x-amz-date",
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    );
}

// The suite's `.req` files carry the raw, unencoded path (`GET /ሴ`, `GET /example space/`)
// and its canonical URI is that raw path encoded once. An `http::Uri` can only hold the
// encoded form (`/%E1%88%B4`), from which the single-encoding rule (the S3 one) yields the
// suite's canonical URI; the double-encoding rule would encode the `%` again.
#[test]
fn get_utf8() {
    check_suite(
        "get-utf8",
        "GET",
        "/%E1%88%B4",
        &[],
        "",
        None,
        false,
        "host;x-amz-date",
        "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    );
}

#[test]
fn get_space() {
    check_suite(
        "get-space",
        "GET",
        "/example%20space/",
        &[],
        "",
        None,
        false,
        "host;x-amz-date",
        "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    );
}

#[test]
fn get_header_value_trim() {
    // The suite's request has `My-Header1: value1` and `My-Header2: "a   b   c"` with
    // surrounding whitespace; the canonical form trims and collapses the inner runs.
    check_suite(
        "get-header-value-trim",
        "GET",
        "/",
        &[
            ("My-Header1", " value1  "),
            ("My-Header2", "  \"a   b   c\" "),
        ],
        "",
        None,
        true,
        "host;my-header1;my-header2;x-amz-date",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    );
}

#[test]
fn get_header_value_order() {
    check_suite(
        "get-header-value-order",
        "GET",
        "/",
        &[
            ("My-Header1", "value4"),
            ("My-Header1", "value1"),
            ("My-Header1", "value3"),
            ("My-Header1", "value2"),
        ],
        "",
        None,
        true,
        "host;my-header1;x-amz-date",
        "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    );
}

#[test]
fn post_vanilla() {
    check_suite(
        "post-vanilla",
        "POST",
        "/",
        &[],
        "",
        None,
        true,
        "host;x-amz-date",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    );
}

#[test]
fn post_vanilla_query() {
    check_suite(
        "post-vanilla-query",
        "POST",
        "/?Param1=value1",
        &[],
        "",
        None,
        true,
        "host;x-amz-date",
        "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    );
}

#[test]
fn post_vanilla_query_nonunreserved() {
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let query = format!(
        "/?{}=&{}={}",
        enc("@#$%^"),
        enc("+"),
        enc("/,?><`\";:\\|][{}")
    );
    check_suite(
        "post-vanilla-query-nonunreserved",
        "POST",
        &query,
        &[],
        "",
        None,
        true,
        "host;x-amz-date",
        "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e",
    );
}

#[test]
fn post_header_key_sort() {
    check_suite(
        "post-header-key-sort",
        "POST",
        "/",
        &[("My-Header1", "value1")],
        "",
        None,
        true,
        "host;my-header1;x-amz-date",
        "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    );
}

#[test]
fn post_header_value_case() {
    check_suite(
        "post-header-value-case",
        "POST",
        "/",
        &[("My-Header1", "VALUE1")],
        "",
        None,
        true,
        "host;my-header1;x-amz-date",
        "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    );
}

#[test]
fn post_x_www_form_urlencoded() {
    check_suite(
        "post-x-www-form-urlencoded",
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "Param1=value1",
        None,
        true,
        "content-type;host;x-amz-date",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    );
}

#[test]
fn post_x_www_form_urlencoded_parameters() {
    check_suite(
        "post-x-www-form-urlencoded-parameters",
        "POST",
        "/",
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf8",
        )],
        "Param1=value1",
        None,
        true,
        "content-type;host;x-amz-date",
        "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
    );
}

#[test]
fn post_sts_header_before() {
    let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
    check_suite(
        "post-sts-header-before",
        "POST",
        "/",
        &[],
        "",
        Some(token),
        true,
        "host;x-amz-date;x-amz-security-token",
        "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
    );
}

fn s3_example_credential() -> AwsCredential {
    AwsCredential {
        key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        token: None,
    }
}

fn s3_example_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap()
}

#[test]
fn s3_get_object_example() {
    let credential = s3_example_credential();
    let mut request = Request::get("https://examplebucket.s3.amazonaws.com/test.txt")
        .header("Range", "bytes=0-9")
        .body(())
        .unwrap();
    AwsAuthorizer::new(&credential, "s3", "us-east-1")
        .authorize(&mut request, EMPTY_SHA256_HASH, s3_example_time())
        .unwrap();
    let headers = request.headers();
    assert_eq!(headers["host"], "examplebucket.s3.amazonaws.com");
    assert_eq!(headers["x-amz-date"], "20130524T000000Z");
    assert_eq!(headers["x-amz-content-sha256"], EMPTY_SHA256_HASH);
    assert_eq!(
        headers["authorization"],
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
         SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
         Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
}

#[test]
fn s3_put_object_example() {
    // `/test$file.text`: S3 encodes the `$` once, as `%24`.
    let credential = s3_example_credential();
    let body = "Welcome to Amazon S3.";
    let mut request = Request::put("https://examplebucket.s3.amazonaws.com/test%24file.text")
        .header("Date", "Fri, 24 May 2013 00:00:00 GMT")
        .header("x-amz-storage-class", "REDUCED_REDUNDANCY")
        .body(())
        .unwrap();
    let payload = hex_sha256(body.as_bytes());
    assert_eq!(
        payload,
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    );
    AwsAuthorizer::new(&credential, "s3", "us-east-1")
        .authorize(&mut request, &payload, s3_example_time())
        .unwrap();
    assert_eq!(
        request.headers()["authorization"],
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
         SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, \
         Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    );
}

#[test]
fn s3_presigned_url_example() {
    let credential = s3_example_credential();
    let mut url = Url::parse("https://examplebucket.s3.amazonaws.com/test.txt").unwrap();
    AwsAuthorizer::new(&credential, "s3", "us-east-1")
        .presign(
            &Method::GET,
            &mut url,
            Duration::from_secs(86400),
            s3_example_time(),
        )
        .unwrap();
    assert_eq!(
        url.as_str(),
        "https://examplebucket.s3.amazonaws.com/test.txt\
         ?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z\
         &X-Amz-Expires=86400\
         &X-Amz-SignedHeaders=host\
         &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[test]
fn presigning_with_a_token_signs_it_in_the_query() {
    let mut credential = s3_example_credential();
    let sign = |credential: &AwsCredential| {
        let mut url = Url::parse("https://examplebucket.s3.amazonaws.com/test.txt").unwrap();
        AwsAuthorizer::new(credential, "s3", "us-east-1")
            .presign(
                &Method::GET,
                &mut url,
                Duration::from_secs(60),
                s3_example_time(),
            )
            .unwrap();
        url
    };
    let without = sign(&credential);
    credential.token = Some("to+ken/=".into());
    let with = sign(&credential);
    assert!(!without.as_str().contains("X-Amz-Security-Token"));
    assert!(
        with.as_str()
            .contains("&X-Amz-Security-Token=to%2Bken%2F%3D&")
    );
    let signature = |url: &Url| {
        url.query_pairs()
            .find(|(k, _)| k == "X-Amz-Signature")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    assert_ne!(signature(&without), signature(&with));
}

#[test]
fn presigning_rejects_expiry_over_seven_days() {
    let credential = s3_example_credential();
    let authorizer = AwsAuthorizer::new(&credential, "s3", "us-east-1");
    let mut url = Url::parse("https://examplebucket.s3.amazonaws.com/test.txt").unwrap();
    let err = authorizer
        .presign(
            &Method::GET,
            &mut url,
            Duration::from_secs(604_801),
            s3_example_time(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("7 days"), "{err}");
    assert_eq!(url.query(), None, "a refused URL is left untouched");
    authorizer
        .presign(
            &Method::GET,
            &mut url,
            Duration::from_secs(604_800),
            s3_example_time(),
        )
        .unwrap();
}

#[test]
fn token_is_sent_and_signed_but_never_shown() {
    let credential = AwsCredential {
        token: Some("session-token".into()),
        ..s3_example_credential()
    };
    let mut request = Request::get("https://examplebucket.s3.amazonaws.com/a")
        .body(())
        .unwrap();
    AwsAuthorizer::new(&credential, "s3", "us-east-1")
        .authorize(&mut request, UNSIGNED_PAYLOAD, s3_example_time())
        .unwrap();
    let headers = request.headers();
    assert_eq!(headers["x-amz-security-token"], "session-token");
    assert!(headers["x-amz-security-token"].is_sensitive());
    assert!(
        headers["authorization"]
            .to_str()
            .unwrap()
            .contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,")
    );
    let shown = format!("{credential:?}");
    assert!(
        !shown.contains("session-token") && !shown.contains("EXAMPLEKEY"),
        "{shown}"
    );
}

#[test]
fn resigning_replaces_the_previous_signature() {
    let credential = s3_example_credential();
    let authorizer = AwsAuthorizer::new(&credential, "s3", "us-east-1");
    let mut request = Request::get("https://examplebucket.s3.amazonaws.com/test.txt")
        .header("Range", "bytes=0-9")
        .body(())
        .unwrap();
    authorizer
        .authorize(&mut request, EMPTY_SHA256_HASH, Utc::now())
        .unwrap();
    // A retry signs the same request again at a new time: one Authorization, the new one.
    authorizer
        .authorize(&mut request, EMPTY_SHA256_HASH, s3_example_time())
        .unwrap();
    let all: Vec<_> = request.headers().get_all("authorization").iter().collect();
    assert_eq!(all.len(), 1);
    assert!(
        all[0].to_str().unwrap().ends_with(
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    );
}

#[test]
fn a_request_without_host_is_an_error() {
    let credential = s3_example_credential();
    let mut request = Request::get("/relative").body(()).unwrap();
    let err = AwsAuthorizer::new(&credential, "s3", "us-east-1")
        .authorize(&mut request, UNSIGNED_PAYLOAD, s3_example_time())
        .unwrap_err();
    assert!(err.to_string().contains("host"), "{err}");
}
