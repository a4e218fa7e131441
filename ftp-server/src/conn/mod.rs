//! The I/O loop of one control connection.
//!
//! [`serve`] reads command lines, parses them, lets the [`Session`] decide,
//! sends the replies and carries out the session's actions: it opens passive
//! listeners, opens data connections (in `data_connection.rs`, the one place
//! with the teaching trace `data: passive (EPSV) — server listens on ...;
//! client connects from ...`), and starts transfers on the session's transfer
//! thread ([`crate::xfer`]) so that the control connection stays responsive:
//! ABOR aborts the transfer (426, then 226), STAT reports its progress, and
//! any other command waits for it to end, so replies stay in order.
//!
//! The control channel is generic: a TCP socket in standalone mode and under
//! inetd, or stdin/stdout when they are pipes (read on a thread of their own,
//! [`PipeReader`], so that they time out too). With the `tls` feature a TCP
//! control connection is a `tls::ControlStream`, which AUTH TLS, CCC and
//! REIN switch between TLS and the clear (`conn/tls.rs`, which also puts
//! TLS on data connections under PROT P). Timeouts: the idle timeout (or
//! before login, what is left of the login timeout) bounds the reading of
//! each command line as a whole, however many reads it takes, so a client
//! that trickles a byte at a time cannot stretch it; a timeout while a
//! transfer runs just waits on.
//!
//! What it does not do: decide replies (the session does) or move file data
//! (the transfer thread does).

use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ftp_core::io::line::{LineReader, DEFAULT_LINE_LIMIT};
use ftp_core::{Command, Error, Phase, Reply};

use crate::config::Config;
use crate::limits::{Limits, Slot};
use crate::quirks::Quirks;
use crate::session::{Action, Outcome, Session, StatusListing};
use crate::xfer::{Running, Worker};
use crate::xferlog::XferLog;

mod data_connection;
#[cfg(feature = "tls")]
mod tls;

#[cfg(feature = "tls")]
pub use tls::serve_implicit;

/// A control-channel reader whose read timeout can be set.
pub trait ControlRead: Read + Send {
    /// Limits how long one read waits; a reader that cannot (a pipe) ignores it.
    fn set_wait(&self, timeout: Duration) -> io::Result<()>;

    /// The channel's TLS side, if it can have one (a TCP connection).
    #[cfg(feature = "tls")]
    fn tls(&self) -> Option<&crate::tls::ControlStream> {
        None
    }

    /// Another handle on the same channel, for a new line reader: after
    /// AUTH TLS nothing that came in the clear may be read as a command.
    #[cfg(feature = "tls")]
    fn handle(&self) -> Option<Self>
    where
        Self: Sized,
    {
        None
    }
}

/// A TCP control connection, shared by the reader and the writer: one
/// descriptor per session (`&TcpStream` reads and writes).
#[derive(Clone)]
pub struct ControlSocket(Arc<TcpStream>);

impl Read for ControlSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Write for ControlSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self.0).flush()
    }
}

impl ControlSocket {
    /// The client's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }

    /// Our address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl ControlRead for ControlSocket {
    fn set_wait(&self, timeout: Duration) -> io::Result<()> {
        self.0
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
    }
}

/// A control channel that is a pipe (inetd over a pipe or a socketpair, as
/// socat's `EXEC:` or stunnel's `exec=` give): read on a thread of its own,
/// so that a read can time out, which a pipe cannot. The thread ends when
/// the pipe ends, or with the process (an inetd session is one process).
pub struct PipeReader {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    /// Bytes received but not yet read, from `start`.
    pending: Vec<u8>,
    start: usize,
    wait: Mutex<Option<Duration>>,
}

