//! Shared helpers for the end-to-end tests, interoperability tests and benchmarks.
//!
//! What it does: finds the workspace's built programs, runs child processes that
//! are always killed when the test ends (even on panic), starts `ftp-server`
//! and reads where it listens ([`server`], the one harness every test of our
//! server uses), drives a control connection byte by byte ([`raw`]), makes
//! sockets `std` cannot make ([`sockets`]), makes scratch
//! directories that are removed afterwards, compares files, and decides what
//! happens when a third-party peer (curl, pyftpdlib, vsftpd, ...) is missing.
//!
//! What it does not do: judge. The tests decide what the server must answer,
//! and drive the real programs (`ftp-server`, `ftp-client`, curl, Python's
//! ftplib, ...) to check their results byte for byte.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod certs;
pub mod ftplib;
pub mod hostile;
pub mod peers;
pub mod probe_peers;
pub mod raw;
pub mod run;
pub mod server;
pub mod sockets;
pub mod terminal;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The path of one of the workspace's programs (`ftp-server`, `ftp-client`),
/// built by `cargo test --workspace` (or `cargo build --workspace`) into the
/// same target directory as the test or program asking.
pub fn program(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("a program knows its own path");
    // A test runs from target/<profile>/deps/, a program of this crate
    // (interop-report, ftp-bench) from target/<profile>/.
    let mut dir = exe.parent().expect("an executable lives in a directory");
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir = dir.parent().expect("deps lives in target/<profile>");
    }
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace` (or the tests with `cargo test --workspace`)",
        path.display()
    );
    path
}

/// Whether the tests run as root (as in CI).
pub fn running_as_root() -> bool {
    ftp_server::privileges::Ids::current().is_ok_and(|ids| ids.uid == 0)
}

/// The options that let `ftp-server` serve sessions as the user running the
/// tests: none, or `--run-as root` when that is root, as `ftp-server`
/// started as root refuses to serve sessions as root unless told to.
pub fn run_as_this_user() -> &'static [&'static str] {
    if running_as_root() {
        &["--run-as", "root"]
    } else {
        &[]
    }
}

/// A child process that is killed and reaped when dropped.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl KillOnDrop {
    /// Starts `command` with stdout piped and waits (up to `timeout`) for a line
    /// of its output containing `marker`; returns the child and that line.
    /// Panics with the program's output so far if the line never comes.
    pub fn spawn_until(
        mut command: Command,
        marker: &str,
        timeout: Duration,
    ) -> (KillOnDrop, String) {
        command.stdout(Stdio::piped());
        let mut child = KillOnDrop(command.spawn().expect("the program starts"));
        let stdout = child.0.stdout.take().expect("stdout is piped");
        let (lines_tx, lines_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + timeout;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match lines_rx.recv_timeout(left) {
                Ok(line) if line.contains(marker) => return (child, line),
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no line containing {marker:?} within {timeout:?}; output: {seen:?}");
    }
}

/// A scratch directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh, empty directory whose name starts with `prefix`.
    pub fn new(prefix: &str) -> TempDir {
        TempDir::new_in(&std::env::temp_dir(), prefix)
    }

    /// Creates a fresh, empty directory whose name starts with `prefix` inside
    /// `parent` (e.g. a tmpfs such as `/dev/shm`, for benchmarks).
    pub fn new_in(parent: &Path, prefix: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "{prefix}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = parent.join(unique);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch directory can be made");
        TempDir(path)
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How long a test waits for `ftp-server` to say where it listens.
pub const SERVER_STARTUP: Duration = Duration::from_secs(10);

/// The content of `pub/hello.txt` in the roots made by [`root_with_hello`].
pub const HELLO: &[u8] = b"hello, world\n";

/// Creates the directory `root` holding `pub/hello.txt` ([`HELLO`]), the
/// file every server test can download.
pub fn root_with_hello(root: &Path) {
    fs::create_dir_all(root.join("pub")).expect("root");
    fs::write(root.join("pub/hello.txt"), HELLO).expect("hello.txt");
}

/// Starts `command`, an `ftp-server` invocation, and waits (up to
/// [`SERVER_STARTUP`]) for its `listening on ftp://ADDRESS/` line; returns the
/// process and that address.
pub fn start_ftp_server(command: Command) -> (KillOnDrop, SocketAddr) {
    start_ftp_server_until(command, "listening on")
}

