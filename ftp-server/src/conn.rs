//! The I/O loop of one control connection.
//!
//! [`serve`] reads command lines, parses them, lets the [`Session`] decide,
//! sends the replies and carries out the session's actions: it opens passive
//! listeners, opens data connections (the one place with the teaching trace
//! `data: passive (EPSV) — server listens on ...; client ... connected`), and
//! starts transfers on their own thread ([`crate::xfer`]) so that the control
//! connection stays responsive: ABOR aborts the transfer (426, then 226),
//! STAT reports its progress, and any other command waits for it to end, so
//! replies stay in order.
//!
//! The control channel is generic: a TCP socket in standalone mode and under
//! inetd, or stdin/stdout when they are pipes. Timeouts: the idle timeout (or
//! before login, what is left of the login timeout) bounds every read; a
//! timeout while a transfer runs just waits on. On a pipe there are no read
//! timeouts.
//!
//! What it does not do: decide replies (the session does) or move file data
//! (the transfer thread does).

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ftp_core::line::{LineReader, DEFAULT_LINE_LIMIT};
use ftp_core::{data, Command, CommandError, Error, Phase, Reply};

use crate::config::Config;
use crate::session::{Action, DataSetup, Outcome, PassiveKind, Session, Transfer};
use crate::xfer::{Running, XferContext};
use crate::xferlog::XferLog;

/// A control-channel reader whose read timeout can be set.
pub trait ControlRead: Read + Send {
    /// Limits how long one read waits; a reader that cannot (a pipe) ignores it.
    fn set_wait(&self, timeout: Duration) -> io::Result<()>;
}

impl ControlRead for TcpStream {
    fn set_wait(&self, timeout: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
    }
}

impl ControlRead for io::Stdin {
    fn set_wait(&self, _timeout: Duration) -> io::Result<()> {
        Ok(())
    }
}

/// The writing half of the control connection, shared with transfer threads
/// (which send the final 226/426/451 themselves).
#[derive(Clone)]
pub struct ControlWriter {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    peer: SocketAddr,
}

impl ControlWriter {
    /// Wraps `out`; `peer` names the client in the dialog log.
    pub fn new(out: Box<dyn Write + Send>, peer: SocketAddr) -> ControlWriter {
        ControlWriter {
            out: Arc::new(Mutex::new(out)),
            peer,
        }
    }

    /// Sends one reply, in one write.
    pub fn send(&self, reply: &Reply) -> io::Result<()> {
        log::debug!("{} -> {reply}", self.peer);
        // A poisoned lock only means another thread panicked mid-write.
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        out.write_all(&reply.to_wire())?;
        out.flush()
    }
}

/// What the shared parts of the server give each connection.
#[derive(Clone)]
pub struct Shared {
    /// The checked configuration.
    pub config: Arc<Config>,
    /// The transfer log, if `--xferlog` is set.
    pub xferlog: Option<Arc<XferLog>>,
}

/// The control channel of one session: its two halves, its two ends, and
/// the socket itself when it is one.
pub struct Channel<R> {
    /// Where commands come from.
    pub reader: R,
    /// Where replies go.
    pub writer: Box<dyn Write + Send>,
    /// The client's address.
    pub peer: SocketAddr,
    /// Our address.
    pub local: SocketAddr,
    /// The control socket, to check whether the client is still there when
    /// an upload ends; `None` for pipes.
    pub socket: Option<TcpStream>,
}

/// Serves one client on a TCP control connection until it ends.
pub fn serve_tcp(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_write_timeout(Some(shared.config.idle_timeout))?;
    let channel = Channel {
        reader: stream.try_clone()?,
        peer: stream.peer_addr()?,
        local: stream.local_addr()?,
        socket: Some(stream.try_clone()?),
        writer: Box::new(stream),
    };
    serve(channel, shared);
    Ok(())
}