impl PipeReader {
    /// Starts reading `input` on a thread.
    pub fn spawn(mut input: impl Read + Send + 'static) -> io::Result<PipeReader> {
        let (sender, chunks) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("pipe".to_string())
            .spawn(move || loop {
                let mut buf = vec![0u8; 4096];
                let read = input.read(&mut buf).map(|n| {
                    buf.truncate(n);
                    buf
                });
                let end = !matches!(&read, Ok(chunk) if !chunk.is_empty());
                if sender.send(read).is_err() || end {
                    break;
                }
            })?;
        Ok(PipeReader {
            chunks,
            pending: Vec::new(),
            start: 0,
            wait: Mutex::new(None),
        })
    }
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.start == self.pending.len() {
            let wait = *self.wait.lock().unwrap_or_else(PoisonError::into_inner);
            let chunk = match wait {
                Some(wait) => self.chunks.recv_timeout(wait).map_err(|err| match err {
                    mpsc::RecvTimeoutError::Timeout => io::ErrorKind::TimedOut,
                    mpsc::RecvTimeoutError::Disconnected => io::ErrorKind::UnexpectedEof,
                }),
                None => self.chunks.recv().map_err(|_| io::ErrorKind::UnexpectedEof),
            };
            match chunk {
                Ok(chunk) => {
                    self.pending = chunk?;
                    self.start = 0;
                }
                Err(io::ErrorKind::UnexpectedEof) => return Ok(0),
                Err(kind) => return Err(kind.into()),
            }
        }
        let n = buf.len().min(self.pending.len() - self.start);
        buf[..n].copy_from_slice(&self.pending[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

impl ControlRead for PipeReader {
    fn set_wait(&self, timeout: Duration) -> io::Result<()> {
        *self.wait.lock().unwrap_or_else(PoisonError::into_inner) = Some(timeout);
        Ok(())
    }
}

/// The control reader with one deadline for a whole command line. The
/// [`LineReader`] may read many times for one line; each read here waits only
/// for what is left until the deadline, and one after it fails with
/// `TimedOut`.
struct Deadline<R> {
    inner: R,
    /// When the line being read must be complete; `None`: no timeout.
    until: Option<Instant>,
}

impl<R: ControlRead> Read for Deadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(until) = self.until {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            // A socket that refuses a timeout still works.
            let _ = self.inner.set_wait(left);
        }
        self.inner.read(buf)
    }
}

/// The writing half of the control connection, shared with transfer threads
/// (which send the final 226/426/451 themselves).
#[derive(Clone)]
pub struct ControlWriter {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    peer: SocketAddr,
    /// How replies are written: at once, or as `--quirk` wants them.
    quirks: Arc<Quirks>,
}

impl ControlWriter {
    /// Wraps `out`; `peer` names the client in the dialog log; replies are
    /// written as `quirks` want (see [`Quirks::write_reply`]).
    pub fn new(out: Box<dyn Write + Send>, peer: SocketAddr, quirks: Quirks) -> ControlWriter {
        ControlWriter {
            out: Arc::new(Mutex::new(out)),
            peer,
            quirks: Arc::new(quirks),
        }
    }

    /// Sends a 213 reply whose middle lines are a listing, rendered as the
    /// connection takes them (the writer is held meanwhile, so nothing else
    /// comes between its lines).
    pub fn send_listing(&self, status: StatusListing) -> io::Result<()> {
        let StatusListing { first, lines, last } = status;
        log::debug!("{} -> 213-{first} (a listing, sent as rendered)", self.peer);
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut wire = io::BufWriter::with_capacity(16 << 10, &mut *out);
        write!(wire, "213-{first}\r\n")?;
        let mut lines = io::BufReader::with_capacity(4 << 10, lines);
        let mut line = Vec::new();
        while lines.read_until(b'\n', &mut line)? > 0 {
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            write!(wire, "{}\r\n", ftp_core::protocol::reply::middle_line(text))?;
            line.clear();
        }
        write!(wire, "213 {last}\r\n")?;
        wire.flush()
    }

