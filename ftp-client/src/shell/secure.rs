//! FTPS in the program: the control stream the shell's sessions run on, how
//! a session is opened (clear, `--tls`, `ftps://`), `ccc`, and the `status`
//! line about protection.
//!
//! With the `tls` feature a session runs on the library's
//! `client::tls::ControlStream`, clear or TLS;
//! without it on a plain `TcpStream`, and `main` refuses `--tls` and
//! `ftps://` before anything connects. This module does not parse options
//! or print anything but what `status` shows.

use std::path::PathBuf;

use crate::client::{Client, Error, IpFamily, Options};

/// The control stream of the shell's sessions.
#[cfg(feature = "tls")]
pub type Control = crate::client::tls::ControlStream;
/// The control stream of the shell's sessions.
#[cfg(not(feature = "tls"))]
pub type Control = std::net::TcpStream;

/// What the command line asked for: `--tls`, `--tls-optional`, and whom to
/// trust (`--cacert`, `--insecure`), built once so that every connection
/// shares one TLS session store.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// Whom to trust; `Some` when `--tls` or an `ftps://` URL asks for TLS.
    #[cfg(feature = "tls")]
    pub config: Option<crate::client::tls::TlsConfig>,
    /// `--tls`: `AUTH TLS` on every connection that is not `ftps://`.
    #[cfg(feature = "tls")]
    pub explicit: bool,
    /// `--tls-optional`: go on in clear when the server refuses `AUTH TLS`.
    #[cfg(feature = "tls")]
    pub optional: bool,
}

/// The TLS options of the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFlags {
    /// `--tls`: explicit FTPS (`AUTH TLS`).
    pub explicit: bool,
    /// `--tls-optional`: `--tls`, but clear when the server refuses it.
    pub optional: bool,
    /// `--cacert FILE`: trust these CA certificates instead of the system's.
    pub cacert: Option<PathBuf>,
    /// `--insecure`: trust any certificate.
    pub insecure: bool,
}

impl TlsFlags {
    /// Whether any TLS option was given.
    pub fn any(&self) -> bool {
        self.explicit || self.optional || self.cacert.is_some() || self.insecure
    }
}

/// What a session needs from `flags`, when TLS is asked for by them or by an
/// `ftps://` URL (`implicit`): whom to trust, read once.
///
/// # Errors
///
/// [`Error::Tls`] when the CA file (given, or the system's) cannot be used.
#[cfg(feature = "tls")]
pub fn setup(flags: &TlsFlags, implicit: bool) -> Result<Tls, Error> {
    use crate::client::tls::{trust, TlsConfig};
    let explicit = flags.explicit || flags.optional;
    if !explicit && !implicit {
        return Ok(Tls::default());
    }
    let config = if flags.insecure {
        TlsConfig::insecure()
    } else {
        trust(flags.cacert.as_deref())?
    };
    Ok(Tls {
        config: Some(config),
        explicit,
        optional: flags.optional,
    })
}

/// Without the `tls` feature sessions are clear: `main` has refused every
/// TLS option and `ftps://` before.
///
/// # Errors
///
/// None in this build.
#[cfg(not(feature = "tls"))]
pub fn setup(_: &TlsFlags, _implicit: bool) -> Result<Tls, Error> {
    Ok(Tls::default())
}

/// Opens a session to `host`: in TLS from the first byte when `implicit`
/// (`ftps://`), else in clear; [`auth`] follows once the observer is set.
///
/// # Errors
///
/// The library's connect errors; [`Error::Tls`] for a failed handshake.
#[cfg(feature = "tls")]
pub fn connect(
    host: &str,
    port: u16,
    family: Option<IpFamily>,
    options: Options,
    tls: &Tls,
    implicit: bool,
) -> Result<Client<Control>, Error> {
    let config = match (&tls.config, implicit) {
        (Some(config), true) => Some(config),
        (None, true) => return Err(Error::Tls("ftps:// without a TLS setup".to_string())),
        (_, false) => None,
    };
    Client::open_tls(host, port, family, options, config)
}

/// Opens a clear session to `host` (this build has no TLS; `main` refused
/// `ftps://` before).
///
/// # Errors
///
/// The library's connect errors.
#[cfg(not(feature = "tls"))]
pub fn connect(
    host: &str,
    port: u16,
    family: Option<IpFamily>,
    options: Options,
    _: &Tls,
    _implicit: bool,
) -> Result<Client<Control>, Error> {
    Client::connect(host, port, family, options)
}

/// `--tls` on a clear session just opened: `AUTH TLS` and the handshake,
/// which the observer sees; nothing for a session already in TLS or without
/// `--tls`.
///
/// # Errors
///
/// The refusal (unless `--tls-optional`), or a failed handshake.
#[cfg(feature = "tls")]
pub fn auth(client: &mut Client<Control>, host: &str, tls: &Tls) -> Result<(), Error> {
    match &tls.config {
        Some(config) if tls.explicit && !client.control_protected() => {
            client.auth_tls(host, config, !tls.optional)
        }
        _ => Ok(()),
    }
}

/// Nothing to do in a build without TLS.
///
/// # Errors
///
/// None in this build.
#[cfg(not(feature = "tls"))]
pub fn auth(_: &mut Client<Control>, _: &str, _: &Tls) -> Result<(), Error> {
    Ok(())
}

/// `ccc`: the control connection back to clear text (data stays protected).
///
/// # Errors
///
/// The server's refusal, or [`Error::Tls`] when there is no TLS to end.
#[cfg(feature = "tls")]
pub fn ccc(client: &mut Client<Control>) -> Result<(), Error> {
    client.ccc()
}

/// `ccc` in a build without TLS.
///
/// # Errors
///
/// Always: this build has no TLS.
#[cfg(not(feature = "tls"))]
pub fn ccc(_: &mut Client<Control>) -> Result<(), Error> {
    Err(Error::Tls(NO_TLS.to_string()))
}

/// What a build without the `tls` feature says to `--tls`, `ftps://` and `ccc`.
pub const NO_TLS: &str = "this build has no TLS (FTPS): build ftp-client with --features tls";

/// The `status` line about protection.
#[cfg(feature = "tls")]
pub fn protection(client: &Client<Control>) -> String {
    let on = |protected: bool| if protected { "TLS" } else { "clear" };
    format!(
        "Protection: control {}, data {}",
        on(client.control_protected()),
        on(client.data_protected())
    )
}
