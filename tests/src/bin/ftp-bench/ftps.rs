//! FTPS for the bench: the one module that knows whether ftp-bench was built
//! with the `tls` feature (`--features ftp-tests/tls`). It holds the test
//! certificates the FTPS servers are started with and the client's trust in
//! them ([`Certificates`]), and opens a session's control connection in clear
//! or with explicit TLS ([`connect`]: `AUTH TLS`, then `PBSZ 0` and `PROT P`
//! at login, every data connection resuming the control connection's TLS
//! session).
//!
//! Built without the feature, [`Certificates::new`] fails with
//! [`NEEDS_FEATURE`], and so would [`connect`] asked for TLS, so no FTPS
//! row can be measured, and sessions are the plain `Client<TcpStream>` they
//! always were.
//!
//! It does not start servers (see `servers`) or measure (see `workloads`).

use std::ffi::OsString;
use std::net::IpAddr;

use ftp_client::client::{Client, Options};
use ftp_tests::certs::TestPki;

use crate::Failure;

/// Whether this ftp-bench was built with the `tls` feature.
pub const BUILT_WITH_TLS: bool = cfg!(feature = "tls");

/// Why the FTPS rows are not measured in a build without the feature.
pub const NEEDS_FEATURE: &str =
    "the FTPS rows (m, n, o, and the tls builds' sizes in h) need ftp-bench built with \
     `--features ftp-tests/tls`";

/// Whom a session's TLS trusts: the test CA.
#[cfg(feature = "tls")]
pub type Trust = ftp_client::client::tls::TlsConfig;

/// Whom a session's TLS would trust, without the `tls` feature: nothing,
/// which [`connect`] refuses.
#[cfg(not(feature = "tls"))]
#[derive(Debug, Clone)]
pub struct Trust;

/// The control connection of a session.
#[cfg(feature = "tls")]
pub type Control = ftp_client::client::tls::ControlStream;

/// The control connection of a session.
#[cfg(not(feature = "tls"))]
pub type Control = std::net::TcpStream;

/// Connects to `host` and reads the greeting; with `tls`, sends `AUTH TLS`
/// (which must be accepted) and makes the handshake, so that the login that
/// follows also protects the data connections.
pub fn connect(
    host: &str,
    port: u16,
    tls: Option<&Trust>,
    options: Options,
) -> Result<Client<Control>, Failure> {
    #[cfg(feature = "tls")]
    {
        use ftp_client::client::tls::Security;
        let security = match tls {
            Some(config) => Security::Explicit {
                config: config.clone(),
                required: true,
            },
            None => Security::Clear,
        };
        Ok(Client::connect_tls(host, port, None, options, &security)?)
    }
    #[cfg(not(feature = "tls"))]
    match tls {
        Some(Trust) => Err(Failure(NEEDS_FEATURE.into())),
        None => Ok(Client::connect(host, port, None, options)?),
    }
}

/// A test CA and a server certificate it signed for the servers' loopback
/// addresses, with the client's trust in that CA; the files are removed
/// when it is dropped.
pub struct Certificates {
    pki: TestPki,
    trust: Trust,
}

impl Certificates {
    /// Makes the certificates (with the `openssl` program) for servers
    /// listening on `ips`; fails with [`NEEDS_FEATURE`] in a build without
    /// TLS.
    pub fn new(ips: &[IpAddr]) -> Result<Certificates, Failure> {
        if !BUILT_WITH_TLS {
            return Err(Failure(NEEDS_FEATURE.into()));
        }
        let pki = TestPki::with_addresses(ips);
        let trust = trust(&pki)?;
        Ok(Certificates { pki, trust })
    }

    /// The client's trust in the CA, for a [`crate::servers::Login`].
    pub fn trust(&self) -> Trust {
        self.trust.clone()
    }

    /// ftp-server's options for FTPS with this certificate, required on
    /// control and data as vsftpd is configured ([`Certificates::vsftpd`]);
    /// every data connection must resume its control connection's TLS
    /// session, ftp-server's default.
    pub fn ftp_server_args(&self) -> Vec<OsString> {
        vec![
            "--tls-cert".into(),
            self.pki.cert().into(),
            "--tls-key".into(),
            self.pki.key().into(),
            "--tls-required".into(),
        ]
    }

    /// vsftpd's configuration lines for explicit FTPS with this
    /// certificate: `ssl_enable=YES`, TLS forced for logins and data,
    /// `require_ssl_reuse=YES` ([`ftp_tests::peers::vsftpd_tls`]).
    pub fn vsftpd(&self) -> String {
        ftp_tests::peers::vsftpd_tls(&self.pki.cert(), &self.pki.key(), false)
    }
}

/// The client's trust in `pki`'s CA.
#[cfg(feature = "tls")]
fn trust(pki: &TestPki) -> Result<Trust, Failure> {
    Ok(Trust::with_ca_file(&pki.ca())?)
}

/// No trust without the `tls` feature (and [`Certificates::new`] does not
/// get this far).
#[cfg(not(feature = "tls"))]
fn trust(_: &TestPki) -> Result<Trust, Failure> {
    Ok(Trust)
}
