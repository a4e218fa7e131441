//! FTPS (RFC 4217) for the client, with the `tls` feature: TLS on the control
//! connection, explicit (`AUTH TLS` on a clear connection, then the
//! handshake on the same socket) or implicit (TLS from the first byte,
//! `ftps://`), `PBSZ 0` + `PROT P` after login, and each data connection
//! wrapped in TLS with this client as the TLS client in every mode (also in
//! active mode, where the server opened the TCP connection: RFC 4217 §9).
//!
//! One [`TlsConfig`] (one rustls `ClientConfig` and its in-memory session
//! store) serves the control connection and every data connection under the
//! same server name, so data connections resume the control connection's
//! TLS session, which servers such as vsftpd (`require_ssl_reuse`) demand.
//! The certificate is verified against the host name (or IP address) the
//! session was opened with, trusting the system CA bundle or a given file;
//! [`TlsConfig::insecure`] verifies nothing.
//!
//! `CCC` ([`Client::ccc`]) ends TLS on the control connection (both sides
//! send close_notify) and goes on in clear, which lets a NAT's FTP helper
//! read `PORT` again; data connections stay protected.
//!
//! This module does not parse URLs or options, and prints nothing: the
//! events an observer sees ([`Event::Protected`]) say what is protected.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, StreamOwned};
use rustls_pki_types::pem::PemObject;

use super::deadline::Deadline;
use super::{expect_class, resolve, Client, Error, Event, IpFamily, Options};

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
    config: Arc<ClientConfig>,
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

/// How the control connection starts.
#[derive(Debug, Clone)]
pub enum Security {
    /// No TLS at all.
    Clear,
    /// `AUTH TLS` after the greeting; when the server refuses it, the session
    /// fails unless `required` is false, and then goes on in clear.
    Explicit {
        /// Whom to trust.
        config: TlsConfig,
        /// Fail when the server refuses `AUTH TLS`.
        required: bool,
    },
    /// TLS from the first byte (`ftps://`, port 990 by convention).
    Implicit(TlsConfig),
}

/// A control stream that is clear or TLS, and can change from one to the
/// other on the same socket (`AUTH TLS`, `CCC`).
#[derive(Debug)]
pub enum ControlStream {
    /// Clear text.
    Clear(TcpStream),
    /// TLS over the socket.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl ControlStream {
    /// The socket under the stream.
    pub fn socket(&self) -> &TcpStream {
        match self {
            ControlStream::Clear(socket) => socket,
            ControlStream::Tls(stream) => &stream.sock,
        }
    }

    /// Whether the control connection is protected by TLS.
    pub fn is_protected(&self) -> bool {
        matches!(self, ControlStream::Tls(_))
    }

    /// The stream as it now is, on a clone of the socket, so the old value
    /// can be replaced (dropping one descriptor of a socket does not close it).
    fn socket_clone(&self) -> io::Result<TcpStream> {
        self.socket().try_clone()
    }
}

impl Read for ControlStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ControlStream::Clear(socket) => socket.read(buf),
            ControlStream::Tls(stream) => stream.read(buf),
        }
    }
}

impl Write for ControlStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ControlStream::Clear(socket) => socket.write(buf),
            ControlStream::Tls(stream) => stream.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            ControlStream::Clear(socket) => socket.flush(),
            ControlStream::Tls(stream) => stream.flush(),
        }
    }
}

/// The TLS state of a session: the config and server name that data
/// connections use, and whether `PROT P` is in effect.
pub(super) struct Session {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    /// `PROT P` accepted: data connections are TLS.
    data: bool,
}

/// The name the certificate must carry: `host` as given (a DNS name or an
/// IP address).
fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string())
        .map_err(|_| Error::Tls(format!("{host} is not a valid name for TLS")))
}

/// Runs a TLS handshake to the end on `socket`; `what` names the connection
/// in errors.
fn handshake(
    config: &Arc<ClientConfig>,
    name: &ServerName<'static>,
    mut socket: TcpStream,
    what: &str,
) -> Result<StreamOwned<ClientConnection, TcpStream>, Error> {
    let mut connection = ClientConnection::new(Arc::clone(config), name.clone())
        .map_err(|err| Error::Tls(format!("TLS on the {what}: {err}")))?;
    while connection.is_handshaking() {
        connection
            .complete_io(&mut socket)
            .map_err(|err| handshake_error(&err, what))?;
    }
    Ok(StreamOwned::new(connection, socket))
}

/// A failed handshake in one line: rustls's reason, a timeout, or the peer
/// closing.
fn handshake_error(err: &io::Error, what: &str) -> Error {
    let reason = match err.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            "the server stopped answering".to_string()
        }
        io::ErrorKind::UnexpectedEof => "the server closed the connection".to_string(),
        _ => match err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            Some(rustls::Error::InvalidCertificate(why)) => {
                format!("the server's certificate is not trusted: {why:?}")
            }
            Some(rustls_error) => rustls_error.to_string(),
            None => err.to_string(),
        },
    };
    Error::Tls(format!("TLS handshake on the {what} failed: {reason}"))
}

