//! Shared helpers for the end-to-end tests, interoperability tests and benchmarks.
//!
//! What it does: finds the workspace's built programs, runs child processes that
//! are always killed when the test ends (even on panic), makes scratch
//! directories that are removed afterwards, and decides what happens when a
//! third-party peer (curl, pyftpdlib, vsftpd, ...) is missing.
//!
//! What it does not do: speak FTP. The tests drive the real programs
//! (`ftp-server`, `ftp-client`, curl, Python's ftplib, ...) and check their
//! results byte for byte.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod peers;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The path of one of the workspace's programs (`ftp-server`, `ftp-client`),
/// built by `cargo test --workspace` into the same target directory as the test.
pub fn program(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run the tests with `cargo test --workspace`",
        path.display()
    );
    path
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

/// Whether a third-party peer can be used. `check` is a command that succeeds
/// only when the peer is installed (e.g. `curl --version`).
///
/// When the peer is missing: if the environment variable
/// `FTP_TESTS_REQUIRE_PEERS` is set (CI sets it), the test fails; otherwise it
/// prints `SKIPPED: <name> is missing` and the caller returns early, so a plain
/// `cargo test` on a laptop without the peers says what it did not test.
pub fn peer_available(name: &str, check: &mut Command) -> bool {
    let present = check
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false);
    if !present {
        assert!(
            std::env::var_os("FTP_TESTS_REQUIRE_PEERS").is_none(),
            "{name} is missing and FTP_TESTS_REQUIRE_PEERS is set"
        );
        eprintln!("SKIPPED: {name} is missing");
    }
    present
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
