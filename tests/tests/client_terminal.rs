//! The `ftp-client` shell on a real terminal: Ctrl-C during a download, at
//! the password prompt and at the `ftp> ` prompt, the arrow keys, and no
//! meter for a failed download; and what the shell shows in batch mode with
//! `-d` (each reply once) and `status` (the negotiation, every toggle).
//!
//! Each test starts `ftp-server` on loopback serving a sparse file far larger
//! than a test's time allows to download, runs the built `ftp-client` in a
//! pane of a tmux server of its own (`tmux -S SOCKET` in the test's scratch
//! directory, so the user's sessions are never touched), types into it with `send-keys` and reads the screen
//! with `capture-pane`. After the client ends, the pane's shell writes
//! `stty -a` to a file: the terminal must have its signals (`isig`) and its
//! echo back, whatever happened. Every wait has a deadline, and the tmux
//! server and `ftp-server` are stopped when a test ends, also when it fails.
//!
//! tmux missing: `SKIPPED: ...`, or a failure under `FTP_TESTS_REQUIRE_PEERS`.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ftp_tests::run::run_with_input;
use ftp_tests::{peer_available, program, run_as_this_user, start_ftp_server, KillOnDrop, TempDir};

/// How long to wait for something to appear on the screen.
const SCREEN_LIMIT: Duration = Duration::from_secs(20);

/// A file no test downloads in its time: sparse, so it takes no disk space.
const HUGE: u64 = 256 << 30;

/// `ftp-server` on loopback, anonymous and read-only, serving `pub/huge.bin`.
struct Server {
    scratch: TempDir,
    addr: SocketAddr,
    _process: KillOnDrop,
}

impl Server {
    fn start() -> Server {
        let scratch = TempDir::new("client-terminal");
        let root = scratch.path().join("root");
        fs::create_dir_all(root.join("pub")).expect("root");
        let huge = fs::File::create(root.join("pub/huge.bin")).expect("huge file");
        huge.set_len(HUGE).expect("sparse file");
        for (path, mode) in [
            (scratch.path(), 0o755),
            (root.as_path(), 0o755),
            (&root.join("pub"), 0o755),
            (&root.join("pub/huge.bin"), 0o644),
        ] {
            fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
        }
        let mut server = Command::new(program("ftp-server"));
        server
            .args(["-v", "--listen", "127.0.0.1:0", "--anonymous", "--root"])
            .arg(&root)
            .args(run_as_this_user())
            .stderr(fs::File::create(scratch.path().join("server.log")).expect("log"));
        let (process, addr) = start_ftp_server(server);
        Server {
            scratch,
            addr,
            _process: process,
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.scratch.path().join("server.log")).unwrap_or_default()
    }

    /// Runs `ftp-client OPTIONS 127.0.0.1 PORT` with `script` on stdin (not
    /// a terminal); returns its stdout and stderr.
    fn batch(&self, options: &[&str], script: &str) -> (String, String) {
        let mut client = Command::new(program("ftp-client"));
        client
            .args(options)
            .arg(self.addr.ip().to_string())
            .arg(self.addr.port().to_string())
            .env("HOME", self.scratch.path());
        let run = run_with_input(client, script, SCREEN_LIMIT).expect("ftp-client starts");
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
        assert!(
            run.status.is_some_and(|status| status.success()),
            "{:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            run.status
        );
        (stdout, stderr)
    }
}

/// A server, and a tmux server with the client in its one pane.
struct Terminal {
    server: Server,
    /// The tmux server's socket (in the server's scratch directory) and its
    /// one session's name.
    socket: PathBuf,
    tmux: String,
}

