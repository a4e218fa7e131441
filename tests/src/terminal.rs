//! A program on a real terminal: the one pane of a tmux server of its own
//! (`tmux -S SOCKET` in a scratch directory, so the user's sessions are
//! never touched), typed into with `send-keys` and read with
//! `capture-pane`.
//!
//! After the program ends, the pane's shell writes `stty -a` to a file, so a
//! test can check that the program gave the terminal back as it found it
//! ([`Pane::quit`], [`assert_terminal_restored`]). Every wait has a
//! deadline; the tmux server is stopped when the [`Pane`] is dropped, also
//! when a test fails. This module does not start servers or decide what a
//! screen must show.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::peer_available;

/// How long to wait for something to appear on the screen.
pub const SCREEN_LIMIT: Duration = Duration::from_secs(20);

/// A tmux server with one pane that runs a program.
pub struct Pane {
    /// The tmux server's socket and its one session's name.
    socket: PathBuf,
    session: String,
    /// Where the pane's shell writes `stty -a` when the program has ended.
    stty: PathBuf,
    /// A file shown beside the screen when a wait fails (a server's log).
    log: Option<PathBuf>,
}

impl Pane {
    /// Runs `program args` in a fresh tmux server whose socket is in `dir`,
    /// with `dir` as its working directory and `HOME`, and `USER=tester`;
    /// `log` is shown when a wait fails. `None` (skipped) without tmux.
    pub fn start(dir: &Path, program: &Path, args: &[&str], log: Option<PathBuf>) -> Option<Pane> {
        if !peer_available("tmux", Command::new("tmux").arg("-V")) {
            return None;
        }
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let pane = Pane {
            socket: dir.join("tmux.sock"),
            session: format!(
                "ftp-client-test-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ),
            stty: dir.join("stty.txt"),
            log,
        };
        let script = format!(
            // The shell survives a SIGINT (its handler is not inherited), so
            // `stty -a` runs even when Ctrl-C killed the program.
            "trap : INT; cd {dir} && env HOME={dir} USER=tester {program} {args}; \
             stty -a > {stty}; sleep 60",
            dir = dir.display(),
            program = program.display(),
            args = args.join(" "),
            stty = pane.stty.display(),
        );
        let started = pane.tmux(&[
            "new-session",
            "-d",
            "-s",
            &pane.session,
            "-x",
            "120",
            "-y",
            "50",
            "sh",
            "-c",
            &script,
        ]);
        assert!(started.status.success(), "tmux: {started:?}");
        Some(pane)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Types `keys` (tmux key names, such as `Enter`, `C-c`, `Up`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success(), "send-keys {keys:?}");
    }

    /// Types `text` literally, then Enter.
    pub fn line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// The whole pane, history included.
    pub fn screen(&self) -> String {
        let output = self.tmux(&["capture-pane", "-p", "-S", "-200", "-t", &self.session]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen holds `text` `count` times; returns it.
    pub fn wait_for(&self, text: &str, count: usize) -> String {
        self.wait_until(&format!("{text:?} {count} time(s)"), |screen| {
            screen.matches(text).count() >= count
        })
    }

    /// Waits until `done` holds for the screen (`what` says what it waits
    /// for); returns the screen.
    pub fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SCREEN_LIMIT;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} not seen within {SCREEN_LIMIT:?}; screen:\n{screen}\nlog:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the `ftp>` prompt at the end of the screen.
    pub fn wait_for_prompt(&self) -> String {
        self.wait_until("the ftp> prompt", |screen| {
            screen.trim_end().ends_with("ftp>")
        })
    }

    /// The log file given to [`Pane::start`], as it now is.
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .and_then(|path| fs::read_to_string(path).ok())
            .unwrap_or_default()
    }

    /// Quits the client (`bye` at the prompt) and returns the terminal's
    /// settings afterwards.
    pub fn quit(&self) -> String {
        // Typed once the prompt shows: the editor echoes it then, not the
        // terminal before the prompt.
        self.wait_for_prompt();
        self.line("bye");
        let deadline = Instant::now() + SCREEN_LIMIT;
        loop {
            if let Ok(stty) = fs::read_to_string(&self.stty) {
                if stty.contains("isig") {
                    return stty;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the client did not end; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// Whether `stty -a` output has `setting` on (not `-setting`).
fn has_setting(stty: &str, setting: &str) -> bool {
    stty.split_whitespace().any(|word| word == setting)
}

/// Panics unless `stty` (`stty -a` output, from [`Pane::quit`]) has
/// signals, echo and line mode on.
pub fn assert_terminal_restored(stty: &str) {
    for setting in ["isig", "echo", "icanon"] {
        assert!(
            has_setting(stty, setting),
            "{setting} off after the client:\n{stty}"
        );
    }
}
