//! Static keys, the shared config and credentials files, `credential_process`, and the
//! order of the chain.

use std::path::PathBuf;

use tempfile::TempDir;

use super::*;

/// Settings whose profile files are `credentials` and `config` in `dir` (written if given).
fn with_files(dir: &TempDir, credentials: Option<&str>, config: Option<&str>) -> ChainSettings {
    let write = |name: &str, text: Option<&str>| -> PathBuf {
        let path = dir.path().join(name);
        if let Some(text) = text {
            std::fs::write(&path, text).unwrap();
        }
        path
    };
    ChainSettings {
        shared_credentials_file: Some(write("credentials", credentials)),
        config_file: Some(write("config", config)),
        ..settings(dir)
    }
}

/// A shell script in `dir` that prints `stdout` and exits with `code`, appending a line to
/// `runs` each time it runs; returns the `credential_process` line that runs it.
fn script(dir: &TempDir, stdout: &str, code: i32) -> String {
    let path = dir.path().join("credential-process.sh");
    let runs = dir.path().join("runs");
    let text = format!(
        "echo run >> '{}'\ncat <<'JSON'\n{stdout}\nJSON\nexit {code}\n",
        runs.display()
    );
    std::fs::write(&path, text).unwrap();
    format!("credential_process = sh '{}'\n", path.display())
}

