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
//! Opening sockets is [`ftp_core::io::data`]'s job, moving bytes
//! [`ftp_core::io::transfer`]'s; this module only decides who does what, when.
//! The words are ftp-core's too ([`ftp_core::protocol::data_setup`]): the
//! `--explain` line ([`DataConnection`]) and the likely cause of a failure
//! ([`Cause`], as this client tells it); the remedy (`-p`, `-A`) is added here.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use ftp_core::protocol::addr;
use ftp_core::protocol::data_setup::{Cause, DataCommand, DataConnection, Side};
use ftp_core::{Command, Reply};

use super::abort::Watched;
use super::{expect_class, AbortHandle, Client, DataMode, Error, Event};

/// How long a server has, after `ABOR`, to end an aborted transfer itself
/// before the client closes the data connection.
const ABOR_GRACE: Duration = Duration::from_secs(1);

/// A data connection set up before the transfer command: already connected
/// (passive), or waiting for the server to connect (active).
enum Pending {
    /// Passive mode: connected to the server.
    Connected(TcpStream),
    /// Active mode: listening, announced to the server with `command`.
    Listening {
        listener: TcpListener,
        command: DataCommand,
    },
}

/// An open data connection: the socket, or TLS over it after `PROT P`.
pub(super) enum DataStream {
    /// Clear text.
    Clear(TcpStream),
    /// FTPS: TLS, with this client as the TLS client.
    #[cfg(feature = "tls")]
    Tls(super::tls::DataTls),
}

impl DataStream {
    /// Ends the data the way its protocol does: close_notify for TLS,
    /// nothing more for a socket (dropping it closes it).
    fn finish(&mut self) {
        match self {
            DataStream::Clear(_) => {}
            #[cfg(feature = "tls")]
            DataStream::Tls(tls) => tls.finish(),
        }
    }
}

impl Read for DataStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            DataStream::Clear(socket) => socket.read(buf),
            #[cfg(feature = "tls")]
            DataStream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for DataStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            DataStream::Clear(socket) => socket.write(buf),
            #[cfg(feature = "tls")]
            DataStream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            DataStream::Clear(socket) => socket.flush(),
            #[cfg(feature = "tls")]
            DataStream::Tls(tls) => tls.flush(),
        }
    }
}

/// Where passive mode connects, and how that address was found.
struct PassiveTarget {
    command: DataCommand,
    addr: SocketAddr,
    /// True when the address is the one from a 227 reply, taken on trust.
    advertised: bool,
}

impl PassiveTarget {
    /// A data-channel error for a failed connect, naming the likely cause.
    fn failure(&self, err: &ftp_core::Error, timeout: Duration) -> Error {
        let origin = match (self.command, self.advertised) {
            (DataCommand::Epsv, _) => "the server's address with the port from its 229 reply",
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
        let likely = if self.advertised {
            Cause::PrivateAddressAdvertised
        } else {
            Cause::ServerBlocksPassive
        };
        data_channel(self.command, Some(likely), what, "try active mode (-A)")
    }
}

impl<S: Read + Write> Client<S> {
    /// The transfer sequence: set up the data connection, `REST offset` (when
    /// not 0), the transfer `command`, a preliminary `1xx` reply, `body` over
    /// the data connection, close it, and the final `2xx` reply. Returns what
    /// `body` returns, the byte count.
    ///
    /// The final reply is read even when `body` failed, so the dialog stays in
    /// step; `body`'s error is then the one returned. A transfer that the
    /// session's [`AbortHandle`] stops sends `ABOR` and reads its reply too
    /// (see [`super::abort`]).
    pub(super) fn transfer<F>(
        &mut self,
        command: Command,
        offset: u64,
        body: F,
    ) -> Result<u64, Error>
    where
        F: FnOnce(&mut Watched<DataStream>) -> Result<u64, ftp_core::Error>,
    {
        let pending = self.prepare_data()?;
        if offset > 0 {
            self.expect(&Command::Rest(offset), 3)?;
        }
        let reply = self.command(&command)?;
        if !reply.code.is_preliminary() {
            return Err(Error::Reply(reply));
        }
        let abort = self.abort.clone();
        let established = self.establish(pending, abort.as_ref());
        let requested = || abort.as_ref().is_some_and(AbortHandle::requested);
        let mut stream = match established {
            Ok(stream) => stream,
            Err(err) => {
                unwatch(abort.as_ref());
                let err = self.after_failed_data(err);
                // An abort cuts a TLS handshake short: no transfer to abort.
                return Err(if requested() { Error::Aborted } else { err });
            }
        };
        let moved = body(&mut Watched::new(&mut stream, abort.as_ref()));
        if requested() {
            let aborted = self.after_abort(stream);
            unwatch(abort.as_ref());
            return aborted;
        }
        if moved.is_ok() {
            stream.finish();
        }
        drop(stream);
        unwatch(abort.as_ref());
        let done = self.read_reply();
        let count = moved?;
        expect_class(done?, 2)?;
        Ok(count)
    }

