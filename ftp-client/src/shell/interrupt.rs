//! Ctrl-C during a transfer: the transfer is aborted with `ABOR`, as tnftp
//! does, and the shell goes on.
//!
//! std cannot catch SIGINT, so while a transfer runs on a terminal the
//! terminal is put in [`tty::POLLED_KEYS`] mode: Ctrl-C no longer sends a
//! signal but arrives as the byte `0x03`, which a thread reads. The thread
//! writes `ABOR` on a clone of the control connection while the main thread
//! is inside the transfer; the server closes the data connection and answers
//! `426` (the transfer) and `226` (the abort), or `226` and `225` when the
//! transfer had just completed. The client library reads the transfer's
//! reply as usual; [`Watch::finish`] says that an `ABOR` is still to be
//! answered, which the shell then reads with `Client::finish_abort`.
//!
//! `ABOR` is only written between the transfer's preliminary reply (`150`)
//! and its final one ([`Watch::reply_hook`] watches them), so that its
//! answer can never be taken for the answer to another command. A Ctrl-C that
//! comes earlier (while the data connection is set up) is kept and sent at
//! the `150`.
//!
//! `ABOR` goes after Telnet's "interrupt process" and Synch (`IAC IP IAC
//! DM`, RFC 959 §4.1.3), all in band: std cannot send the Synch as TCP
//! urgent data. Servers that read the control connection during a transfer
//! (this project's server, pyftpdlib, ProFTPD) stop at once; one that looks
//! at the control connection during a transfer only after urgent data
//! (vsftpd) finishes the transfer first, answers it with `226`, and then
//! the `ABOR` with `225`.
//!
//! Other keys typed during a transfer are read and dropped. The terminal
//! settings are restored when the [`Watch`] ends, whatever way the transfer
//! ended (see [`tty`]).

use std::io::Read;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use ftp_core::{Command, Reply};

use crate::tty;

/// The byte a terminal without signals sends for Ctrl-C.
pub const CTRL_C: u8 = 0x03;

/// A transfer watched for Ctrl-C.
#[derive(Debug)]
pub struct Watch {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// The terminal without signals; restored on drop.
    _mode: tty::Mode,
}

/// What happened while a transfer was watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The user pressed Ctrl-C.
    pub interrupted: bool,
    /// `ABOR` was sent, and its reply is still to be read.
    pub abor_sent: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    /// `receive` or `send`, for the message.
    verb: &'static str,
}

#[derive(Debug)]
struct State {
    control: TcpStream,
    /// Between the transfer's `1xx` and its final reply.
    armed: bool,
    outcome: Outcome,
}

impl Watch {
    /// Starts watching for Ctrl-C during a transfer on `control`; `verb`
    /// (`receive`, `send`) names it in the message. `None` when stdin is not
    /// a terminal or its mode cannot be changed: Ctrl-C then ends the
    /// program, as before.
    pub fn start(control: &TcpStream, verb: &'static str) -> Option<Watch> {
        let control = control.try_clone().ok()?;
        let keys = tty::input().ok()?;
        let mode = tty::Mode::set(tty::POLLED_KEYS)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                control,
                armed: false,
                outcome: Outcome::default(),
            }),
            stop: AtomicBool::new(false),
            verb,
        });
        let watcher = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ctrl-c".into())
            .spawn(move || watcher.watch(keys))
            .ok()?;
        Some(Watch {
            shared,
            thread: Some(thread),
            _mode: mode,
        })
    }

    /// The function to call with every reply while the transfer runs: a
    /// preliminary reply opens the window for `ABOR`, any other closes it.
    pub fn reply_hook(&self) -> Box<dyn Fn(&Reply)> {
        let shared = Arc::clone(&self.shared);
        Box::new(move |reply: &Reply| shared.set_armed(reply.code.is_preliminary()))
    }

    /// Stops watching, restores the terminal, and says what happened.
    pub fn finish(mut self) -> Outcome {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let mut state = self.shared.lock();
        state.armed = false;
        state.outcome
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The thread: reads keys until told to stop (each read returns within a
    /// tenth of a second) and acts on Ctrl-C.
    fn watch(&self, mut keys: impl Read) {
        let mut buf = [0u8; 64];
        while !self.stop.load(Ordering::SeqCst) {
            match keys.read(&mut buf) {
                Ok(read) if buf[..read].contains(&CTRL_C) => self.interrupt(),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }

    /// Ctrl-C: says so, and aborts now if the transfer is under way.
    fn interrupt(&self) {
        let mut state = self.lock();
        if state.outcome.interrupted {
            return;
        }
        state.outcome.interrupted = true;
        eprintln!(
            "^C\n{} aborted. Waiting for remote to finish abort.",
            self.verb
        );
        send_abor(&mut state);
    }

    fn set_armed(&self, armed: bool) {
        let mut state = self.lock();
        state.armed = armed;
        send_abor(&mut state);
    }
}

/// Writes `IAC IP IAC DM ABOR` once, if the user asked and the transfer is
/// under way.
fn send_abor(state: &mut State) {
    if !(state.armed && state.outcome.interrupted) || state.outcome.abor_sent {
        return;
    }
    let line = Command::Abor.to_bytes();
    let sent = ftp_core::io::line::write_interrupting_line(&mut state.control, &line);
    state.outcome.abor_sent = sent.is_ok();
}
