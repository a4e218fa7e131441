//! What every hardening test needs: a running `ftp-server` (optionally under
//! `sh` with a resource limit or an ignored signal), a control connection
//! driven byte by byte, the server's thread, descriptor and memory counts
//! from `/proc`, a legitimate client that must still be served, and Python
//! scripts for what `std` cannot do (binding a client socket to 127.0.0.2
//! before connecting).
//!
//! What it does not do: decide what is hostile. The tests in `hostile.rs` and
//! `load.rs` do that.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use ftp_client::client::{Client, IpFamily, Options, TransferType};
use ftp_core::reply::{Reply, ReplyParser, Status};
pub use ftp_tests::{assert_same_file, have_python, HELLO};
use ftp_tests::{
    lines_on_a_thread, program, root_with_hello, run_as_this_user, start_ftp_server, KillOnDrop,
    TempDir,
};

/// The legitimate user every server knows (read-write, home at the root).
pub const USER: &str = "alice";
/// Alice's password.
pub const PASSWORD: &str = "secret";
/// How long a test waits for one reply before it fails.
pub const REPLY_WAIT: Duration = Duration::from_secs(10);
/// How long the server's threads and descriptors may take to return to
/// their baseline after the clients are gone.
const SETTLE: Duration = Duration::from_secs(10);

/// Serialises the tests that load the machine (hundreds of sessions) with
/// the one whose outcome depends on the scheduler (a killed client's sockets
/// close a few microseconds apart, or a time slice apart on a busy machine;
/// see `GONE_GRACE` in the server's `xfer.rs`). The tests of one binary run
/// in parallel threads; this keeps those few from overlapping.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static HEAVY: Mutex<()> = Mutex::new(());
    HEAVY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running `ftp-server` on 127.0.0.1 with `-v`, user alice, its scratch
/// directory (`root/` is served; the rest of the scratch is "outside") and
/// its log file.
pub struct Server {
    process: KillOnDrop,
    addr: SocketAddr,
    scratch: TempDir,
    /// The `sh` prelude and the options it was started with, for [`Server::restart`].
    shell: String,
    options: Vec<String>,
}

impl Server {
    /// Starts the server with `options`, in a fresh root holding `pub/hello.txt`.
    pub fn start(options: &[&str]) -> Server {
        Server::start_under("", options)
    }

    /// As [`Server::start`], but through `sh -c '<shell>; exec ftp-server ...'`,
    /// so that `shell` can set limits (`ulimit`) or ignore signals (`trap`)
    /// that the server inherits.
    pub fn start_under(shell: &str, options: &[&str]) -> Server {
        let scratch = TempDir::new("ftp-hardening");
        root_with_hello(&scratch.path().join("root"));
        let options: Vec<String> = options.iter().map(|s| s.to_string()).collect();
        let (process, addr) = spawn(scratch.path(), shell, &options);
        Server {
            process,
            addr,
            scratch,
            shell: shell.to_string(),
            options,
        }
    }

    /// Kills the server (SIGKILL) and waits for it to go.
    pub fn kill(&mut self) {
        let _ = self.process.0.kill();
        let _ = self.process.0.wait();
    }

    /// Kills the server and starts it again, as before, on the same root (on
    /// a new port).
    pub fn restart(&mut self) {
        self.kill();
        (self.process, self.addr) = spawn(self.scratch.path(), &self.shell, &self.options);
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The served directory.
    pub fn root(&self) -> PathBuf {
        self.scratch.path().join("root")
    }

    /// The scratch directory around the root: outside the jail.
    pub fn outside(&self) -> &Path {
        self.scratch.path()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.scratch.path().join("server.log")).unwrap_or_default()
    }

    /// The server's last `lines` log lines, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// Whether the server process is still running (not gone, not a zombie).
    pub fn alive(&self) -> bool {
        fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .ok()
            .and_then(|stat| {
                let state = stat.rsplit(')').next()?.split_whitespace().next()?;
                Some(state != "Z" && state != "X")
            })
            .unwrap_or(false)
    }

    /// The server's threads, open descriptors and resident memory now.
    pub fn stats(&self) -> Stats {
        Stats::of(self.pid())
    }

