//! Runs one program to its end with a bounded wait: its standard input fed
//! from a string on a thread of its own, its standard output and error read
//! to their ends on two more threads (so no pipe fills up and blocks it), and
//! the program killed when it runs longer than allowed.
//!
//! What it does not do: judge the result, or retry. The callers decide what
//! an exit status, a kill or a failure to start means for their test.

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::KillOnDrop;

/// How long a library example may take before its test fails.
const EXAMPLE_LIMIT: Duration = Duration::from_secs(30);

/// Runs a library example (`example`, no input, at most 30 s), which must
/// succeed; its standard output and error, as text.
pub fn example_succeeds(example: Command) -> (String, String) {
    let run = run_with_input(example, "", EXAMPLE_LIMIT).expect("the example starts");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(
        run.status.is_some_and(|status| status.success()),
        "exit status {:?}; stdout:\n{stdout}\nstderr:\n{stderr}",
        run.status
    );
    (stdout, stderr)
}

/// What one bounded run of a program did.
#[derive(Debug)]
pub struct Finished {
    /// How it ended; `None` when it was killed at the time limit (or could
    /// not be waited on).
    pub status: Option<ExitStatus>,
    /// Everything it wrote to its standard output.
    pub stdout: Vec<u8>,
    /// Everything it wrote to its standard error.
    pub stderr: Vec<u8>,
}

/// Starts `command` with all three standard streams piped, writes `stdin` to
/// it, collects its output and waits for it to exit, killing it after
/// `limit`. Fails only when the program cannot be started.
pub fn run_with_input(
    mut command: Command,
    stdin: &str,
    limit: Duration,
) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = KillOnDrop(command.spawn()?);
    let writer = child.0.stdin.take().map(|mut input| {
        let bytes = stdin.as_bytes().to_vec();
        // A program may exit before reading all of it; that is its right.
        thread::spawn(move || drop(input.write_all(&bytes)))
    });
    let stdout = child.0.stdout.take().map(drain);
    let stderr = child.0.stderr.take().map(drain);
    let status = wait(&mut child, limit);
    drop(child);
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Ok(Finished {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

/// Waits for the child until `limit` has passed; `None` if it is still
/// running then (the caller's [`KillOnDrop`] kills it) or cannot be waited on.
fn wait(child: &mut KillOnDrop, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match child.0.try_wait() {
            Ok(Some(status)) => return Some(status),
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

/// The bytes a pipe reader collected (none if there was no pipe).
fn collect(reader: Option<JoinHandle<Vec<u8>>>) -> Vec<u8> {
    reader
        .and_then(|reader| reader.join().ok())
        .unwrap_or_default()
}