    /// Sends one reply, in one write (unless a quirk says otherwise).
    pub fn send(&self, reply: &Reply) -> io::Result<()> {
        log::debug!("{} -> {reply}", self.peer);
        // A poisoned lock only means another thread panicked mid-write.
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.quirks.write_reply(&mut *out, reply)
    }
}

/// What the shared parts of the server give each connection.
#[derive(Clone)]
pub struct Shared {
    /// The checked configuration.
    pub config: Arc<Config>,
    /// The transfer log, if `--xferlog` is set.
    pub xferlog: Option<Arc<XferLog>>,
    /// Passive listeners per client address, when `--pasv-ports` bounds them.
    pub passive_limits: Option<Arc<Limits>>,
}

/// The control channel of one session: its two halves and its two ends.
pub struct Channel<R> {
    /// Where commands come from.
    pub reader: R,
    /// Where replies go.
    pub writer: Box<dyn Write + Send>,
    /// The client's address.
    pub peer: SocketAddr,
    /// Our address.
    pub local: SocketAddr,
    /// Whether `peer` is the client's real address: false on a pipe, where
    /// it cannot be known, and active mode is refused.
    pub peer_known: bool,
}

/// The control connection of a TCP session: with the `tls` feature, one
/// that can take TLS.
#[cfg(feature = "tls")]
type TcpControl = crate::tls::ControlStream;
#[cfg(not(feature = "tls"))]
type TcpControl = ControlSocket;

/// Serves one client on a TCP control connection until it ends.
pub fn serve_tcp(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    serve(tcp_channel(stream, shared)?, shared);
    Ok(())
}

/// The channel of a TCP control connection.
fn tcp_channel(stream: TcpStream, shared: &Shared) -> io::Result<Channel<TcpControl>> {
    stream.set_write_timeout(Some(shared.config.idle_timeout))?;
    // Every reply is written whole; without this, Nagle holds a reply (226
    // after 150) until the client's delayed ACK, ~40 ms per transfer.
    stream.set_nodelay(true)?;
    #[cfg(feature = "tls")]
    let socket = crate::tls::ControlStream::new(stream);
    #[cfg(not(feature = "tls"))]
    let socket = ControlSocket(Arc::new(stream));
    Ok(Channel {
        peer: socket.peer_addr()?,
        local: socket.local_addr()?,
        reader: socket.clone(),
        writer: Box::new(socket),
        peer_known: true,
    })
}

/// Serves one client on `channel` until the session ends.
pub fn serve<R: ControlRead>(channel: Channel<R>, shared: &Shared) {
    serve_session(channel, shared, |session| session);
}

/// Serves one client on `channel`, in a session `prepare` has made ready.
fn serve_session<R: ControlRead>(
    channel: Channel<R>,
    shared: &Shared,
    prepare: impl FnOnce(Session) -> Session,
) {
    let Channel {
        reader,
        writer,
        peer,
        local,
        peer_known,
    } = channel;
    log::info!("{peer}: session start (server address {local})");
    let session = Session::new(Arc::clone(&shared.config), peer.ip(), local.ip());
    #[cfg(feature = "tls")]
    let session = if reader.tls().is_some() {
        session
    } else {
        session.without_tls()
    };
    let session = prepare(session);
    let mut conn = Conn {
        reader: LineReader::new(
            Deadline {
                inner: reader,
                until: None,
            },
            DEFAULT_LINE_LIMIT,
            Phase::Command,
        ),
        writer: ControlWriter::new(writer, peer, shared.config.quirks.clone()),
        session: {
            if peer_known {
                session
            } else {
                session.with_unknown_peer()
            }
        },
        shared: shared.clone(),
        peer,
        listener: None,
        worker: Worker::default(),
        running: None,
        login_clock: Instant::now(),
        idle_since: Instant::now(),
    };
    let reason = conn.run();
    log::info!("{peer}: session end ({reason})");
}

/// Why a session ended when the client closed the control connection.
const CLIENT_CLOSED: &str = "client closed the connection";

/// Whether the loop goes on.
enum Flow {
    /// Read the next command.
    Continue,
    /// End the session, for this reason (logged).
    Stop(&'static str),
}

/// One control connection's I/O state around its [`Session`].
struct Conn<R> {
    reader: LineReader<Deadline<R>>,
    writer: ControlWriter,
    session: Session,
    shared: Shared,
    peer: SocketAddr,
    /// The passive listener set up by PASV/EPSV, while the session expects one.
    listener: Option<PassiveListener>,
    /// The session's transfer thread, from its first transfer on.
    worker: Worker,
    running: Option<Running>,
    /// When the session last started waiting for a login (connect, REIN).
    login_clock: Instant,
    /// When the last command line came (or the session started).
    idle_since: Instant,
}

/// A session's one passive listener: given back when the next transfer
/// takes it, or after the data timeout unused.
struct PassiveListener {
    socket: TcpListener,
    opened: Instant,
    /// Its place among the client address's listeners, if they are bounded.
    _slot: Option<Slot>,
}

impl<R: ControlRead> Conn<R> {
    fn run(&mut self) -> &'static str {
        if self.writer.send(&self.session.greeting()).is_err() {
            return "client gone before the greeting";
        }
        let reason = loop {
            let Some(wait) = self.wait_time() else {
                break self.time_out();
            };
            // The whole next line is due by then.
            self.reader.get_mut().until = Some(Instant::now() + wait);
            match self.reader.read_line() {
                Ok(Some(line)) => {
                    self.idle_since = Instant::now();
                    match self.line(&line) {
                        Flow::Continue => {}
                        Flow::Stop(reason) => break reason,
                    }
                }
                Ok(None) | Err(Error::ConnectionClosed) => break CLIENT_CLOSED,
                Err(Error::Timeout(_)) if self.running.is_some() => self.reap_finished(),
                Err(Error::Timeout(_)) if self.passive_expired() => {}
                Err(Error::Timeout(_)) => break self.time_out(),
                Err(Error::LineTooLong { limit }) => {
                    let _ = self.writer.send(&self.session.line_too_long(limit));
                }
                Err(err) => {
                    log::debug!("{}: control read failed: {err}", self.peer);
                    break "control connection failed";
                }
            }
        };
        // A client that hangs up during a transfer lets it end by itself
        // (its data connection decides, within the data timeout): an upload
        // whose data all came is kept. Any other end of the session aborts it.
        if let Some(running) = self.running.take() {
            if reason == CLIENT_CLOSED {
                running.wait();
            } else {
                running.abort();
            }
        }
        reason
    }

