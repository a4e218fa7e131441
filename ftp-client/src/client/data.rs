//! The client's data connections: setting one up in the session's mode, the
//! transfer sequence around it, and errors that explain a connection that
//! could not be made.
//!
//! Passive mode sends `EPSV` (RFC 2428), or `PASV` once the server has refused
//! `EPSV` as unsupported, and connects to the server. The address in a `227`
//! reply is not trusted unless the options say so: the client connects to the
//! control connection's peer with the `227` port, as curl does, because a
//! server behind NAT often advertises a private address. Active mode listens on
//! the control connection's local address (OS-chosen port), sends `EPRT`, or
//! `PORT` once `EPRT` has been refused, and accepts only the server's address.
//!
//! Opening sockets is [`ftp_core::data`]'s job, moving bytes
//! [`ftp_core::transfer`]'s; this module only decides who does what, when.

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use ftp_core::{addr, Command, Reply};

use super::{expect_class, Client, DataMode, Error, Event};

/// One data connection, described for a learner: who listened and who connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataConnection {
    /// The mode it was opened in.
    pub mode: DataMode,
    /// The command that set it up: `EPSV`, `PASV`, `EPRT` or `PORT`.
    pub command: &'static str,
    /// The listening side's address: the server's in passive mode, the client's in active mode.
    pub listener: SocketAddr,
    /// The connecting side's address: the client's in passive mode, the server's in active mode.
    pub connector: SocketAddr,
}

impl fmt::Display for DataConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (listens, connects) = match self.mode {
            DataMode::Passive => ("server", "client"),
            DataMode::Active => ("client", "server"),
        };
        write!(
            f,
            "data: {} ({}) — {listens} listens on {}; {connects} connects from {}",
            self.mode, self.command, self.listener, self.connector
        )
    }
}

/// A data connection set up before the transfer command: already connected
/// (passive), or waiting for the server to connect (active).
enum Pending {
    /// Passive mode: connected to the server.
    Connected(TcpStream),
    /// Active mode: listening, announced to the server with `command`.
    Listening {
        listener: TcpListener,
        command: &'static str,
    },
}

/// Where passive mode connects, and how that address was found.
struct PassiveTarget {
    command: &'static str,
    addr: SocketAddr,
    /// True when the address is the one from a 227 reply, taken on trust.
    advertised: bool,
}

impl PassiveTarget {
    /// A data-channel error for a failed connect, naming the likely cause.
    fn failure(&self, err: &ftp_core::Error, timeout: Duration) -> Error {
        let origin = match (self.command, self.advertised) {
            ("EPSV", _) => "the server's address with the port from its 229 reply",
            (_, true) => "the address from the server's 227 reply",
            (_, false) => "the server's address with the port from its 227 reply",
        };
        let what = match err {
            ftp_core::Error::Timeout(_) => format!(
                "could not connect to {} ({origin}) within {}",
                self.addr,
                seconds(timeout)
            ),
            other => format!("could not connect to {} ({origin}): {other}", self.addr),
        };
        let cause = if self.advertised {
            "the server may be behind NAT and advertising a private address, \
             or a firewall blocks its passive ports"
        } else {
            "a firewall blocks the server's passive ports, \
             or the server's NAT does not forward them"
        };
        Error::DataChannel {
            mode: DataMode::Passive,
            command: self.command,
            cause: format!("{what} — {cause}; try active mode (-A)"),
        }
    }
}

impl<S: Read + Write> Client<S> {
    /// The transfer sequence: set up the data connection, `REST offset` (when
    /// not 0), the transfer `command`, a preliminary `1xx` reply, `body` over
    /// the data connection, close it, and the final `2xx` reply. Returns what
    /// `body` returns, the byte count.
    ///
    /// The final reply is read even when `body` failed, so the dialog stays in
    /// step; `body`'s error is then the one returned.
    pub(super) fn transfer<F>(
        &mut self,
        command: Command,
        offset: u64,
        body: F,
    ) -> Result<u64, Error>
    where
        F: FnOnce(&mut TcpStream) -> Result<u64, ftp_core::Error>,
    {
        let pending = self.prepare_data()?;
        if offset > 0 {
            self.expect(&Command::Rest(offset), 3)?;
        }
        let reply = self.command(&command)?;
        if !reply.code.is_preliminary() {
            return Err(Error::Reply(reply));
        }
        let mut stream = match self.establish(pending) {
            Ok(stream) => stream,
            Err(err) => return Err(self.after_failed_data(err)),
        };
        let moved = body(&mut stream);
        drop(stream);
        let done = self.read_reply();
        let count = moved?;
        expect_class(done?, 2)?;
        Ok(count)
    }

    /// Reads the server's reply to a data connection that was never made (a
    /// `425`), so the next command gets its own reply, and returns `err`,
    /// which says more than that reply.
    fn after_failed_data(&mut self, err: Error) -> Error {
        if let Err(read_err) = self.read_reply() {
            log_unread_reply(&read_err);
        }
        err
    }

    /// Opens (passive) or prepares (active) the data connection.
    fn prepare_data(&mut self) -> Result<Pending, Error> {
        match self.options.mode {
            DataMode::Passive => self.connect_passive().map(Pending::Connected),
            DataMode::Active => self.listen_active(),
        }
    }