/// How a finished handshake went, for the observer.
fn describe(connection: &ClientConnection) -> String {
    let version = connection
        .protocol_version()
        .map_or_else(|| "TLS".to_string(), |v| format!("{v:?}"));
    let suite = connection
        .negotiated_cipher_suite()
        .map_or_else(String::new, |s| format!(", {:?}", s.suite()));
    let kind = match connection.handshake_kind() {
        Some(rustls::HandshakeKind::Resumed) => ", session resumed",
        _ => ", new session",
    };
    format!("{version}{suite}{kind}")
}

/// A data connection in TLS (after `PROT P`).
pub(super) struct DataTls(Box<StreamOwned<ClientConnection, TcpStream>>);

impl DataTls {
    /// Sends close_notify and waits for the server's (or its close), so an
    /// upload's end is unmistakable and session tickets sent on this
    /// connection reach the shared store. Failures are left to the final
    /// reply to judge: a server that closed first has seen all it needs.
    pub(super) fn finish(&mut self) {
        let stream = &mut self.0;
        stream.conn.send_close_notify();
        if stream.conn.complete_io(&mut stream.sock).is_ok() {
            let mut sink = [0; 4096];
            // Bounded by the data socket's read timeout; what comes is discarded.
            while stream.read(&mut sink).is_ok_and(|n| n > 0) {}
        }
    }
}

impl Read for DataTls {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let stream = &mut self.0;
        match stream.read(buf) {
            // A server that closes without close_notify (many do) ends the
            // data the way a clear connection does; the final reply says
            // whether the transfer was complete.
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            other => other,
        }
    }
}

impl Write for DataTls {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let stream = &mut self.0;
        stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        let stream = &mut self.0;
        stream.flush()
    }
}

impl<S: Read + Write> Client<S> {
    /// Sends one of RFC 4217's commands and reads its reply, which must be
    /// of `class`.
    fn expect_line(&mut self, line: &str, class: u16) -> Result<(), Error> {
        self.send_line(line.as_bytes(), line)?;
        expect_class(self.read_reply()?, class).map(drop)
    }

    /// `PBSZ 0` and `PROT P` after login, when the control connection is TLS.
    pub(super) fn protect_data_after_login(&mut self) -> Result<(), Error> {
        if self.tls.as_ref().is_none_or(|session| session.data) {
            return Ok(());
        }
        self.expect_line("PBSZ 0", 2)?;
        self.expect_line("PROT P", 2)?;
        if let Some(session) = &mut self.tls {
            session.data = true;
        }
        Ok(())
    }

    /// Wraps a data connection in TLS when `PROT P` is in effect, resuming
    /// the control connection's session.
    pub(super) fn protect_data(
        &mut self,
        socket: TcpStream,
    ) -> Result<super::data::DataStream, Error> {
        let Some(session) = self.tls.as_ref().filter(|session| session.data) else {
            return Ok(super::data::DataStream::Clear(socket));
        };
        let stream = handshake(&session.config, &session.name, socket, "data connection")?;
        let text = format!("data connection protected: {}", describe(&stream.conn));
        self.emit(&Event::Protected(&text));
        Ok(super::data::DataStream::Tls(DataTls(Box::new(stream))))
    }

    /// Whether data connections are protected (`PROT P` in effect).
    pub fn data_protected(&self) -> bool {
        self.tls.as_ref().is_some_and(|session| session.data)
    }
}

impl Client<ControlStream> {
    /// Connects to `host` as [`Client::connect`] does, with the control
    /// connection's TLS as `security` says; data connections are protected
    /// once logged in ([`Client::login`] sends `PBSZ 0` and `PROT P`).
    ///
    /// ```no_run
    /// use ftp_client::client::tls::{Security, TlsConfig};
    /// use ftp_client::{Client, Options};
    ///
    /// let config = TlsConfig::system()?;
    /// let security = Security::Explicit { config, required: true };
    /// let mut client = Client::connect_tls("ftp.example.org", 21, None, Options::default(), &security)?;
    /// client.login("anonymous", "guest@")?;
    /// assert!(client.data_protected());
    /// # Ok::<(), ftp_client::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Client::connect`], and [`Error::Tls`] for a failed handshake
    /// (an untrusted certificate, a certificate for another name, a server
    /// that does not speak TLS), [`Error::Reply`] when the server refuses
    /// a required `AUTH TLS`.
    pub fn connect_tls(
        host: &str,
        port: u16,
        family: Option<IpFamily>,
        options: Options,
        security: &Security,
    ) -> Result<Self, Error> {
        let implicit = match security {
            Security::Implicit(config) => Some(config),
            _ => None,
        };
        let mut client = Self::open_tls(host, port, family, options, implicit)?;
        if let Security::Explicit { config, required } = security {
            client.auth_tls(host, config, *required)?;
        }
        Ok(client)
    }

