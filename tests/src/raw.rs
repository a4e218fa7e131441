//! A control connection driven by the test itself: every byte it sends is
//! chosen by the test, and every reply is parsed by `ftp-core`. Replies are
//! read on a thread of their own, so that every wait for one has a timeout.
//! It runs over TCP or over any pair of pipes (a server in inetd mode), and
//! opens data connections in passive (EPSV, PASV) and active (PORT) mode.
//!
//! What it does not do: fall back, retry or hide a reply. A test that wants
//! a client's conveniences uses the `ftp-client` library.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ftp_core::protocol::reply::{Reply, ReplyParser, Status};

use crate::lines_on_a_thread;
use crate::server::{PASSWORD, USER};

/// How long a test waits for one reply before it fails.
pub const REPLY_WAIT: Duration = Duration::from_secs(10);

/// A control connection; see the module documentation.
pub struct Raw {
    lines: mpsc::Receiver<Vec<u8>>,
    out: Box<dyn Write + Send>,
    /// The TCP connection, unless it runs over pipes.
    socket: Option<TcpStream>,
    /// Where passive data connections go: the server's address.
    data_host: IpAddr,
}

impl Raw {
    /// Connects and reads the greeting, which must be `220`.
    pub fn open(addr: SocketAddr) -> Raw {
        let mut raw = Raw::connect(addr);
        let greeting = raw.reply();
        assert_eq!(greeting.code.0, 220, "{greeting}");
        raw
    }

    /// Connects, and logs in as alice.
    pub fn login(addr: SocketAddr) -> Raw {
        Raw::login_as(addr, USER, PASSWORD)
    }

    /// Connects, and logs in as `user` with `password`.
    pub fn login_as(addr: SocketAddr, user: &str, password: &str) -> Raw {
        let mut raw = Raw::open(addr);
        raw.log_in(user, password);
        raw
    }

    /// Connects without reading anything.
    pub fn connect(addr: SocketAddr) -> Raw {
        Raw::over_tcp(TcpStream::connect(addr).expect("control connection"))
    }

    /// Drives an open TCP connection.
    pub fn over_tcp(stream: TcpStream) -> Raw {
        let input = stream.try_clone().expect("clone");
        let data_host = stream.peer_addr().expect("peer").ip();
        Raw {
            lines: lines_on_a_thread(input),
            out: Box::new(stream.try_clone().expect("clone")),
            socket: Some(stream),
            data_host,
        }
    }

    /// Drives a server that reads `out` and writes `input` (a server in
    /// inetd mode on pipes); passive data connections go to 127.0.0.1.
    pub fn over(input: impl Read + Send + 'static, out: impl Write + Send + 'static) -> Raw {
        Raw {
            lines: lines_on_a_thread(input),
            out: Box::new(out),
            socket: None,
            data_host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }

    /// `USER`, `331`, `PASS`, `230`.
    pub fn log_in(&mut self, user: &str, password: &str) {
        self.expect(&format!("USER {user}"), 331);
        self.expect(&format!("PASS {password}"), 230);
    }

    /// The control socket (to send from another thread, or to drop).
    pub fn stream(&self) -> &TcpStream {
        self.socket.as_ref().expect("a TCP control connection")
    }

    /// Sends `bytes` as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.out.write_all(bytes).expect("send to the server");
        self.out.flush().expect("send to the server");
    }

    /// Sends `bytes` on a thread, so that the test can read the replies
    /// meanwhile (a server that answers a flood line by line would otherwise
    /// block on a client that does not read). The thread returns whether
    /// everything was sent.
    pub fn send_in_background(&self, bytes: Vec<u8>) -> thread::JoinHandle<bool> {
        let mut out = self.stream().try_clone().expect("clone");
        thread::spawn(move || out.write_all(&bytes).is_ok())
    }

    /// The next reply; fails the test if none comes within [`REPLY_WAIT`].
    pub fn reply(&mut self) -> Reply {
        self.next_reply(REPLY_WAIT)
            .unwrap_or_else(|| panic!("no reply within {REPLY_WAIT:?}"))
    }