    /// The server's counts when no session runs: only its main thread and
    /// the accept thread of its one listening address are left (a session
    /// that just ended may take a moment to go). Fails if that does not
    /// happen within the settle time.
    pub fn at_rest(&self) -> Stats {
        const IDLE_THREADS: usize = 2;
        let deadline = Instant::now() + SETTLE;
        let mut now = self.stats();
        while now.threads > IDLE_THREADS && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
            now = self.stats();
        }
        assert!(
            now.threads <= IDLE_THREADS,
            "the server is never at rest: {now}"
        );
        now
    }

    /// Waits (boundedly) until the server has no more threads and open
    /// descriptors than `baseline`; fails with the counts otherwise.
    pub fn settles_to(&self, baseline: Stats) -> Stats {
        let mut now = self.stats();
        let deadline = Instant::now() + SETTLE;
        while (now.threads > baseline.threads || now.fds > baseline.fds)
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(50));
            now = self.stats();
        }
        assert!(
            now.threads <= baseline.threads && now.fds <= baseline.fds,
            "the server did not return to its baseline within {SETTLE:?}: \
             {now} now, {baseline} before\n{}",
            self.log_tail(30)
        );
        now
    }

    /// A legitimate client logs in, downloads `pub/hello.txt` and quits;
    /// fails the test if anything goes wrong. Returns how long the login took
    /// (from connecting to the `230`).
    pub fn serves_a_user(&self) -> Duration {
        assert!(self.alive(), "the server died\n{}", self.log_tail(30));
        match legitimate_session(self.addr) {
            Ok(login) => login,
            Err(err) => panic!(
                "a legitimate user was not served: {err}\n{}",
                self.log_tail(30)
            ),
        }
    }

    /// Runs a Python script after [`PRELUDE`] with the port, the root and
    /// the outside directory as arguments; it must succeed. Returns its stdout.
    pub fn python(&self, script: &str) -> String {
        let output = Command::new("python3")
            .arg("-c")
            .arg(format!("{PRELUDE}\n{script}"))
            .arg(self.addr.port().to_string())
            .arg(self.root())
            .arg(self.outside())
            .stdin(Stdio::null())
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "python script failed:\n{}\n--- server log ---\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log_tail(40)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Starts a Python script (after [`PRELUDE`]) as a child process with
    /// its stdout piped, and waits until it prints a line containing
    /// `marker`; the test then kills it.
    pub fn python_until(&self, script: &str, marker: &str) -> KillOnDrop {
        let mut command = Command::new("python3");
        command
            .arg("-u")
            .arg("-c")
            .arg(format!("{PRELUDE}\n{script}"))
            .arg(self.addr.port().to_string())
            .arg(self.root())
            .arg(self.outside())
            .stdin(Stdio::null());
        KillOnDrop::spawn_until(command, marker, REPLY_WAIT).0
    }
}

/// Starts the server on `scratch/root` with its log in `scratch/server.log`;
/// see [`Server::start_under`]. Returns the process and where it listens.
fn spawn(scratch: &Path, shell: &str, options: &[String]) -> (KillOnDrop, SocketAddr) {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(scratch.join("server.log"))
        .expect("log file");
    let mut command = if shell.is_empty() {
        Command::new(program("ftp-server"))
    } else {
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(format!("{shell}; exec \"$0\" \"$@\""))
            .arg(program("ftp-server"));
        sh
    };
    command
        .args(run_as_this_user())
        .args(["-v", "--listen", "127.0.0.1:0", "--user"])
        .arg(format!("{USER}:{PASSWORD}"))
        .arg("--root")
        .arg(scratch.join("root"))
        .args(options)
        .stderr(log);
    start_ftp_server(command)
}

/// Logs in as alice with the client library, checks `pub/hello.txt` and quits.
fn legitimate_session(addr: SocketAddr) -> Result<Duration, ftp_client::client::Error> {
    let timeout = Duration::from_secs(5);
    let options = Options {
        connect_timeout: timeout,
        data_timeout: timeout,
        reply_timeout: timeout,
        ..Options::default()
    };
    let started = Instant::now();
    let host = addr.ip().to_string();
    let mut client = Client::connect(&host, addr.port(), Some(IpFamily::V4), options)?;
    client.login(USER, PASSWORD)?;
    let login = started.elapsed();
    client.set_type(TransferType::Binary)?;
    let mut hello = Vec::new();
    client.retr("pub/hello.txt", &mut hello, 0, None)?;
    assert_eq!(hello, HELLO, "pub/hello.txt as downloaded");
    client.quit()?;
    Ok(login)
}