    /// Connects to `host` as [`Client::connect`] does, in TLS from the
    /// first byte with `implicit`, else in clear (for [`Client::auth_tls`]
    /// once an observer is set), and reads the greeting.
    ///
    /// # Errors
    ///
    /// As [`Client::connect_tls`].
    pub fn open_tls(
        host: &str,
        port: u16,
        family: Option<IpFamily>,
        options: Options,
        implicit: Option<&TlsConfig>,
    ) -> Result<Self, Error> {
        let mut attempts = Vec::new();
        for addr in resolve(host, port, family)? {
            match ftp_core::io::data::connect(addr, options.connect_timeout) {
                Ok(stream) => return Self::start_tls(host, stream, options, implicit),
                Err(err) => attempts.push((addr, err)),
            }
        }
        Err(Error::Connect {
            host: host.to_string(),
            attempts,
        })
    }

    /// The session on a connected socket: the implicit handshake and the
    /// greeting.
    fn start_tls(
        host: &str,
        socket: TcpStream,
        options: Options,
        implicit: Option<&TlsConfig>,
    ) -> Result<Self, Error> {
        socket.set_nodelay(true)?;
        socket.set_read_timeout(Some(options.reply_timeout))?;
        socket.set_write_timeout(Some(options.reply_timeout))?;
        let (local, peer) = (socket.local_addr()?, socket.peer_addr()?);
        let stream = match implicit {
            Some(config) => {
                let name = server_name(host)?;
                let stream = handshake(&config.config, &name, socket, "control connection")?;
                ControlStream::Tls(Box::new(stream))
            }
            None => ControlStream::Clear(socket),
        };
        let deadline = Deadline::with_wait(stream, options.reply_timeout, |stream, wait| {
            stream.socket().set_read_timeout(Some(wait))
        });
        let mut client = Self::start(deadline, local, peer, options)?;
        if let Some(config) = implicit {
            client.tls = Some(session(config, host)?);
        }
        Ok(client)
    }

    /// Explicit FTPS on a clear session: `AUTH TLS`, then the handshake on
    /// the control connection, the certificate checked against `host`.
    /// Unless `required`, a server that refuses `AUTH TLS` leaves the
    /// session in clear and this returns `Ok`
    /// ([`Client::control_protected`] tells).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] for a refusal when `required`, [`Error::Tls`] for a
    /// failed handshake or a server that sent more after its `234`.
    pub fn auth_tls(
        &mut self,
        host: &str,
        config: &TlsConfig,
        required: bool,
    ) -> Result<(), Error> {
        let name = server_name(host)?;
        match self.expect_line("AUTH TLS", 2) {
            Err(Error::Reply(_)) if !required => return Ok(()),
            other => other?,
        }
        if !self.control.buffered().is_empty() {
            return Err(Error::Tls(
                "the server sent more after its 234 reply to AUTH TLS, before the handshake"
                    .to_string(),
            ));
        }
        let stream = self.control.get_mut();
        let socket = stream.inner.socket_clone()?;
        let tls = handshake(&config.config, &name, socket, "control connection")?;
        stream.inner = ControlStream::Tls(Box::new(tls));
        self.tls = Some(session(config, host)?);
        Ok(())
    }

    /// `CCC` (RFC 4217 §6): the control connection goes back to clear text
    /// after both sides close TLS on it; `PROT P` stays in effect.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] when the server refuses (`502` if it has no CCC,
    /// `533` by policy), [`Error::Tls`] when the control connection is not
    /// TLS.
    pub fn ccc(&mut self) -> Result<(), Error> {
        if !self.control.get_ref().inner.is_protected() {
            return Err(Error::Tls(
                "the control connection is not protected".to_string(),
            ));
        }
        self.expect_line("CCC", 2)?;
        let stream = self.control.get_mut();
        let socket = stream.inner.socket_clone()?;
        if let ControlStream::Tls(tls) = &mut stream.inner {
            tls.conn.send_close_notify();
            tls.conn.complete_io(&mut tls.sock)?;
            // The server's close_notify ends the TLS stream (a read of 0);
            // what clear text follows it is the next reply.
            let mut sink = [0; 512];
            while tls.read(&mut sink)? > 0 {}
        }
        stream.inner = ControlStream::Clear(socket);
        Ok(())
    }

    /// Whether the control connection is protected by TLS.
    pub fn control_protected(&self) -> bool {
        self.control.get_ref().inner.is_protected()
    }
}

/// A session's TLS state for `host`, data not yet protected.
fn session(config: &TlsConfig, host: &str) -> Result<Session, Error> {
    Ok(Session {
        config: Arc::clone(&config.config),
        name: server_name(host)?,
        data: false,
    })
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

    #[test]
    fn names_and_addresses_are_server_names() {
        assert!(matches!(
            server_name("localhost"),
            Ok(ServerName::DnsName(_))
        ));
        assert!(matches!(
            server_name("127.0.0.1"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(server_name("no spaces"), Err(Error::Tls(_))));
    }
}
