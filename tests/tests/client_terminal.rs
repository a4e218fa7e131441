//! The `ftp-client` shell on a real terminal: Ctrl-C during a download, at
//! the password prompt and at the `ftp> ` prompt, the arrow keys, and no
//! meter for a failed download; and what the shell shows in batch mode with
//! `-d` (each reply once) and `status` (the negotiation, every toggle).
//!
//! Each test starts `ftp-server` on loopback serving a sparse file far larger
//! than a test's time allows to download and runs the built `ftp-client` on
//! a terminal of its own ([`ftp_tests::terminal`]: a tmux pane, typed into
//! and read back). After the client ends the terminal must have its signals
//! (`isig`) and its echo back, whatever happened. Every wait has a deadline,
//! and the tmux server and `ftp-server` are stopped when a test ends, also
//! when it fails. The same over FTPS: `ftps_terminal.rs`.
//!
//! tmux missing: `SKIPPED: ...`, or a failure under `FTP_TESTS_REQUIRE_PEERS`.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use ftp_tests::run::run_with_input;
use ftp_tests::terminal::{assert_terminal_restored, Pane, SCREEN_LIMIT};
use ftp_tests::{program, run_as_this_user, start_ftp_server, KillOnDrop, TempDir};

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

/// A server, and the client in a terminal of its own.
struct Terminal {
    server: Server,
    pane: Pane,
}

impl std::ops::Deref for Terminal {
    type Target = Pane;

    fn deref(&self) -> &Pane {
        &self.pane
    }
}

impl Terminal {
    /// `ftp-client 127.0.0.1 PORT` on a terminal, against a fresh
    /// `ftp-server`; `None` (skipped) without tmux.
    fn start() -> Option<Terminal> {
        let server = Server::start();
        let (ip, port) = (server.addr.ip().to_string(), server.addr.port().to_string());
        let pane = Pane::start(
            server.scratch.path(),
            &program("ftp-client"),
            &[&ip, &port],
            Some(server.scratch.path().join("server.log")),
        )?;
        Some(Terminal { server, pane })
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

    fn server_log(&self) -> String {
        self.server.log()
    }
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
