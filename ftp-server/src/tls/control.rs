//! The control connection of a TCP session, in the clear until AUTH TLS
//! (or from the first byte with implicit TLS), then through one
//! `rustls::ServerConnection` that the session's reader and the writers
//! (the session thread and the transfer thread, which sends the final
//! reply) share under a lock.
//!
//! The reader never holds the lock while it waits on the socket: it reads
//! ciphertext a TLS record at a time (never past the record it needs, so a
//! record cut by a timeout is kept for the next read), then locks to hand
//! it to rustls and take out the plaintext. A writer locks, encrypts and
//! writes. One descriptor serves both, as in the clear.
//!
//! CCC ([`ControlStream::clear`]) sends close_notify and goes back to the
//! clear: writes at once, reads once the client's close_notify has come,
//! or as soon as it sends something that is not a TLS record (a client
//! that skips its close_notify, as curl's `--ftp-ssl-ccc-mode passive`
//! does). Reading a record at a time is what makes this exact: nothing in
//! the clear after the close_notify is ever handed to rustls.
//!
//! What it does not do: read command lines or decide when to start TLS
//! (`conn` does, when the session says `Action::StartTls`).

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection};

use super::Scope;
use crate::conn::ControlRead;

/// The largest TLS record body (2^14 plaintext bytes plus expansion).
const MAX_RECORD: usize = (1 << 14) + 2048;

/// The control connection of one TCP session; clones share it.
#[derive(Clone)]
pub struct ControlStream {
    shared: Arc<Shared>,
    /// The reader's part of a record not yet complete.
    incoming: Vec<u8>,
    /// Bytes in the clear read after CCC while looking for a record.
    clear: Vec<u8>,
    /// How long one read may take in all (set by the line's deadline):
    /// records that bring no plaintext (a KeyUpdate, say) do not stretch it.
    wait: Cell<Option<Duration>>,
}

struct Shared {
    tcp: TcpStream,
    tls: Mutex<Option<Secured>>,
    /// The resumption scope of the TLS session the control connection
    /// had (kept after CCC: data connections still resume that session).
    scope: Mutex<Option<Scope>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Option<Secured>> {
        self.tls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The TLS session on the control connection.
struct Secured {
    conn: ServerConnection,
    /// CCC: our close_notify is sent, the client's is awaited.
    closing: bool,
}

impl ControlStream {
    /// A control connection on `tcp`, in the clear.
    pub fn new(tcp: TcpStream) -> ControlStream {
        ControlStream {
            shared: Arc::new(Shared {
                tcp,
                tls: Mutex::new(None),
                scope: Mutex::new(None),
            }),
            incoming: Vec::new(),
            clear: Vec::new(),
            wait: Cell::new(None),
        }
    }

    /// The client's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.shared.tcp.peer_addr()
    }

    /// Our address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.shared.tcp.local_addr()
    }

    /// Runs the TLS handshake as the server (after the 234 to AUTH TLS, or
    /// at once with implicit TLS) in a new [`Scope`] of the server's
    /// configuration `server`, giving up after `timeout`; from then on the
    /// connection is encrypted.
    pub fn start(&self, server: &ServerConfig, timeout: Duration) -> io::Result<()> {
        let scope = Scope::new(server).map_err(io::Error::other)?;
        let mut conn =
            ServerConnection::new(Arc::clone(&scope.config)).map_err(io::Error::other)?;
        conn.set_resumption_data(&scope.token);
        handshake(&mut conn, &self.shared.tcp, timeout)?;
        scope.seal();
        // The last flight or the session tickets, for the data connections
        // to resume from.
        flush_tls(&mut conn, &self.shared.tcp)?;
        *self.lock() = Some(Secured {
            conn,
            closing: false,
        });
        *self
            .shared
            .scope
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(scope);
        Ok(())
    }

    /// CCC, after its 200 went out encrypted: sends close_notify; from now
    /// on replies go in the clear (see the module documentation for reads).
    pub fn clear(&self) -> io::Result<()> {
        let mut tls = self.lock();
        let Some(secured) = tls.as_mut() else {
            return Ok(());
        };
        secured.conn.send_close_notify();
        secured.closing = true;
        flush_tls(&mut secured.conn, &self.shared.tcp)
    }

