//! FTPS (RFC 4217), built only with the `tls` feature: the TLS options, the
//! server's certificate and key, and the rustls configuration every session
//! shares.
//!
//! [`options`] adds `--tls-cert`, `--tls-key`, `--tls-required`,
//! `--tls-anonymous`, `--no-tls-session-reuse` and `--implicit-tls-listen`
//! to the option table; [`from_matches`] checks them at start-up (the PEM
//! files are read, and the key must match the certificate) into a [`Tls`].
//! The control connection's TLS is in `control.rs` ([`ControlStream`]), the
//! data connections' in `data.rs` ([`secure_data`], [`DataTls`]).
//!
//! What it does not do: decide replies (`session/tls.rs` does: AUTH, PBSZ,
//! PROT, CCC), or know FTP beyond the two connections it secures.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use getopts::{Matches, Options};
use rustls::crypto::ring;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::ConfigError;

mod control;
mod data;

pub use control::ControlStream;
pub use data::{secure_data, DataRefusal, DataTls};

/// The length of the token that ties a data connection's TLS session to
/// its control connection's.
const TOKEN_LEN: usize = 16;

/// The checked TLS configuration.
#[derive(Clone)]
pub struct Tls {
    /// The rustls configuration all sessions share (one ticketer, one
    /// session cache: what lets a data connection resume).
    pub server: Arc<ServerConfig>,
    /// `--tls-required`: USER/PASS only after AUTH TLS, data only with PROT P.
    pub required: bool,
    /// `--tls-anonymous`: anonymous sessions are exempt from `--tls-required`.
    pub anonymous_exempt: bool,
    /// Whether a data connection must resume its control connection's TLS
    /// session (on unless `--no-tls-session-reuse`).
    pub session_reuse: bool,
    /// Where to listen for implicit TLS (`--implicit-tls-listen`).
    pub implicit_listen: Vec<SocketAddr>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("required", &self.required)
            .field("anonymous_exempt", &self.anonymous_exempt)
            .field("session_reuse", &self.session_reuse)
            .field("implicit_listen", &self.implicit_listen)
            .finish_non_exhaustive()
    }
}

/// Adds the TLS options to `opts`.
pub fn options(opts: &mut Options) {
    opts.optopt(
        "",
        "tls-cert",
        "certificate chain (PEM) for FTPS: AUTH TLS, PBSZ, PROT, CCC",
        "FILE",
    )
    .optopt("", "tls-key", "private key (PEM) of --tls-cert", "FILE")
    .optflag(
        "",
        "tls-required",
        "refuse USER/PASS before AUTH TLS and data connections without PROT P",
    )
    .optflag(
        "",
        "tls-anonymous",
        "with --tls-required: let anonymous sessions go without TLS",
    )
    .optflag(
        "",
        "no-tls-session-reuse",
        "accept protected data connections that do not resume the control \
         connection's TLS session (required by default)",
    )
    .optmulti(
        "",
        "implicit-tls-listen",
        "address for implicit FTPS (TLS from the first byte, data protected), repeatable",
        "ADDR:PORT",
    );
}

/// The TLS configuration the options ask for: `None` without `--tls-cert`.
pub fn from_matches(m: &Matches) -> Result<Option<Tls>, ConfigError> {
    let (cert, key) = match (m.opt_str("tls-cert"), m.opt_str("tls-key")) {
        (Some(cert), Some(key)) => (cert, key),
        (None, None) => {
            let needs = ["tls-required", "tls-anonymous", "no-tls-session-reuse"]
                .into_iter()
                .chain(
                    m.opt_present("implicit-tls-listen")
                        .then_some("implicit-tls-listen"),
                )
                .find(|name| m.opt_present(name));
            return match needs {
                Some(name) => Err(ConfigError(format!(
                    "--{name} needs --tls-cert and --tls-key"
                ))),
                None => Ok(None),
            };
        }
        _ => {
            return Err(ConfigError(
                "--tls-cert and --tls-key go together".to_string(),
            ))
        }
    };
    let implicit_listen = m
        .opt_strs("implicit-tls-listen")
        .iter()
        .map(|spec| {
            spec.parse::<SocketAddr>().map_err(|_| {
                ConfigError(format!(
                    "--implicit-tls-listen {spec:?}: expected ADDR:PORT or [IPV6]:PORT"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let server = server_config(Path::new(&cert), Path::new(&key))?;
    Ok(Some(Tls {
        server: Arc::new(server),
        required: m.opt_present("tls-required"),
        anonymous_exempt: m.opt_present("tls-anonymous"),
        session_reuse: !m.opt_present("no-tls-session-reuse"),
        implicit_listen,
    }))
}

/// The rustls configuration for `cert` and `key`: TLS 1.2 and 1.3, no
/// client certificates, stateless session tickets (a data connection may
/// resume from one as often as it needs) and a session cache for TLS 1.2.
fn server_config(cert: &Path, key: &Path) -> Result<ServerConfig, ConfigError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|err| ConfigError(format!("--tls-cert {}: {err}", cert.display())))?;
    if chain.is_empty() {
        return Err(ConfigError(format!(
            "--tls-cert {}: no certificate in the file",
            cert.display()
        )));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|err| ConfigError(format!("--tls-key {}: {err}", key.display())))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| ConfigError(format!("TLS: {err}")))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|err| {
            ConfigError(format!(
                "--tls-key {} does not go with --tls-cert {}: {err}",
                key.display(),
                cert.display()
            ))
        })?;
    config.ticketer =
        ring::Ticketer::new().map_err(|err| ConfigError(format!("TLS tickets: {err}")))?;
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(1024);
    Ok(config)
}

/// A configuration with no certificate (its handshakes fail), for the
/// session's unit tests, which never run one.
#[cfg(test)]
pub(crate) fn without_certificate(required: bool, anonymous_exempt: bool) -> Tls {
    let server = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::server::ResolvesServerCertUsingSni::new()));
    let server = Arc::new(server);
    Tls {
        server,
        required,
        anonymous_exempt,
        session_reuse: true,
        implicit_listen: Vec::new(),
    }
}

/// A fresh random token naming one control connection's TLS session.
fn token() -> Result<[u8; TOKEN_LEN], rustls::Error> {
    let mut token = [0u8; TOKEN_LEN];
    ring::default_provider()
        .secure_random
        .fill(&mut token)
        .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
    Ok(token)
}