impl Terminal {
    /// `ftp-client 127.0.0.1 PORT` in a fresh tmux server, against a fresh
    /// `ftp-server`; `None` (skipped) without tmux.
    fn start() -> Option<Terminal> {
        if !peer_available("tmux", Command::new("tmux").arg("-V")) {
            return None;
        }
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let server = Server::start();
        let terminal = Terminal {
            socket: server.scratch.path().join("tmux.sock"),
            tmux: format!(
                "ftp-client-test-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ),
            server,
        };
        let script = format!(
            // The shell survives a SIGINT (its handler is not inherited), so
            // `stty -a` runs even when Ctrl-C killed the client.
            "trap : INT; cd {dir} && env HOME={dir} USER=tester {client} {ip} {port}; \
             stty -a > {stty}; sleep 60",
            dir = terminal.server.scratch.path().display(),
            client = program("ftp-client").display(),
            ip = terminal.server.addr.ip(),
            port = terminal.server.addr.port(),
            stty = terminal.stty_path().display(),
        );
        let started = terminal.tmux(&[
            "new-session",
            "-d",
            "-s",
            &terminal.tmux,
            "-x",
            "120",
            "-y",
            "50",
            "sh",
            "-c",
            &script,
        ]);
        assert!(started.status.success(), "tmux: {started:?}");
        Some(terminal)
    }

    fn stty_path(&self) -> PathBuf {
        self.server.scratch.path().join("stty.txt")
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
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.tmux];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success(), "send-keys {keys:?}");
    }

    /// Types `text` literally, then Enter.
    fn line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// The whole pane, history included.
    fn screen(&self) -> String {
        let output = self.tmux(&["capture-pane", "-p", "-S", "-200", "-t", &self.tmux]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen holds `text` `count` times; returns it.
    fn wait_for(&self, text: &str, count: usize) -> String {
        self.wait_until(&format!("{text:?} {count} time(s)"), |screen| {
            screen.matches(text).count() >= count
        })
    }

    /// Waits until `done` holds for the screen (`what` says what it waits
    /// for); returns the screen.
    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SCREEN_LIMIT;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} not seen within {SCREEN_LIMIT:?}; screen:\n{screen}\nserver log:\n{}",
                self.server_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Logs in as anonymous at the `Name` prompt.
    fn log_in(&self) {
        self.wait_for("Name (127.0.0.1:tester):", 1);
        self.line("anonymous");
        self.wait_for("Password:", 1);
        self.line("guest@");
        self.wait_for("230 ", 1);
        self.wait_for("ftp>", 1);
    }

    /// Quits the client and returns the terminal's settings afterwards.
    fn quit(&self) -> String {
        // Typed once the prompt shows: the editor echoes it then, not the
        // terminal before the prompt.
        self.wait_until("the ftp> prompt", |screen| {
            screen.trim_end().ends_with("ftp>")
        });
        self.line("bye");
        let deadline = Instant::now() + SCREEN_LIMIT;
        loop {
            if let Ok(stty) = fs::read_to_string(self.stty_path()) {
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

    fn server_log(&self) -> String {
        self.server.log()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// Whether `stty -a` output has `setting` on (not `-setting`).
fn has_setting(stty: &str, setting: &str) -> bool {
    stty.split_whitespace().any(|word| word == setting)
}

fn assert_terminal_restored(stty: &str) {
    assert!(
        has_setting(stty, "isig"),
        "signals off after the client:\n{stty}"
    );
    assert!(
        has_setting(stty, "echo"),
        "echo off after the client:\n{stty}"
    );
    assert!(
        has_setting(stty, "icanon"),
        "line mode off after the client:\n{stty}"
    );
}

#[test]
fn ctrl_c_during_a_download_aborts_it_and_the_session_goes_on() {
    let Some(terminal) = Terminal::start() else {
        return;
    };
    terminal.log_in();
    terminal.line("get pub/huge.bin /dev/null");
    terminal.wait_for("150 ", 1);
    std::thread::sleep(Duration::from_millis(500));
    terminal.keys(&["C-c"]);
    terminal.wait_for("receive aborted", 1);
    // 426 for the transfer and 226 for ABOR, or 226 and 225 when the
    // transfer had just ended.
    let screen = terminal.wait_until("the replies to ABOR", |screen| {
        screen.contains("426 ") && screen.contains("226 ") || screen.contains("225 ")
    });
    assert!(
        !screen.contains("Transfer complete"),
        "the transfer ran to its end:\n{screen}"
    );
    terminal.wait_for("ftp>", 2);
    terminal.line("pwd");
    terminal.wait_for("257 \"/\"", 1);
    assert!(
        terminal.server_log().contains("ABOR"),
        "no ABOR reached the server:\n{}",
        terminal.server_log()
    );
    assert_terminal_restored(&terminal.quit());
}

#[test]
fn ctrl_c_at_the_password_prompt_leaves_echo_on() {
    let Some(terminal) = Terminal::start() else {
        return;
    };
    terminal.wait_for("Name (127.0.0.1:tester):", 1);
    terminal.line("anonymous");
    terminal.wait_for("Password:", 1);
    terminal.keys(&["-l", "half-typed"]);
    terminal.keys(&["C-c"]);
    // `bye` is typed only once the client has dealt with the interrupt: typed
    // earlier, the terminal may show it before the client's own lines.
    terminal.wait_for("interrupted; connection closed", 1);
    assert_terminal_restored(&terminal.quit());
    let screen = terminal.screen();
    assert!(
        !screen.contains("half-typed"),
        "the password was shown:\n{screen}"
    );
    assert!(
        screen.contains("interrupted; connection closed\nftp> bye"),
        "{screen}"
    );
}

#[test]
fn ctrl_c_at_the_prompt_abandons_the_line_and_the_shell_goes_on() {
    let Some(terminal) = Terminal::start() else {
        return;
    };
    terminal.log_in();
    terminal.keys(&["-l", "dele pub/huge.bin"]);
    terminal.keys(&["C-c"]);
    terminal.wait_for("ftp>", 2);
    terminal.line("pwd");
    let screen = terminal.wait_for("257 \"/\"", 1);
    assert!(!terminal.server_log().contains("DELE"), "{screen}");
    assert_terminal_restored(&terminal.quit());
}

#[test]
fn the_up_arrow_recalls_the_last_line_and_sends_no_escape_sequence() {
    let Some(terminal) = Terminal::start() else {
        return;
    };
    terminal.log_in();
    terminal.line("pwd");
    // The next prompt shows once the editor reads keys itself.
    terminal.wait_for("ftp>", 2);
    terminal.keys(&["Up"]);
    terminal.keys(&["Enter"]);
    let screen = terminal.wait_for("257 \"/\"", 2);
    let log = terminal.server_log();
    assert!(
        !screen.contains("[A") && !log.contains("[A") && !log.contains("\\x1b"),
        "an escape sequence went through:\n{screen}\n{log}"
    );
    assert_eq!(log.matches("PWD").count(), 2, "{log}");
    assert_terminal_restored(&terminal.quit());
}

#[test]
fn a_failed_download_draws_no_meter() {
    let Some(terminal) = Terminal::start() else {
        return;
    };
    terminal.log_in();
    terminal.line("get pub/no-such-file");
    terminal.wait_for("550 ", 1);
    let screen = terminal.wait_for("ftp>", 2);
    assert!(!screen.contains("B/s"), "a meter for nothing:\n{screen}");
    assert_terminal_restored(&terminal.quit());
}

#[test]
fn debug_shows_each_reply_once() {
    let server = Server::start();
    let (stdout, stderr) = server.batch(&["-d"], "anonymous\nguest@\npwd\n");
    let both = format!("{stdout}{stderr}");
    assert_eq!(both.matches("257 \"/\"").count(), 1, "{both}");
    assert!(stderr.contains("---> PWD"), "{stderr}");
    assert!(stdout.contains("257 \"/\""), "{stdout}");
    // Without verbose, the dialog carries the replies.
    let (stdout, stderr) = server.batch(&["-d", "-V"], "anonymous\nguest@\npwd\n");
    let both = format!("{stdout}{stderr}");
    assert_eq!(both.matches("257 \"/\"").count(), 1, "{both}");
    assert!(stderr.contains("---> PWD\n<--- 257 \"/\""), "{stderr}");
}

#[test]
fn status_shows_the_negotiation_and_explain_toggles() {
    let server = Server::start();
    let (stdout, _) = server.batch(&[], "anonymous\nguest@\nls pub\nexplain\nstatus\n");
    assert!(
        stdout.contains("Explaining data connections on."),
        "{stdout}"
    );
    assert!(
        stdout.contains("Data connections: passive, EPSV"),
        "{stdout}"
    );
    assert!(stdout.contains("Explain: on"), "{stdout}");
    assert!(stdout.contains("Progress meter: "), "{stdout}");
}
