//! The blocking FTP client: [`Client`].
//!
//! A [`Client`] owns the control connection and speaks FTP over it: one method
//! per operation (login, cwd, retr, stor, ...), each sending one or a few
//! commands and checking the replies. Every reply is read through
//! [`ftp_core::protocol::reply::ReplyParser`] over a bounded [`LineReader`]; a reply the
//! operation did not expect becomes [`Error::Reply`] with the server's code and
//! text.
//!
//! The client is generic over its control stream (`S: Read + Write`), so it can
//! be driven by canned server bytes:
//!
//! ```
//! use std::io::{self, Cursor, Read, Write};
//! use ftp_client::{Client, Options};
//!
//! /// A "server" that answers from a script and records what it was sent.
//! struct Canned { replies: Cursor<&'static [u8]>, sent: Vec<u8> }
//! impl Read for Canned {
//!     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> { self.replies.read(buf) }
//! }
//! impl Write for Canned {
//!     fn write(&mut self, buf: &[u8]) -> io::Result<usize> { self.sent.write(buf) }
//!     fn flush(&mut self) -> io::Result<()> { Ok(()) }
//! }
//!
//! let server = Canned {
//!     replies: Cursor::new(b"220 Service ready\r\n331 Password?\r\n230 Welcome\r\n\
//!                            257 \"/pub\" is the current directory\r\n"),
//!     sent: Vec::new(),
//! };
//! let (local, peer) = ("127.0.0.1:50000".parse()?, "127.0.0.1:21".parse()?);
//! let mut client = Client::from_stream(server, local, peer, Options::default())?;
//! client.login("anonymous", "guest@")?;
//! assert_eq!(client.pwd()?, "/pub");
//! assert_eq!(client.get_ref().sent, b"USER anonymous\r\nPASS guest@\r\nPWD\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Data connections are opened by [`ftp_core::io::data`], in the mode the options
//! choose: passive (EPSV, falling back to PASV) or active (EPRT, falling back to
//! PORT); see the `data` submodule. An observer ([`Client::set_observer`]) sees
//! every command sent (the password masked), every reply, and every data
//! connection, which is what `ftp-client -d` and `--explain` print.
//!
//! This module does not parse URLs, read `.netrc`, print anything or retry
//! operations; those belong to the program.
//!
//! A hostile server cannot make the client wait or grow without bound: a
//! reply is held up to [`ftp_core::protocol::reply::DEFAULT_REPLY_LIMIT`] bytes and must
//! be complete within [`Options::reply_deadline`]; listings can be streamed to
//! a writer ([`Client::list_to`]) and the methods that return them whole stop
//! at [`LISTING_LIMIT`]. Per-read timeouts on the control connection are the
//! stream's own: [`Client::connect`] sets them on its `TcpStream`,
//! [`Client::from_stream`] leaves them to the caller.

mod abort;
#[cfg(test)]
mod canned;
mod data;
mod deadline;
mod features;
mod lines;
#[cfg(feature = "tls")]
pub mod tls;

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime};

use ftp_core::io::line::{self, LineReader, DEFAULT_LINE_LIMIT};
use ftp_core::io::transfer::{self, Direction};
use ftp_core::protocol::command::PathArg;
use ftp_core::protocol::listing;
use ftp_core::protocol::reply::{unquote_path, ReplyParser, Status};
use ftp_core::protocol::time::{self, DateTime};
use ftp_core::{Command, Phase, Reply};

pub use self::abort::AbortHandle;
use self::deadline::Deadline;
pub use self::features::Features;
use self::lines::Lines;
pub use crate::error::Error;
pub use crate::options::{DataMode, IpFamily, Options};
pub use ftp_core::protocol::data_setup::DataConnection;
pub use ftp_core::protocol::listing::{Entry, EntryKind};
pub use ftp_core::Representation;

/// The most a listing returned whole ([`Client::list`], [`Client::nlst`],
/// [`Client::mlsd`], [`Client::entries`]) may hold, in bytes: its lines plus
/// the size of a `Vec` per line. [`Client::list_to`] and [`Client::nlst_to`]
/// stream a listing of any size.
pub const LISTING_LIMIT: usize = 8 << 20;

/// What an observer sees: the dialog on the control connection and each data
/// connection.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A command line as sent (no CRLF), with a password shown as `PASS ****`.
    Sent(&'a str),
    /// A complete reply from the server.
    Received(&'a Reply),
    /// A data connection was opened: who listened and who connected.
    Data(&'a DataConnection),
    /// A data connection was wrapped in TLS (FTPS, with the `tls` feature):
    /// the protocol version, cipher suite and whether the session resumed.
    Protected(&'a str),
}

/// A callback that watches a session: see [`Client::set_observer`].
pub type Observer = Box<dyn FnMut(&Event)>;

/// A blocking FTP client over the control stream `S`.
///
/// A new client transfers in ASCII (`TYPE A`), the FTP default (RFC 959
/// §3.1.1.1), which rewrites line ends: call
/// [`set_type(Representation::Binary)`](Client::set_type) before moving files
/// that must arrive unchanged. `examples/session.rs` shows a whole session.
pub struct Client<S: Read + Write> {
    control: LineReader<Deadline<S>>,
    local: SocketAddr,
    peer: SocketAddr,
    options: Options,
    greeting: Reply,
    observer: Option<Observer>,
    transfer_type: Representation,
    epsv_refused: bool,
    eprt_refused: bool,
    features: Option<Features>,
    /// Aborts transfers from another thread: see [`Client::set_abort`].
    abort: Option<AbortHandle>,
    /// FTPS: the session's TLS state, once the control connection is TLS.
    #[cfg(feature = "tls")]
    tls: Option<tls::Session>,
}

impl<S: Read + Write> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("options", &self.options)
            .field("transfer_type", &self.transfer_type)
            .finish_non_exhaustive()
    }
}

impl Client<TcpStream> {
    /// Connects to `host` (a name or an address) on `port`, trying every
    /// address the name resolves to (only those of `family`, if given), each
    /// within the connect timeout, and reads the server's greeting.
    ///
    /// The socket's read and write timeouts are set to the reply timeout.
    ///
    /// ```no_run
    /// use ftp_client::{Client, Options};
    ///
    /// let mut client = Client::connect("ftp.example.org", 21, None, Options::default())?;
    /// client.login("anonymous", "guest@")?;
    /// for line in client.list(None)? {
    ///     println!("{line}");
    /// }
    /// client.quit()?;
    /// # Ok::<(), ftp_client::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Resolve`] when the name has no usable address,
    /// [`Error::Connect`] when every address failed, or the greeting's errors
    /// (see [`Client::from_stream`]).
    pub fn connect(
        host: &str,
        port: u16,
        family: Option<IpFamily>,
        options: Options,
    ) -> Result<Self, Error> {
        let mut attempts = Vec::new();
        for addr in resolve(host, port, family)? {
            match ftp_core::io::data::connect(addr, options.connect_timeout) {
                Ok(stream) => return Self::from_tcp(stream, options),
                Err(err) => attempts.push((addr, err)),
            }
        }
        Err(Error::Connect {
            host: host.to_string(),
            attempts,
        })
    }

    /// Sets the reply timeout on a connected control socket and reads the greeting.
    fn from_tcp(stream: TcpStream, options: Options) -> Result<Self, Error> {
        // Commands are written whole; Nagle would only delay them.
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(options.reply_timeout))?;
        stream.set_write_timeout(Some(options.reply_timeout))?;
        let (local, peer) = (stream.local_addr()?, stream.peer_addr()?);
        let deadline = Deadline::with_wait(stream, options.reply_timeout, |stream, wait| {
            stream.set_read_timeout(Some(wait))
        });
        Self::start(deadline, local, peer, options)
    }
}

