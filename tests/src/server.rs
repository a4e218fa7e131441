//! One running `ftp-server` for a test: started on loopback with `-v`, the
//! user alice and the test's options, in a fresh root holding
//! `pub/hello.txt` inside a scratch directory (the rest of the scratch is
//! "outside" the jail), its log in a file; killed when dropped.
//!
//! It also reads the server's threads, descriptors and memory from `/proc`,
//! and checks that a legitimate user is still served.
//!
//! What it does not do: speak FTP itself. [`crate::raw::Raw`] sends the
//! test's own bytes; the `ftp-client` library is the legitimate user.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use ftp_client::client::{Client, IpFamily, Options, Representation};

use crate::{
    program, root_with_hello, run_as_this_user, start_ftp_server, KillOnDrop, TempDir, HELLO,
};

/// The legitimate user every server knows (read-write, home at the root).
pub const USER: &str = "alice";
/// Alice's password.
pub const PASSWORD: &str = "secret";
/// How long the server's threads and descriptors may take to return to
/// their baseline after the clients are gone.
const SETTLE: Duration = Duration::from_secs(10);

/// A running `ftp-server`; see the module documentation.
#[derive(Debug)]
pub struct Server {
    process: KillOnDrop,
    addr: SocketAddr,
    scratch: TempDir,
    /// The host, `sh` prelude and options it was started with, for
    /// [`Server::restart`].
    host: String,
    shell: String,
    options: Vec<String>,
}

impl Server {
    /// Starts the server on 127.0.0.1 with `options`.
    pub fn start(options: &[&str]) -> Server {
        Server::launch("127.0.0.1", "", options)
    }

    /// Starts the server on `host` (`127.0.0.1` or `::1`) with `options`.
    pub fn start_on(host: &str, options: &[&str]) -> Server {
        Server::launch(host, "", options)
    }

    /// As [`Server::start`], but through `sh -c '<shell>; exec ftp-server ...'`,
    /// so that `shell` can set limits (`ulimit`) or ignore signals (`trap`)
    /// that the server inherits.
    pub fn start_under(shell: &str, options: &[&str]) -> Server {
        Server::launch("127.0.0.1", shell, options)
    }

    fn launch(host: &str, shell: &str, options: &[&str]) -> Server {
        let scratch = TempDir::new("ftp-server-test");
        root_with_hello(&scratch.path().join("root"));
        let options: Vec<String> = options.iter().map(|s| s.to_string()).collect();
        let (process, addr) = spawn(scratch.path(), host, shell, &options);
        Server {
            process,
            addr,
            scratch,
            host: host.to_string(),
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
        (self.process, self.addr) =
            spawn(self.scratch.path(), &self.host, &self.shell, &self.options);
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ftp://HOST:PORT/`, with brackets around an IPv6 address.
    pub fn url(&self) -> String {
        format!("ftp://{}/", self.addr)
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

    /// Waits (up to ten seconds) for the log to contain `text`; returns the
    /// log either way.
    pub fn wait_for_log(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(text) || Instant::now() > deadline {
                return log;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (up to ten seconds) until `count` sessions have ended in all:
    /// a session gives its place in the limits back only once its thread
    /// has seen the client close, a moment after the client did.
    pub fn wait_for_sessions_to_end(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.log().matches("session end").count() < count && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's last `lines` log lines, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The `.ftp-tmp-*` files anywhere under the root: what an upload that
    /// did not finish may leave behind.
    pub fn temporaries(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut dirs = vec![self.root()];
        while let Some(dir) = dirs.pop() {
            for entry in fs::read_dir(&dir).expect("read_dir").flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                    dirs.push(entry.path());
                } else if name.contains(".ftp-tmp-") {
                    found.push(name);
                }
            }
        }
        found
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

    /// A legitimate client logs in as alice, downloads `pub/hello.txt` and
    /// quits; fails the test if anything goes wrong. Returns how long the
    /// login took (from connecting to the `230`).
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
}

/// Starts the server on `scratch/root` with its log in `scratch/server.log`;
/// see [`Server::start_under`]. Returns the process and where it listens.
fn spawn(scratch: &Path, host: &str, shell: &str, options: &[String]) -> (KillOnDrop, SocketAddr) {
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
    let listen = match host.contains(':') {
        true => format!("[{host}]:0"),
        false => format!("{host}:0"),
    };
    command
        .args(run_as_this_user())
        .args(["-v", "--listen", &listen, "--user"])
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
    let family = match addr {
        SocketAddr::V4(_) => IpFamily::V4,
        SocketAddr::V6(_) => IpFamily::V6,
    };
    let mut client = Client::connect(&host, addr.port(), Some(family), options)?;
    client.login(USER, PASSWORD)?;
    let login = started.elapsed();
    client.set_type(Representation::Binary)?;
    let mut hello = Vec::new();
    client.retr("pub/hello.txt", &mut hello, 0, None)?;
    assert_eq!(hello, HELLO, "pub/hello.txt as downloaded");
    client.quit()?;
    Ok(login)
}

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
