//! Data connections for the probe, in one named mode at a time (no fallback),
//! with what the server said about them kept for the report.
//!
//! [`setup`] sends `PASV`, `EPSV`, `PORT` or `EPRT` and returns where to
//! connect or the listener to accept on; [`Pending::open`] makes the
//! connection. They are separate so that a check can send the transfer
//! command in between and watch when the `150` comes. [`transfer`] is the
//! usual sequence for downloads and listings, [`upload`] for uploads.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ftp_core::protocol::addr;
use ftp_core::protocol::data_setup::DataCommand;
use ftp_core::{Error, Phase, Reply};

use super::wire::Wire;

/// The most a probe download keeps in memory; the rest is read and dropped.
pub const KEEP_LIMIT: usize = 4 << 20;

/// The four ways of setting up a data connection, passive first.
pub const ALL_MODES: [DataCommand; 4] = [
    DataCommand::Epsv,
    DataCommand::Pasv,
    DataCommand::Eprt,
    DataCommand::Port,
];

/// A data connection set up but not yet made.
#[derive(Debug)]
pub enum Pending {
    /// Passive: connect here (the control peer's address with the server's
    /// port). `advertised` is the address of a `227` reply.
    Connect {
        /// Where the probe connects.
        addr: SocketAddr,
        /// The address the `227` reply named, for `PASV`.
        advertised: Option<SocketAddr>,
    },
    /// Active: the server connects to this listener.
    Listen(TcpListener),
}

impl Pending {
    /// Makes the connection within `timeout`: connects, or accepts a
    /// connection from `peer`'s address.
    ///
    /// # Errors
    ///
    /// A connect or accept error, or a timeout.
    pub fn open(self, peer: IpAddr, timeout: Duration) -> Result<TcpStream, Error> {
        let stream = match self {
            Pending::Connect { addr, .. } => ftp_core::io::data::connect(addr, timeout)?,
            Pending::Listen(listener) => {
                ftp_core::io::data::accept(&listener, Some(peer), timeout)?
            }
        };
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(stream)
    }
}

/// Sends the mode's command. `Ok(Err(reply))` is the server's refusal.
///
/// # Errors
///
/// A control-connection error, a reply that does not parse, or a listener
/// that could not be opened.
pub fn setup(wire: &mut Wire, mode: DataCommand) -> Result<Result<Pending, Reply>, Error> {
    let peer = wire.peer_addr();
    match mode {
        DataCommand::Pasv | DataCommand::Epsv => {
            let reply = wire.command(&mode.to_string())?;
            if !reply.code.is_completion() {
                return Ok(Err(reply));
            }
            let (port, advertised) = if mode == DataCommand::Pasv {
                let advertised = addr::parse_pasv_reply(&reply.text())?;
                (advertised.port(), Some(SocketAddr::V4(advertised)))
            } else {
                (addr::parse_epsv_reply(&reply.text())?, None)
            };
            let addr = SocketAddr::new(peer.ip(), port);
            Ok(Ok(Pending::Connect { addr, advertised }))
        }
        DataCommand::Port | DataCommand::Eprt => {
            let listener = ftp_core::io::data::listen(wire.local_addr().ip(), None)?;
            let local = listener.local_addr()?;
            let line = match (mode, local) {
                (DataCommand::Port, SocketAddr::V4(v4)) => {
                    format!("PORT {}", addr::format_host_port(v4))
                }
                _ => format!("EPRT {}", addr::format_eprt(local)),
            };
            let reply = wire.command(&line)?;
            if !reply.code.is_completion() {
                return Ok(Err(reply));
            }
            Ok(Ok(Pending::Listen(listener)))
        }
    }
}

/// A transfer that ran to its end.
#[derive(Debug)]
pub struct Transfer {
    /// The replies to the transfer command, the final one last.
    pub replies: Vec<Reply>,
    /// The bytes received (at most [`KEEP_LIMIT`]) for a download.
    pub data: Vec<u8>,
    /// All bytes moved, kept or not.
    pub count: u64,
    /// From sending the mode's command to the open data connection.
    pub opened_in: Duration,
}

impl Transfer {
    /// The final reply's code.
    pub fn code(&self) -> u16 {
        self.replies.last().map_or(0, |reply| reply.code.0)
    }
}

