//! The shared AWS config and credentials files (`~/.aws/config`, `~/.aws/credentials`):
//! finding them, reading a profile, and turning it into a credential provider (static keys,
//! `credential_process`, or a web identity role).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use async_trait::async_trait;
use ostore_core::{Error, Result};
use ostore_transport::StaticCredentialProvider;
use ostore_transport::credential::TokenCredentialProvider;
use ostore_transport::credential::{TemporaryToken, TokenProvider};

use super::json::{Object, Value};
use super::{ChainSettings, credential_from_object, fetch_failed, invalid, web_identity_provider};
use crate::{AwsCredential, AwsCredentialProvider, STORE};

/// The keys of one profile, credentials file values over config file values.
pub(crate) type Profile = HashMap<String, String>;

/// Where the two files are: the setting, else the environment variable, else `~/.aws/…`.
/// `None` when nothing names a path and there is no home directory.
pub(crate) fn file_paths(settings: &ChainSettings) -> (Option<PathBuf>, Option<PathBuf>) {
    let pick = |explicit: &Option<PathBuf>, var: &str, name: &str| {
        if let Some(path) = explicit {
            return Some(expand_home(path));
        }
        match std::env::var_os(var) {
            Some(value) if !value.is_empty() => Some(expand_home(Path::new(&value))),
            _ => home_dir().map(|home| home.join(".aws").join(name)),
        }
    };
    (
        pick(
            &settings.shared_credentials_file,
            "AWS_SHARED_CREDENTIALS_FILE",
            "credentials",
        ),
        pick(&settings.config_file, "AWS_CONFIG_FILE", "config"),
    )
}

fn home_dir() -> Option<PathBuf> {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var)
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `~/rest` → `$HOME/rest`; other paths unchanged.
fn expand_home(path: &Path) -> PathBuf {
    expand_home_in(path, home_dir().as_deref())
}

fn expand_home_in(path: &Path, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// Reads profile `name` from the files; `None` if neither file has it (a missing file
/// counts as empty). An unreadable file is an error.
pub(crate) fn load_profile(
    credentials_file: Option<&Path>,
    config_file: Option<&Path>,
    name: &str,
) -> Result<Option<Profile>> {
    let mut profile: Option<Profile> = None;
    // Config first, so that the credentials file's values win.
    for (path, config_style) in [(config_file, true), (credentials_file, false)] {
        let Some(path) = path else { continue };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::generic(
                    STORE,
                    format!("cannot read the AWS profile file {}: {e}", path.display()),
                ));
            }
        };
        if let Some(section) = parse_ini(&text, config_style).remove(name) {
            profile.get_or_insert_with(Profile::new).extend(section);
        }
    }
    Ok(profile)
}

/// Parses an AWS profile file into its profiles. In the config file (`config_style`) a
/// profile section is `[profile name]` or `[default]`; other sections (`[sso-session x]`,
/// `[services x]`) are skipped. In the credentials file the section name is the profile.
/// Comments start with `#` or `;` (inline only after whitespace); indented lines continue
/// a nested setting and are skipped; keys are lowercased.
pub(crate) fn parse_ini(text: &str, config_style: bool) -> HashMap<String, Profile> {
    let mut profiles: HashMap<String, Profile> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            continue; // continuation of a nested setting, e.g. under `s3 =`
        }
        let line = strip_comment(line).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            current = if !config_style {
                Some(section.to_string())
            } else if section == "default" {
                Some("default".to_string())
            } else {
                section
                    .strip_prefix("profile")
                    .filter(|rest| rest.starts_with([' ', '\t']))
                    .map(|rest| rest.trim().to_string())
            };
            if let Some(name) = &current {
                profiles.entry(name.clone()).or_default();
            }
            continue;
        }
        let (Some(name), Some((key, value))) = (&current, line.split_once('=')) else {
            continue;
        };
        profiles
            .entry(name.clone())
            .or_default()
            .insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    profiles
}

/// The line up to a comment: one starting the line, or `#`/`;` after whitespace.
fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with(['#', ';']) {
        return "";
    }
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