    /// The next reply, or `None` if the connection closes or nothing comes
    /// within `wait`. A line that is no reply fails the test.
    pub fn next_reply(&mut self, wait: Duration) -> Option<Reply> {
        let mut parser = ReplyParser::new();
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.lines.recv_timeout(left).ok()?;
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            match parser.feed(line) {
                Ok(Status::Complete(reply)) => return Some(reply),
                Ok(Status::Partial) => {}
                Err(err) => panic!("not a reply: {err}"),
            }
        }
    }

    /// Sends `line` with CRLF and returns the reply.
    pub fn command(&mut self, line: &str) -> Reply {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// Sends `line`; the reply must have `code`. Returns the reply.
    pub fn expect(&mut self, line: &str, code: u16) -> Reply {
        let reply = self.command(line);
        assert_eq!(reply.code.0, code, "{line} -> {reply}");
        reply
    }

    /// The next reply, which must have `code`.
    pub fn expect_reply(&mut self, code: u16) -> Reply {
        let reply = self.reply();
        assert_eq!(reply.code.0, code, "{reply}");
        reply
    }

    /// Whether the server closes the connection within `wait` (replies that
    /// come first are skipped).
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
        false
    }

    /// EPSV, and a data connection to the announced port.
    pub fn epsv(&mut self) -> TcpStream {
        let reply = self.expect("EPSV", 229);
        let port = ftp_core::protocol::addr::parse_epsv_reply(&reply.text()).expect("229 port");
        data_connection((self.data_host, port).into())
    }

    /// PASV, and a data connection to the announced address.
    pub fn pasv(&mut self) -> TcpStream {
        data_connection(self.pasv_address())
    }

    /// PASV, and the address it announces (nothing connected).
    pub fn pasv_address(&mut self) -> SocketAddr {
        let reply = self.expect("PASV", 227);
        ftp_core::protocol::addr::parse_pasv_reply(&reply.text())
            .expect("227 address")
            .into()
    }

    /// A listener on 127.0.0.1 announced with PORT (active mode); the
    /// server connects to it for the next transfer.
    pub fn port(&mut self) -> TcpListener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
        let port = listener.local_addr().expect("addr").port();
        self.expect(
            &format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff),
            200,
        );
        listener
    }

    /// Downloads `name` over EPSV; the transfer must succeed.
    pub fn retr(&mut self, name: &str) -> Vec<u8> {
        self.read_data(&format!("RETR {name}"))
    }

    /// Sends `command` (RETR, LIST, NLST, MLSD ...) over EPSV and returns
    /// what came on the data connection; it must end with `226`.
    pub fn read_data(&mut self, command: &str) -> Vec<u8> {
        let mut data = self.epsv();
        self.expect(command, 150);
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes).expect("the data");
        let done = self.reply();
        assert_eq!(done.code.0, 226, "{command}: {done}");
        bytes
    }

    /// Uploads `content` with `command` (`STOR name`, `APPE name`) over
    /// EPSV; returns the final reply, whatever it is (`150` must come first).
    pub fn write_data(&mut self, command: &str, content: &[u8]) -> Reply {
        let mut data = self.epsv();
        self.expect(command, 150);
        data.write_all(content).expect("upload");
        drop(data);
        self.reply()
    }

    /// Uploads `content` as `name`; the transfer must succeed.
    pub fn stor(&mut self, name: &str, content: &[u8]) {
        let reply = self.write_data(&format!("STOR {name}"), content);
        assert_eq!(reply.code.0, 226, "STOR {name}: {reply}");
    }
}

/// The connection the server makes to `listener` (active mode), waiting at
/// most [`REPLY_WAIT`] for it.
pub fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).expect("nonblocking");
    let deadline = Instant::now() + REPLY_WAIT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).expect("blocking");
                stream.set_read_timeout(Some(REPLY_WAIT)).expect("timeout");
                return stream;
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "the server did not connect within {REPLY_WAIT:?}"
                );
                thread::sleep(Duration::from_millis(5));
            }
            Err(err) => panic!("accept: {err}"),
        }
    }
}

/// What comes on `stream` until the other side closes it (a reset counts as
/// a close); fails the test if it stays open past its read timeout.
pub fn read_until_closed(mut stream: TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => bytes,
        Err(err) => panic!("the connection was not closed: {err}"),
    }
}

/// A data connection to `addr`, with a read timeout.
pub fn data_connection(addr: SocketAddr) -> TcpStream {
    let data = TcpStream::connect_timeout(&addr, REPLY_WAIT).expect("data connection");
    data.set_read_timeout(Some(REPLY_WAIT)).expect("timeout");
    data
}

impl Drop for Raw {
    /// Ends the reader thread with the connection.
    fn drop(&mut self) {
        if let Some(socket) = &self.socket {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}
