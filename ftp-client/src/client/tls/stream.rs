//! The streams of an FTPS session: the control stream that is clear or TLS
//! and changes on the same socket ([`ControlStream`]), a data connection in
//! TLS, and the handshake that makes either, with its failure in one line.
//!
//! This module sends no FTP command; `AUTH TLS`, `PROT P` and `CCC` are the
//! parent module's.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use ftp_core::protocol::tls::version_name;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::error::Error;

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

    /// The stream as it now is, on a clone of the socket, so the old value
    /// can be replaced (dropping one descriptor of a socket does not close it).
    pub(super) fn socket_clone(&self) -> io::Result<TcpStream> {
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

/// The name the certificate must carry: `host` as given (a DNS name or an
/// IP address).
pub(super) fn server_name(host: &str) -> Result<ServerName<'static>, Error> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string())
        .map_err(|_| Error::Tls(format!("{host} is not a valid name for TLS")))
}

/// Runs a TLS handshake to the end on `socket`; `what` names the connection
/// in errors.
pub(super) fn handshake(
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
pub(super) fn describe(connection: &ClientConnection) -> String {
    let version = connection
        .protocol_version()
        .map_or("TLS", |version| version_name(u16::from(version)));
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
pub(in crate::client) struct DataTls(pub(super) Box<StreamOwned<ClientConnection, TcpStream>>);

impl DataTls {
    /// Sends close_notify and waits for the server's (or its close), so an
    /// upload's end is unmistakable and session tickets sent on this
    /// connection reach the shared store. Failures are left to the final
    /// reply to judge: a server that closed first has seen all it needs.
    pub(in crate::client) fn finish(&mut self) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
