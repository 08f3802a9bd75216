//! Tests of [`AmazonS3Builder`]: keys, environment, URLs, and what `build` resolves.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ostore_transport::{ClientConfigKey, HttpService, HyperConnector};

use super::key::all_keys_with_names;
use super::*;
use crate::client::S3Config;

/// Builds `builder` and returns the store's configuration.
fn config(builder: AmazonS3Builder) -> Result<S3Config> {
    let store = builder.build()?;
    let client = Arc::try_unwrap(store.client).expect("the only reference");
    Ok(client.config)
}

/// A builder that needs no credentials.
fn public(bucket: &str) -> AmazonS3Builder {
    AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_skip_signature(true)
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs
        .iter()
        .map(|(k, v)| (OsString::from(k), OsString::from(v)))
        .collect()
}

fn err_text(builder: AmazonS3Builder) -> String {
    builder.build().unwrap_err().to_string()
}

#[test]
fn every_key_parses_from_each_name_and_round_trips() {
    let mut count = 0;
    for (key, names) in all_keys_with_names() {
        assert_eq!(key.as_ref().parse::<AmazonS3ConfigKey>().unwrap(), key);
        assert_eq!(key.to_string(), key.as_ref());
        for name in names {
            let parsed: AmazonS3ConfigKey = name.parse().unwrap();
            assert_eq!(parsed, key, "{name}");
            let value = format!("value-of-{name}");
            let builder = AmazonS3Builder::new().with_config(parsed, value.clone());
            assert_eq!(builder.get_config_value(&key), Some(value), "{name}");
            count += 1;
        }
    }
    // 26 own keys with 60 names, 4 encryption keys with 8, 20 client keys with 2 each.
    assert_eq!(count, 60 + 8 + 40);
}

#[test]
fn canonical_names_match_object_store() {
    use AmazonS3ConfigKey as K;
    for (key, name) in [
        (K::AccessKeyId, "aws_access_key_id"),
        (K::Token, "aws_session_token"),
        (K::Bucket, "aws_bucket"),
        (K::Endpoint, "aws_endpoint"),
        (K::Checksum, "aws_checksum_algorithm"),
        (K::StsEndpoint, "aws_endpoint_url_sts"),
        (K::Client(ClientConfigKey::AllowHttp), "allow_http"),
        (
            K::Encryption(S3EncryptionConfigKey::CustomerEncryptionKey),
            "aws_sse_customer_key_base64",
        ),
    ] {
        assert_eq!(key.as_ref(), name);
    }
    assert_eq!(
        "aws_allow_http".parse::<K>().unwrap(),
        K::Client(ClientConfigKey::AllowHttp)
    );
}

#[test]
fn unknown_key_is_a_typed_error() {
    for name in ["aws_nope", "AWS_ACCESS_KEY_ID", "", "bucket-name"] {
        match name.parse::<AmazonS3ConfigKey>() {
            Err(Error::UnknownConfigurationKey { store, key }) => {
                assert_eq!(store, "S3");
                assert_eq!(key, name);
            }
            other => panic!("{name:?}: {other:?}"),
        }
    }
}

#[test]
fn defaults_and_default_region() {
    let b = AmazonS3Builder::new();
    assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Region), None);
    assert_eq!(
        b.get_config_value(&AmazonS3ConfigKey::ConditionalPut)
            .as_deref(),
        Some("etag")
    );
    assert_eq!(
        b.get_config_value(&AmazonS3ConfigKey::SkipSignature)
            .as_deref(),
        Some("false")
    );
    // The default region never replaces an explicit one, whatever the order.
    let b = AmazonS3Builder::new()
        .with_config(AmazonS3ConfigKey::Region, "eu-west-1")
        .with_config(AmazonS3ConfigKey::DefaultRegion, "us-west-2");
    assert_eq!(
        b.get_config_value(&AmazonS3ConfigKey::Region).unwrap(),
        "eu-west-1"
    );
    let b = AmazonS3Builder::new()
        .with_config(AmazonS3ConfigKey::DefaultRegion, "us-west-2")
        .with_config(AmazonS3ConfigKey::Region, "eu-west-1");
    assert_eq!(
        b.get_config_value(&AmazonS3ConfigKey::Region).unwrap(),
        "eu-west-1"
    );
    assert_eq!(config(public("b")).unwrap().region, "us-east-1");
}