/// The addresses `host` resolves to, filtered by `family`.
fn resolve(host: &str, port: u16, family: Option<IpFamily>) -> Result<Vec<SocketAddr>, Error> {
    let resolve_error = |detail: String| Error::Resolve {
        host: host.to_string(),
        detail,
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|err| resolve_error(err.to_string()))?
        .filter(|addr| family.is_none_or(|family| family.contains(addr)))
        .collect();
    if addrs.is_empty() {
        let family = match family {
            Some(IpFamily::V4) => "no IPv4 address",
            Some(IpFamily::V6) => "no IPv6 address",
            None => "no address",
        };
        return Err(resolve_error(family.to_string()));
    }
    Ok(addrs)
}

impl<S: Read + Write> Client<S> {
    /// Starts a session on an already open control stream: reads the greeting
    /// (`220`, after any `120` "ready in n minutes"). `local` and `peer` are the
    /// control connection's addresses: data connections use them (active mode
    /// listens on `local`'s IP, passive mode connects to `peer`'s IP).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] for any other greeting (e.g. `421` when the server is
    /// full), or the error that stopped reading it.
    pub fn from_stream(
        stream: S,
        local: SocketAddr,
        peer: SocketAddr,
        options: Options,
    ) -> Result<Self, Error> {
        Self::start(Deadline::new(stream), local, peer, options)
    }

    /// [`Client::from_stream`] over a stream already wrapped for deadlines.
    fn start(
        stream: Deadline<S>,
        local: SocketAddr,
        peer: SocketAddr,
        options: Options,
    ) -> Result<Self, Error> {
        let mut client = Client {
            control: LineReader::new(stream, DEFAULT_LINE_LIMIT, Phase::Reply),
            local,
            peer,
            options,
            greeting: Reply::new(220, ""),
            observer: None,
            transfer_type: Representation::Ascii,
            epsv_refused: false,
            eprt_refused: false,
            features: None,
            abort: None,
            #[cfg(feature = "tls")]
            tls: None,
        };
        client.greeting = client.read_final_reply()?;
        if client.greeting.code.0 != 220 {
            return Err(Error::Reply(client.greeting));
        }
        Ok(client)
    }

    /// Calls `observer` for every command sent, reply received and data
    /// connection opened from now on.
    pub fn set_observer(&mut self, observer: Observer) {
        self.observer = Some(observer);
    }

    /// Lets `abort` stop the transfers from now on (`None`: no more), from
    /// any thread, also on a TLS control connection: once
    /// [`AbortHandle::abort`] is called, the transfer under way (or the next
    /// one, once its data connection opens) stops moving data, sends `ABOR`
    /// (as [`Client::abort`] does) before closing the data connection, reads
    /// the transfer's final reply and the `ABOR`'s, and fails with
    /// [`Error::Aborted`]. What arrived of a download is in its `out`.
    ///
    /// ```no_run
    /// use ftp_client::{AbortHandle, Client, Error, Options};
    ///
    /// let mut client = Client::connect("ftp.example.org", 21, None, Options::default())?;
    /// client.login("anonymous", "guest@")?;
    /// let abort = AbortHandle::new();
    /// client.set_abort(Some(abort.clone()));
    /// let later = abort.clone();
    /// std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_secs(1));
    ///     later.abort();
    /// });
    /// let mut sink = std::io::sink();
    /// match client.retr("big.iso", &mut sink, 0, None) {
    ///     Err(Error::Aborted) => println!("aborted; the session goes on"),
    ///     other => println!("{other:?}"),
    /// }
    /// client.set_abort(None);
    /// client.pwd()?;
    /// # Ok::<(), ftp_client::Error>(())
    /// ```
    pub fn set_abort(&mut self, abort: Option<AbortHandle>) {
        self.abort = abort;
    }

    /// The server's `220` greeting.
    pub fn greeting(&self) -> &Reply {
        &self.greeting
    }

    /// The control stream.
    pub fn get_ref(&self) -> &S {
        &self.control.get_ref().inner
    }

