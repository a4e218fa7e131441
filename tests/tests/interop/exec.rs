//! Runs one program for one cell: its standard input fed from a string, its
//! output collected, and the program killed if it runs longer than allowed.
//!
//! It does not judge the result; the cells do.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ftp_tests::{KillOnDrop, TempDir};

/// How long one run of a client may take.
pub const LIMIT: Duration = Duration::from_secs(30);

/// What one run of a program did.
#[derive(Debug)]
pub struct Run {
    /// The exit status, `None` when killed.
    pub code: Option<i32>,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Run {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Standard output and error, for a cell's evidence.
    pub fn transcript(&self) -> String {
        let status = match self.code {
            Some(code) => format!("exit status {code}"),
            None => format!("killed after {} s", LIMIT.as_secs()),
        };
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}--- {status} ---\n",
            self.stdout, self.stderr
        )
    }
}

/// Runs `command` in `dir` with `HOME` set to `home` (so no personal
/// configuration or `.netrc` is read) and `stdin` as its input; kills it after
/// [`LIMIT`].
pub fn run(mut command: Command, dir: &Path, home: &TempDir, stdin: &str) -> Run {
    command
        .current_dir(dir)
        .env("HOME", home.path())
        .env_remove("NETRC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => KillOnDrop(child),
        Err(err) => {
            return Run {
                code: None,
                stdout: String::new(),
                stderr: format!("{command:?} did not start: {err}\n"),
            }
        }
    };
    let writer = child.0.stdin.take().map(|mut input| {
        let bytes = stdin.as_bytes().to_vec();
        // A program may exit before reading all of it; that is its right.
        thread::spawn(move || drop(input.write_all(&bytes)))
    });
    let stdout = child.0.stdout.take().map(drain);
    let stderr = child.0.stderr.take().map(drain);
    let code = wait(&mut child);
    drop(child);
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Run {
        code,
        stdout: collect(stdout),
        stderr: collect(stderr),
    }
}

/// Waits for the child until [`LIMIT`]; `None` if it had to be killed.
fn wait(child: &mut KillOnDrop) -> Option<i32> {
    let deadline = Instant::now() + LIMIT;
    while Instant::now() < deadline {
        match child.0.try_wait() {
            Ok(Some(status)) => return status.code(),
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(_) => return None,
        }
    }
    None
}

/// Reads a pipe to its end on a thread.
fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// The text a pipe reader collected.
fn collect(reader: Option<JoinHandle<Vec<u8>>>) -> String {
    let bytes = reader
        .and_then(|reader| reader.join().ok())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}