/// Helpers every Python script gets. `argv`: port, root, outside.
pub const PRELUDE: &str = r#"
import ftplib, io, os, socket, sys, time
PORT, ROOT, OUTSIDE = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def connect(source=None, login=True):
    ftp = ftplib.FTP(timeout=10, source_address=(source, 0) if source else None)
    ftp.connect('127.0.0.1', PORT)
    if login:
        ftp.login('alice', 'secret')
    return ftp

def raw(source='127.0.0.1'):
    """A control connection from `source`, and its greeting line."""
    sock = socket.socket()
    sock.settimeout(10)
    sock.bind((source, 0))
    sock.connect(('127.0.0.1', PORT))
    return sock, sock.makefile('rb').readline()

def answered(code, call, *args):
    """Calls an ftplib method; its reply (or error) must start with `code`."""
    try:
        reply = call(*args)
    except ftplib.Error as err:
        reply = str(err)
    assert str(reply).startswith(code), f'{call.__name__}{args}: expected {code}, got {reply}'
    return str(reply)

def retr(ftp, name):
    out = io.BytesIO()
    ftp.retrbinary('RETR ' + name, out.write)
    return out.getvalue()
"#;

/// A server's thread count, open descriptors and resident memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Entries in `/proc/PID/task`.
    pub threads: usize,
    /// Entries in `/proc/PID/fd`.
    pub fds: usize,
    /// `VmRSS` from `/proc/PID/status`, in KiB.
    pub rss_kib: u64,
    /// `VmHWM` (the peak of `VmRSS` so far), in KiB.
    pub peak_kib: u64,
}

impl Stats {
    /// Reads the counts of process `pid`.
    pub fn of(pid: u32) -> Stats {
        let count = |dir: &str| {
            fs::read_dir(format!("/proc/{pid}/{dir}"))
                .map(Iterator::count)
                .unwrap_or_else(|err| panic!("/proc/{pid}/{dir}: {err}"))
        };
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kib = |field: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
        };
        Stats {
            threads: count("task"),
            fds: count("fd"),
            rss_kib: kib("VmRSS:"),
            peak_kib: kib("VmHWM:"),
        }
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} threads, {} fds, {} KiB resident (peak {} KiB)",
            self.threads, self.fds, self.rss_kib, self.peak_kib
        )
    }
}

/// The soft limit named `what` (e.g. `Max open files`) in `/proc/PID/limits`
/// (`self` for this process); `None` when unlimited.
pub fn soft_limit(pid: &str, what: &str) -> Option<u64> {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).expect("/proc limits");
    let line = limits
        .lines()
        .find(|line| line.starts_with(what))
        .unwrap_or_else(|| panic!("no {what:?} in /proc/{pid}/limits"));
    line[what.len()..].split_whitespace().next()?.parse().ok()
}

/// A control connection read and written by the test itself: every byte it
/// sends is chosen by the test, and every reply is parsed by `ftp-core`.
pub struct Raw {
    stream: TcpStream,
    lines: mpsc::Receiver<Vec<u8>>,
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
        let mut raw = Raw::open(addr);
        raw.expect(&format!("USER {USER}"), 331);
        raw.expect(&format!("PASS {PASSWORD}"), 230);
        raw
    }

    /// Connects; replies are read line by line on a thread, so that every
    /// wait for one has a timeout.
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("control connection");
        let input = stream.try_clone().expect("clone");
        let lines = lines_on_a_thread(input);
        Raw { stream, lines }
    }

    /// The control socket (to send from another thread, or to drop).
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Sends `bytes` as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the server");
    }

    /// Sends `bytes` on a thread, so that the test can read the replies
    /// meanwhile (a server that answers a flood line by line would otherwise
    /// block on a client that does not read). The thread returns whether
    /// everything was sent.
    pub fn send_in_background(&self, bytes: Vec<u8>) -> thread::JoinHandle<bool> {
        let mut out = self.stream.try_clone().expect("clone");
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
        let port = ftp_core::addr::parse_epsv_reply(&reply.text()).expect("229 port");
        let data = TcpStream::connect((self.stream.peer_addr().expect("peer").ip(), port))
            .expect("data connection");
        data.set_read_timeout(Some(REPLY_WAIT)).expect("timeout");
        data
    }

    /// Downloads `name` over EPSV; the transfer must succeed.
    pub fn retr(&mut self, name: &str) -> Vec<u8> {
        let mut data = self.epsv();
        self.expect(&format!("RETR {name}"), 150);
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes).expect("the file's data");
        let done = self.reply();
        assert_eq!(done.code.0, 226, "{done}");
        bytes
    }
}

impl Drop for Raw {
    /// Ends the reader thread with the connection.
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