    /// The control connection's peer (the server's) address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The control connection's local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Logs in: `USER`, then `PASS` if the server asks for a password (`331`).
    /// A server that needs no password answers `230` to `USER` directly.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] with the server's refusal, e.g. `530`, or `332` for a
    /// server that wants an account (`ACCT`), which this client does not send.
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        self.login_with(user, || Ok(password.to_string()))
    }

    /// Logs in as [`Client::login`] does, but asks `password` for the password
    /// only when the server wants one (`331` to `USER`), as BSD `ftp` prompts.
    ///
    /// # Errors
    ///
    /// As [`Client::login`], and the error of `password` itself.
    pub fn login_with(
        &mut self,
        user: &str,
        password: impl FnOnce() -> io::Result<String>,
    ) -> Result<(), Error> {
        self.features = None;
        let reply = self.command(&Command::User(user.to_string()))?;
        if reply.code.is_completion() {
            return self.after_login();
        }
        if reply.code.0 != 331 {
            return Err(Error::Reply(reply));
        }
        self.expect(&Command::Pass(password()?), 2)?;
        self.after_login()
    }

    /// What follows a login: with FTPS, protecting the data connections.
    fn after_login(&mut self) -> Result<(), Error> {
        #[cfg(feature = "tls")]
        self.protect_data_after_login()?;
        Ok(())
    }

    /// Chooses passive or active data connections for the next transfers.
    pub fn set_mode(&mut self, mode: DataMode) {
        self.options.mode = mode;
    }

    /// The current data mode.
    pub fn mode(&self) -> DataMode {
        self.options.mode
    }

    /// Sends `TYPE A` or `TYPE I`; transfers then convert line ends (ASCII) or not.
    ///
    /// A new session is in ASCII, the FTP default (RFC 959 §3.1.1.1); call
    /// this with [`Representation::Binary`] to move files unchanged.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses the type.
    pub fn set_type(&mut self, transfer_type: Representation) -> Result<(), Error> {
        self.expect(&Command::Type(transfer_type.into()), 2)?;
        self.transfer_type = transfer_type;
        Ok(())
    }

    /// The transfer type in effect.
    pub fn transfer_type(&self) -> Representation {
        self.transfer_type
    }

    /// The current directory (`PWD`), from the quoted path in the `257` reply.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] on a refusal, a syntax error if the reply has no quoted path.
    pub fn pwd(&mut self) -> Result<String, Error> {
        let reply = self.expect(&Command::Pwd, 2)?;
        unquote_path(&reply.text())
            .ok_or_else(|| ftp_core::Error::syntax("257 reply", reply.text()).into())
    }

    /// Changes the current directory (`CWD`).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses, e.g. `550`.
    pub fn cwd(&mut self, path: &str) -> Result<(), Error> {
        self.expect(&Command::Cwd(PathArg::from(path)), 2).map(drop)
    }

    /// Changes to the parent directory (`CDUP`).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses.
    pub fn cdup(&mut self) -> Result<(), Error> {
        self.expect(&Command::Cdup, 2).map(drop)
    }

    /// Creates a directory (`MKD`) and returns its path: the quoted path of the
    /// `257` reply, or `path` as given when the reply has none.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses.
    pub fn mkdir(&mut self, path: &(impl AsRef<[u8]> + ?Sized)) -> Result<String, Error> {
        let path = path.as_ref();
        let reply = self.expect(&Command::Mkd(PathArg::from(path)), 2)?;
        Ok(unquote_path(&reply.text())
            .unwrap_or_else(|| String::from_utf8_lossy(path).into_owned()))
    }

    /// Removes a directory (`RMD`).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses.
    pub fn rmdir(&mut self, path: &(impl AsRef<[u8]> + ?Sized)) -> Result<(), Error> {
        self.expect(&Command::Rmd(PathArg::from(path.as_ref())), 2)
            .map(drop)
    }

    /// Deletes a file (`DELE`).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses.
    pub fn delete(&mut self, path: &(impl AsRef<[u8]> + ?Sized)) -> Result<(), Error> {
        self.expect(&Command::Dele(PathArg::from(path.as_ref())), 2)
            .map(drop)
    }

    /// Renames `from` to `to` (`RNFR`, `350`, `RNTO`).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses either step.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        self.expect(&Command::Rnfr(PathArg::from(from)), 3)?;
        self.expect(&Command::Rnto(PathArg::from(to)), 2).map(drop)
    }

    /// The size of a file in bytes (`SIZE`, RFC 3659), as the server counts it
    /// in the current transfer type.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses, a syntax error for a reply that
    /// is not a number.
    pub fn size(&mut self, path: &(impl AsRef<[u8]> + ?Sized)) -> Result<u64, Error> {
        let text = self
            .expect(&Command::Size(PathArg::from(path.as_ref())), 2)?
            .text();
        text.trim()
            .parse()
            .map_err(|_| ftp_core::Error::syntax("SIZE reply", text).into())
    }

    /// The modification time of a file (`MDTM`, RFC 3659).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses, a syntax error for a reply that
    /// is not a timestamp.
    pub fn mdtm(&mut self, path: &(impl AsRef<[u8]> + ?Sized)) -> Result<SystemTime, Error> {
        let text = self
            .expect(&Command::Mdtm(PathArg::from(path.as_ref())), 2)?
            .text();
        Ok(time::parse_timestamp(text.trim())?)
    }

    /// Copies a `LIST` of `path` (or of the current directory) to `out` as it
    /// arrives, CRLF line ends turned into LF, and returns the number of bytes
    /// received. Memory use does not depend on the listing's size.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`], [`Error::DataChannel`] or a transfer error (also a
    /// failed write to `out`).
    pub fn list_to(&mut self, path: Option<&str>, out: &mut dyn Write) -> Result<u64, Error> {
        self.listing_to(Command::List(path.map(PathArg::from)), out)
    }

    /// Copies an `NLST` of `path` to `out` as [`Client::list_to`] does.
    ///
    /// # Errors
    ///
    /// As [`Client::list_to`].
    pub fn nlst_to(&mut self, path: Option<&str>, out: &mut dyn Write) -> Result<u64, Error> {
        self.listing_to(Command::Nlst(path.map(PathArg::from)), out)
    }

    /// The raw lines of a `LIST` of `path` (or of the current directory).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`], [`Error::DataChannel`], a transfer error, or
    /// [`Error::ListingTooLong`] past [`LISTING_LIMIT`].
    pub fn list(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        let lines = self.listing(Command::List(path.map(PathArg::from)))?;
        Ok(text_lines(&lines))
    }

    /// The names from an `NLST` of `path` (or of the current directory).
    ///
    /// # Errors
    ///
    /// As [`Client::list`].
    pub fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        let lines = self.listing(Command::Nlst(path.map(PathArg::from)))?;
        Ok(text_lines(&lines))
    }

    /// The entries of an `MLSD` of `path` (RFC 3659), without the directory
    /// itself and its parent (`cdir`, `pdir`).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] (`500` from a server without MLSD),
    /// [`Error::DataChannel`], a transfer error or [`Error::ListingTooLong`].
    pub fn mlsd(&mut self, path: Option<&str>) -> Result<Vec<Entry>, Error> {
        let lines = self.listing(Command::Mlsd(path.map(PathArg::from)))?;
        Ok(parse_entries(&lines))
    }

    /// The entries of `path`: from `MLSD` when the server's `FEAT` lists
    /// `MLST`, otherwise parsed from `LIST` lines (Unix and DOS formats; lines
    /// that do not parse, such as `total 12`, are skipped).
    ///
    /// # Errors
    ///
    /// As [`Client::mlsd`] and [`Client::list`].
    pub fn entries(&mut self, path: Option<&str>) -> Result<Vec<Entry>, Error> {
        self.entries_of(path.map(PathArg::from))
    }

    /// The entries of the directory `dir`, given as the bytes of its path (a
    /// name from a listing need not be UTF-8), as [`Client::entries`] lists them.
    ///
    /// # Errors
    ///
    /// As [`Client::entries`].
    pub fn entries_in(&mut self, dir: &[u8]) -> Result<Vec<Entry>, Error> {
        self.entries_of(Some(PathArg::from(dir)))
    }

    /// Whether the server's `FEAT` lists `feature` (asked once per login; a
    /// server without FEAT has no features).
    ///
    /// # Errors
    ///
    /// Only I/O and protocol errors.
    pub fn has_feature(&mut self, feature: &str) -> Result<bool, Error> {
        Ok(self.known_features()?.has(feature))
    }

    /// Sets the modification time of a file (`MFMT`, a draft extension that
    /// many servers have: check [`Client::has_feature`] first), to the second.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses.
    pub fn mfmt(
        &mut self,
        path: &(impl AsRef<[u8]> + ?Sized),
        time: SystemTime,
    ) -> Result<(), Error> {
        let command = Command::Mfmt {
            time: DateTime::from_system_time(time),
            path: PathArg::from(path.as_ref()),
        };
        self.expect(&command, 2).map(drop)
    }

    /// Downloads `path` into `out` (`RETR`), starting at byte `offset` of the
    /// remote file (`REST`) when it is not 0; `out` must already be positioned
    /// to match. `progress` is called with the byte count so far. Returns the
    /// number of bytes received from the network (in ASCII, with each CR).
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] (e.g. `550` for a missing file), [`Error::DataChannel`]
    /// or the transfer's error (a write to `out` that failed, a timeout).
    pub fn retr(
        &mut self,
        path: &(impl AsRef<[u8]> + ?Sized),
        out: &mut dyn Write,
        offset: u64,
        progress: Option<&mut dyn FnMut(u64)>,
    ) -> Result<u64, Error> {
        let repr = self.transfer_type;
        self.transfer(
            Command::Retr(PathArg::from(path.as_ref())),
            offset,
            |data| transfer::copy(data, out, repr, Direction::Receive, progress),
        )
    }

    /// Uploads `input` to `path` (`STOR`); with an `offset` other than 0 the
    /// server writes from that byte on (`REST`, for resuming an upload), and
    /// `input` must already be positioned to match. `progress` is called with
    /// the byte count so far. Returns the number of bytes sent to the network
    /// (in ASCII, with the CR added to each line).
    ///
    /// # Errors
    ///
    /// As [`Client::retr`].
    pub fn stor(
        &mut self,
        path: &(impl AsRef<[u8]> + ?Sized),
        input: &mut dyn Read,
        offset: u64,
        progress: Option<&mut dyn FnMut(u64)>,
    ) -> Result<u64, Error> {
        self.upload(
            Command::Stor(PathArg::from(path.as_ref())),
            input,
            offset,
            progress,
        )
    }

    /// Appends `input` to `path` (`APPE`). Returns the number of bytes sent,
    /// as [`Client::stor`] does.
    ///
    /// # Errors
    ///
    /// As [`Client::retr`].
    pub fn appe(
        &mut self,
        path: &str,
        input: &mut dyn Read,
        progress: Option<&mut dyn FnMut(u64)>,
    ) -> Result<u64, Error> {
        self.upload(Command::Appe(PathArg::from(path)), input, 0, progress)
    }

    /// What the server supports (`FEAT`, RFC 2389). The result is also kept
    /// for [`Client::entries`].
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] from a server without FEAT (`500`, `502`).
    pub fn feat(&mut self) -> Result<Features, Error> {
        let reply = self.expect(&Command::Feat, 2)?;
        let features = Features::from_reply(&reply);
        self.features = Some(features.clone());
        Ok(features)
    }

    /// Sends `SITE args` and returns the server's positive reply.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server refuses.
    pub fn site(&mut self, args: &str) -> Result<Reply, Error> {
        self.expect(&Command::Site(args.to_string()), 2)
    }

    /// Sends `line` as it is (the `quote` command) and returns the server's
    /// reply, whatever its code; preliminary `1xx` replies are passed to the
    /// observer and skipped. A `PASS` line is masked for the observer.
    ///
    /// # Errors
    ///
    /// Only I/O and protocol errors; the caller judges the reply.
    pub fn raw(&mut self, line: &str) -> Result<Reply, Error> {
        let shown = match Command::parse(line.as_bytes()) {
            Ok(command @ Command::Pass(_)) => command.log_form(),
            _ => line.to_string(),
        };
        self.send_line(line.as_bytes(), &shown)?;
        self.read_final_reply()
    }

    /// Whether the server refused `EPSV` (or `set_extended(false)` said not
    /// to try it), so that passive connections use `PASV`.
    pub fn epsv_refused(&self) -> bool {
        self.epsv_refused
    }

    /// Whether the server refused `EPRT` (or it is not tried), so that
    /// active connections use `PORT`.
    pub fn eprt_refused(&self) -> bool {
        self.eprt_refused
    }

    /// The features of this login's `FEAT`, if it has been asked.
    pub fn features_known(&self) -> Option<&Features> {
        self.features.as_ref()
    }

    /// Whether to try the extended commands (EPSV, EPRT) before PASV and
    /// PORT; off, the client goes straight to PASV and PORT (tnftp's
    /// `epsv4 off`). On again, they are tried again.
    pub fn set_extended(&mut self, extended: bool) {
        self.epsv_refused = !extended;
        self.eprt_refused = !extended;
    }

    /// Sends `NOOP`, e.g. to keep the session from timing out.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server answers anything but `2xx`.
    pub fn noop(&mut self) -> Result<(), Error> {
        self.expect(&Command::Noop, 2).map(drop)
    }

    /// Sends `ABOR` (after Telnet's `IAC IP IAC DM`, in band: see
    /// [`ftp_core::io::line::write_interrupting_line`]) and reads its replies:
    /// `225`/`226` when no transfer was running, or `426` followed by `226`
    /// when one was.
    ///
    /// Transfers run inside [`Client::retr`] and friends, so this only matters
    /// between them, e.g. to resynchronise after an interrupted transfer;
    /// [`Client::set_abort`] stops a transfer under way.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the final reply is not `2xx`.
    pub fn abort(&mut self) -> Result<(), Error> {
        self.send_abor()?;
        let mut reply = self.read_reply()?;
        if reply.code.is_transient_negative() {
            reply = self.read_reply()?;
        }
        expect_class(reply, 2).map(drop)
    }

    /// Reads the reply to an `ABOR` that another thread wrote on a clone of
    /// the control stream ([`Client::get_ref`]) while a transfer ran. Call
    /// it once, after the transfer returned (having read its own final
    /// reply, `426` or `226`); the observer sees the `ABOR` now. A TLS
    /// control stream cannot be written from another thread:
    /// [`Client::set_abort`] works on both.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the final reply is not `2xx`.
    pub fn finish_abort(&mut self) -> Result<(), Error> {
        self.emit(&Event::Sent(&Command::Abor.log_form()));
        self.read_abor_reply()
    }

    /// Writes `IAC IP IAC DM ABOR` in one write, shown to the observer.
    fn send_abor(&mut self) -> Result<(), Error> {
        self.emit(&Event::Sent(&Command::Abor.log_form()));
        line::write_interrupting_line(self.control.get_mut(), &Command::Abor.to_bytes())?;
        Ok(())
    }

    /// Reads the final reply to an `ABOR` sent after the transfer's `1xx`,
    /// once the transfer's own final reply is read.
    fn read_abor_reply(&mut self) -> Result<(), Error> {
        expect_class(self.read_final_reply()?, 2).map(drop)
    }

    /// Ends the session (`QUIT`, `221`) and closes the control connection.
    ///
    /// # Errors
    ///
    /// [`Error::Reply`] if the server answers anything but `2xx`.
    pub fn quit(mut self) -> Result<(), Error> {
        self.expect(&Command::Quit, 2).map(drop)
    }

    /// The features from `FEAT`, asked once per login; a server without FEAT
    /// has none.
    fn known_features(&mut self) -> Result<&Features, Error> {
        if self.features.is_none() {
            match self.feat() {
                Ok(_) => {}
                Err(Error::Reply(_)) => self.features = Some(Features::default()),
                Err(err) => return Err(err),
            }
        }
        Ok(self.features.get_or_insert_with(Features::default))
    }

    /// `MLSD` of `path` when the server has `MLST`, else parsed `LIST` lines.
    fn entries_of(&mut self, path: Option<PathArg>) -> Result<Vec<Entry>, Error> {
        let command = if self.known_features()?.has("MLST") {
            Command::Mlsd(path)
        } else {
            Command::List(path)
        };
        let lines = self.listing(command)?;
        Ok(parse_entries(&lines))
    }

    /// Runs a listing command and copies its data to `out`, CRLF turned into
    /// LF whatever the transfer type.
    fn listing_to(&mut self, command: Command, out: &mut dyn Write) -> Result<u64, Error> {
        self.transfer(command, 0, |data| {
            transfer::copy(data, out, Representation::Ascii, Direction::Receive, None)
        })
    }

    /// Runs a listing command and returns its lines (CRLF or LF removed,
    /// empty lines skipped), at most [`LISTING_LIMIT`].
    fn listing(&mut self, command: Command) -> Result<Vec<Vec<u8>>, Error> {
        let mut lines = Lines::new(LISTING_LIMIT);
        let copied = self.transfer(command, 0, |data| {
            transfer::copy(
                data,
                &mut lines,
                Representation::Binary,
                Direction::Receive,
                None,
            )
        });
        if lines.overflowed() {
            return Err(Error::ListingTooLong {
                limit: LISTING_LIMIT,
            });
        }
        copied?;
        Ok(lines.finish())
    }

    /// Runs `STOR` or `APPE` with `input` as the data.
    fn upload(
        &mut self,
        command: Command,
        input: &mut dyn Read,
        offset: u64,
        progress: Option<&mut dyn FnMut(u64)>,
    ) -> Result<u64, Error> {
        let repr = self.transfer_type;
        self.transfer(command, offset, |data| {
            transfer::copy(input, data, repr, Direction::Send, progress)
        })
    }

    /// Sends `command` and reads its reply, whatever the code.
    fn command(&mut self, command: &Command) -> Result<Reply, Error> {
        self.send_line(&command.to_bytes(), &command.log_form())?;
        self.read_reply()
    }

    /// Sends `command` and reads its reply, which must be of `class` (the
    /// first digit: 2 for completion, 3 for "send more").
    fn expect(&mut self, command: &Command, class: u16) -> Result<Reply, Error> {
        let reply = self.command(command)?;
        expect_class(reply, class)
    }

    /// Writes one control line; the observer sees `shown` (masked).
    fn send_line(&mut self, line: &[u8], shown: &str) -> Result<(), Error> {
        self.emit(&Event::Sent(shown));
        line::write_line(self.control.get_mut(), line)?;
        Ok(())
    }

    /// Reads one complete reply (one or more lines, at most
    /// [`ftp_core::protocol::reply::DEFAULT_REPLY_LIMIT`] bytes) within the reply deadline.
    fn read_reply(&mut self) -> Result<Reply, Error> {
        self.read_reply_within(self.options.reply_deadline)
    }

    /// Reads one complete reply within `limit`: [`Error::ReplyDeadline`]
    /// when none came.
    fn read_reply_within(&mut self, limit: Duration) -> Result<Reply, Error> {
        self.control.get_mut().until = Some(Instant::now() + limit);
        let reply = self.read_reply_lines();
        let expired = self.control.get_ref().expired();
        self.control.get_mut().until = None;
        match reply {
            Err(Error::Core(ftp_core::Error::Timeout(Phase::Reply))) if expired => {
                Err(Error::ReplyDeadline { limit })
            }
            other => other,
        }
    }

    /// Reads the lines of one reply; the caller sets and clears the deadline.
    fn read_reply_lines(&mut self) -> Result<Reply, Error> {
        let mut parser = ReplyParser::new();
        loop {
            let Some(line) = self.control.read_line()? else {
                return Err(ftp_core::Error::ConnectionClosed.into());
            };
            if let Status::Complete(reply) = parser.feed(&line)? {
                self.emit(&Event::Received(&reply));
                return Ok(reply);
            }
        }
    }

    /// Reads replies until one is not preliminary (`1xx`) and returns it.
    fn read_final_reply(&mut self) -> Result<Reply, Error> {
        loop {
            let reply = self.read_reply()?;
            if !reply.code.is_preliminary() {
                return Ok(reply);
            }
        }
    }

    /// Passes `event` to the observer, if there is one.
    fn emit(&mut self, event: &Event) {
        if let Some(observer) = self.observer.as_mut() {
            observer(event);
        }
    }
}