    /// How long the next read may wait: what is left of the idle timeout (and
    /// before login, of the login timeout; `None` when that is used up), but
    /// no longer than the passive listener has left, if one is held.
    fn wait_time(&self) -> Option<Duration> {
        let config = &self.shared.config;
        let idle = config
            .idle_timeout
            .saturating_sub(self.idle_since.elapsed());
        let wait = if self.session.user().is_some() {
            idle
        } else {
            let left = config
                .login_timeout
                .saturating_sub(self.login_clock.elapsed());
            if left.is_zero() {
                return None;
            }
            left.min(idle)
        };
        Some(match &self.listener {
            Some(listener) => wait.min(self.listener_left(listener)),
            None => wait,
        })
    }

    /// How long the passive listener may still wait for its transfer.
    fn listener_left(&self, listener: &PassiveListener) -> Duration {
        self.shared
            .config
            .data_timeout
            .saturating_sub(listener.opened.elapsed())
    }

    /// Gives back a passive listener left unused for the data timeout, so a
    /// client cannot hold ports for as long as it stays idle; whether it did.
    fn passive_expired(&mut self) -> bool {
        let expired = self
            .listener
            .as_ref()
            .is_some_and(|listener| self.listener_left(listener).is_zero());
        if expired {
            log::debug!(
                "{}: passive listener unused for the data timeout: closed",
                self.peer
            );
            self.listener = None;
            self.session.passive_expired();
        }
        expired
    }

    fn time_out(&self) -> &'static str {
        let _ = self.writer.send(&self.session.timed_out());
        "timeout"
    }

    /// Handles one command line.
    fn line(&mut self, line: &[u8]) -> Flow {
        let parsed = Command::parse(line);
        if let Some(running) = self.running.take() {
            match parsed {
                Ok(Command::Abor) => return self.abort(running),
                Ok(Command::Stat(None)) => {
                    let reply = self.session.transfer_status(running.bytes());
                    self.running = Some(running);
                    return self.reply(&reply);
                }
                // Anything else waits for the transfer's final reply.
                _ => running.wait(),
            }
        }
        match parsed {
            Ok(command) => {
                log::debug!("{} <- {}", self.peer, command.log_form());
                let was_logged_in = self.session.user().is_some();
                let outcome = self.session.handle(command);
                if was_logged_in && self.session.user().is_none() {
                    // REIN: a new login, with a new login timeout.
                    self.login_clock = Instant::now();
                }
                self.act(outcome)
            }
            Err(err) => {
                log::debug!(
                    "{} <- (unparsable) {}",
                    self.peer,
                    ftp_core::protocol::command::loggable_line(line)
                );
                self.reply(&self.session.unparsable(&err))
            }
        }
    }

    fn abort(&mut self, running: Running) -> Flow {
        log::debug!("{} <- ABOR (transfer running)", self.peer);
        let reply = self.session.abort_reply(running.abort());
        self.reply(&reply)
    }

    fn reap_finished(&mut self) {
        self.running = self.running.take().and_then(Running::unless_finished);
    }

