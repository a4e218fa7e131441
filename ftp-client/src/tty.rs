//! Changing the terminal's modes for a while, and putting them back.
//!
//! std has no terminal API and this crate allows no unsafe code, so the modes
//! are changed by running `stty` with its stdin being the program's stdin
//! (the terminal). [`Mode::set`] saves the current settings (`stty -g`)
//! before it applies new ones, and the [`Mode`] it returns restores them when
//! it is dropped: at the normal end, on an error, and while a panic unwinds.
//!
//! Nothing restores them if the program is killed by a signal it cannot
//! handle (SIGKILL, or SIGTERM and SIGHUP, which std does not catch): the
//! terminal may then be left without echo or without Ctrl-C, and `stty sane`
//! (typed blind, followed by Enter or Ctrl-J) puts it right.
//!
//! The modes this program uses:
//!
//! - [`RAW_KEYS`]: no echo, no line buffering, no signals from keys, so that
//!   the program sees each key (Ctrl-C as the byte `0x03`) as it is typed;
//! - [`POLLED_KEYS`]: the same, but a read returns after a tenth of a second
//!   even when no key came, so a thread that watches the keys can stop.
//!
//! [`input`] opens the terminal for reading without taking the lock of
//! [`std::io::Stdin`], which the program's line reader may hold.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};

/// Every key as it is typed, not shown, Ctrl-C as a byte; reads wait for a key.
pub const RAW_KEYS: &[&str] = &["-echo", "-icanon", "-isig", "min", "1", "time", "0"];

/// As [`RAW_KEYS`], but a read returns empty after a tenth of a second.
pub const POLLED_KEYS: &[&str] = &["-echo", "-icanon", "-isig", "min", "0", "time", "1"];

/// Terminal settings changed until this is dropped.
#[derive(Debug)]
pub struct Mode {
    /// The settings as `stty -g` printed them before the change.
    saved: String,
}

impl Mode {
    /// Saves the terminal's settings and applies `settings` (arguments of
    /// `stty`). `None` when stdin is not a terminal or `stty` failed; the
    /// terminal is then as it was.
    pub fn set(settings: &[&str]) -> Option<Mode> {
        if !io::stdin().is_terminal() {
            return None;
        }
        let saved = stty(&["-g"])?;
        let mode = Mode {
            saved: saved.trim().to_string(),
        };
        // If the change failed half way, dropping `mode` restores what was.
        stty(settings)?;
        Some(mode)
    }
}

impl Drop for Mode {
    fn drop(&mut self) {
        if stty(&[self.saved.as_str()]).is_none() {
            eprintln!("ftp-client: could not restore the terminal; type `stty sane` to fix it");
        }
    }
}

/// Runs `stty args` on the terminal that is stdin; its output if it worked.
fn stty(args: &[&str]) -> Option<String> {
    let terminal = io::stdin().as_fd().try_clone_to_owned().ok()?;
    let output = Command::new("stty")
        .args(args)
        .stdin(Stdio::from(terminal))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

/// The terminal (stdin) as a file of its own, read without the lock of
/// [`std::io::Stdin`].
///
/// # Errors
///
/// Duplicating the descriptor failed.
pub fn input() -> io::Result<File> {
    Ok(File::from(io::stdin().as_fd().try_clone_to_owned()?))
}