    /// Ends a transfer that the session's [`AbortHandle`] stopped: `ABOR`
    /// while the data connection is still open, then the transfer's final
    /// reply (`426`, or `226` when it had just ended), whatever it says,
    /// and the `ABOR`'s.
    ///
    /// A server that reads `ABOR` during the transfer closes the data
    /// connection and answers at once; only then is it closed here, so
    /// that no server takes the end of an upload for the end of the file.
    /// A server that does not (vsftpd looks for `ABOR` during a transfer
    /// only after urgent data, which std cannot send) has the data
    /// connection closed under it after [`ABOR_GRACE`], and then answers.
    fn after_abort(&mut self, stream: DataStream) -> Result<u64, Error> {
        self.send_abor()?;
        let done = match self.read_reply_within(ABOR_GRACE) {
            Err(Error::ReplyDeadline { .. }) => {
                drop(stream);
                self.read_reply()
            }
            other => other,
        };
        done?;
        self.read_abor_reply()?;
        Err(Error::Aborted)
    }

    /// Reads the server's reply to a data connection that was never made (a
    /// `425`), so the next command gets its own reply, and returns `err`,
    /// which says more than that reply. An error reading that reply is
    /// dropped for `err`; a control connection that is broken fails the next
    /// command with its own error.
    fn after_failed_data(&mut self, err: Error) -> Error {
        let _ = self.read_reply();
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
        let stream = ftp_core::io::data::connect(target.addr, timeout)
            .map_err(|err| target.failure(&err, timeout))?;
        let connection = DataConnection {
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
                    command: DataCommand::Epsv,
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
            command: DataCommand::Pasv,
            addr: if trust {
                SocketAddr::V4(advertised)
            } else {
                SocketAddr::new(self.peer.ip(), advertised.port())
            },
            advertised: trust,
        })
    }

    /// Why the server may refuse the address this client announces: it is
    /// behind NAT, and over TLS the NAT's FTP helper cannot rewrite it.
    fn behind_nat(&self) -> Cause {
        #[cfg(feature = "tls")]
        if self.control_protected() {
            return Cause::ClientBehindNatOverTls;
        }
        Cause::ClientBehindNat
    }

    /// Active mode: listens on the control connection's local address and
    /// tells the server where.
    fn listen_active(&mut self) -> Result<Pending, Error> {
        let listener = ftp_core::io::data::listen(self.local.ip(), None)?;
        let command = self.announce(listener.local_addr()?)?;
        Ok(Pending::Listening { listener, command })
    }

    /// `EPRT addr`, or `PORT addr` if the server does not support EPRT
    /// (remembered); PORT can only carry an IPv4 address.
    fn announce(&mut self, addr: SocketAddr) -> Result<DataCommand, Error> {
        if !self.eprt_refused {
            let reply = self.command(&Command::Eprt(addr))?;
            if reply.code.is_completion() {
                return Ok(DataCommand::Eprt);
            }
            unsupported(reply)?;
            self.eprt_refused = true;
        }
        let SocketAddr::V4(addr) = addr else {
            let what =
                format!("the server refused EPRT, and PORT cannot carry the IPv6 address {addr}");
            return Err(data_channel(DataCommand::Port, None, what, TRY_PASSIVE));
        };
        let behind_nat = self.behind_nat();
        self.expect(&Command::Port(addr), 2)
            .map_err(|err| refused_address(err, addr, behind_nat))?;
        Ok(DataCommand::Port)
    }

    /// The open data connection, after the server's preliminary reply: in
    /// active mode the server's connection is accepted now (the listen
    /// backlog holds it if the server connected before replying). `abort`
    /// watches it from now on.
    fn establish(
        &mut self,
        pending: Pending,
        abort: Option<&AbortHandle>,
    ) -> Result<DataStream, Error> {
        let stream = match pending {
            Pending::Connected(stream) => stream,
            Pending::Listening { listener, command } => self.accept_active(&listener, command)?,
        };
        if let Some(abort) = abort {
            // Before the TLS handshake, which an abort cuts short too.
            abort.watch(&stream)?;
        }
        stream.set_read_timeout(Some(self.options.data_timeout))?;
        stream.set_write_timeout(Some(self.options.data_timeout))?;
        self.wrap_data(stream)
    }

