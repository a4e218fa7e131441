//! Whom an FTPS session trusts: [`TlsConfig`], one rustls `ClientConfig`
//! (ring, TLS 1.2 and 1.3) with its in-memory session store, trusting the
//! system's CA bundle, a CA file, or (insecure) anything.
//!
//! This module reads PEM files and builds configs; it opens no connection.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore};
use rustls_pki_types::pem::PemObject;

use crate::error::Error;

/// Where Debian, Alpine, Fedora, openSUSE and FreeBSD keep the system's CA
/// bundle; the first that exists is used.
pub const SYSTEM_CA_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
];

/// How a session's TLS is set up: whom to trust. Cheap to clone; clones
/// share one session store.
#[derive(Clone)]
pub struct TlsConfig {
    pub(super) config: Arc<ClientConfig>,
    verified: bool,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Trusts the certificates of the system's CA bundle (the first of
    /// [`SYSTEM_CA_FILES`] that exists).
    ///
    /// # Errors
    ///
    /// [`Error::Tls`] when there is no bundle or it holds no certificate.
    pub fn system() -> Result<TlsConfig, Error> {
        let found = SYSTEM_CA_FILES
            .iter()
            .map(Path::new)
            .find(|path| path.is_file());
        match found {
            Some(path) => TlsConfig::with_ca_file(path),
            None => Err(Error::Tls(format!(
                "no system CA bundle found (looked for {}); give one with --cacert",
                SYSTEM_CA_FILES.join(", ")
            ))),
        }
    }

    /// Trusts the certificates of the PEM file `path` (one or more).
    ///
    /// # Errors
    ///
    /// [`Error::Tls`] when the file cannot be read or holds no certificate.
    pub fn with_ca_file(path: &Path) -> Result<TlsConfig, Error> {
        let failed = |what: String| Error::Tls(format!("CA file {}: {what}", path.display()));
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(|err| failed(err.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| failed(err.to_string()))?;
        let mut roots = RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(certificates);
        if added == 0 {
            return Err(failed("no usable certificate".to_string()));
        }
        let config = builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsConfig {
            config: Arc::new(config),
            verified: true,
        })
    }

    /// Trusts any certificate for any name: the connection is encrypted but
    /// anyone on the path can read and change it. For tests and servers with
    /// a self-signed certificate one cannot get otherwise.
    pub fn insecure() -> TlsConfig {
        let config = builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth();
        TlsConfig {
            config: Arc::new(config),
            verified: false,
        }
    }

    /// Whether the server's certificate is verified (not [`TlsConfig::insecure`]).
    pub fn verifies(&self) -> bool {
        self.verified
    }
}

/// The CA file given, or the system's bundle.
///
/// # Errors
///
/// As [`TlsConfig::with_ca_file`] and [`TlsConfig::system`].
pub fn trust(cacert: Option<&Path>) -> Result<TlsConfig, Error> {
    match cacert {
        Some(path) => TlsConfig::with_ca_file(path),
        None => TlsConfig::system(),
    }
}

/// ring, the one crypto provider this crate builds with.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(crypto::ring::default_provider())
}

/// A config builder with ring and the safe protocol versions (TLS 1.2, 1.3).
fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
}

/// The verifier of [`TlsConfig::insecure`]: any certificate, checked
/// signatures (the handshake itself stays sound).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls_error(result: Result<TlsConfig, Error>) -> String {
        match result {
            Err(Error::Tls(text)) => text,
            other => panic!("expected a TLS error, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_ca_file_is_named_in_one_line() {
        let text = tls_error(TlsConfig::with_ca_file(Path::new("/nonexistent/ca.pem")));
        assert!(text.starts_with("CA file /nonexistent/ca.pem: "), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let path = std::env::temp_dir().join(format!("ftp-client-tls-{}.pem", std::process::id()));
        std::fs::write(&path, "not a certificate\n").expect("write a scratch file");
        let text = tls_error(TlsConfig::with_ca_file(&path));
        let _ = std::fs::remove_file(&path);
        assert!(text.ends_with("no usable certificate"), "{text}");
    }

    #[test]
    fn insecure_says_it_does_not_verify() {
        assert!(!TlsConfig::insecure().verifies());
    }
}
