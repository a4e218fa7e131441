//! Sockets `std` cannot make, made by one small Python helper: a connection
//! from another loopback address (127.0.0.2: `std` cannot bind before it
//! connects), a data connection with a tiny receive buffer (`SO_RCVBUF`),
//! and one that ends with a reset (`SO_LINGER` 0). The helper only makes
//! the socket and moves bytes; what is sent and what the server must answer
//! stay in the Rust test.
//!
//! Without python3 nothing starts: each constructor returns `None` after
//! [`crate::have_python`] has said so (or failed the test, in CI).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};

use crate::raw::REPLY_WAIT;
use crate::{have_python, KillOnDrop};

/// The helper. `relay SOURCE HOST PORT`: listens on 127.0.0.1, prints its
/// port, and for each connection to it connects to HOST:PORT from SOURCE,
/// prints `connected` (or `refused`) and copies bytes both ways until
/// either side closes. `small-buffer PORT FILE`: connects with a 1 KiB
/// receive buffer, prints `connected`, waits for a line on stdin, then
/// reads to the end into FILE and prints `done`. `reset PORT`: connects,
/// prints `connected`, sends what comes on stdin, then resets.
const HELPER: &str = r#"
import selectors, socket, struct, sys
def connect(port, source=None, host='127.0.0.1', rcvbuf=None):
    sock = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
    if source:
        sock.bind((source, 0))
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect((host, port))
    sock.settimeout(None)
    return sock
mode = sys.argv[1]
if mode == 'small-buffer':
    sock = connect(int(sys.argv[2]), rcvbuf=1024)
    print('connected', flush=True)
    sys.stdin.readline()
    with open(sys.argv[3], 'wb') as out:
        while chunk := sock.recv(65536):
            out.write(chunk)
    print('done', flush=True)
elif mode == 'reset':
    sock = connect(int(sys.argv[2]))
    print('connected', flush=True)
    sock.sendall(sys.stdin.buffer.read())
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    sock.close()
    print('reset', flush=True)
elif mode == 'relay':
    source, host, port = sys.argv[2], sys.argv[3], int(sys.argv[4])
    listener = socket.create_server(('127.0.0.1', 0))
    print(listener.getsockname()[1], flush=True)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    other = {}
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            if sock is listener:
                inner, _ = listener.accept()
                try:
                    outer = connect(port, source, host)
                except OSError:
                    print('refused', flush=True)
                    inner.close()
                    continue
                print('connected', flush=True)
                other[inner], other[outer] = outer, inner
                selector.register(inner, selectors.EVENT_READ)
                selector.register(outer, selectors.EVENT_READ)
                continue
            if sock not in other:
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b''
            if data:
                try:
                    other[sock].sendall(data)
                    continue
                except OSError:
                    pass
            for end in (sock, other[sock]):
                selector.unregister(end)
                other.pop(end)
                end.close()
"#;

/// One run of the helper, its stdin and stdout at hand.
struct Helper {
    process: KillOnDrop,
    stdin: Option<ChildStdin>,
    events: BufReader<ChildStdout>,
}

impl Helper {
    /// Starts the helper with `args`; `None` without python3.
    fn start(args: &[&str]) -> Option<Helper> {
        if !have_python() {
            return None;
        }
        let mut command = Command::new("python3");
        command
            .args(["-c", HELPER])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut process = KillOnDrop(command.spawn().expect("python3 starts"));
        let stdin = process.0.stdin.take();
        let events = BufReader::new(process.0.stdout.take().expect("stdout"));
        Some(Helper {
            process,
            stdin,
            events,
        })
    }

    /// The helper's next line; fails the test if it ends without one.
    fn next_line(&mut self) -> String {
        let mut line = String::new();
        let read = self
            .events
            .read_line(&mut line)
            .expect("the helper's output");
        if read == 0 {
            let status = self.process.0.wait();
            panic!("the socket helper ended: {status:?}");
        }
        line.trim().to_string()
    }

    /// Waits for the line `expected`.
    fn expect_line(&mut self, expected: &str) {
        let line = self.next_line();
        assert_eq!(line, expected, "the socket helper");
    }
}

/// Connections from one source address to one target, relayed.
pub struct Relay {
    helper: Helper,
    port: u16,
}

impl Relay {
    /// Starts a relay whose connections come from `source` and go to
    /// `target`; `None` without python3.
    pub fn start(source: IpAddr, target: SocketAddr) -> Option<Relay> {
        let (source, host, port) = (
            source.to_string(),
            target.ip().to_string(),
            target.port().to_string(),
        );
        let mut helper = Helper::start(&["relay", &source, &host, &port])?;
        let port = helper.next_line().parse().expect("the relay's port");
        Some(Relay { helper, port })
    }

    /// A connection that reaches the target from the source address, once
    /// the relay has made it; `Err` if the target refused it.
    pub fn connect(&mut self) -> Result<TcpStream, String> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("the relay");
        stream.set_read_timeout(Some(REPLY_WAIT)).expect("timeout");
        match self.helper.next_line().as_str() {
            "connected" => Ok(stream),
            other => Err(other.to_string()),
        }
    }
}

/// A data connection to 127.0.0.1:`port` with a 1 KiB receive buffer that
/// reads nothing until [`SmallBuffer::read_into`].
pub struct SmallBuffer(Helper);

impl SmallBuffer {
    /// Connects; `None` without python3.
    pub fn connect(port: u16, file: &Path) -> Option<SmallBuffer> {
        let port = port.to_string();
        let file = file.to_str().expect("a UTF-8 path");
        let mut helper = Helper::start(&["small-buffer", &port, file])?;
        helper.expect_line("connected");
        Some(SmallBuffer(helper))
    }

    /// Reads to the end of the data into the file named at the start, and
    /// returns its content.
    pub fn read_into(mut self, file: &Path) -> Vec<u8> {
        let stdin = self.0.stdin.as_mut().expect("stdin");
        stdin.write_all(b"read\n").expect("tell the helper");
        stdin.flush().expect("tell the helper");
        self.0.expect_line("done");
        fs::read(file).expect("what the helper read")
    }
}

/// A data connection to 127.0.0.1:`port` that ends with a reset
/// (`SO_LINGER` 0) instead of a normal close.
pub struct Resetting(Helper);

impl Resetting {
    /// Connects; `None` without python3.
    pub fn connect(port: u16) -> Option<Resetting> {
        let mut helper = Helper::start(&["reset", &port.to_string()])?;
        helper.expect_line("connected");
        Some(Resetting(helper))
    }

    /// Sends `bytes`, then resets the connection; returns once it is reset.
    pub fn send_then_reset(mut self, bytes: &[u8]) {
        let mut stdin = self.0.stdin.take().expect("stdin");
        stdin.write_all(bytes).expect("the bytes to send");
        drop(stdin);
        self.0.expect_line("reset");
    }
}