/// Serves one client on `channel` until the session ends.
pub fn serve<R: ControlRead>(channel: Channel<R>, shared: &Shared) {
    let Channel {
        reader,
        writer,
        peer,
        local,
        socket,
    } = channel;
    log::info!("{peer}: session start (server address {local})");
    let mut conn = Conn {
        reader: LineReader::new(reader, DEFAULT_LINE_LIMIT, Phase::Command),
        writer: ControlWriter::new(writer, peer),
        session: Session::new(Arc::clone(&shared.config), peer.ip(), local.ip()),
        shared: shared.clone(),
        peer,
        socket: socket.map(Arc::new),
        listener: None,
        running: None,
        started: Instant::now(),
    };
    let reason = conn.run();
    log::info!("{peer}: session end ({reason})");
}

/// Whether the loop goes on.
enum Flow {
    Continue,
    Stop(&'static str),
}

struct Conn<R> {
    reader: LineReader<R>,
    writer: ControlWriter,
    session: Session,
    shared: Shared,
    peer: SocketAddr,
    socket: Option<Arc<TcpStream>>,
    /// The passive listener set up by PASV/EPSV, while the session expects one.
    listener: Option<TcpListener>,
    running: Option<Running>,
    started: Instant,
}

impl<R: ControlRead> Conn<R> {
    fn run(&mut self) -> &'static str {
        if self.writer.send(&Session::greeting()).is_err() {
            return "client gone before the greeting";
        }
        let reason = loop {
            let Some(wait) = self.wait_time() else {
                break self.time_out("Login timeout");
            };
            // A pipe has no timeouts; a socket that refuses one still works.
            let _ = self.reader.get_ref().set_wait(wait);
            match self.reader.read_line() {
                Ok(Some(line)) => match self.line(&line) {
                    Flow::Continue => {}
                    Flow::Stop(reason) => break reason,
                },
                Ok(None) | Err(Error::ConnectionClosed) => break "client closed the connection",
                Err(Error::Timeout(_)) if self.running.is_some() => self.reap_finished(),
                Err(Error::Timeout(_)) if self.session.user().is_some() => {
                    break self.time_out("Idle timeout")
                }
                Err(Error::Timeout(_)) => break self.time_out("Login timeout"),
                Err(Error::LineTooLong { limit }) => {
                    let _ = self
                        .writer
                        .send(&Reply::new(500, format!("Line longer than {limit} bytes")));
                }
                Err(err) => {
                    log::debug!("{}: control read failed: {err}", self.peer);
                    break "control connection failed";
                }
            }
        };
        if let Some(running) = self.running.take() {
            running.abort();
        }
        reason
    }

    /// How long the next read may wait: the idle timeout, or before login
    /// what is left of the login timeout (`None` when that is used up).
    fn wait_time(&self) -> Option<Duration> {
        let config = &self.shared.config;
        if self.session.user().is_some() {
            return Some(config.idle_timeout);
        }
        let left = config.login_timeout.saturating_sub(self.started.elapsed());
        (!left.is_zero()).then_some(left.min(config.idle_timeout))
    }

