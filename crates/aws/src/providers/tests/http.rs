//! The HTTP sources: instance metadata, ECS and full-URI container endpoints, STS.

use std::sync::Arc;

use ::http::Method;
use ostore_transport::test_server::{Reply, Seen, TestServer};
use percent_encoding::percent_decode_str;
use tempfile::TempDir;

use super::*;

const ROLES: &str = "/latest/meta-data/iam/security-credentials/";

/// An instance metadata service: `session` answers the token `PUT`; the listing names
/// `my-role`, whose credentials expire in `expires_in` seconds (the `n`-th fetch hands out
/// key `AKID{n}`).
async fn imds(session: u16, expires_in: i64) -> TestServer {
    let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    TestServer::start(move |seen: Seen, _| {
        let fetches = Arc::clone(&fetches);
        async move {
            match (seen.method, seen.uri.path()) {
                (Method::PUT, "/latest/api/token") if session == 200 => {
                    Reply::text(200, "imds-session-token")
                }
                (Method::PUT, "/latest/api/token") => Reply::status(session),
                (Method::GET, ROLES) => Reply::text(200, "my-role\n"),
                (Method::GET, p) if p == format!("{ROLES}my-role") => {
                    let n = fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Reply::text(200, &credentials_json(&format!("AKID{n}"), expires_in))
                }
                _ => Reply::status(404),
            }
        }
    })
    .await
}

fn imds_settings(dir: &TempDir, server: &TestServer, fallback: bool) -> ChainSettings {
    ChainSettings {
        metadata_endpoint: Some(server.url("")),
        imdsv1_fallback: fallback,
        ..settings(dir)
    }
}

#[tokio::test]
async fn imdsv2_session_token_role_listing_and_credentials() {
    let dir = TempDir::new().unwrap();
    let server = imds(200, 3600).await;
    let provider = resolve_kind(
        imds_settings(&dir, &server, false),
        "InstanceMetadataProvider",
    );
    assert_eq!(server.hits(), 0, "resolve must not touch the network");
    assert_eq!(*credential(&provider).await.unwrap(), expected("AKID0"));

    let seen = server.requests();
    let summary: Vec<_> = seen
        .iter()
        .map(|s| (s.method.clone(), s.uri.path()))
        .collect();
    assert_eq!(
        summary,
        [
            (Method::PUT, "/latest/api/token"),
            (Method::GET, ROLES),
            (
                Method::GET,
                "/latest/meta-data/iam/security-credentials/my-role"
            ),
        ]
    );
    let ttl: u32 = seen[0].headers["x-aws-ec2-metadata-token-ttl-seconds"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=21600).contains(&ttl));
    for get in &seen[1..] {
        assert_eq!(
            get.headers["x-aws-ec2-metadata-token"],
            "imds-session-token"
        );
    }

    // Valid for an hour: cached.
    assert_eq!(credential(&provider).await.unwrap().key_id, "AKID0");
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn refused_imdsv2_session_falls_back_to_v1_when_enabled() {
    for status in [403, 404, 405] {
        let dir = TempDir::new().unwrap();
        let server = imds(status, 3600).await;
        let provider = resolve(imds_settings(&dir, &server, true)).unwrap();
        assert_eq!(*credential(&provider).await.unwrap(), expected("AKID0"));
        let seen = server.requests();
        assert_eq!(seen.len(), 3, "status {status}");
        assert!(
            seen[1..]
                .iter()
                .all(|s| !s.headers.contains_key("x-aws-ec2-metadata-token"))
        );
    }
}

#[tokio::test]
async fn refused_imdsv2_session_is_an_error_without_fallback() {
    let dir = TempDir::new().unwrap();
    let server = imds(403, 3600).await;
    let provider = resolve(imds_settings(&dir, &server, false)).unwrap();
    let err = credential(&provider).await.unwrap_err();
    assert_error(&err, "IMDSv1 fallback is disabled");
    assert_error(&err, "HTTP 403");
    assert_eq!(server.hits(), 1, "no v1 request");
}

#[tokio::test]
async fn unreachable_metadata_service_is_an_error() {
    let dir = TempDir::new().unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    for fallback in [false, true] {
        let settings = ChainSettings {
            metadata_endpoint: Some(format!("http://{closed}")),
            imdsv1_fallback: fallback,
            ..settings(&dir)
        };
        let provider = resolve(settings).unwrap();
        let err = credential(&provider).await.unwrap_err();
        assert_error(&err, "cannot get AWS credentials from instance metadata");
    }
}

