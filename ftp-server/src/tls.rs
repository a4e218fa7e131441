//! FTPS (RFC 4217), built only with the `tls` feature: the TLS options, the
//! server's certificate and key, and the rustls configuration every session
//! shares.
//!
//! [`options`] adds `--tls-cert`, `--tls-key`, `--tls-required`,
//! `--tls-anonymous`, `--no-tls-session-reuse`, `--implicit-tls-listen`
//! and `--implicit-tls` (for `--inetd`) to the option table; [`from_matches`] checks them at start-up (the PEM
//! files are read, and the key must match the certificate) into a [`Tls`].
//! The control connection's TLS is in `control.rs` ([`ControlStream`]), the
//! data connections' in `data.rs` ([`secure_data`], [`DataTls`]), and what
//! ties them together, each session's own copy of the configuration, in
//! `scope.rs` ([`Scope`]).
//!
//! What it does not do: decide replies (`session/tls.rs` does: AUTH, PBSZ,
//! PROT, CCC), or know FTP beyond the two connections it secures.

use std::fmt;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
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
mod scope;

pub use control::ControlStream;
pub use data::{secure_data, DataRefusal, DataTls};
pub use scope::Scope;

/// The checked TLS configuration.
#[derive(Clone)]
pub struct Tls {
    /// The rustls configuration each session copies into its own
    /// [`Scope`] (with a ticket key and a session cache of its own).
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
    /// `--implicit-tls`: the `--inetd` connection is implicit TLS.
    pub implicit_inetd: bool,
    /// Said at start-up: the private key file is readable by every user.
    pub key_warning: Option<String>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("required", &self.required)
            .field("anonymous_exempt", &self.anonymous_exempt)
            .field("session_reuse", &self.session_reuse)
            .field("implicit_listen", &self.implicit_listen)
            .field("implicit_inetd", &self.implicit_inetd)
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
    )
    .optflag(
        "",
        "implicit-tls",
        "with --inetd: the connection is implicit FTPS (TLS from the first byte, \
         data protected; port 990)",
    );
}

/// The TLS configuration the options ask for: `None` without `--tls-cert`.
pub fn from_matches(m: &Matches) -> Result<Option<Tls>, ConfigError> {
    let (cert, key) = match (m.opt_str("tls-cert"), m.opt_str("tls-key")) {
        (Some(cert), Some(key)) => (cert, key),
        (None, None) => {
            let needs = [
                "tls-required",
                "tls-anonymous",
                "no-tls-session-reuse",
                "implicit-tls-listen",
                "implicit-tls",
            ]
            .into_iter()
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
    let implicit_listen: Vec<SocketAddr> = m
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
    let implicit_inetd = m.opt_present("implicit-tls");
    match (
        m.opt_present("inetd"),
        implicit_inetd,
        implicit_listen.is_empty(),
    ) {
        (false, true, _) => {
            return Err(ConfigError(
                "--implicit-tls is for --inetd; a standalone server takes \
                 --implicit-tls-listen ADDR:PORT"
                    .to_string(),
            ))
        }
        (true, _, false) => {
            return Err(ConfigError(
                "--implicit-tls-listen is for a standalone server; under --inetd \
                 --implicit-tls makes the connection implicit TLS"
                    .to_string(),
            ))
        }
        _ => {}
    }
    let server = server_config(Path::new(&cert), Path::new(&key))?;
    Ok(Some(Tls {
        server: Arc::new(server),
        required: m.opt_present("tls-required"),
        anonymous_exempt: m.opt_present("tls-anonymous"),
        session_reuse: !m.opt_present("no-tls-session-reuse"),
        implicit_listen,
        implicit_inetd,
        key_warning: readable_by_everyone(Path::new(&key)),
    }))
}

/// A warning when the private key file `key` may be read by every user of
/// the machine. Not refused: the `--run-as` user reads it again once the
/// server runs as that user, and a group of its own is the way to allow
/// that (`chmod 640`), which this does not warn about.
fn readable_by_everyone(key: &Path) -> Option<String> {
    let mode = std::fs::metadata(key).ok()?.permissions().mode();
    (mode & 0o004 != 0).then(|| {
        format!(
            "--tls-key {shown}: the private key is readable by every user (mode {mode:o}); \
             run: chmod o-rwx {shown} (a --run-as user reads it through its group)",
            shown = key.display(),
            mode = mode & 0o7777,
        )
    })
}

/// The rustls configuration for `cert` and `key`: TLS 1.2 and 1.3, no
/// client certificates. Nothing resumes on it: each session's [`Scope`]
/// adds the ticket key and session cache its data connections resume from.
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
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
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
        implicit_inetd: false,
        key_warning: None,
    }
}