    fn time_out(&self, what: &str) -> &'static str {
        let text = format!("{what}: closing control connection");
        let _ = self.writer.send(&Reply::new(421, text));
        "timeout"
    }

    /// Handles one command line.
    fn line(&mut self, line: &[u8]) -> Flow {
        let parsed = Command::parse(line);
        if let Some(running) = self.running.take() {
            match parsed {
                Ok(Command::Abor) => return self.abort(running),
                Ok(Command::Stat(None)) => {
                    let text = format!("Transfer in progress: {} bytes so far", running.bytes());
                    self.running = Some(running);
                    return self.reply(&Reply::new(213, text));
                }
                // Anything else waits for the transfer's final reply.
                _ => running.wait(),
            }
        }
        match parsed {
            Ok(command) => {
                log::debug!("{} <- {}", self.peer, command.log_form());
                let outcome = self.session.handle(command);
                self.act(outcome)
            }
            Err(err) => {
                log::debug!(
                    "{} <- (unparsable) {}",
                    self.peer,
                    String::from_utf8_lossy(line)
                );
                self.reply(&parse_error_reply(line, &err))
            }
        }
    }

    fn abort(&mut self, running: Running) -> Flow {
        log::debug!("{} <- ABOR (transfer running)", self.peer);
        if running.abort() {
            self.reply(&Reply::new(226, "ABOR successful"))
        } else {
            self.reply(&Reply::new(
                225,
                "Transfer already complete; nothing to abort",
            ))
        }
    }

    fn reap_finished(&mut self) {
        if self.running.as_ref().is_some_and(Running::is_finished) {
            if let Some(running) = self.running.take() {
                running.wait();
            }
        }
    }

    fn reply(&self, reply: &Reply) -> Flow {
        match self.writer.send(reply) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop("client gone"),
        }
    }

    /// Sends the outcome's reply and carries out its action.
    fn act(&mut self, outcome: Outcome) -> Flow {
        if let Action::FailedLogin { .. } = outcome.action {
            std::thread::sleep(self.shared.config.login_fail_delay);
        }
        if let Some(reply) = &outcome.reply {
            if let Flow::Stop(reason) = self.reply(reply) {
                return Flow::Stop(reason);
            }
        }
        let flow = match outcome.action {
            Action::None => Flow::Continue,
            Action::Close => Flow::Stop("QUIT"),
            Action::FailedLogin { close: true } => Flow::Stop("too many failed logins"),
            Action::FailedLogin { close: false } => Flow::Continue,
            Action::OpenPassive { ip, kind } => self.open_passive(ip, kind),
            Action::Transfer(transfer) => self.start_transfer(*transfer),
        };
        if !self.session.passive_pending() {
            self.listener = None;
        }
        flow
    }

    fn open_passive(&mut self, ip: IpAddr, kind: PassiveKind) -> Flow {
        let listened = data::listen(ip, self.shared.config.pasv_ports.clone())
            .and_then(|listener| Ok((listener.local_addr()?, listener)));
        let reply = match listened {
            Ok((addr, listener)) => {
                log::debug!("data: passive ({}) — server listens on {addr}", kind.verb());
                self.listener = Some(listener);
                self.session.passive_opened(kind, addr)
            }
            Err(err) => {
                log::warn!(
                    "{}: cannot listen on {ip} for {}: {err}",
                    self.peer,
                    kind.verb()
                );
                self.session.passive_failed(&err)
            }
        };
        self.reply(&reply)
    }

    fn start_transfer(&mut self, transfer: Transfer) -> Flow {
        let stream = match self.open_data(transfer.data) {
            Ok(stream) => stream,
            Err(text) => return self.reply(&Reply::new(425, text)),
        };
        let timeout = Some(self.shared.config.data_timeout);
        if let Err(err) = stream
            .set_read_timeout(timeout)
            .and(stream.set_write_timeout(timeout))
        {
            return self.reply(&Reply::new(
                425,
                format!("Cannot set up the data connection: {err}"),
            ));
        }
        let context = XferContext {
            peer: self.peer.ip(),
            data: transfer.data,
            control: self.socket.clone(),
            xferlog: self.shared.xferlog.clone(),
        };
        match Running::spawn(transfer, stream, self.writer.clone(), context) {
            Ok(running) => {
                self.running = Some(running);
                Flow::Continue
            }
            Err(err) => {
                log::error!("cannot start a transfer thread: {err}");
                self.reply(&Reply::new(
                    451,
                    "Cannot start the transfer; try again later",
                ))
            }
        }
    }

    /// Opens the data connection as `setup` says; on failure, the 425 text.
    fn open_data(&mut self, setup: DataSetup) -> Result<TcpStream, String> {
        let timeout = self.shared.config.data_timeout;
        match setup {
            DataSetup::Active { addr, verb } => match data::connect(addr, timeout) {
                Ok(stream) => {
                    let from = stream
                        .local_addr()
                        .map_or("?".to_string(), |a| a.to_string());
                    log::debug!("data: active ({verb}) — client listens on {addr}; server connects from {from}");
                    Ok(stream)
                }
                Err(err) => Err(active_failure(verb, addr, timeout, &err)),
            },
            DataSetup::Passive(kind) => {
                let listener = self.listener.take().ok_or("Use PASV or EPSV first")?;
                let addr = listener
                    .local_addr()
                    .map_or("?".to_string(), |a| a.to_string());
                let peer = self.peer.ip();
                let mut refused = |from: SocketAddr| {
                    log::warn!(
                        "data: refused a connection to {addr} from {from}: not the client {peer}"
                    );
                };
                match data::accept_with(&listener, Some(peer), timeout, &mut refused) {
                    Ok(stream) => {
                        let client = stream
                            .peer_addr()
                            .map_or("?".to_string(), |a| a.to_string());
                        let verb = kind.verb();
                        log::debug!("data: passive ({verb}) — server listens on {addr}; client {client} connected");
                        Ok(stream)
                    }
                    Err(err) => Err(passive_failure(kind, &addr, timeout, &err)),
                }
            }
        }
    }
}

