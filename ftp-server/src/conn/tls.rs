//! FTPS on the control connection, built only with the `tls` feature:
//! the handshake after AUTH TLS ([`Conn::start_tls`]), back to the clear
//! after CCC ([`Conn::clear_control`]), implicit TLS
//! ([`serve_implicit`]), and TLS on a data connection
//! ([`Conn::secure_data`]).
//!
//! What it does not do: TLS itself (`crate::tls`) or decide replies (the
//! session does).

use std::io;
use std::net::TcpStream;

use ftp_core::io::line::{LineReader, DEFAULT_LINE_LIMIT};
use ftp_core::Phase;

use super::{serve_session, tcp_channel, Conn, ControlRead, Deadline, Flow, Shared};
use crate::session::Session;
use crate::tls::{secure_data, DataRefusal};
use crate::xfer::DataStream;

impl<R: ControlRead> Conn<R> {
    /// AUTH TLS was answered 234: the handshake, within the login timeout.
    /// The line reader is replaced, so nothing the client sent in the clear
    /// after AUTH is read as a command (RFC 4217 §15.3). A failed
    /// handshake ends the session.
    pub(super) fn start_tls(&mut self) -> Flow {
        let Some(tls) = &self.shared.config.tls else {
            return Flow::Stop("TLS asked for but not configured");
        };
        let control = self.reader.get_ref().inner.tls();
        let (Some(control), Some(fresh)) = (control, self.reader.get_ref().inner.handle()) else {
            return Flow::Stop("TLS asked for on a channel that cannot take it");
        };
        if let Err(err) = control.start(&tls.server, self.shared.config.login_timeout) {
            log::warn!("{}: TLS handshake failed: {err}", self.peer);
            return Flow::Stop("TLS handshake failed");
        }
        log::debug!("{}: control connection: TLS", self.peer);
        self.reader = LineReader::new(
            Deadline {
                inner: fresh,
                until: None,
            },
            DEFAULT_LINE_LIMIT,
            Phase::Command,
        );
        Flow::Continue
    }

    /// CCC was answered 200: close_notify, then the clear.
    pub(super) fn clear_control(&mut self) -> Flow {
        let Some(control) = self.reader.get_ref().inner.tls() else {
            return Flow::Stop("CCC on a channel without TLS");
        };
        match control.clear() {
            Ok(()) => {
                log::debug!("{}: control connection: in the clear (CCC)", self.peer);
                Flow::Continue
            }
            Err(_) => Flow::Stop("client gone"),
        }
    }

    /// The data connection `tcp`, with TLS on it if the session protects
    /// data (PROT P); the reply if TLS on it failed or was refused.
    pub(super) fn secure_data(&self, tcp: TcpStream) -> Result<DataStream, ftp_core::Reply> {
        let tls = match &self.shared.config.tls {
            Some(tls) if self.session.data_protected() => tls,
            _ => return Ok(DataStream::from(tcp)),
        };
        // PROT P comes after AUTH TLS: the control connection has a scope.
        let Some(scope) = self
            .reader
            .get_ref()
            .inner
            .tls()
            .and_then(|control| control.scope())
        else {
            return Err(self.session.data_tls_refused(&DataRefusal::NotResumed));
        };
        let timeout = self.shared.config.data_timeout;
        match secure_data(&tcp, &scope, tls.session_reuse, timeout) {
            Ok(secured) => {
                log::debug!("data: protected by {}", secured.describe());
                Ok(DataStream::protected(tcp, secured))
            }
            Err(refusal) => {
                match &refusal {
                    DataRefusal::NotResumed => log::warn!(
                        "{}: data connection refused: it did not resume the control \
                         connection's TLS session",
                        self.peer
                    ),
                    DataRefusal::Handshake(err) => {
                        log::warn!("{}: data connection TLS failed: {err}", self.peer);
                    }
                }
                Err(self.session.data_tls_refused(&refusal))
            }
        }
    }
}

/// Serves one client on an implicit TLS connection: the handshake first
/// (within the login timeout), then a session whose control connection
/// and data are protected from the start. A failed handshake costs this
/// session only.
pub fn serve_implicit(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let Some(tls) = &shared.config.tls else {
        return Err(io::Error::other("implicit TLS without a certificate"));
    };
    let channel = tcp_channel(stream, shared)?;
    channel
        .reader
        .start(&tls.server, shared.config.login_timeout)
        .map_err(|err| io::Error::new(err.kind(), format!("TLS handshake failed: {err}")))?;
    serve_session(channel, shared, Session::with_implicit_tls);
    Ok(())
}