fn runs(dir: &TempDir) -> usize {
    std::fs::read_to_string(dir.path().join("runs"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn process_json(expiration: Option<String>) -> String {
    let expiration = expiration.map_or(String::new(), |e| format!(r#","Expiration":"{e}""#));
    format!(
        r#"{{"Version": 1, "AccessKeyId": "PROCKEY", "SecretAccessKey": "{SECRET}", "SessionToken": "{SESSION}"{expiration}}}"#
    )
}

#[tokio::test]
async fn static_keys_come_first_and_must_come_in_pairs() {
    let dir = TempDir::new().unwrap();
    let all = ChainSettings {
        access_key_id: Some("AKIDSTATIC".into()),
        secret_access_key: Some(SECRET.into()),
        token: Some(SESSION.into()),
        profile: Some("missing-but-ignored".into()),
        web_identity_token_file: Some("/x".into()),
        role_arn: Some("arn:aws:iam::1:role/r".into()),
        ..settings(&dir)
    };
    let provider = resolve_kind(all, "StaticCredentialProvider");
    let want = AwsCredential {
        key_id: "AKIDSTATIC".into(),
        ..expected("")
    };
    assert_eq!(*credential(&provider).await.unwrap(), want);

    for (key_id, secret, needle) in [
        (Some("AKID"), None, "without a secret access key"),
        (None, Some(SECRET), "without an access key id"),
    ] {
        let partial = ChainSettings {
            access_key_id: key_id.map(Into::into),
            secret_access_key: secret.map(Into::into),
            ..settings(&dir)
        };
        assert_error(&resolve(partial).err().unwrap(), needle);
    }
}

#[tokio::test]
async fn named_profile_static_keys_from_either_file() {
    let dir = TempDir::new().unwrap();
    let credentials = format!(
        "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = {SECRET}\n\
         [dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = {SECRET}\n\
         aws_session_token = {SESSION}\n"
    );
    let config = format!(
        "[profile dev]\naws_access_key_id = OVERRIDDEN\nregion = eu-west-1\n\
         [profile ci]\naws_access_key_id = CIKEY\naws_secret_access_key = {SECRET}\n"
    );
    let files = with_files(&dir, Some(&credentials), Some(&config));
    let named = |name: &str| ChainSettings {
        profile: Some(name.into()),
        // A named profile comes before web identity.
        web_identity_token_file: Some("/x".into()),
        role_arn: Some("arn:aws:iam::1:role/r".into()),
        ..files.clone()
    };
    // The credentials file wins over the config file.
    let dev = resolve_kind(named("dev"), "StaticCredentialProvider");
    assert_eq!(*credential(&dev).await.unwrap(), expected("DEVKEY"));
    let ci = resolve(named("ci")).unwrap();
    assert_eq!(credential(&ci).await.unwrap().key_id, "CIKEY");
    assert_eq!(credential(&ci).await.unwrap().token, None);
}

#[tokio::test]
async fn named_profile_errors() {
    let dir = TempDir::new().unwrap();
    let credentials = format!(
        "[half]\naws_access_key_id = AKID\n[other-half]\naws_secret_access_key = {SECRET}\n\
         [nothing]\nregion = us-east-1\n"
    );
    let config = "[profile assume]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = half\n\
                  [profile sso]\nsso_session = corp\nsso_account_id = 1\n";
    let files = with_files(&dir, Some(&credentials), Some(config));
    for (name, needle) in [
        ("missing", "AWS profile missing not found in"),
        ("half", "no aws_secret_access_key"),
        ("other-half", "no aws_access_key_id"),
        ("nothing", "holds no credentials"),
        ("assume", "source_profile"),
        ("sso", "SSO"),
    ] {
        let settings = ChainSettings {
            profile: Some(name.into()),
            ..files.clone()
        };
        assert_error(&resolve(settings).err().unwrap(), needle);
    }
    // Missing files are no error in themselves: the profile is just not found.
    let settings = ChainSettings {
        profile: Some("dev".into()),
        ..settings(&dir)
    };
    assert_error(&resolve(settings).err().unwrap(), "missing-credentials");
}

#[tokio::test]
async fn credential_process_with_expiration_is_cached_and_refreshed() {
    let dir = TempDir::new().unwrap();
    let config = format!(
        "[profile proc]\n{}",
        script(&dir, &process_json(Some(expiration_in(3600))), 0)
    );
    let files = with_files(&dir, None, Some(&config));
    let settings = ChainSettings {
        profile: Some("proc".into()),
        ..files.clone()
    };
    let provider = resolve_kind(settings.clone(), "ProcessProvider");
    assert_eq!(runs(&dir), 0, "resolve must not run the process");
    assert_eq!(*credential(&provider).await.unwrap(), expected("PROCKEY"));
    assert_eq!(*credential(&provider).await.unwrap(), expected("PROCKEY"));
    assert_eq!(runs(&dir), 1);

    // Expiring within the refresh margin: run again at each use.
    let config = format!(
        "[profile proc]\n{}",
        script(&dir, &process_json(Some(expiration_in(60))), 0)
    );
    std::fs::write(dir.path().join("config"), config).unwrap();
    let provider = resolve(settings.clone()).unwrap();
    credential(&provider).await.unwrap();
    credential(&provider).await.unwrap();
    assert_eq!(runs(&dir), 3);

    // No Expiration: kept for the life of the provider.
    let config = format!("[profile proc]\n{}", script(&dir, &process_json(None), 0));
    std::fs::write(dir.path().join("config"), config).unwrap();
    let provider = resolve(settings).unwrap();
    credential(&provider).await.unwrap();
    credential(&provider).await.unwrap();
    assert_eq!(runs(&dir), 4);
}

#[tokio::test]
async fn credential_process_failures() {
    let bad_version = process_json(None).replace("\"Version\": 1", "\"Version\": 2");
    let no_secret = format!(r#"{{"Version":1,"AccessKeyId":"K","SessionToken":"{SESSION}"}}"#);
    for (stdout, code, needle) in [
        (process_json(None), 3, "failed (exit status: 3)"),
        (format!("not json {SECRET}"), 0, "at byte"),
        (process_json(None).replace('}', ","), 0, "at byte"),
        (bad_version, 0, "unsupported Version"),
        (no_secret, 0, "missing SecretAccessKey"),
        (process_json(Some("tomorrow".into())), 0, "RFC 3339"),
    ] {
        let dir = TempDir::new().unwrap();
        let config = format!("[profile proc]\n{}", script(&dir, &stdout, code));
        let settings = ChainSettings {
            profile: Some("proc".into()),
            ..with_files(&dir, None, Some(&config))
        };
        let provider = resolve(settings).unwrap();
        let err = credential(&provider).await.unwrap_err();
        assert_error(&err, needle);
        assert_error(&err, "credential_process of AWS profile proc");
        assert!(!err.to_string().contains("credential-process.sh"), "{err}");
    }
}

#[tokio::test]
async fn profile_web_identity() {
    let dir = TempDir::new().unwrap();
    let config = "[profile irsa]\nrole_arn = arn:aws:iam::1:role/r\n\
                  web_identity_token_file = /var/run/token\nrole_session_name = s1\n";
    let settings = ChainSettings {
        profile: Some("irsa".into()),
        ..with_files(&dir, None, Some(config))
    };
    let shown = format!("{:?}", resolve_kind(settings, "WebIdentityProvider"));
    assert!(
        shown.contains("/var/run/token") && shown.contains("s1"),
        "{shown}"
    );
}

#[tokio::test]
async fn default_profile_sits_after_containers_and_before_instance_metadata() {
    let dir = TempDir::new().unwrap();
    let credentials =
        format!("[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = {SECRET}\n");
    let files = with_files(&dir, Some(&credentials), None);

    let provider = resolve_kind(files.clone(), "StaticCredentialProvider");
    assert_eq!(credential(&provider).await.unwrap().key_id, "DEFAULTKEY");

    for containers in [
        ChainSettings {
            container_credentials_relative_uri: Some("/v2/credentials/x".into()),
            ..files.clone()
        },
        ChainSettings {
            container_credentials_full_uri: Some("http://127.0.0.1:1/".into()),
            ..files.clone()
        },
    ] {
        resolve_kind(containers, "ContainerProvider");
    }

    // A default profile without credentials (only a region), or no files: instance metadata.
    let region_only = TempDir::new().unwrap();
    let files = with_files(&region_only, None, Some("[default]\nregion = eu-west-1\n"));
    resolve_kind(files, "InstanceMetadataProvider");
    resolve_kind(settings(&dir), "InstanceMetadataProvider");
}

#[tokio::test]
async fn unusable_default_profile_is_an_error() {
    let dir = TempDir::new().unwrap();
    let config =
        "[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Ec2InstanceMetadata\n";
    let err = resolve(with_files(&dir, None, Some(config))).err().unwrap();
    assert_error(&err, "AWS profile default uses role_arn");
}
