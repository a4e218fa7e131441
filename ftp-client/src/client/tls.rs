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
//! This module sends the FTPS commands and keeps the session's TLS state;
//! whom to trust is `config`'s, the streams and handshakes are `stream`'s.
//! It does not parse URLs or options, and prints nothing: the events an
//! observer sees ([`Event::Protected`]) say what is protected.

mod config;
mod stream;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::ClientConfig;

pub use self::config::{trust, TlsConfig, SYSTEM_CA_FILES};
pub use self::stream::ControlStream;
pub(super) use self::stream::DataTls;
use self::stream::{describe, handshake, server_name};
use super::deadline::Deadline;
use super::{expect_class, resolve, Client, Error, Event, IpFamily, Options};

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

/// The TLS state of a session: the config and server name that data
/// connections use, and whether `PROT P` is in effect.
pub(super) struct Session {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    /// The control connection is TLS (until `CCC`).
    control: bool,
    /// `PROT P` accepted: data connections are TLS.
    data: bool,
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

    /// Whether the control connection is protected by TLS.
    pub fn control_protected(&self) -> bool {
        self.tls.as_ref().is_some_and(|session| session.control)
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

    /// `CCC` (RFC 4217 §5): the control connection goes back to clear text
    /// after both sides close TLS on it; `PROT P` stays in effect. A `NOOP`
    /// follows in the clear: a NAT's FTP helper (Linux's nf_conntrack_ftp)
    /// reads a command only in a packet that starts right after a line end
    /// it has seen, and the last it saw was TLS; without the `NOOP` the
    /// first `PORT`/`EPRT` after `CCC` would pass unread, its private
    /// address unrewritten (the firewall lab's FTPS scenario shows both).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] when the server refuses (`502` if it has no CCC,
    /// `533` by policy), [`Error::Tls`] when the control connection is not
    /// TLS.
    pub fn ccc(&mut self) -> Result<(), Error> {
        if !self.control_protected() {
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
        if let Some(session) = &mut self.tls {
            session.control = false;
        }
        self.expect_line("NOOP", 2)
    }
}

/// A session's TLS state for `host`, data not yet protected.
fn session(config: &TlsConfig, host: &str) -> Result<Session, Error> {
    Ok(Session {
        config: Arc::clone(&config.config),
        name: server_name(host)?,
        control: true,
        data: false,
    })
}