    fn reply(&self, reply: &Reply) -> Flow {
        match self.writer.send(reply) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop("client gone"),
        }
    }

    /// Sends the outcome's reply and carries out its action.
    fn act(&mut self, outcome: Outcome) -> Flow {
        let Outcome { reply, action } = outcome;
        if let Action::FailedLogin { .. } = action {
            std::thread::sleep(self.shared.config.login_fail_delay);
        }
        // A transfer's reply, its 150, waits until its data connection is open.
        if let (Some(reply), false) = (&reply, matches!(action, Action::Transfer(_))) {
            if let Flow::Stop(reason) = self.reply(reply) {
                return Flow::Stop(reason);
            }
        }
        let flow = match action {
            Action::None => Flow::Continue,
            Action::Close => Flow::Stop("QUIT"),
            Action::FailedLogin { close: true } => Flow::Stop("too many failed logins"),
            Action::FailedLogin { close: false } => Flow::Continue,
            Action::OpenPassive { ip, command } => self.open_passive(ip, command),
            Action::Transfer(transfer) => self.start_transfer(*transfer, reply.as_ref()),
            Action::StatusListing(status) => match self.writer.send_listing(*status) {
                Ok(()) => Flow::Continue,
                Err(_) => Flow::Stop("client gone"),
            },
            #[cfg(feature = "tls")]
            Action::StartTls => self.start_tls(),
            #[cfg(feature = "tls")]
            Action::ClearControl => self.clear_control(),
        };
        if !self.session.passive_pending() {
            self.listener = None;
        }
        flow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_args, Parsed};
    use crate::storage::tests::Scratch;

    /// Commands from a byte string; a reader that cannot time out.
    struct Script(io::Cursor<Vec<u8>>);

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl ControlRead for Script {
        fn set_wait(&self, _timeout: Duration) -> io::Result<()> {
            Ok(())
        }
    }

    /// A writer whose bytes the test can read afterwards.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Runs a whole session on `input` and returns what the server wrote.
    fn dialog(options: &[&str], input: &[u8]) -> String {
        let dir = Scratch::new("conn");
        let mut args = vec!["--root".to_string(), dir.0.to_string_lossy().into_owned()];
        args.extend(options.iter().map(|s| s.to_string()));
        let Ok(Parsed::Run(mut config)) = parse_args(&args) else {
            panic!("bad options")
        };
        config.login_fail_delay = Duration::ZERO;
        let shared = Shared {
            config: Arc::new(*config),
            xferlog: None,
            passive_limits: None,
        };
        let out = Captured::default();
        let addr: SocketAddr = "127.0.0.1:2121".parse().expect("addr");
        let channel = Channel {
            reader: Script(io::Cursor::new(input.to_vec())),
            writer: Box::new(out.clone()),
            peer: addr,
            local: addr,
            peer_known: true,
        };
        serve(channel, &shared);
        let bytes = out.0.lock().expect("lock").clone();
        String::from_utf8(bytes).expect("utf-8 replies")
    }

    fn codes(replies: &str) -> Vec<&str> {
        replies
            .split("\r\n")
            .filter(|l| l.len() > 3 && l.as_bytes()[3] == b' ')
            .map(|l| &l[..3])
            .collect()
    }

    #[test]
    fn pipelined_commands_are_answered_in_order() {
        let replies = dialog(
            &[],
            b"USER anonymous\r\nPASS x\nPWD\rNOOP\r\nQUIT\r\nNOOP\r\n",
        );
        assert_eq!(
            codes(&replies),
            ["220", "331", "230", "257", "200", "221"],
            "{replies}"
        );
    }

    #[test]
    fn a_line_over_the_limit_gets_500_and_the_session_goes_on() {
        let mut input = b"NOOP ".to_vec();
        input.extend(std::iter::repeat_n(b'x', DEFAULT_LINE_LIMIT + 10));
        input.extend_from_slice(b"\r\nNOOP\r\n");
        let replies = dialog(&[], &input);
        assert_eq!(codes(&replies), ["220", "500", "200"], "{replies}");
    }

    #[test]
    fn the_third_failed_login_closes_the_session() {
        let input = b"USER a\r\nPASS x\r\nUSER a\r\nPASS x\r\nUSER a\r\nPASS x\r\nNOOP\r\n";
        let replies = dialog(&["--user", "a:right"], input);
        assert_eq!(
            codes(&replies),
            ["220", "331", "530", "331", "530", "331", "530"],
            "{replies}"
        );
    }

    #[test]
    fn telnet_commands_and_bad_lines_do_not_end_the_session() {
        let replies = dialog(&[], b"\xff\xf4\xff\xf2NOOP\r\n\x01\r\nRETR\r\nSYST\r\n");
        assert_eq!(
            codes(&replies),
            ["220", "200", "500", "501", "215"],
            "{replies}"
        );
    }

    /// A client that sends a byte every 10 ms and ends its line only after
    /// 100 of them (so that a reader without a deadline returns, late).
    struct Trickle(usize);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            std::thread::sleep(Duration::from_millis(10));
            self.0 += 1;
            let Some(byte) = buf.first_mut() else {
                return Ok(0);
            };
            *byte = if self.0 < 100 { b'N' } else { b'\n' };
            Ok(1)
        }
    }

    impl ControlRead for Trickle {
        fn set_wait(&self, _timeout: Duration) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_trickled_byte_by_byte_times_out_at_its_deadline() {
        let started = Instant::now();
        let deadline = Deadline {
            inner: Trickle(0),
            until: Some(started + Duration::from_millis(100)),
        };
        let mut reader = LineReader::new(deadline, DEFAULT_LINE_LIMIT, Phase::Command);
        let read = reader.read_line();
        assert!(
            matches!(read, Err(Error::Timeout(Phase::Command))),
            "{read:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(500));
    }
}