/// `reply` if its code is of `class`, otherwise [`Error::Reply`].
fn expect_class(reply: Reply, class: u16) -> Result<Reply, Error> {
    if reply.code.class() == class {
        Ok(reply)
    } else {
        Err(Error::Reply(reply))
    }
}

/// Listing lines as text (invalid UTF-8 replaced).
fn text_lines(lines: &[Vec<u8>]) -> Vec<String> {
    lines
        .iter()
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect()
}

/// The entries of listing lines that parse, without the directories `.` and
/// `..` (and the `cdir` / `pdir` lines of MLSD, which name them). A `.` or
/// `..` listed as anything but a directory is kept: it is not the
/// directory's own entry, and a caller that builds paths must see it to
/// refuse it.
fn parse_entries(lines: &[Vec<u8>]) -> Vec<Entry> {
    lines
        .iter()
        .filter_map(|line| listing::parse_line(line).ok())
        .filter(|entry| {
            entry.kind != EntryKind::Dir || !matches!(entry.name.as_slice(), b"." | b"..")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::net::TcpListener;
    use std::rc::Rc;
    use std::thread;
    use std::time::Duration;

    use super::canned::{self, session, session_with, End};
    use super::*;

    /// The code of an [`Error::Reply`], or a panic naming the other error.
    fn reply_code(err: Error) -> u16 {
        match err {
            Error::Reply(reply) => reply.code.0,
            other => panic!("expected a reply error, got {other}"),
        }
    }

    #[test]
    fn the_greeting_is_kept() {
        let (client, _) = session_with(b"220 FTP ready\r\n", End::Close, Options::default());
        assert_eq!(
            client.expect("greeting").greeting(),
            &Reply::new(220, "FTP ready")
        );
    }

    #[test]
    fn a_multi_line_greeting_is_one_reply() {
        let script = b"220-Welcome\r\n  to the archive\r\n220 Ready\r\n";
        let (client, _) = session_with(script, End::Close, Options::default());
        assert_eq!(
            client.expect("greeting").greeting().lines,
            ["Welcome", "  to the archive", "Ready"]
        );
    }

    #[test]
    fn a_120_delay_before_the_greeting_is_waited_out() {
        let script = b"120 Ready in 1 minute\r\n220 Ready now\r\n";
        let (client, _) = session_with(script, End::Close, Options::default());
        assert_eq!(client.expect("greeting").greeting().text(), "Ready now");
    }

    #[test]
    fn a_full_server_is_an_error() {
        let script = b"421 Too many connections\r\n";
        let (client, _) = session_with(script, End::Close, Options::default());
        assert_eq!(reply_code(client.expect_err("421 greeting")), 421);
    }

    #[test]
    fn a_silent_server_times_out_reading_the_greeting() {
        let (client, _) = session_with(b"", End::Timeout, Options::default());
        let err = client.expect_err("no greeting");
        assert!(matches!(
            err,
            Error::Core(ftp_core::Error::Timeout(Phase::Reply))
        ));
        assert_eq!(err.to_string(), "timed out during read reply");
    }

    #[test]
    fn a_reply_timeout_names_the_phase() {
        let script = b"220 Ready\r\n";
        let (client, _) = session_with(script, End::Timeout, Options::default());
        let err = client.expect("greeting").noop().expect_err("no reply");
        assert!(matches!(
            err,
            Error::Core(ftp_core::Error::Timeout(Phase::Reply))
        ));
    }

    #[test]
    fn a_closed_connection_is_reported() {
        let (mut client, _) = session(b"");
        let err = client.cwd("/").expect_err("closed");
        assert!(matches!(
            err,
            Error::Core(ftp_core::Error::ConnectionClosed)
        ));
    }

    #[test]
    fn login_with_a_password() {
        let (mut client, sent) = session(b"331 Password required\r\n230 Logged in\r\n");
        client.login("alice", "secret").expect("login");
        assert_eq!(sent.text(), "USER alice\r\nPASS secret\r\n");
    }

    #[test]
    fn login_without_a_password() {
        let (mut client, sent) = session(b"230 No password needed\r\n");
        client.login("anonymous", "guest@").expect("login");
        assert_eq!(sent.text(), "USER anonymous\r\n");
    }

    #[test]
    fn the_password_is_asked_for_only_after_a_331() {
        let (mut client, sent) = session(b"230 No password needed\r\n");
        client
            .login_with("anonymous", || panic!("no password was needed"))
            .expect("login");
        assert_eq!(sent.text(), "USER anonymous\r\n");

        let (mut client, sent) = session(b"331 Password required\r\n230 Logged in\r\n");
        client
            .login_with("alice", || Ok("typed".to_string()))
            .expect("login");
        assert_eq!(sent.text(), "USER alice\r\nPASS typed\r\n");
    }

    #[test]
    fn a_wrong_password_is_the_servers_530() {
        let (mut client, _) = session(b"331 Password required\r\n530 Login incorrect.\r\n");
        let err = client.login("alice", "wrong").expect_err("refused");
        assert_eq!(err.to_string(), "server replied: 530 Login incorrect.");
    }

    #[test]
    fn a_refused_user_does_not_send_the_password() {
        let (mut client, sent) = session(b"530 Not allowed\r\n");
        assert_eq!(
            reply_code(client.login("root", "x").expect_err("refused")),
            530
        );
        assert_eq!(sent.text(), "USER root\r\n");
    }

    #[test]
    fn a_server_asking_for_an_account_is_an_error() {
        let (mut client, _) = session(b"331 Password\r\n332 Need account\r\n");
        assert_eq!(
            reply_code(client.login("bob", "pw").expect_err("ACCT")),
            332
        );
    }

    #[test]
    fn the_observer_sees_the_dialog_with_the_password_masked() {
        let (mut client, _) = session(b"331 Password\r\n230 In\r\n500 What?\r\n");
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&seen);
        client.set_observer(Box::new(move |event: &Event| {
            let line = match event {
                Event::Sent(line) => format!("---> {line}"),
                Event::Received(reply) => format!("<--- {reply}"),
                Event::Data(connection) => connection.to_string(),
                Event::Protected(text) => text.to_string(),
            };
            log.borrow_mut().push(line);
        }));
        client.login("alice", "secret").expect("login");
        client.raw("pass again").expect("any reply is fine");
        assert_eq!(
            *seen.borrow(),
            [
                "---> USER alice",
                "<--- 331 Password",
                "---> PASS ****",
                "<--- 230 In",
                "---> PASS ****",
                "<--- 500 What?",
            ]
        );
    }

    #[test]
    fn raw_returns_any_reply_after_preliminary_ones() {
        let (mut client, sent) = session(b"150 Working\r\n550 Nope\r\n");
        let reply = client.raw("SITE WORK").expect("a reply");
        assert_eq!(reply, Reply::new(550, "Nope"));
        assert_eq!(sent.text(), "SITE WORK\r\n");
    }

    #[test]
    fn pwd_reads_the_quoted_path_with_doubled_quotes() {
        let (mut client, _) = session(b"257 \"/a \"\"b\"\"\" is current\r\n");
        assert_eq!(client.pwd().expect("pwd"), "/a \"b\"");
    }

    #[test]
    fn pwd_without_a_quoted_path_is_a_syntax_error() {
        let (mut client, _) = session(b"257 somewhere\r\n");
        let err = client.pwd().expect_err("no quotes");
        assert!(matches!(err, Error::Core(ftp_core::Error::Syntax { .. })));
    }

    #[test]
    fn mkdir_returns_the_servers_path_or_the_given_one() {
        let (mut client, sent) = session(b"257 \"/up/new\" created\r\n257 Created\r\n");
        assert_eq!(client.mkdir("new").expect("mkd"), "/up/new");
        assert_eq!(client.mkdir("other").expect("mkd"), "other");
        assert_eq!(sent.text(), "MKD new\r\nMKD other\r\n");
    }

    #[test]
    fn directory_commands_send_their_verbs() {
        let script = b"250 OK\r\n200 OK\r\n250 OK\r\n250 OK\r\n200 OK\r\n";
        let (mut client, sent) = session(script);
        client.cwd("/pub").expect("cwd");
        client.cdup().expect("cdup");
        client.rmdir("old").expect("rmd");
        client.delete("f.txt").expect("dele");
        client.noop().expect("noop");
        assert_eq!(
            sent.text(),
            "CWD /pub\r\nCDUP\r\nRMD old\r\nDELE f.txt\r\nNOOP\r\n"
        );
    }

    #[test]
    fn cwd_to_a_missing_directory_is_the_servers_550() {
        let (mut client, _) = session(b"550 No such directory\r\n");
        assert_eq!(reply_code(client.cwd("/nope").expect_err("550")), 550);
    }

    #[test]
    fn rename_is_rnfr_then_rnto() {
        let (mut client, sent) = session(b"350 Ready for RNTO\r\n250 Renamed\r\n");
        client.rename("a", "b").expect("rename");
        assert_eq!(sent.text(), "RNFR a\r\nRNTO b\r\n");
    }

    #[test]
    fn rename_stops_when_rnfr_is_refused() {
        let (mut client, sent) = session(b"550 No such file\r\n");
        assert_eq!(reply_code(client.rename("a", "b").expect_err("550")), 550);
        assert_eq!(sent.text(), "RNFR a\r\n");
    }

    #[test]
    fn size_parses_the_213_reply() {
        let (mut client, sent) = session(b"213 1048576\r\n213 many\r\n");
        assert_eq!(client.size("big").expect("size"), 1_048_576);
        assert!(client.size("odd").is_err());
        assert_eq!(sent.text(), "SIZE big\r\nSIZE odd\r\n");
    }

    #[test]
    fn mdtm_parses_the_timestamp() {
        let (mut client, _) = session(b"213 19700102000000\r\n");
        let time = client.mdtm("f").expect("mdtm");
        assert_eq!(time, SystemTime::UNIX_EPOCH + Duration::from_secs(86_400));
    }

    #[test]
    fn only_dot_directories_are_left_out_of_entries() {
        let lines: Vec<Vec<u8>> = [
            &b"type=cdir;perm=el; /pub"[..],
            b"type=pdir;perm=el; /",
            b"drwxr-xr-x 2 ftp ftp 4096 Jan 02 2024 .",
            b"drwxr-xr-x 2 ftp ftp 4096 Jan 02 2024 ..",
            b"type=file;size=1; ..",
            b"-rw-r--r-- 1 ftp ftp 3 Jan 02 2024 .",
            b"type=file;size=1; ../x",
        ]
        .iter()
        .map(|line| line.to_vec())
        .collect();
        let names: Vec<Vec<u8>> = parse_entries(&lines).into_iter().map(|e| e.name).collect();
        assert_eq!(names, [b"..".to_vec(), b".".to_vec(), b"../x".to_vec()]);
    }

    #[test]
    fn mfmt_sends_the_time_and_the_name_as_bytes() {
        let (mut client, sent) = session(b"213 Modify=19700102000000; a b\r\n550 No\r\n");
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
        client.mfmt("a b", time).expect("mfmt");
        assert_eq!(
            reply_code(client.mfmt(&b"caf\xe9"[..], time).expect_err("550")),
            550
        );
        let sent = sent.bytes();
        assert_eq!(
            sent,
            b"MFMT 19700102000000 a b\r\nMFMT 19700102000000 caf\xe9\r\n"
        );
    }

    #[test]
    fn file_commands_take_names_that_are_not_utf8() {
        let script = b"213 19700102000000\r\n213 7\r\n250 Gone\r\n257 \"/d\" made\r\n250 Gone\r\n";
        let (mut client, sent) = session(script);
        let name = &b"caf\xe9"[..];
        client.mdtm(name).expect("mdtm");
        assert_eq!(client.size(name).expect("size"), 7);
        client.delete(name).expect("dele");
        assert_eq!(client.mkdir(name).expect("mkd"), "/d");
        client.rmdir(name).expect("rmd");
        let sent = sent.bytes();
        let expected: Vec<u8> = ["MDTM", "SIZE", "DELE", "MKD", "RMD"]
            .iter()
            .flat_map(|verb| [verb.as_bytes(), b" caf\xe9\r\n"].concat())
            .collect();
        assert_eq!(sent, expected);
    }

    #[test]
    fn features_are_asked_once() {
        let (mut client, sent) = session(b"211-Features:\r\n MFMT\r\n MDTM\r\n211 End\r\n");
        assert!(client.has_feature("MFMT").expect("feat"));
        assert!(!client.has_feature("MLST").expect("known"));
        assert_eq!(sent.text(), "FEAT\r\n");
        let (mut client, _) = session(b"500 What?\r\n");
        assert!(!client.has_feature("MFMT").expect("no FEAT, no features"));
    }

    #[test]
    fn set_type_sends_type_and_remembers_it() {
        let (mut client, sent) = session(b"200 Binary\r\n504 No\r\n");
        assert_eq!(client.transfer_type(), Representation::Ascii);
        client.set_type(Representation::Binary).expect("TYPE I");
        assert!(client.set_type(Representation::Ascii).is_err());
        assert_eq!(client.transfer_type(), Representation::Binary);
        assert_eq!(sent.text(), "TYPE I\r\nTYPE A\r\n");
    }

    #[test]
    fn feat_parses_the_multi_line_reply() {
        let script = b"211-Features:\r\n MDTM\r\n mlst type*;size*;\r\n UTF8\r\n211 End\r\n";
        let (mut client, sent) = session(script);
        let features = client.feat().expect("feat");
        assert!(features.has("MLST") && features.has("mdtm") && features.has("UTF8"));
        assert!(!features.has("EPSV") && !features.has("Features:"));
        assert_eq!(features.params("MLST"), Some("type*;size*;"));
        assert_eq!(features.params("UTF8"), Some(""));
        assert_eq!(features.lines(), ["MDTM", "mlst type*;size*;", "UTF8"]);
        assert_eq!(sent.text(), "FEAT\r\n");
    }

    #[test]
    fn a_one_line_feat_reply_lists_nothing() {
        let (mut client, _) = session(b"211 No features\r\n");
        assert!(client.feat().expect("feat").lines().is_empty());
    }

    #[test]
    fn site_returns_the_positive_reply() {
        let (mut client, sent) = session(b"200 Mode changed\r\n500 Unknown\r\n");
        assert_eq!(
            client.site("CHMOD 644 f").expect("site").text(),
            "Mode changed"
        );
        assert_eq!(reply_code(client.site("FOO").expect_err("500")), 500);
        assert_eq!(sent.text(), "SITE CHMOD 644 f\r\nSITE FOO\r\n");
    }

    #[test]
    fn abort_reads_426_then_226() {
        let (mut client, sent) =
            session(b"426 Aborted\r\n226 Abort done\r\n225 Nothing to abort\r\n");
        client.abort().expect("abort during a transfer");
        client.abort().expect("abort without one");
        assert_eq!(
            sent.bytes(),
            b"\xff\xf4\xff\xf2ABOR\r\n\xff\xf4\xff\xf2ABOR\r\n"
        );
    }

    #[test]
    fn an_abor_sent_elsewhere_has_its_reply_read_and_nothing_sent() {
        let (mut client, sent) = session(b"226 ABOR successful\r\n257 \"/\"\r\n");
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&seen);
        client.set_observer(Box::new(move |event: &Event| {
            if let Event::Sent(line) = event {
                log.borrow_mut().push(line.to_string());
            }
        }));
        client.finish_abort().expect("the abort's reply");
        assert_eq!(client.pwd().expect("in step"), "/");
        assert_eq!(sent.text(), "PWD\r\n");
        assert_eq!(*seen.borrow(), ["ABOR", "PWD"]);
    }

    #[test]
    fn quit_sends_quit() {
        let (client, sent) = session(b"221 Bye\r\n");
        client.quit().expect("quit");
        assert_eq!(sent.text(), "QUIT\r\n");
    }

    /// A server that sends `first`, then `line` for ever, each read after `pause`.
    struct Endless {
        first: &'static [u8],
        line: &'static [u8],
        pause: Duration,
        sent_first: bool,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            thread::sleep(self.pause);
            let piece = if self.sent_first {
                self.line
            } else {
                self.first
            };
            self.sent_first = true;
            let n = piece.len().min(buf.len());
            buf[..n].copy_from_slice(&piece[..n]);
            Ok(n)
        }
    }

    impl Write for Endless {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn endless(
        line: &'static [u8],
        pause: Duration,
        options: Options,
    ) -> Result<Client<Endless>, Error> {
        let stream = Endless {
            first: b"220-Welcome\r\n",
            line,
            pause,
            sent_first: false,
        };
        let (local, peer) = (canned::V4.0.parse().unwrap(), canned::V4.1.parse().unwrap());
        Client::from_stream(stream, local, peer, options)
    }

    #[test]
    fn over_tcp_the_deadline_cuts_a_waiting_read_short() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            stream.write_all(b"220-Hello\r\n").expect("greet");
            // Silent until the client gives up and closes.
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            let _ = stream.read(&mut [0; 16]);
        });
        let options = Options {
            reply_timeout: Duration::from_secs(10),
            reply_deadline: Duration::from_millis(300),
            ..Options::default()
        };
        let started = Instant::now();
        let err = Client::connect("127.0.0.1", port, None, options).expect_err("never ready");
        assert!(matches!(err, Error::ReplyDeadline { .. }), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        server.join().expect("server");
    }

    #[test]
    fn a_greeting_that_never_ends_stops_at_the_reply_limit() {
        let err =
            endless(b"more and more\r\n", Duration::ZERO, Options::default()).expect_err("no end");
        assert!(
            matches!(err, Error::Core(ftp_core::Error::ReplyTooLong { .. })),
            "{err}"
        );
        assert!(err.to_string().contains("the server sent more"), "{err}");
    }

    #[test]
    fn a_trickled_reply_ends_at_the_overall_deadline() {
        let options = Options {
            reply_deadline: Duration::from_millis(200),
            ..Options::default()
        };
        let started = Instant::now();
        let err = endless(b"x", Duration::from_millis(5), options).expect_err("too slow");
        assert!(matches!(err, Error::ReplyDeadline { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "timed out during read reply: no complete reply within the overall deadline of 0.2 s"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    /// A one-shot control server on loopback that greets and returns what it got.
    fn greeting_server(listener: TcpListener) -> thread::JoinHandle<String> {
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            stream.write_all(b"220 Hello\r\n").expect("greet");
            let mut got = String::new();
            stream.read_to_string(&mut got).expect("read");
            got
        })
    }

    #[test]
    fn connect_reads_the_greeting_over_tcp() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = greeting_server(listener);
        let client = Client::connect("127.0.0.1", port, Some(IpFamily::V4), Options::default())
            .expect("connect");
        assert_eq!(client.greeting().text(), "Hello");
        assert_eq!(client.peer_addr().port(), port);
        assert!(client.local_addr().ip().is_loopback());
        drop(client);
        assert_eq!(server.join().expect("server"), "");
    }

    #[test]
    fn connect_filters_by_family() {
        let err = Client::connect("127.0.0.1", 21, Some(IpFamily::V6), Options::default())
            .expect_err("no IPv6 address");
        assert_eq!(err.to_string(), "127.0.0.1: no IPv6 address");
    }

    #[test]
    fn connect_reports_each_failed_address() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let err = Client::connect("127.0.0.1", port, None, Options::default())
            .expect_err("nobody listens");
        let Error::Connect { host, attempts } = &err else {
            panic!("expected a connect error, got {err}");
        };
        assert_eq!(host, "127.0.0.1");
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].0, SocketAddr::from(([127, 0, 0, 1], port)));
    }
}