    /// The data connection as the session protects it: in TLS after
    /// `PROT P` (FTPS), else as it is.
    fn wrap_data(&mut self, socket: TcpStream) -> Result<DataStream, Error> {
        #[cfg(feature = "tls")]
        return self.protect_data(socket);
        #[cfg(not(feature = "tls"))]
        Ok(DataStream::Clear(socket))
    }

    /// Active mode: waits for the server's connection (from the control
    /// connection's peer address only).
    fn accept_active(
        &mut self,
        listener: &TcpListener,
        command: DataCommand,
    ) -> Result<TcpStream, Error> {
        let timeout = self.options.data_timeout;
        let local = listener.local_addr()?;
        let stream =
            ftp_core::io::data::accept(listener, Some(self.peer.ip()), timeout).map_err(|err| {
                match err {
                    ftp_core::Error::Timeout(_) => {
                        let what = format!(
                            "the server did not connect back to {local} within {}",
                            seconds(timeout)
                        );
                        let likely = Some(Cause::ClientBlocksIncoming);
                        data_channel(command, likely, what, TRY_PASSIVE)
                    }
                    other => Error::Core(other),
                }
            })?;
        let connection = DataConnection {
            command,
            listener: local,
            connector: stream.peer_addr()?,
        };
        self.emit(&Event::Data(&connection));
        Ok(stream)
    }
}

/// The transfer's data connection is closed: `abort` has nothing more to wake.
fn unwatch(abort: Option<&AbortHandle>) {
    if let Some(abort) = abort {
        abort.unwatch();
    }
}

/// A `501` to PORT: the server refused the address the client announced,
/// which behind NAT is not the address the server sees; explained as
/// `behind_nat`.
fn refused_address(err: Error, addr: std::net::SocketAddrV4, behind_nat: Cause) -> Error {
    match err {
        Error::Reply(reply) if reply.code.0 == 501 => {
            let what = format!(
                "the server refused the address {addr} this client announced ({})",
                reply.text()
            );
            let remedy = match behind_nat {
                Cause::ClientBehindNatOverTls => TRY_PASSIVE_OR_CCC,
                _ => TRY_PASSIVE,
            };
            data_channel(DataCommand::Port, Some(behind_nat), what, remedy)
        }
        other => other,
    }
}

/// The remedy for a failure in active mode.
const TRY_PASSIVE: &str = "try passive mode (-p)";

/// The remedy for an address refused over TLS: passive mode, or `CCC`, so
/// that the NAT's FTP helper can read and rewrite `PORT`.
const TRY_PASSIVE_OR_CCC: &str =
    "try passive mode (-p), or ccc after login so that the NAT's FTP helper can read PORT";