#[test]
fn from_env_reads_aws_variables() {
    let b = AmazonS3Builder::from_vars(vars(&[
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "SECRET"),
        ("AWS_SESSION_TOKEN", "TOKEN"),
        ("AWS_DEFAULT_REGION", "us-west-2"),
        ("AWS_REGION", "eu-central-1"),
        ("AWS_PROFILE", "dev"),
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        ),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://169.254.170.23/v1/credentials",
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/run/token"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/web-identity"),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ENDPOINT_URL_S3", "http://s3-specific:9000"),
        ("AWS_ENDPOINT", "http://generic-old:9000"),
        ("AWS_ENDPOINT_URL", "http://generic:9000"),
        ("AWS_SOMETHING_UNKNOWN", "x"),
        ("aws_bucket", "lowercase-names-are-ignored"),
        ("BUCKET", "not-an-aws-variable"),
    ]));
    use AmazonS3ConfigKey as K;
    for (key, value) in [
        (K::AccessKeyId, "AKID"),
        (K::SecretAccessKey, "SECRET"),
        (K::Token, "TOKEN"),
        (K::Region, "eu-central-1"),
        (K::Profile, "dev"),
        (K::ContainerCredentialsRelativeUri, "/v2/credentials/x"),
        (
            K::ContainerCredentialsFullUri,
            "http://169.254.170.23/v1/credentials",
        ),
        (K::ContainerAuthorizationTokenFile, "/var/run/token"),
        (K::WebIdentityTokenFile, "/var/run/web-identity"),
        (K::RoleArn, "arn:aws:iam::1:role/r"),
        (K::Client(ClientConfigKey::AllowHttp), "true"),
        (K::Endpoint, "http://s3-specific:9000"),
    ] {
        assert_eq!(b.get_config_value(&key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(b.get_config_value(&K::Bucket), None);

    // Without the S3-specific variable, AWS_ENDPOINT_URL beats AWS_ENDPOINT in any order.
    for pairs in [
        [
            ("AWS_ENDPOINT", "http://a"),
            ("AWS_ENDPOINT_URL", "http://b"),
        ],
        [
            ("AWS_ENDPOINT_URL", "http://b"),
            ("AWS_ENDPOINT", "http://a"),
        ],
    ] {
        let b = AmazonS3Builder::from_vars(vars(&pairs));
        assert_eq!(b.get_config_value(&K::Endpoint).unwrap(), "http://b");
    }

    // from_env is from_vars over the process environment (read, never modified here).
    assert_eq!(
        format!("{:?}", AmazonS3Builder::from_env()),
        format!("{:?}", AmazonS3Builder::from_vars(std::env::vars_os()))
    );
}

#[test]
fn urls_set_bucket_region_and_endpoint_at_build() {
    let c = config(
        public("overridden")
            .with_region("ap-south-1")
            .with_url("https://bucket.s3.eu-west-1.amazonaws.com/some/key"),
    )
    .unwrap();
    assert_eq!(c.bucket, "bucket");
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(
        c.bucket_endpoint,
        "https://bucket.s3.eu-west-1.amazonaws.com"
    );

    let c = config(public("x").with_url("s3://data/prefix")).unwrap();
    assert_eq!(c.bucket_endpoint, "https://s3.us-east-1.amazonaws.com/data");

    let c = config(public("x").with_url("https://s3.dualstack.us-east-2.amazonaws.com/b")).unwrap();
    assert_eq!(
        c.bucket_endpoint,
        "https://s3.dualstack.us-east-2.amazonaws.com/b"
    );

    let c = config(public("x").with_url("https://acct.r2.cloudflarestorage.com/b")).unwrap();
    assert_eq!(c.region, "auto");
    assert_eq!(c.bucket_endpoint, "https://acct.r2.cloudflarestorage.com/b");

    let c = config(
        public("x")
            .with_url("https://d--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com"),
    )
    .unwrap();
    assert_eq!(
        c.bucket_endpoint,
        "https://d--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com"
    );

    // A path-style AWS URL leaves the request style to the builder.
    let c = config(
        public("x")
            .with_virtual_hosted_style_request(true)
            .with_url("https://s3.eu-west-1.amazonaws.com/b"),
    )
    .unwrap();
    assert_eq!(c.bucket_endpoint, "https://b.s3.eu-west-1.amazonaws.com");

    let err = err_text(public("x").with_url("https://storage.googleapis.com/b"));
    assert!(err.contains("not an S3 location"), "{err}");
    let err = err_text(public("x").with_url("gs://bucket"));
    assert!(err.contains("scheme"), "{err}");
}

#[test]
fn bucket_endpoint_by_style() {
    let path = config(public("b").with_region("eu-west-1")).unwrap();
    assert_eq!(path.bucket_endpoint, "https://s3.eu-west-1.amazonaws.com/b");

    let virt = config(
        public("b")
            .with_region("eu-west-1")
            .with_virtual_hosted_style_request(true),
    )
    .unwrap();
    assert_eq!(virt.bucket_endpoint, "https://b.s3.eu-west-1.amazonaws.com");

    for endpoint in ["http://localhost:9000", "http://localhost:9000/"] {
        let c = config(public("b").with_endpoint(endpoint)).unwrap();
        assert_eq!(c.bucket_endpoint, "http://localhost:9000/b");
    }
    // With virtual-hosted style the endpoint already names the bucket.
    let c = config(
        public("b")
            .with_endpoint("https://b.minio.example.com/")
            .with_config(AmazonS3ConfigKey::VirtualHostedStyleRequest, "true"),
    )
    .unwrap();
    assert_eq!(c.bucket_endpoint, "https://b.minio.example.com");

    let express = config(
        public("logs--usw2-az1--x-s3")
            .with_region("us-west-2")
            .with_s3_express(true),
    )
    .unwrap();
    assert_eq!(
        express.bucket_endpoint,
        "https://logs--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com"
    );
    let err = err_text(public("plain-bucket").with_s3_express(true));
    assert!(err.contains("directory bucket"), "{err}");

    for endpoint in ["localhost:9000", "ftp://host", "not a url"] {
        let err = err_text(public("b").with_endpoint(endpoint));
        assert!(err.contains("invalid endpoint"), "{endpoint}: {err}");
    }
}

#[test]
fn build_errors() {
    let err = err_text(AmazonS3Builder::new().with_skip_signature(true));
    assert!(err.contains("missing bucket"), "{err}");

    let err = err_text(public("b").with_access_key_id("AKID"));
    assert!(err.contains("half a static credential"), "{err}");
    let err = err_text(
        AmazonS3Builder::new()
            .with_bucket_name("b")
            .with_secret_access_key("SECRET"),
    );
    assert!(err.contains("half a static credential"), "{err}");
    assert!(!err.contains("SECRET"), "{err}");

    let bad_key = "c2hvcnQta2V5"; // "short-key"
    let err = err_text(public("b").with_ssec_encryption(bad_key));
    assert!(err.contains("32 bytes"), "{err}");
    assert!(!err.contains(bad_key), "{err}");

    let err = err_text(public("b").with_config(AmazonS3ConfigKey::UnsignedPayload, "perhaps"));
    assert!(err.contains("aws_unsigned_payload"), "{err}");
    assert!(err.contains("\"perhaps\""), "{err}");
    assert!(!err.contains("Config store"), "{err}");
    let err = err_text(public("b").with_config(AmazonS3ConfigKey::Checksum, "md5"));
    assert!(err.contains("aws_checksum_algorithm"), "{err}");
    let err = err_text(public("b").with_config(AmazonS3ConfigKey::CopyIfNotExists, "dynamo:t"));
    assert!(err.contains("aws_copy_if_not_exists"), "{err}");
}

#[test]
fn string_settings_reach_the_config() {
    use AmazonS3ConfigKey as K;
    let key = ostore_transport::base64::encode(&[9u8; 32]);
    let c = config(
        AmazonS3Builder::new()
            .with_config(K::Bucket, "b")
            .with_config(K::SkipSignature, "true")
            .with_config(K::UnsignedPayload, "yes")
            .with_config(K::DisableTagging, "1")
            .with_config(K::RequestPayer, "true")
            .with_config(K::Checksum, "sha256")
            .with_config(K::ConditionalPut, "disabled")
            .with_config(K::CopyIfNotExists, "if-none-match")
            .with_config("aws_server_side_encryption".parse().unwrap(), "sse-c")
            .with_config("sse_customer_key_base64".parse().unwrap(), key.clone()),
    )
    .unwrap();
    assert!(c.skip_signature && !c.sign_payload && c.disable_tagging && c.request_payer);
    assert_eq!(c.checksum, Some(Checksum::SHA256));
    assert_eq!(c.conditional_put, S3ConditionalPut::Disabled);
    assert_eq!(c.copy_if_not_exists, Some(S3CopyIfNotExists::IfNoneMatch));
    assert!(c.encryption_headers.is_empty());
    assert_eq!(c.customer_key.unwrap().key_base64, key);

    let c = config(
        public("b")
            .with_sse_kms_encryption("my-key")
            .with_bucket_key(false),
    )
    .unwrap();
    assert_eq!(
        c.encryption_headers["x-amz-server-side-encryption"],
        "aws:kms"
    );
    assert_eq!(
        c.encryption_headers["x-amz-server-side-encryption-aws-kms-key-id"],
        "my-key"
    );
    assert_eq!(
        c.encryption_headers["x-amz-server-side-encryption-bucket-key-enabled"],
        "false"
    );
    let c = config(public("b").with_dsse_kms_encryption("k")).unwrap();
    assert_eq!(
        c.encryption_headers["x-amz-server-side-encryption"],
        "aws:kms:dsse"
    );
}

#[test]
fn credentials_precedence() {
    // Static keys go to the chain, which makes a provider of them.
    assert!(
        AmazonS3Builder::new()
            .with_bucket_name("b")
            .with_access_key_id("AKID")
            .with_secret_access_key("SECRET")
            .build()
            .is_ok()
    );
    // An explicit provider wins over everything, half a credential included.
    let provider: AwsCredentialProvider = Arc::new(StaticCredentialProvider::new(AwsCredential {
        key_id: "explicit".into(),
        secret_key: "s".into(),
        token: None,
    }));
    let c = config(
        AmazonS3Builder::new()
            .with_bucket_name("b")
            .with_access_key_id("ignored")
            .with_credentials(Arc::clone(&provider)),
    )
    .unwrap();
    assert!(Arc::ptr_eq(&c.credentials, &provider));
}

#[test]
fn debug_redacts_secrets() {
    let b = AmazonS3Builder::new()
        .with_access_key_id("AKIDVISIBLE")
        .with_secret_access_key("very-secret-key")
        .with_token("very-secret-token")
        .with_ssec_encryption("c2VjcmV0LWN1c3RvbWVyLWtleQ==");
    let debug = format!("{b:?}");
    assert!(debug.contains("AKIDVISIBLE"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    for secret in [
        "very-secret-key",
        "very-secret-token",
        "c2VjcmV0LWN1c3RvbWVyLWtleQ==",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

/// A connector that counts its uses and delegates to the default one.
#[derive(Debug, Default)]
struct CountingConnector(Arc<AtomicUsize>);

impl HttpConnector for CountingConnector {
    fn connect(&self, options: &ClientOptions) -> Result<Arc<dyn HttpService>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        HyperConnector.connect(options)
    }
}

#[test]
fn http_connector_is_used() {
    let count = Arc::new(AtomicUsize::new(0));
    public("b")
        .with_http_connector(CountingConnector(Arc::clone(&count)))
        .build()
        .unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
