//! Runs one program for one cell: its standard input fed from a string, its
//! output collected, and the program killed if it runs longer than allowed.
//!
//! It does not judge the result; the cells do.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ftp_tests::run::run_with_input;
use ftp_tests::TempDir;

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
        .env_remove("NETRC");
    let described = format!("{command:?}");
    match run_with_input(command, stdin, LIMIT) {
        Ok(finished) => Run {
            code: finished.status.and_then(|status| status.code()),
            stdout: String::from_utf8_lossy(&finished.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&finished.stderr).into_owned(),
        },
        Err(err) => Run {
            code: None,
            stdout: String::new(),
            stderr: format!("{described} did not start: {err}\n"),
        },
    }
}