/// As [`start_ftp_server`], but waits for the first line containing
/// `marker` and returns its address: `(implicit TLS)` for the implicit FTPS
/// listener (`listening on ftps://ADDRESS/ (implicit TLS)`), which the
/// server announces after its `ftp://` one.
pub fn start_ftp_server_until(command: Command, marker: &str) -> (KillOnDrop, SocketAddr) {
    let (process, line) = KillOnDrop::spawn_until(command, marker, SERVER_STARTUP);
    (process, listening_address(&line))
}

/// The address in `ftp-server: listening on ftp://127.0.0.1:PORT/` (or
/// `ftp://[::1]:PORT/`, or `ftps://ADDRESS/ (implicit TLS)`). Panics with
/// the line if it holds none.
pub fn listening_address(line: &str) -> SocketAddr {
    line.rsplit("://")
        .next()
        .and_then(|rest| rest.split('/').next())
        .and_then(|address| address.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
}

/// Reads `input` line by line (split at LF, the LF removed) on a thread of
/// its own until it ends or fails, so that every wait for a line can have a
/// timeout (`recv_timeout`). The thread stops when the receiver is dropped.
pub fn lines_on_a_thread(input: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(input).split(b'\n') {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// Compares two files in chunks of a MiB, naming the first differing one;
/// panics if they differ in size or content.
pub fn assert_same_file(a: &Path, b: &Path) {
    let open = |path: &Path| {
        fs::File::open(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    };
    let (mut fa, mut fb) = (open(a), open(b));
    let len = |file: &fs::File| file.metadata().expect("metadata").len();
    assert_eq!(
        len(&fa),
        len(&fb),
        "{} and {} differ in size",
        a.display(),
        b.display()
    );
    let (mut ba, mut bb) = (vec![0; 1 << 20], vec![0; 1 << 20]);
    let mut offset = 0;
    loop {
        let n = fa.read(&mut ba).expect("read");
        if n == 0 {
            return;
        }
        fb.read_exact(&mut bb[..n]).expect("read");
        assert!(
            ba[..n] == bb[..n],
            "the files differ in the MiB at offset {offset}"
        );
        offset += n;
    }
}

/// `program --version`: a command that succeeds only when `program` is
/// installed, and prints its version.
pub fn version_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    command.arg("--version");
    command
}

/// Whether Python 3 is there; see [`peer_available`].
pub fn have_python() -> bool {
    peer_available("python3", &mut version_command("python3"))
}

/// Whether curl is there; see [`peer_available`].
pub fn have_curl() -> bool {
    peer_available("curl", &mut version_command("curl"))
}

/// Whether a third-party peer can be used. `check` is a command that succeeds
/// only when the peer is installed (e.g. `curl --version`).
///
/// When the peer is missing: if the environment variable
/// `FTP_TESTS_REQUIRE_PEERS` is set (CI sets it), the test fails; otherwise it
/// prints `SKIPPED: <name> is missing` and the caller returns early, so a plain
/// `cargo test` on a laptop without the peers says what it did not test.
pub fn peer_available(name: &str, check: &mut Command) -> bool {
    let present = peer_present(check);
    if !present {
        skip(&format!("{name} is missing"));
    }
    present
}

/// Whether `check`, a command that succeeds only when a peer is installed,
/// succeeds; unlike [`peer_available`], says nothing and never fails.
pub fn peer_present(check: &mut Command) -> bool {
    check
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether a test that needs root can run; when it cannot, the same rule as
/// for a missing peer ([`peer_available`]): `SKIPPED: not root`, or a failure
/// when `FTP_TESTS_REQUIRE_PEERS` is set.
pub fn have_root() -> bool {
    let root = running_as_root();
    if !root {
        skip("not root");
    }
    root
}

/// Says why a test does not run, or fails it when `FTP_TESTS_REQUIRE_PEERS`
/// asks for every test to run.
fn skip(reason: &str) {
    assert!(
        std::env::var_os("FTP_TESTS_REQUIRE_PEERS").is_none(),
        "{reason}, and FTP_TESTS_REQUIRE_PEERS is set"
    );
    eprintln!("SKIPPED: {reason}");
}

/// A deterministic pseudo-random byte pattern of `len` bytes (xorshift), for
/// files whose every byte is checked after a transfer.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_address_reads_clear_and_implicit_ftps_lines() {
        let clear = "ftp-server: listening on ftp://[::1]:2121/";
        assert_eq!(listening_address(clear), "[::1]:2121".parse().unwrap());
        let implicit = "ftp-server: listening on ftps://127.0.0.1:990/ (implicit TLS)";
        assert_eq!(
            listening_address(implicit),
            "127.0.0.1:990".parse().unwrap()
        );
    }
}