/// The provider for profile `name`, or `None` if the profile holds no credential settings.
/// Settings ostore cannot use (assume-role chains, SSO) are errors rather than skipped, so
/// that the store never silently runs under another identity than the profile names.
pub(crate) fn provider_for(
    name: &str,
    profile: &Profile,
    settings: &ChainSettings,
) -> Result<Option<AwsCredentialProvider>> {
    let get = |key: &str| {
        profile
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let unsupported = |what: &str| {
        Error::generic(
            STORE,
            format!("AWS profile {name} uses {what}, which is not supported"),
        )
    };
    if let Some(role_arn) = get("role_arn") {
        let Some(token_file) = get("web_identity_token_file") else {
            return Err(unsupported(
                "role_arn with source_profile or credential_source",
            ));
        };
        let session_name = get("role_session_name").map(str::to_string);
        let provider = web_identity_provider(
            settings,
            token_file.to_string(),
            role_arn.to_string(),
            session_name,
        )?;
        return Ok(Some(provider));
    }
    if get("sso_session").is_some() || get("sso_start_url").is_some() {
        return Err(unsupported("IAM Identity Center (SSO)"));
    }
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(key_id), Some(secret_key)) => {
            let credential = AwsCredential {
                key_id: key_id.to_string(),
                secret_key: secret_key.to_string(),
                token: get("aws_session_token").map(str::to_string),
            };
            return Ok(Some(Arc::new(StaticCredentialProvider::new(credential))));
        }
        (Some(_), None) => {
            return Err(Error::generic(
                STORE,
                format!("AWS profile {name} has aws_access_key_id but no aws_secret_access_key"),
            ));
        }
        (None, Some(_)) => {
            return Err(Error::generic(
                STORE,
                format!("AWS profile {name} has aws_secret_access_key but no aws_access_key_id"),
            ));
        }
        (None, None) => {}
    }
    if let Some(command) = get("credential_process") {
        let provider = ProcessProvider {
            profile: name.to_string(),
            command: command.to_string(),
        };
        return Ok(Some(Arc::new(TokenCredentialProvider::new(provider))));
    }
    Ok(None)
}

/// Runs a profile's `credential_process` command through the shell and reads the
/// credentials it prints on stdout (JSON, `Version` 1). Its stderr goes to ours, as with
/// the AWS CLI. Credentials without `Expiration` are kept for the life of the store.
pub(crate) struct ProcessProvider {
    pub(crate) profile: String,
    pub(crate) command: String,
}

impl fmt::Debug for ProcessProvider {
    // The command line may carry secrets (a password argument): not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessProvider")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl ProcessProvider {
    fn shell(&self) -> tokio::process::Command {
        let (shell, flag) = if cfg!(windows) {
            ("cmd", "/C")
        } else {
            ("sh", "-c")
        };
        let mut command = tokio::process::Command::new(shell);
        command
            .arg(flag)
            .arg(&self.command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        command
    }
}

#[async_trait]
impl TokenProvider for ProcessProvider {
    type Credential = AwsCredential;

    async fn fetch_token(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        self.fetch().await.map_err(|e| {
            fetch_failed(
                format!("the credential_process of AWS profile {}", self.profile),
                e,
            )
        })
    }
}

impl ProcessProvider {
    async fn fetch(&self) -> Result<TemporaryToken<Arc<AwsCredential>>> {
        let output = self
            .shell()
            .output()
            .await
            .map_err(|e| Error::generic(STORE, format!("cannot run the command: {e}")))?;
        if !output.status.success() {
            return Err(Error::generic(
                STORE,
                format!("the command failed ({})", output.status),
            ));
        }
        let doc = Object::parse(&output.stdout).map_err(|e| invalid(&e))?;
        match doc.get("Version") {
            Some(Value::Number(v)) if v == "1" => {}
            Some(_) => return Err(invalid("unsupported Version (expected 1)")),
            None => return Err(invalid("missing Version")),
        }
        credential_from_object(&doc, "SessionToken", false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_comments_and_nesting() {
        let config = "\
# comment
[default]
region = eu-west-1 ; inline comment
[profile dev]
aws_access_key_id=AKID#not-a-comment
s3 =
    max_concurrent_requests = 20
AWS_Secret_Access_Key = secret
[sso-session corp]
sso_region = us-east-1
[stray]
x = y
[profile default]
output = json
";
        let profiles = parse_ini(config, true);
        assert_eq!(profiles.len(), 2, "{profiles:?}");
        assert_eq!(profiles["default"]["region"], "eu-west-1");
        assert_eq!(profiles["default"]["output"], "json");
        assert_eq!(profiles["dev"]["aws_access_key_id"], "AKID#not-a-comment");
        assert_eq!(profiles["dev"]["aws_secret_access_key"], "secret");
        assert_eq!(profiles["dev"]["s3"], "");
        assert!(!profiles["dev"].contains_key("max_concurrent_requests"));

        let credentials = parse_ini("[profile x]\na=1\n[dev]\nb = 2\n", false);
        assert_eq!(credentials["profile x"]["a"], "1");
        assert_eq!(credentials["dev"]["b"], "2");
    }

    #[test]
    fn home_expansion() {
        let home = Path::new("/home/me");
        let expand = |p: &str| expand_home_in(Path::new(p), Some(home));
        assert_eq!(expand("/abs/path"), Path::new("/abs/path"));
        assert_eq!(expand("~/.aws/config"), Path::new("/home/me/.aws/config"));
        assert_eq!(expand("~other/x"), Path::new("~other/x"));
        assert_eq!(
            expand_home_in(Path::new("~/x"), None),
            Path::new("~/x"),
            "no home: unchanged"
        );
    }
}
