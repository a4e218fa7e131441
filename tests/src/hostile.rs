//! A small hostile FTP server on a thread of the test, on loopback: it
//! logs anyone in, answers a handful of commands, and sends for listings
//! whatever the test scripts (names no honest server sends, listings of
//! hundreds of megabytes). The tests run the real `ftp-client` against it.
//!
//! Every server thread is bounded: its sockets have timeouts, it stops
//! sending when the client goes away or the test ends ([`Hostile`]'s drop),
//! and the test joins it. It does not check what the client does; the
//! tests do, from the commands it recorded ([`Shared::commands`]).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long the server waits for the client's next command.
pub const CLIENT_LIMIT: Duration = Duration::from_secs(60);
/// Limit for each blocking socket operation of the hostile server.
pub const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// What the hostile server shares with the test.
#[derive(Default)]
pub struct Shared {
    /// Set by the test when it ends: every loop of the server stops.
    pub stop: AtomicBool,
    /// The client's process id, once the test has started it.
    pub pid: AtomicU32,
    /// The client's `VmHWM` (bytes) when its listing command arrived.
    pub hwm_at_listing: Mutex<Option<u64>>,
    /// Every command line received.
    pub commands: Mutex<Vec<String>>,
}

impl Shared {
    /// Whether the test has ended.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The client's peak memory so far, if it is running.
    pub fn client_hwm(&self) -> Option<u64> {
        match self.pid.load(Ordering::Relaxed) {
            0 => None,
            pid => vm_hwm(pid),
        }
    }
}

/// `VmHWM` of process `pid` in bytes, if it is still there.
pub fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// One hostile server: a listener on loopback and the thread serving one
/// client on it. Dropping it stops and joins the thread.
pub struct Hostile {
    /// The loopback port it listens on.
    pub port: u16,
    /// What the server thread shares with the test.
    pub shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Hostile {
    /// Serves one control connection with `script`.
    pub fn start(script: impl FnOnce(Control) + Send + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Shared::default());
        let for_thread = Arc::clone(&shared);
        let thread = thread::spawn(move || {
            if let Some(stream) = accept(&listener, &for_thread) {
                script(Control::new(stream, for_thread));
            }
        });
        Hostile {
            port,
            shared,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread shows in the test's output.
            let _ = thread.join();
        }
    }
}

/// Accepts one connection within [`SOCKET_TIMEOUT`], unless the test stops.
pub fn accept(listener: &TcpListener, shared: &Shared) -> Option<TcpStream> {
    listener.set_nonblocking(true).expect("nonblocking");
    let deadline = Instant::now() + SOCKET_TIMEOUT;
    while Instant::now() < deadline && !shared.stopped() {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).expect("blocking");
                stream.set_read_timeout(Some(SOCKET_TIMEOUT)).ok()?;
                stream.set_write_timeout(Some(SOCKET_TIMEOUT)).ok()?;
                return Some(stream);
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    None
}

/// The server's side of the control connection.
pub struct Control {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    shared: Arc<Shared>,
}

/// What the scripted server sends for a listing command.
pub type Listing = Box<dyn FnMut(&Shared, &mut TcpStream)>;

impl Control {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> Control {
        // A client busy with an enormous listing may be slow to send its next command.
        stream
            .set_read_timeout(Some(CLIENT_LIMIT))
            .expect("timeout");
        let writer = stream.try_clone().expect("clone");
        Control {
            reader: BufReader::new(stream),
            writer,
            shared,
        }
    }

    /// Sends bytes; false once the client is gone or the test has ended.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        !self.shared.stopped() && self.writer.write_all(bytes).is_ok()
    }

    /// The next command line, without CRLF; `None` at the end.
    pub fn command(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end().to_string()),
        }
    }

    /// Sends `first`, then `piece` again and again until `total` bytes have
    /// gone, the client stops reading, or the test ends.
    pub fn flood(&mut self, first: &[u8], piece: &[u8], total: usize) {
        let chunk = piece.repeat((64 << 10) / piece.len().max(1) + 1);
        let mut sent = 0;
        if !self.send(first) {
            return;
        }
        while sent < total && self.send(&chunk) {
            sent += chunk.len();
        }
    }

    /// A plain dialog after `greeting`: logs anyone in, answers `PWD` with
    /// `pwd`, opens passive data connections, and runs `listing` for `LIST`
    /// and `NLST`; `RETR` sends a few bytes. A path with `missing` in it does
    /// not exist: `CWD` says `550`, a listing is empty (as vsftpd's). Ends at
    /// `QUIT` or the end.
    pub fn dialog(self, greeting: &[u8], pwd: &[u8], listing: Listing) {
        self.dialog_with_features(greeting, pwd, b"502 Not here\r\n", listing);
    }

    /// [`Control::dialog`] that answers `FEAT` with `feat` and serves `MLSD`
    /// as it serves `LIST` (with `listing`).
    pub fn dialog_with_features(
        mut self,
        greeting: &[u8],
        pwd: &[u8],
        feat: &[u8],
        mut listing: Listing,
    ) {
        if !self.send(greeting) {
            return;
        }
        let mut data: Option<TcpListener> = None;
        while let Some(line) = self.command() {
            self.shared
                .commands
                .lock()
                .expect("lock")
                .push(line.clone());
            let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let missing = line.contains("missing");
            let reply: &[u8] = match verb.as_str() {
                "CWD" if missing => b"550 No such directory\r\n",
                "USER" => b"331 Password?\r\n",
                "PASS" => b"230 Logged in\r\n",
                "TYPE" | "MODE" | "STRU" => b"200 OK\r\n",
                "CWD" => b"250 OK\r\n",
                "PWD" => pwd,
                "FEAT" => feat,
                "QUIT" => {
                    self.send(b"221 Bye\r\n");
                    return;
                }
                "EPSV" => {
                    let listener = TcpListener::bind("127.0.0.1:0").expect("data bind");
                    let port = listener.local_addr().expect("data address").port();
                    data = Some(listener);
                    let reply = format!("229 Entering Extended Passive Mode (|||{port}|)\r\n");
                    if !self.send(reply.as_bytes()) {
                        return;
                    }
                    continue;
                }
                "LIST" | "NLST" | "MLSD" | "RETR" => {
                    *self.shared.hwm_at_listing.lock().expect("lock") = self.shared.client_hwm();
                    let Some(mut stream) = data.take().and_then(|l| accept(&l, &self.shared))
                    else {
                        self.send(b"425 No data connection\r\n");
                        continue;
                    };
                    if !self.send(b"150 Here it comes\r\n") {
                        return;
                    }
                    if verb == "RETR" {
                        let _ = stream.write_all(b"content\n");
                    } else if !missing {
                        listing(&self.shared, &mut stream);
                    }
                    drop(stream);
                    b"226 Done\r\n"
                }
                _ => b"502 Not here\r\n",
            };
            if !self.send(reply) {
                return;
            }
        }
    }
}

/// A listing that sends `piece` again and again, `total` bytes in all (less
/// if the client closes the data connection).
pub fn flooding(piece: &'static [u8], total: usize) -> Listing {
    Box::new(move |shared, stream| {
        let chunk = piece.repeat((64 << 10) / piece.len() + 1);
        let mut sent = 0;
        while sent < total && !shared.stopped() && stream.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
    })
}

/// A listing with fixed content.
pub fn fixed(content: &'static [u8]) -> Listing {
    Box::new(move |_, stream| {
        let _ = stream.write_all(content);
    })
}
