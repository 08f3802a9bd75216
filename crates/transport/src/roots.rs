//! The operating system's CA certificates, for `ClientOptions::with_system_roots`: read
//! from a PEM bundle, without a dependency on a platform certificate-store crate.

use crate::config::Certificate;
use ostore_core::{Error, Result};
use std::path::{Path, PathBuf};

/// Where distributions keep their PEM bundle (Debian/Ubuntu/Alpine, Fedora/RHEL, openSUSE,
/// macOS/BSD).
const BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/etc/openssl/cert.pem",
];

/// The system bundle: `SSL_CERT_FILE` if set, else the first of [`BUNDLES`] that exists.
pub(crate) fn system_bundle() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
        return Some(PathBuf::from(file));
    }
    BUNDLES.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The certificates of the PEM bundle at `path`.
pub(crate) fn load_bundle(path: &Path) -> Result<Vec<Certificate>> {
    let pem = std::fs::read(path).map_err(|e| {
        Error::generic(
            "HTTP",
            format!("reading the system CA bundle {}: {e}", path.display()),
        )
    })?;
    let certs = Certificate::from_pem_bundle(&pem)?;
    if certs.is_empty() {
        return Err(Error::generic(
            "HTTP",
            format!(
                "the system CA bundle {} holds no certificate",
                path.display()
            ),
        ));
    }
    Ok(certs)
}

/// The system's CA certificates, or an error saying why there are none.
pub(crate) fn system_roots() -> Result<Vec<Certificate>> {
    let path = system_bundle().ok_or_else(|| {
        Error::generic(
            "HTTP",
            "system_roots is on but no CA bundle was found (set SSL_CERT_FILE)",
        )
    })?;
    load_bundle(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_empty_and_garbage_bundles_are_errors() {
        let dir = std::env::temp_dir().join(format!("ostore-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(load_bundle(&dir.join("missing.pem")).is_err());
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        assert!(load_bundle(&empty).is_err());
        let garbage = dir.join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(load_bundle(&garbage).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_distribution_bundle_loads_when_present() {
        // Debian-based machines (ours and CI) ship one; elsewhere there is nothing to load.
        let Some(path) = BUNDLES.iter().map(PathBuf::from).find(|p| p.is_file()) else {
            return;
        };
        let certs = load_bundle(&path).unwrap();
        assert!(certs.len() > 10, "{} certificates", certs.len());
    }
}
