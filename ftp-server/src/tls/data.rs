//! TLS on a data connection (PROT P): the server is the TLS server in
//! every mode, also on the connection it opened itself for PORT/EPRT (RFC
//! 4217 §7). [`secure_data`] runs the handshake in the session's
//! [`Scope`] and, unless turned off, requires the client to resume the
//! control connection's TLS session, as vsftpd's `require_ssl_reuse` does:
//! a third party that connected to the passive port from the client's
//! address cannot, in TLS 1.2 or 1.3, since only sessions of this control
//! connection's client resume in its scope (and in TLS 1.3 the resumed
//! session also carries the control connection's token). Nor does a
//! refused handshake give it a session to try next time: what would carry
//! one (a full TLS 1.2 handshake's last flight, TLS 1.3's tickets) is sent
//! to accepted connections only. [`DataTls`] then
//! moves the data: plaintext in and out, ciphertext on the socket, and
//! close_notify at the end (a client that leaves it out is tolerated).
//!
//! The TLS 1.3 session tickets this connection issues (a client that uses
//! each ticket once, as rustls's and OpenSSL's do, needs new ones for its
//! next data connections) go out with the first bytes the server sends:
//! with the data of a download, and only at the end of an upload, with the
//! close_notify. A client that only uploads never reads what the server
//! sends meanwhile, and when it closes with that unread, its kernel resets
//! the connection, which can lose the end of the upload (curl does so).
//!
//! What it does not do: open the data connection or decide the reply to a
//! refused one (the session's `data_tls_refused`).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use ftp_core::protocol::tls::version_name;
use rustls::{HandshakeKind, ProtocolVersion, ServerConnection};

use super::control::{flush_tls, handshake};
use super::Scope;

/// Why a protected data connection was refused.
#[derive(Debug)]
pub enum DataRefusal {
    /// The TLS handshake failed or timed out.
    Handshake(io::Error),
    /// The client did not resume the control connection's TLS session.
    NotResumed,
}

/// The TLS session of one data connection.
pub struct DataTls {
    conn: ServerConnection,
}

/// Runs the TLS handshake on `tcp` in the control session's `scope`
/// within `timeout`; with `reuse`, requires the session to resume the
/// control connection's.
pub fn secure_data(
    tcp: &TcpStream,
    scope: &Scope,
    reuse: bool,
    timeout: Duration,
) -> Result<DataTls, DataRefusal> {
    let mut conn = ServerConnection::new(Arc::clone(&scope.config))
        .map_err(|err| DataRefusal::Handshake(io::Error::other(err)))?;
    conn.set_resumption_data(&scope.token);
    handshake(&mut conn, tcp, timeout).map_err(DataRefusal::Handshake)?;
    if reuse {
        // Only this scope's sessions resume in it; rustls gives a resumed
        // session's data back in TLS 1.3 only, where the token is checked
        // too.
        let ours = conn.protocol_version() != Some(ProtocolVersion::TLSv1_3)
            || conn.received_resumption_data() == Some(&scope.token[..]);
        let resumed = conn.handshake_kind() == Some(HandshakeKind::Resumed) && ours;
        if !resumed {
            return Err(DataRefusal::NotResumed);
        }
    }
    // Accepted: a full TLS 1.2 handshake's last flight (with its ticket)
    // goes out now; TLS 1.3's tickets go with the first data.
    if conn.protocol_version() != Some(ProtocolVersion::TLSv1_3) {
        flush_tls(&mut conn, tcp).map_err(DataRefusal::Handshake)?;
    }
    Ok(DataTls { conn })
}

impl DataTls {
    /// A writer that encrypts into `out`.
    pub fn writer<'a, W: Write>(&'a mut self, out: &'a mut W) -> impl Write + 'a {
        Sending {
            conn: &mut self.conn,
            out,
        }
    }

    /// A reader that decrypts from `tcp`; the end of the TCP stream without
    /// close_notify is taken for the end of the data.
    pub fn reader<'a>(&'a mut self, tcp: &'a TcpStream) -> impl Read + 'a {
        Receiving {
            conn: &mut self.conn,
            tcp,
        }
    }

    /// The protocol version and whether the session was resumed, for the
    /// trace: `TLS 1.3 (session resumed)`.
    pub fn describe(&self) -> String {
        let version = self
            .conn
            .protocol_version()
            .map_or("TLS", |version| version_name(u16::from(version)));
        let resumed = match self.conn.handshake_kind() {
            Some(HandshakeKind::Resumed) => "session resumed",
            _ => "new session",
        };
        format!("{version} ({resumed})")
    }

    /// Sends close_notify (best effort: the client may be gone).
    pub fn close(&mut self, tcp: &TcpStream) {
        self.conn.send_close_notify();
        let _ = flush_tls(&mut self.conn, tcp);
    }
}

struct Sending<'a, W> {
    conn: &'a mut ServerConnection,
    out: &'a mut W,
}

impl<W: Write> Write for Sending<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.conn.writer().write(buf)?;
        self.flush()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(self.out)?;
        }
        self.out.flush()
    }
}

struct Receiving<'a> {
    conn: &'a mut ServerConnection,
    tcp: &'a TcpStream,
}

/// Reads and decrypts, and never writes (see the module documentation).
impl Read for Receiving<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                other => return other,
            }
            let mut tcp = self.tcp;
            self.conn.read_tls(&mut tcp)?;
            self.conn
                .process_new_packets()
                .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
        }
    }
}