/// The 425 text for an active connection that failed; a timeout names the
/// likely cause.
fn active_failure(verb: &str, addr: SocketAddr, timeout: Duration, err: &Error) -> String {
    let text = match err {
        Error::Timeout(_) => format!(
            "Cannot open data connection to {addr}: no answer within {} s \
             (a firewall or NAT in front of the client blocks active mode; try passive)",
            timeout.as_secs()
        ),
        other => format!("Cannot open data connection to {addr}: {other}"),
    };
    log::warn!("data: active ({verb}) failed: {text}");
    text
}

/// The 425 text for a passive connection that never came.
fn passive_failure(kind: PassiveKind, addr: &str, timeout: Duration, err: &Error) -> String {
    let text = match err {
        Error::Timeout(_) => format!(
            "Cannot open data connection: nobody connected to {addr} within {} s \
             (a firewall or NAT in front of the server blocks passive mode; \
             see --pasv-address and --pasv-ports)",
            timeout.as_secs()
        ),
        other => format!("Cannot open data connection: {other}"),
    };
    log::warn!("data: passive ({}) failed: {text}", kind.verb());
    text
}

/// The reply to a line that is not a valid command: 500 or 501, or 522 for
/// an EPRT with an address family we do not know (RFC 2428).
fn parse_error_reply(line: &[u8], err: &CommandError) -> Reply {
    let verb = line.split(|&b| b == b' ').next().unwrap_or_default();
    if verb.eq_ignore_ascii_case(b"EPRT") {
        let arg = String::from_utf8_lossy(line.get(5..).unwrap_or_default());
        if let Err(addr_err) = ftp_core::addr::parse_eprt(&arg) {
            if ftp_core::addr::is_unsupported_protocol(&addr_err) {
                return Reply::new(522, "Network protocol not supported, use (1,2)");
            }
        }
    }
    Reply::new(err.reply_code(), err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_args, Parsed};
    use crate::fs::tests::Scratch;

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
        };
        let out = Captured::default();
        let addr: SocketAddr = "127.0.0.1:2121".parse().expect("addr");
        let channel = Channel {
            reader: Script(io::Cursor::new(input.to_vec())),
            writer: Box::new(out.clone()),
            peer: addr,
            local: addr,
            socket: None,
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

    fn reply_for(line: &[u8]) -> Reply {
        let err = Command::parse(line).expect_err("invalid line");
        parse_error_reply(line, &err)
    }

    #[test]
    fn parse_errors_map_to_500_501_and_522() {
        assert_eq!(reply_for(b"\x01\x02").code.0, 500);
        assert_eq!(reply_for(b"RETR").code.0, 501);
        assert_eq!(reply_for(b"PORT 1,2,3").code.0, 501);
        assert_eq!(reply_for(b"EPRT |3|x|1025|").code.0, 522);
        assert_eq!(reply_for(b"eprt |9|1.2.3.4|1025|").code.0, 522);
        assert_eq!(reply_for(b"EPRT |1|not-an-ip|1025|").code.0, 501);
    }

    #[test]
    fn data_failures_name_the_likely_cause() {
        let addr: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
        let timeout = Duration::from_secs(5);
        let text = active_failure("PORT", addr, timeout, &Error::Timeout(Phase::Connect));
        assert!(
            text.contains("firewall or NAT in front of the client"),
            "{text}"
        );
        let text = passive_failure(
            PassiveKind::Epsv,
            "[::1]:3000",
            timeout,
            &Error::Timeout(Phase::Accept),
        );
        assert!(
            text.contains("in front of the server") && text.contains("--pasv-address"),
            "{text}"
        );
    }
}