/// What became of a transfer command.
#[derive(Debug)]
pub enum Outcome {
    /// The server refused the mode's command or the transfer command: its reply.
    Refused(Reply),
    /// The transfer ran (its final reply may still be an error, such as `426`).
    Done(Transfer),
}

/// Sets up a data connection in `mode`, sends `command`, and reads what the
/// server sends (a download or a listing).
///
/// # Errors
///
/// A control or data connection error, or a timeout.
pub fn transfer(wire: &mut Wire, mode: DataCommand, command: &str) -> Result<Outcome, Error> {
    run(wire, mode, &[], command, receive)
}

/// Reads a data connection to its end: the first [`KEEP_LIMIT`] bytes and
/// the count of all of them.
///
/// # Errors
///
/// A read error or timeout.
pub fn receive(stream: &mut TcpStream) -> Result<(Vec<u8>, u64), Error> {
    let mut data = Vec::new();
    let mut count = 0u64;
    let mut buffer = vec![0; 64 << 10];
    loop {
        let n = stream
            .read(&mut buffer)
            .map_err(|err| Error::from_io(err, Phase::Transfer))?;
        if n == 0 {
            return Ok((data, count));
        }
        count += n as u64;
        let room = KEEP_LIMIT.saturating_sub(data.len()).min(n);
        data.extend_from_slice(&buffer[..room]);
    }
}

/// Sets up a data connection in `mode`, sends `command` (`STOR name`, ...)
/// and writes `bytes` to the server.
///
/// # Errors
///
/// As [`transfer`].
pub fn upload(
    wire: &mut Wire,
    mode: DataCommand,
    command: &str,
    bytes: &[u8],
) -> Result<Outcome, Error> {
    run(wire, mode, &[], command, |stream| {
        stream
            .write_all(bytes)
            .map_err(|err| Error::from_io(err, Phase::Transfer))?;
        Ok((Vec::new(), bytes.len() as u64))
    })
}

/// The sequence shared by [`transfer`] and [`upload`]: the mode's command,
/// the `preface` commands (such as `REST 5`, each to be answered `2xx` or
/// `3xx`), `command`; `body` moves the bytes and returns what it received
/// and how many bytes it moved.
///
/// # Errors
///
/// As [`transfer`].
pub fn run(
    wire: &mut Wire,
    mode: DataCommand,
    preface: &[&str],
    command: &str,
    body: impl FnOnce(&mut TcpStream) -> Result<(Vec<u8>, u64), Error>,
) -> Result<Outcome, Error> {
    let started = Instant::now();
    let pending = match setup(wire, mode)? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    for line in preface {
        let reply = wire.command(line)?;
        if !matches!(reply.code.class(), 2 | 3) {
            return Ok(Outcome::Refused(reply));
        }
    }
    wire.send(command)?;
    // Active mode: accept first, as the server may connect before its 150.
    // Passive mode: connect first, as some servers send the 150 only then.
    let timeout = wire.timeout();
    let peer = wire.peer_addr().ip();
    let (stream, first) = match pending {
        Pending::Listen(_) => {
            let first = wire.reply()?;
            if !first.code.is_preliminary() {
                return Ok(Outcome::Refused(first));
            }
            (pending.open(peer, timeout), Some(first))
        }
        Pending::Connect { .. } => match pending.open(peer, timeout) {
            Ok(stream) => (Ok(stream), None),
            Err(err) => {
                // A command the server refused at once (LIST of a missing
                // path: 550) may have closed its listener before we came:
                // its reply says so.
                let reply = wire.reply()?;
                if !reply.code.is_preliminary() {
                    return Ok(Outcome::Refused(reply));
                }
                return Err(err);
            }
        },
    };
    let mut stream = stream?;
    let opened_in = started.elapsed();
    let mut replies = Vec::new();
    if let Some(first) = first {
        replies.push(first);
    } else {
        let first = wire.reply()?;
        if !first.code.is_preliminary() {
            return Ok(Outcome::Refused(first));
        }
        replies.push(first);
    }
    let moved = body(&mut stream);
    drop(stream);
    replies.extend(wire.final_reply()?);
    let (data, count) = moved?;
    Ok(Outcome::Done(Transfer {
        replies,
        data,
        count,
        opened_in,
    }))
}