    /// Passive mode: asks where the server listens and connects there.
    fn connect_passive(&mut self) -> Result<TcpStream, Error> {
        let target = self.passive_target()?;
        let timeout = self.options.data_timeout;
        let stream = ftp_core::data::connect(target.addr, timeout)
            .map_err(|err| target.failure(&err, timeout))?;
        let connection = DataConnection {
            mode: DataMode::Passive,
            command: target.command,
            listener: target.addr,
            connector: stream.local_addr()?,
        };
        self.emit(&Event::Data(&connection));
        Ok(stream)
    }

    /// `EPSV`, or `PASV` if the server does not support it (remembered).
    fn passive_target(&mut self) -> Result<PassiveTarget, Error> {
        if !self.epsv_refused {
            let reply = self.command(&Command::Epsv(None))?;
            if reply.code.is_completion() {
                let port = addr::parse_epsv_reply(&reply.text())?;
                return Ok(PassiveTarget {
                    command: "EPSV",
                    addr: SocketAddr::new(self.peer.ip(), port),
                    advertised: false,
                });
            }
            unsupported(reply)?;
            self.epsv_refused = true;
        }
        let reply = self.expect(&Command::Pasv, 2)?;
        let advertised = addr::parse_pasv_reply(&reply.text())?;
        let trust = self.options.trust_pasv_address;
        Ok(PassiveTarget {
            command: "PASV",
            addr: if trust {
                SocketAddr::V4(advertised)
            } else {
                SocketAddr::new(self.peer.ip(), advertised.port())
            },
            advertised: trust,
        })
    }

    /// Active mode: listens on the control connection's local address and
    /// tells the server where.
    fn listen_active(&mut self) -> Result<Pending, Error> {
        let listener = ftp_core::data::listen(self.local.ip(), None)?;
        let command = self.announce(listener.local_addr()?)?;
        Ok(Pending::Listening { listener, command })
    }

    /// `EPRT addr`, or `PORT addr` if the server does not support EPRT
    /// (remembered); PORT can only carry an IPv4 address.
    fn announce(&mut self, addr: SocketAddr) -> Result<&'static str, Error> {
        if !self.eprt_refused {
            let reply = self.command(&Command::Eprt(addr))?;
            if reply.code.is_completion() {
                return Ok("EPRT");
            }
            unsupported(reply)?;
            self.eprt_refused = true;
        }
        let SocketAddr::V4(addr) = addr else {
            return Err(Error::DataChannel {
                mode: DataMode::Active,
                command: "PORT",
                cause: format!(
                    "the server refused EPRT, and PORT cannot carry the IPv6 address {addr}; \
                     try passive mode (-p)"
                ),
            });
        };
        self.expect(&Command::Port(addr), 2)?;
        Ok("PORT")
    }

    /// The open data connection, after the server's preliminary reply: in
    /// active mode the server's connection is accepted now (the listen
    /// backlog holds it if the server connected before replying).
    fn establish(&mut self, pending: Pending) -> Result<TcpStream, Error> {
        let stream = match pending {
            Pending::Connected(stream) => stream,
            Pending::Listening { listener, command } => self.accept_active(&listener, command)?,
        };
        stream.set_read_timeout(Some(self.options.data_timeout))?;
        stream.set_write_timeout(Some(self.options.data_timeout))?;
        Ok(stream)
    }

    /// Active mode: waits for the server's connection (from the control
    /// connection's peer address only).
    fn accept_active(
        &mut self,
        listener: &TcpListener,
        command: &'static str,
    ) -> Result<TcpStream, Error> {
        let timeout = self.options.data_timeout;
        let local = listener.local_addr()?;
        let stream = ftp_core::data::accept(listener, Some(self.peer.ip()), timeout).map_err(
            |err| match err {
                ftp_core::Error::Timeout(_) => Error::DataChannel {
                    mode: DataMode::Active,
                    command,
                    cause: format!(
                        "the server did not connect back to {local} within {} — a firewall or \
                         NAT in front of this client blocks incoming connections; \
                         try passive mode (-p)",
                        seconds(timeout)
                    ),
                },
                other => Error::Core(other),
            },
        )?;
        let connection = DataConnection {
            mode: DataMode::Active,
            command,
            listener: local,
            connector: stream.peer_addr()?,
        };
        self.emit(&Event::Data(&connection));
        Ok(stream)
    }
}

/// `Ok` when `reply` refuses an extended command as unsupported (`500`,
/// `501`, `502`, or `522` "network protocol not supported"), so the client
/// falls back to the RFC 959 command; otherwise the reply as an error.
fn unsupported(reply: Reply) -> Result<(), Error> {
    match reply.code.0 {
        500 | 501 | 502 | 522 => Ok(()),
        _ => Err(Error::Reply(reply)),
    }
}

/// A reply that could not be read after a failed data connection; the data
/// error is reported instead, so this one is only logged.
fn log_unread_reply(err: &Error) {
    log::debug!("no reply after the failed data connection: {err}");
}

/// A duration for messages: `30 s`, `0.2 s`.
fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}