#[tokio::test]
async fn metadata_failures_are_generic_errors() {
    let dir = TempDir::new().unwrap();
    // No role attached: an empty listing.
    let server = TestServer::start(|seen: Seen, _| async move {
        match seen.method {
            Method::PUT => Reply::text(200, "t"),
            _ => Reply::text(200, "\n"),
        }
    })
    .await;
    let provider = resolve(imds_settings(&dir, &server, false)).unwrap();
    assert_error(
        &credential(&provider).await.unwrap_err(),
        "lists no IAM role",
    );

    // The role's credentials are missing (404 must not look like a missing object), or
    // not successful, or not JSON.
    for (status, body, needle) in [
        (404, "", "HTTP status 404"),
        (
            200,
            r#"{"Code":"AssumeRoleUnauthorizedAccess"}"#,
            "AssumeRoleUnauthorizedAccess",
        ),
        (
            200,
            &*format!("{{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"{SECRET}\""),
            "at byte",
        ),
        (
            200,
            r#"{"AccessKeyId":"A","SecretAccessKey":"s","Token":"t"}"#,
            "missing Expiration",
        ),
    ] {
        let body = body.to_string();
        let server = TestServer::start(move |seen: Seen, _| {
            let body = body.clone();
            async move {
                match (seen.method, seen.uri.path()) {
                    (Method::PUT, _) => Reply::text(200, "t"),
                    (_, ROLES) => Reply::text(200, "r"),
                    _ => Reply::text(status, &body),
                }
            }
        })
        .await;
        let provider = resolve(imds_settings(&dir, &server, false)).unwrap();
        assert_error(&credential(&provider).await.unwrap_err(), needle);
    }
}

#[tokio::test]
async fn expiring_credentials_are_fetched_again() {
    let dir = TempDir::new().unwrap();
    // Four minutes left: inside the five-minute refresh margin, so every use refreshes.
    let server = imds(200, 240).await;
    let provider = resolve(imds_settings(&dir, &server, false)).unwrap();
    assert_eq!(credential(&provider).await.unwrap().key_id, "AKID0");
    assert_eq!(credential(&provider).await.unwrap().key_id, "AKID1");
    assert_eq!(server.hits(), 6);
}

#[tokio::test]
async fn ecs_relative_uri() {
    let dir = TempDir::new().unwrap();
    let server = TestServer::start(|seen: Seen, _| async move {
        if seen.uri.path() == "/v2/credentials/task-role-id" {
            Reply::text(200, &credentials_json("ECSKEY", 3600))
        } else {
            Reply::status(404)
        }
    })
    .await;
    let settings = ChainSettings {
        container_credentials_relative_uri: Some("/v2/credentials/task-role-id".into()),
        container_credentials_endpoint: Some(server.url("/")),
        // Lower in the chain: ignored.
        container_credentials_full_uri: Some("http://127.0.0.1:1/never".into()),
        ..settings(&dir)
    };
    let provider = resolve_kind(settings, "ContainerProvider");
    assert_eq!(server.hits(), 0);
    assert_eq!(*credential(&provider).await.unwrap(), expected("ECSKEY"));
    assert_eq!(server.hits(), 1);
    assert!(!server.requests()[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn full_uri_sends_the_token_file_read_at_each_fetch() {
    let dir = TempDir::new().unwrap();
    let token_file = dir.path().join("eks-pod-identity-token");
    std::fs::write(&token_file, "pod-token-1\n").unwrap();
    let server = TestServer::start(|seen: Seen, n| async move {
        match seen.uri.path() {
            "/v1/credentials" => Reply::text(200, &credentials_json(&format!("POD{n}"), 60)),
            _ => Reply::status(404),
        }
    })
    .await;
    let settings = ChainSettings {
        container_credentials_full_uri: Some(server.url("/v1/credentials")),
        container_authorization_token_file: Some(token_file.display().to_string()),
        ..settings(&dir)
    };
    let provider = resolve_kind(settings, "ContainerProvider");
    assert_eq!(credential(&provider).await.unwrap().key_id, "POD0");
    std::fs::write(&token_file, "pod-token-2").unwrap();
    assert_eq!(credential(&provider).await.unwrap().key_id, "POD1");
    let auth: Vec<_> = server
        .requests()
        .iter()
        .map(|s| s.headers["authorization"].clone())
        .collect();
    assert_eq!(auth, ["pod-token-1", "pod-token-2"]);

    assert_no_secret(&format!("{provider:?}"));

    // A fresh provider without its token file fails, naming the file.
    std::fs::remove_file(&token_file).unwrap();
    let provider = resolve(ChainSettings {
        container_credentials_full_uri: Some(server.url("/v1/credentials")),
        container_authorization_token_file: Some(token_file.display().to_string()),
        ..super::settings(&dir)
    })
    .unwrap();
    let err = credential(&provider).await.unwrap_err();
    assert_error(&err, "eks-pod-identity-token");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn full_uri_over_plain_http_to_a_remote_host_is_refused() {
    let dir = TempDir::new().unwrap();
    let settings = ChainSettings {
        container_credentials_full_uri: Some("http://credentials.example.com/".into()),
        ..settings(&dir)
    };
    assert_error(
        &resolve(settings).err().unwrap(),
        "container_credentials_full_uri",
    );
}

/// The XML answer of `AssumeRoleWithWebIdentity`, as documented by STS.
fn sts_answer(key_id: &str, expires_in: i64) -> String {
    format!(
        r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/app/session</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:session</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>{SESSION}</SessionToken>
      <SecretAccessKey>{SECRET}</SecretAccessKey>
      <Expiration>{}</Expiration>
      <AccessKeyId>{key_id}</AccessKeyId>
    </Credentials>
    <Provider>oidc.eks.eu-west-3.amazonaws.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#,
        expiration_in(expires_in)
    )
}

/// The decoded `application/x-www-form-urlencoded` pairs of a body.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .unwrap()
            .into_owned()
    };
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (decode(k), decode(v))
        })
        .collect()
}