/// A data-channel error: `what` failed, the likely cause as this client
/// tells it (ftp-core's words), then the `remedy`.
fn data_channel(command: DataCommand, likely: Option<Cause>, what: String, remedy: &str) -> Error {
    let detail = match likely {
        Some(cause) => format!("{what} — {}; {remedy}", cause.explanation(Side::Client)),
        None => format!("{what}; {remedy}"),
    };
    Error::DataChannel {
        command,
        likely,
        detail,
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

/// A duration for messages: `30 s`, `0.2 s`.
fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io;
    use std::rc::Rc;

    use super::super::canned::{
        active_peer, passive_peer, passive_peer_on, session, session_at, session_opts,
        wait_for_address, Canned, V6,
    };
    use super::super::{Client, EntryKind, Options, Representation};
    use super::*;

    fn epsv(port: u16) -> String {
        format!("229 Entering Extended Passive Mode (|||{port}|)\r\n")
    }

    fn active() -> Options {
        Options {
            mode: DataMode::Active,
            ..Options::default()
        }
    }

    /// Records the data connections the client reports.
    fn watch_data(client: &mut Client<Canned>) -> Rc<RefCell<Vec<DataConnection>>> {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&seen);
        client.set_observer(Box::new(move |event: &Event| {
            if let Event::Data(connection) = event {
                log.borrow_mut().push(**connection);
            }
        }));
        seen
    }

    fn download(client: &mut Client<Canned>, path: &str) -> Result<(Vec<u8>, u64), Error> {
        let mut out = Vec::new();
        let count = client.retr(path, &mut out, 0, None)?;
        Ok((out, count))
    }

    fn reply_code(err: Error) -> u16 {
        match err {
            Error::Reply(reply) => reply.code.0,
            other => panic!("expected a reply error, got {other}"),
        }
    }

    #[test]
    fn passive_retr_over_epsv() {
        let (port, peer) = passive_peer(b"one\r\ntwo\r\n");
        let script = format!("200 Binary\r\n{}150 Opening\r\n226 Done\r\n", epsv(port));
        let (mut client, sent) = session(script.as_bytes());
        let seen = watch_data(&mut client);
        client.set_type(Representation::Binary).expect("TYPE I");
        let (data, count) = download(&mut client, "f.txt").expect("retr");
        assert_eq!((data.as_slice(), count), (&b"one\r\ntwo\r\n"[..], 10));
        assert_eq!(sent.text(), "TYPE I\r\nEPSV\r\nRETR f.txt\r\n");
        assert_eq!(peer.join().expect("peer"), b"");
        let seen = seen.borrow();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            (seen[0].mode(), seen[0].command),
            (DataMode::Passive, DataCommand::Epsv)
        );
        assert_eq!(seen[0].listener, SocketAddr::from(([127, 0, 0, 1], port)));
        assert_eq!(
            seen[0].to_string(),
            format!(
                "data: passive (EPSV) — server listens on 127.0.0.1:{port}; \
                 client connects from {}",
                seen[0].connector
            )
        );
    }

    #[test]
    fn ascii_retr_converts_line_ends() {
        let (port, peer) = passive_peer(b"one\r\ntwo\r\n");
        let script = format!("{}150 Opening\r\n226 Done\r\n", epsv(port));
        let (mut client, _) = session(script.as_bytes());
        let (data, count) = download(&mut client, "f.txt").expect("retr");
        assert_eq!((data.as_slice(), count), (&b"one\ntwo\n"[..], 10));
        peer.join().expect("peer");
    }

    #[test]
    fn retr_with_an_offset_sends_rest_first() {
        let (port, peer) = passive_peer(b"6789");
        let script = format!(
            "{}350 Restarting at 6\r\n150 Opening\r\n226 Done\r\n",
            epsv(port)
        );
        let (mut client, sent) = session(script.as_bytes());
        let mut out = Vec::new();
        assert_eq!(client.retr("f", &mut out, 6, None).expect("retr"), 4);
        assert_eq!(out, b"6789");
        assert_eq!(sent.text(), "EPSV\r\nREST 6\r\nRETR f\r\n");
        peer.join().expect("peer");
    }

    #[test]
    fn a_missing_file_is_the_servers_550_and_the_session_goes_on() {
        let (port, peer) = passive_peer(b"");
        let script = format!("{}550 No such file\r\n200 OK\r\n", epsv(port));
        let (mut client, sent) = session(script.as_bytes());
        assert_eq!(
            reply_code(download(&mut client, "nope").expect_err("550")),
            550
        );
        client.noop().expect("next command");
        assert_eq!(sent.text(), "EPSV\r\nRETR nope\r\nNOOP\r\n");
        assert_eq!(peer.join().expect("peer"), b"");
    }

    #[test]
    fn a_failed_local_write_is_reported_after_the_final_reply() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let (port, peer) = passive_peer(b"data");
        let script = format!("{}150 Opening\r\n426 Aborted\r\n200 OK\r\n", epsv(port));
        let (mut client, _) = session(script.as_bytes());
        let err = client
            .retr("f", &mut Full, 0, None)
            .expect_err("write fails");
        assert_eq!(err.to_string(), "disk full");
        client
            .noop()
            .expect("the 426 was read, the next reply is NOOP's");
        peer.join().expect("peer");
    }

    #[test]
    fn a_stalled_transfer_times_out_and_the_session_goes_on() {
        // A data peer that connects but never sends and never closes.
        let listener = ftp_core::io::data::listen([127, 0, 0, 1].into(), None).expect("listen");
        let port = listener.local_addr().expect("address").port();
        let peer = std::thread::spawn(move || {
            let mut stream = ftp_core::io::data::accept(&listener, None, Duration::from_secs(5))
                .expect("accept");
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            let mut rest = Vec::new();
            stream.read_to_end(&mut rest).map(|_| rest)
        });
        let script = format!("{}150 Opening\r\n426 Aborted\r\n200 OK\r\n", epsv(port));
        let options = Options {
            data_timeout: Duration::from_millis(200),
            ..Options::default()
        };
        let (mut client, _) = session_opts(script.as_bytes(), options);
        let err = download(&mut client, "f").expect_err("stalls");
        assert!(
            matches!(
                err,
                Error::Core(ftp_core::Error::Timeout(ftp_core::Phase::Transfer))
            ),
            "{err}"
        );
        client
            .noop()
            .expect("the 426 was read, the next reply is NOOP's");
        let rest = peer
            .join()
            .expect("peer")
            .expect("the client closed the connection");
        assert!(rest.is_empty());
    }

    #[test]
    fn stor_sends_the_input_with_progress() {
        let (port, peer) = passive_peer(b"");
        let script = format!("200 Binary\r\n{}150 Opening\r\n226 Stored\r\n", epsv(port));
        let (mut client, sent) = session(script.as_bytes());
        client.set_type(Representation::Binary).expect("TYPE I");
        let mut counts = Vec::new();
        let mut progress = |n: u64| counts.push(n);
        let count = client
            .stor("up.bin", &mut &b"payload"[..], 0, Some(&mut progress))
            .expect("stor");
        assert_eq!(count, 7);
        assert_eq!(counts.last(), Some(&7));
        assert_eq!(peer.join().expect("peer"), b"payload");
        assert_eq!(sent.text(), "TYPE I\r\nEPSV\r\nSTOR up.bin\r\n");
    }

    #[test]
    fn appe_appends_in_ascii() {
        let (port, peer) = passive_peer(b"");
        let script = format!("{}125 Already open\r\n226 Appended\r\n", epsv(port));
        let (mut client, sent) = session(script.as_bytes());
        let count = client
            .appe("log.txt", &mut &b"a\nb\n"[..], None)
            .expect("appe");
        assert_eq!(count, 6);
        assert_eq!(peer.join().expect("peer"), b"a\r\nb\r\n");
        assert_eq!(sent.text(), "EPSV\r\nAPPE log.txt\r\n");
    }

    #[test]
    fn a_refused_epsv_falls_back_to_pasv_for_the_session() {
        let (first, peer1) = passive_peer(b"file");
        let (second, peer2) = passive_peer(b"a\r\nb\r\n");
        // A private address: the client uses the control peer's address instead.
        let script = format!(
            "500 EPSV not understood\r\n\
             227 Entering Passive Mode (10,0,0,5,{},{}).\r\n150 Opening\r\n226 Done\r\n\
             227 Entering Passive Mode 10,0,0,5,{},{}\r\n150 Opening\r\n226 Done\r\n",
            first >> 8,
            first & 0xff,
            second >> 8,
            second & 0xff
        );
        let (mut client, sent) = session(script.as_bytes());
        let seen = watch_data(&mut client);
        assert_eq!(download(&mut client, "f").expect("retr").0, b"file");
        assert_eq!(client.nlst(None).expect("nlst"), ["a", "b"]);
        assert_eq!(sent.text(), "EPSV\r\nPASV\r\nRETR f\r\nPASV\r\nNLST\r\n");
        let seen = seen.borrow();
        assert_eq!(seen[0].listener, SocketAddr::from(([127, 0, 0, 1], first)));
        assert_eq!(
            (seen[1].command, seen[1].listener.port()),
            (DataCommand::Pasv, second)
        );
        peer1.join().expect("peer");
        peer2.join().expect("peer");
    }

    #[test]
    fn extended_commands_off_go_straight_to_pasv_and_on_again_try_epsv() {
        let (first, peer1) = passive_peer(b"a\r\n");
        let (second, peer2) = passive_peer(b"b\r\n");
        let script = format!(
            "227 Entering Passive Mode (127,0,0,1,{},{}).\r\n150 Opening\r\n226 Done\r\n{}\
             150 Opening\r\n226 Done\r\n",
            first >> 8,
            first & 0xff,
            epsv(second)
        );
        let (mut client, sent) = session(script.as_bytes());
        client.set_extended(false);
        assert_eq!(client.nlst(None).expect("nlst"), ["a"]);
        client.set_extended(true);
        assert_eq!(client.nlst(None).expect("nlst"), ["b"]);
        assert_eq!(sent.text(), "PASV\r\nNLST\r\nEPSV\r\nNLST\r\n");
        peer1.join().expect("peer");
        peer2.join().expect("peer");
    }

    #[test]
    fn the_227_formats_seen_in_the_wild_work_when_trusted() {
        let formats = [
            "227 Entering Passive Mode (127,0,0,1,{p1},{p2}).",
            "227 Entering Passive Mode (127,0,0,1,{p1},{p2})",
            "227 Entering Passive Mode 127,0,0,1,{p1},{p2}",
            "227 Entering Passive Mode=127,0,0,1,{p1},{p2}",
            "227 ok (127,0,0,1,{p1},{p2}) from 10,1,2,3",
        ];
        for format in formats {
            let (port, peer) = passive_peer(b"x");
            let reply = format
                .replace("{p1}", &(port >> 8).to_string())
                .replace("{p2}", &(port & 0xff).to_string());
            let script = format!("502 No EPSV\r\n{reply}\r\n150 Opening\r\n226 Done\r\n");
            let options = Options {
                trust_pasv_address: true,
                ..Options::default()
            };
            let (mut client, _) = session_opts(script.as_bytes(), options);
            let result = download(&mut client, "f");
            assert_eq!(result.expect(&reply).0, b"x", "{reply}");
            peer.join().expect("peer");
        }
    }

    #[test]
    fn a_trusted_227_address_that_refuses_explains_nat() {
        let port = closed_port();
        let script = format!(
            "522 Use PASV\r\n227 Entering Passive Mode (127,0,0,1,{},{}).\r\n",
            port >> 8,
            port & 0xff
        );
        let options = Options {
            trust_pasv_address: true,
            ..Options::default()
        };
        let (mut client, sent) = session_opts(script.as_bytes(), options);
        let err = download(&mut client, "f").expect_err("nobody listens");
        let text = err.to_string();
        let start = format!(
            "passive mode: could not connect to 127.0.0.1:{port} \
             (the address from the server's 227 reply): "
        );
        assert!(text.starts_with(&start), "{text}");
        assert!(
            text.ends_with(
                " — the server may be behind NAT and advertising a private address, \
                 or a firewall blocks its passive ports; try active mode (-A)"
            ),
            "{text}"
        );
        assert!(matches!(
            err,
            Error::DataChannel {
                command: DataCommand::Pasv,
                likely: Some(Cause::PrivateAddressAdvertised),
                ..
            }
        ));
        assert_eq!(sent.text(), "EPSV\r\nPASV\r\n");
    }

    #[test]
    fn an_epsv_port_that_refuses_blames_a_firewall() {
        let port = closed_port();
        let (mut client, sent) = session(epsv(port).as_bytes());
        let text = download(&mut client, "f").expect_err("refused").to_string();
        assert!(text.starts_with(&format!(
            "passive mode: could not connect to 127.0.0.1:{port} \
             (the server's address with the port from its 229 reply): "
        )));
        assert!(text.ends_with(
            " — a firewall blocks the server's passive ports, \
             or the server's NAT does not forward them; try active mode (-A)"
        ));
        assert_eq!(sent.text(), "EPSV\r\n");
    }

    #[test]
    fn a_passive_connect_timeout_names_the_wait() {
        let target = PassiveTarget {
            command: DataCommand::Pasv,
            addr: SocketAddr::from(([10, 0, 0, 5], 50001)),
            advertised: true,
        };
        let timeout = ftp_core::Error::Timeout(ftp_core::Phase::Connect);
        assert_eq!(
            target
                .failure(&timeout, Duration::from_secs(30))
                .to_string(),
            "passive mode: could not connect to 10.0.0.5:50001 (the address from the \
             server's 227 reply) within 30 s — the server may be behind NAT and advertising \
             a private address, or a firewall blocks its passive ports; try active mode (-A)"
        );
    }

    #[test]
    fn an_epsv_error_that_is_not_unsupported_stops() {
        let (mut client, sent) = session(b"421 Timeout\r\n");
        assert_eq!(
            reply_code(download(&mut client, "f").expect_err("421")),
            421
        );
        assert_eq!(sent.text(), "EPSV\r\n");
    }

    #[test]
    fn a_malformed_229_is_a_syntax_error() {
        let (mut client, _) = session(b"229 Entering Extended Passive Mode\r\n");
        let err = download(&mut client, "f").expect_err("no port");
        assert!(matches!(err, Error::Core(ftp_core::Error::Syntax { .. })));
    }

    #[test]
    fn active_retr_over_eprt() {
        let script = b"200 EPRT ok\r\n150 Opening\r\n226 Done\r\n";
        let (mut client, sent) = session_opts(script, active());
        let seen = watch_data(&mut client);
        let peer = active_peer(&sent, 0, b"active data");
        assert_eq!(download(&mut client, "f").expect("retr").0, b"active data");
        assert_eq!(peer.join().expect("peer"), b"");
        let listened = wait_for_address(&sent, 0);
        assert_eq!(
            sent.text(),
            format!("EPRT |1|127.0.0.1|{}|\r\nRETR f\r\n", listened.port())
        );
        let seen = seen.borrow();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0].to_string(),
            format!(
                "data: active (EPRT) — client listens on {listened}; server connects from {}",
                seen[0].connector
            )
        );
    }

    #[test]
    fn a_refused_eprt_falls_back_to_port_for_the_session() {
        let script = b"500 EPRT?\r\n200 PORT ok\r\n150 Opening\r\n226 Done\r\n\
                       200 PORT ok\r\n150 Opening\r\n226 Done\r\n";
        let (mut client, sent) = session_opts(script, active());
        let first = active_peer(&sent, 1, b"");
        let second = active_peer(&sent, 2, b"");
        client.stor("a", &mut &b"one"[..], 0, None).expect("stor");
        client.stor("b", &mut &b"two"[..], 0, None).expect("stor");
        assert_eq!(first.join().expect("peer"), b"one");
        assert_eq!(second.join().expect("peer"), b"two");
        let verbs: Vec<String> = sent
            .text()
            .lines()
            .map(|line| line.split(' ').next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(verbs, ["EPRT", "PORT", "STOR", "PORT", "STOR"]);
    }

    #[test]
    fn a_port_refused_for_its_address_explains_nat() {
        let script = b"500 EPRT?\r\n501 PORT refused: not the client's address\r\n";
        let (mut client, sent) = session_opts(script, active());
        let err = download(&mut client, "f").expect_err("refused");
        let announced = wait_for_address(&sent, 1);
        assert_eq!(
            err.to_string(),
            format!(
                "active mode: the server refused the address {announced} this client announced \
                 (PORT refused: not the client's address) — behind NAT the server sees another \
                 address, and a NAT without an FTP helper does not let the server connect in; \
                 try passive mode (-p)"
            )
        );
        assert!(matches!(
            err,
            Error::DataChannel {
                command: DataCommand::Port,
                likely: Some(Cause::ClientBehindNat),
                ..
            }
        ));
    }

    #[test]
    fn port_cannot_carry_an_ipv6_address() {
        let (mut client, _) = session(b"");
        client.eprt_refused = true;
        let err = client
            .announce("[::1]:40001".parse().expect("address"))
            .expect_err("IPv6");
        assert_eq!(
            err.to_string(),
            "active mode: the server refused EPRT, and PORT cannot carry the IPv6 address \
             [::1]:40001; try passive mode (-p)"
        );
    }

    #[test]
    fn a_server_that_never_connects_back_is_explained() {
        let script = b"200 EPRT ok\r\n150 Opening\r\n425 No data connection\r\n200 OK\r\n";
        let options = Options {
            data_timeout: Duration::from_millis(200),
            ..active()
        };
        let (mut client, sent) = session_opts(script, options);
        let err = download(&mut client, "f").expect_err("nobody connects");
        let listened = wait_for_address(&sent, 0);
        assert_eq!(
            err.to_string(),
            format!(
                "active mode: the server did not connect back to {listened} within 0.2 s — \
                 a firewall or NAT in front of this client blocks incoming connections; \
                 try passive mode (-p)"
            )
        );
        client
            .noop()
            .expect("the 425 was read, the next reply is NOOP's");
    }

    #[test]
    fn list_to_streams_the_listing_with_lf_line_ends() {
        let (port, peer) =
            passive_peer(b"-rw-r--r-- 1 ftp ftp 3 Jan 02 2024 a\r\nb\x1b]0;t\x07\r\n");
        let script = format!("{}150 Here\r\n226 Done\r\n", epsv(port));
        let (mut client, sent) = session(script.as_bytes());
        let mut out = Vec::new();
        client.list_to(None, &mut out).expect("list");
        peer.join().expect("peer");
        // The bytes are the server's: escaping is the program's business.
        assert_eq!(
            out,
            b"-rw-r--r-- 1 ftp ftp 3 Jan 02 2024 a\nb\x1b]0;t\x07\n"
        );
        assert!(sent.text().ends_with("LIST\r\n"));
    }

    #[test]
    fn a_listing_held_in_memory_stops_at_the_limit() {
        let huge = b"x\n".repeat(super::super::LISTING_LIMIT / 2);
        let (port, peer) = passive_peer(&huge);
        let script = format!("{}150 Here\r\n426 Aborted\r\n", epsv(port));
        let (mut client, _) = session(script.as_bytes());
        let err = client.nlst(None).expect_err("too long");
        peer.join().expect("peer");
        assert!(matches!(err, Error::ListingTooLong { .. }), "{err}");
        assert!(err.to_string().contains("the server sent more"), "{err}");
    }

    #[test]
    fn list_returns_raw_lines_and_entries_parses_them() {
        let listing = b"total 8\r\n-rw-r--r--   1 ftp ftp    3 Jan 02  2024 a.txt\r\n\
                        drwxr-xr-x   2 ftp ftp 4096 Jan 02  2024 sub\r\n";
        let (first, peer1) = passive_peer(listing);
        let (second, peer2) = passive_peer(listing);
        let script = format!(
            "{}150 Here\r\n226 Done\r\n211-Features:\r\n SIZE\r\n211 End\r\n\
             {}150 Here\r\n226 Done\r\n",
            epsv(first),
            epsv(second)
        );
        let (mut client, sent) = session(script.as_bytes());
        assert_eq!(client.list(Some("/pub")).expect("list").len(), 3);
        let entries = client.entries(None).expect("entries");
        let names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
        assert_eq!(names, [&b"a.txt"[..], b"sub"]);
        assert_eq!(
            (entries[0].kind, entries[0].size),
            (EntryKind::File, Some(3))
        );
        assert_eq!(entries[1].kind, EntryKind::Dir);
        assert_eq!(sent.text(), "EPSV\r\nLIST /pub\r\nFEAT\r\nEPSV\r\nLIST\r\n");
        peer1.join().expect("peer");
        peer2.join().expect("peer");
    }

    #[test]
    fn entries_uses_mlsd_when_the_server_has_mlst() {
        let listing = b"type=cdir;perm=el; /pub\r\ntype=pdir;perm=el; /\r\n\
                        type=file;size=12;modify=20240102030405; notes.txt\r\n";
        let (port, peer) = passive_peer(listing);
        let script = format!(
            "211-Features:\r\n MLST type*;size*;modify*;\r\n211 End\r\n{}150 Here\r\n226 Done\r\n",
            epsv(port)
        );
        let (mut client, sent) = session(script.as_bytes());
        let entries = client.entries(Some("/pub")).expect("entries");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].name, b"notes.txt");
        assert_eq!(entries[0].size, Some(12));
        assert_eq!(sent.text(), "FEAT\r\nEPSV\r\nMLSD /pub\r\n");
        peer.join().expect("peer");
    }

    #[test]
    fn entries_in_lists_a_directory_named_by_bytes() {
        let listing = b"type=file;size=1;modify=20240102030405; x\r\n";
        let (port, peer) = passive_peer(listing);
        let script = format!(
            "211-Features:\r\n MLST type*;\r\n211 End\r\n{}150 Here\r\n226 Done\r\n",
            epsv(port)
        );
        let (mut client, sent) = session(script.as_bytes());
        let entries = client.entries_in(b"/caf\xe9 d").expect("entries");
        assert_eq!(entries[0].name, b"x");
        let sent = sent.bytes();
        assert_eq!(sent, b"FEAT\r\nEPSV\r\nMLSD /caf\xe9 d\r\n");
        peer.join().expect("peer");
    }

    #[test]
    fn entries_falls_back_to_list_without_feat() {
        let (port, peer) = passive_peer(b"-rw-r--r-- 1 ftp ftp 3 Jan 02 2024 a\r\n");
        let script = format!("502 No FEAT\r\n{}150 Here\r\n226 Done\r\n", epsv(port));
        let (mut client, sent) = session(script.as_bytes());
        assert_eq!(client.entries(None).expect("entries").len(), 1);
        assert_eq!(sent.text(), "FEAT\r\nEPSV\r\nLIST\r\n");
        peer.join().expect("peer");
    }

    #[test]
    fn ipv6_passive_and_active() {
        let (port, peer) = passive_peer_on("::1".parse().expect("address"), b"six");
        let script = format!("{}150 Opening\r\n226 Done\r\n", epsv(port));
        let (mut client, _) = session_at(V6, script.as_bytes(), Options::default());
        assert_eq!(download(&mut client, "f").expect("passive").0, b"six");
        peer.join().expect("peer");

        let script = b"200 EPRT ok\r\n150 Opening\r\n226 Done\r\n";
        let (mut client, sent) = session_at(V6, script, active());
        let peer = active_peer(&sent, 0, b"back");
        assert_eq!(download(&mut client, "f").expect("active").0, b"back");
        peer.join().expect("peer");
        let listened = wait_for_address(&sent, 0);
        assert!(sent
            .text()
            .starts_with(&format!("EPRT |2|::1|{}|", listened.port())));
    }

    /// A loopback port nobody listens on.
    fn closed_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port()
    }
}
