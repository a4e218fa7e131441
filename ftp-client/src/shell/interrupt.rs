//! Ctrl-C during a transfer: the transfer is aborted with `ABOR`, as tnftp
//! does, and the shell goes on, on a clear or a TLS control connection.
//!
//! std cannot catch SIGINT, so while a transfer runs on a terminal the
//! terminal is put in [`tty::POLLED_KEYS`] mode: Ctrl-C no longer sends a
//! signal but arrives as the byte `0x03`, which a thread reads. That thread
//! says so and calls the session's [`AbortHandle::abort`], nothing more: it
//! never writes to the control connection, which a TLS stream would not
//! allow. The client library, on the shell's thread, stops the transfer at
//! once (a read waiting for data returns), sends `ABOR` over the control
//! connection as it is, clear or TLS, reads the transfer's final reply and
//! the `ABOR`'s, and fails with `Error::Aborted` (see
//! `ftp_client::client::AbortHandle`). A Ctrl-C that comes before the
//! data connection opens takes effect when it does.
//!
//! Other keys typed during a transfer are read and dropped. The terminal
//! settings are restored when the [`Watch`] ends, whatever way the transfer
//! ended (see [`tty`]).

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::client::AbortHandle;
use crate::tty;

/// The byte a terminal without signals sends for Ctrl-C.
pub const CTRL_C: u8 = 0x03;

/// A transfer watched for Ctrl-C.
#[derive(Debug)]
pub struct Watch {
    abort: AbortHandle,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// The terminal without signals; restored on drop.
    _mode: tty::Mode,
}

impl Watch {
    /// Starts watching for Ctrl-C during a transfer; `verb` (`receive`,
    /// `send`) names it in the message. Give [`Watch::abort_handle`] to the
    /// client. `None` when stdin is not a terminal or its mode cannot be
    /// changed: Ctrl-C then ends the program, as before.
    pub fn start(verb: &'static str) -> Option<Watch> {
        let keys = tty::input().ok()?;
        let mode = tty::Mode::set(tty::POLLED_KEYS)?;
        let abort = AbortHandle::new();
        let stop = Arc::new(AtomicBool::new(false));
        let (watcher, stopped) = (abort.clone(), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("ctrl-c".into())
            .spawn(move || watch(keys, &stopped, &watcher, verb))
            .ok()?;
        Some(Watch {
            abort,
            stop,
            thread: Some(thread),
            _mode: mode,
        })
    }

    /// The handle that Ctrl-C aborts the transfer with.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }

    /// Stops watching, restores the terminal, and says whether the user
    /// pressed Ctrl-C.
    pub fn finish(mut self) -> bool {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.abort.requested()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The thread: reads keys until told to stop (each read returns within a
/// tenth of a second); the first Ctrl-C is shown and aborts the transfer.
fn watch(mut keys: impl Read, stop: &AtomicBool, abort: &AbortHandle, verb: &str) {
    let mut buf = [0u8; 64];
    while !stop.load(Ordering::SeqCst) {
        match keys.read(&mut buf) {
            Ok(read) if buf[..read].contains(&CTRL_C) && !abort.requested() => {
                eprintln!("^C\n{verb} aborted. Waiting for remote to finish abort.");
                abort.abort();
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
}