#[tokio::test]
async fn web_identity_assumes_the_role_with_sts() {
    let dir = TempDir::new().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "oidc-token-1\n").unwrap();
    let server = TestServer::start(|seen: Seen, n| async move {
        if seen.method == Method::POST && seen.uri.path() == "/" {
            Reply::text(200, &sts_answer(&format!("ASIA{n}"), 120))
        } else {
            Reply::status(400)
        }
    })
    .await;
    let settings = ChainSettings {
        web_identity_token_file: Some(token_file.display().to_string()),
        role_arn: Some("arn:aws:iam::123456789012:role/app".into()),
        sts_endpoint: Some(server.url("/")),
        container_credentials_relative_uri: Some("/lower-in-the-chain".into()),
        ..settings(&dir)
    };
    let provider = resolve_kind(settings, "WebIdentityProvider");
    assert_eq!(server.hits(), 0);
    let first = credential(&provider).await.unwrap();
    assert_eq!(first.key_id, "ASIA0");
    assert_eq!(first.secret_key, SECRET);
    assert_eq!(first.token.as_deref(), Some(SESSION));

    // Two minutes left: refreshed, with the token file read again.
    std::fs::write(&token_file, "oidc-token-2").unwrap();
    assert_eq!(credential(&provider).await.unwrap().key_id, "ASIA1");

    let seen = server.requests();
    assert_eq!(
        seen[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        seen[0].uri.query(),
        None,
        "the token must not be in the URL"
    );
    let mut form = form_pairs(&seen[0].body);
    form.sort();
    let expect = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        form,
        expect(&[
            ("Action", "AssumeRoleWithWebIdentity"),
            ("RoleArn", "arn:aws:iam::123456789012:role/app"),
            ("RoleSessionName", "WebIdentitySession"),
            ("Version", "2011-06-15"),
            ("WebIdentityToken", "oidc-token-1"),
        ])
    );
    assert!(
        form_pairs(&seen[1].body).contains(&("WebIdentityToken".into(), "oidc-token-2".into()))
    );
}

#[tokio::test]
async fn web_identity_default_endpoint_and_session_name() {
    let dir = TempDir::new().unwrap();
    let settings = ChainSettings {
        web_identity_token_file: Some("/nonexistent".into()),
        role_arn: Some("arn:aws:iam::1:role/r".into()),
        role_session_name: Some("my-session".into()),
        ..settings(&dir)
    };
    let shown = format!("{:?}", resolve(settings).unwrap());
    assert!(
        shown.contains("https://sts.eu-west-3.amazonaws.com"),
        "{shown}"
    );
    assert!(shown.contains("my-session"), "{shown}");
}

#[tokio::test]
async fn sts_errors_carry_no_secret() {
    let dir = TempDir::new().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "oidc-token").unwrap();
    let refused = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Token expired</Message></Error>
  <RequestId>1</RequestId></ErrorResponse>"#;
    // A document that is not the expected one, but quotes the secret.
    let truncated = format!("<AssumeRoleWithWebIdentityResponse><SecretAccessKey>{SECRET}");
    for (status, body, needle) in [
        (400, refused.to_string(), "InvalidIdentityToken"),
        (200, truncated, "unexpected document"),
        (
            200,
            sts_answer("A", 3600).replace("<Expiration>", "<Expiration>x"),
            "RFC 3339",
        ),
    ] {
        let server = TestServer::start(move |_, _| {
            let body = body.clone();
            async move { Reply::text(status, &body) }
        })
        .await;
        let settings = ChainSettings {
            web_identity_token_file: Some(token_file.display().to_string()),
            role_arn: Some("arn:aws:iam::1:role/r".into()),
            sts_endpoint: Some(server.url("/")),
            ..settings(&dir)
        };
        let provider = resolve(settings).unwrap();
        assert_error(&credential(&provider).await.unwrap_err(), needle);
    }
}