    /// The resumption scope of the control connection's TLS session, if
    /// it had one.
    pub fn scope(&self) -> Option<Scope> {
        self.shared
            .scope
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads in the clear: first what was read after CCC while looking for
    /// the client's close_notify.
    fn read_clear(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.clear.is_empty() {
            return (&self.shared.tcp).read(buf);
        }
        let n = buf.len().min(self.clear.len());
        buf[..n].copy_from_slice(&self.clear[..n]);
        self.clear.drain(..n);
        Ok(n)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Secured>> {
        self.shared.lock()
    }

    /// Reads until a whole record is in `incoming`; false at the end of
    /// the stream.
    fn read_record(&mut self) -> io::Result<bool> {
        read_record(&self.shared.tcp, &mut self.incoming)
    }
}

impl Read for ControlStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let started = Instant::now();
        loop {
            if self
                .wait
                .get()
                .is_some_and(|wait| started.elapsed() >= wait)
            {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let closing = {
                let mut tls = self.shared.lock();
                let Some(secured) = tls.as_mut() else {
                    drop(tls);
                    return self.read_clear(buf);
                };
                match secured.conn.reader().read(buf) {
                    // The client's close_notify after CCC: the clear.
                    Ok(0) if secured.closing => {
                        *tls = None;
                        continue;
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    // A client that hangs up without close_notify hangs up.
                    Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                    other => return other,
                }
                secured.closing
            };
            let complete = match self.read_record() {
                // After CCC, a client that skips its close_notify.
                Err(err) if closing && err.kind() == io::ErrorKind::InvalidData => {
                    *self.shared.lock() = None;
                    self.clear = std::mem::take(&mut self.incoming);
                    continue;
                }
                other => other?,
            };
            let mut tls = self.shared.lock();
            let Some(secured) = tls.as_mut() else {
                return Err(io::ErrorKind::InvalidData.into());
            };
            let mut record = &self.incoming[..];
            if !complete {
                // Tells rustls the stream ended.
                let _ = secured.conn.read_tls(&mut record);
                return Ok(0);
            }
            let fed = feed(&mut secured.conn, &mut record, &self.shared.tcp);
            self.incoming.clear();
            fed?;
            // What the record asks for (a KeyUpdate's answer, say).
            flush_tls(&mut secured.conn, &self.shared.tcp)?;
        }
    }
}

impl Write for ControlStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut tls = self.lock();
        match tls.as_mut() {
            None => (&self.shared.tcp).write(buf),
            Some(secured) if secured.closing => (&self.shared.tcp).write(buf),
            Some(secured) => {
                secured.conn.writer().write_all(buf)?;
                flush_tls(&mut secured.conn, &self.shared.tcp)?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        (&self.shared.tcp).flush()
    }
}

impl ControlRead for ControlStream {
    fn set_wait(&self, timeout: Duration) -> io::Result<()> {
        self.wait.set(Some(timeout));
        self.shared
            .tcp
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
    }

    fn tls(&self) -> Option<&ControlStream> {
        Some(self)
    }

    fn handle(&self) -> Option<Self> {
        Some(ControlStream {
            shared: Arc::clone(&self.shared),
            incoming: Vec::new(),
            clear: Vec::new(),
            wait: Cell::new(None),
        })
    }
}

/// Runs `conn`'s handshake on `tcp` within `timeout` as a whole, however
/// slowly the peer sends. What the server has to send once the handshake
/// is done (a full TLS 1.2 handshake's last flight, TLS 1.3's session
/// tickets) is left queued for the caller: a data connection sends it only
/// if it accepts the connection (see `scope.rs`).
pub(super) fn handshake(
    conn: &mut ServerConnection,
    tcp: &TcpStream,
    timeout: Duration,
) -> io::Result<()> {
    let until = Instant::now() + timeout;
    let mut incoming = Vec::new();
    while conn.is_handshaking() {
        if conn.wants_write() {
            flush_tls(conn, tcp)?;
            continue;
        }
        let late = || {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "the TLS handshake did not complete in time",
            )
        };
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(late());
        }
        tcp.set_read_timeout(Some(left))?;
        let read = read_record(tcp, &mut incoming).map_err(|err| match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => late(),
            _ => err,
        });
        if !read? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the client closed the connection during the TLS handshake",
            ));
        }
        let fed = feed(conn, &mut &incoming[..], tcp);
        incoming.clear();
        fed?;
    }
    Ok(())
}

/// Reads from `tcp` until `incoming` holds one whole TLS record, never
/// more; false if the stream ended first. A timeout keeps what came.
fn read_record(mut tcp: &TcpStream, incoming: &mut Vec<u8>) -> io::Result<bool> {
    loop {
        let content_type = incoming.first().is_some_and(|t| (20..=24).contains(t));
        if !incoming.is_empty() && !content_type || incoming.get(1).is_some_and(|&major| major != 3)
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not TLS: the peer sent something else than a TLS record",
            ));
        }
        let want = if incoming.len() < 5 {
            5
        } else {
            let body = usize::from(u16::from_be_bytes([incoming[3], incoming[4]]));
            if body > MAX_RECORD {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "not TLS: a record longer than TLS allows",
                ));
            }
            5 + body
        };
        if incoming.len() >= 5 && incoming.len() == want {
            return Ok(true);
        }
        let have = incoming.len();
        incoming.resize(want, 0);
        match tcp.read(&mut incoming[have..]) {
            Ok(0) => {
                incoming.truncate(have);
                return Ok(false);
            }
            Ok(n) => incoming.truncate(have + n),
            Err(err) => {
                incoming.truncate(have);
                return Err(err);
            }
        }
    }
}

/// Hands `record` to `conn` and processes it; on a TLS error, sends the
/// alert rustls queued and fails with the error. Anything else it queued
/// is left for the caller to send.
fn feed(conn: &mut ServerConnection, record: &mut &[u8], tcp: &TcpStream) -> io::Result<()> {
    while !record.is_empty() {
        if conn.read_tls(record)? == 0 {
            break;
        }
        if let Err(err) = conn.process_new_packets() {
            let _ = flush_tls(conn, tcp);
            return Err(io::Error::new(io::ErrorKind::InvalidData, err));
        }
    }
    Ok(())
}

/// Writes whatever `conn` has to send.
pub(super) fn flush_tls(conn: &mut ServerConnection, mut tcp: &TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(&mut tcp)?;
    }
    Ok(())
}
