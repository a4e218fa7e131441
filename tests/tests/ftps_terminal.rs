//! Ctrl-C during a transfer in the `ftp-client` shell on a TLS control
//! connection (`--tls`), on a real terminal ([`ftp_tests::terminal`]): the
//! transfer is aborted with `ABOR`, sent over the TLS control connection,
//! the server's replies are read, and the same session goes on at `ftp>`.
//! Each scenario runs in clear too: one abort path serves both.
//!
//! Against our `ftp-server` with TLS (certificates from [`TestPki`]): a
//! download, whose partial local file stays; an upload, which the server
//! must take for an abort (the `ABOR` goes before the data connection
//! closes) and so keeps no file; and a download from a server that has
//! stopped sending (SIGSTOP), which Ctrl-C must cut short at once: the
//! `ABOR` goes out while the server is still stopped. Against vsftpd,
//! which reads `ABOR` during a transfer only after urgent data: a download
//! and an upload, which the client ends by closing the data connection.
//! After each abort, a listing and a small download work on the same
//! connection.
//!
//! tmux or vsftpd missing: `SKIPPED: ...`, or a failure under
//! `FTP_TESTS_REQUIRE_PEERS`.
#![cfg(feature = "tls")]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ftp_tests::certs::TestPki;
use ftp_tests::peers::{self, Peer};
use ftp_tests::server::{Server, PASSWORD, USER};
use ftp_tests::terminal::{assert_terminal_restored, Pane};
use ftp_tests::{program, TempDir, HELLO};

/// A file no test moves in its time: sparse, so it takes no disk space.
const HUGE: u64 = 256 << 30;

/// How long a transfer runs before Ctrl-C.
const RUNNING: Duration = Duration::from_millis(500);

/// A session in the shell on a terminal, and the directory it runs in.
struct Session {
    pane: Pane,
    local: TempDir,
    /// `TLS` or `clear`, as `status` says.
    protection: &'static str,
}

impl Session {
    /// `ftp-client -d --tls --cacert CA HOST PORT` (in clear without
    /// `pki`; rates limited by `rates`, `-T` arguments), logged in as
    /// `user`; `log` is shown when a wait fails. `None` without tmux.
    fn start(
        pki: Option<&TestPki>,
        addr: SocketAddr,
        user: &str,
        password: &str,
        rates: &[&str],
        log: Option<PathBuf>,
    ) -> Option<Session> {
        let local = TempDir::new("ftps-terminal");
        let ca = pki.map(|pki| pki.ca().display().to_string());
        let (host, port) = (addr.ip().to_string(), addr.port().to_string());
        let mut args = vec!["-n", "-d"];
        if let Some(ca) = &ca {
            args.extend_from_slice(&["--tls", "--cacert", ca]);
        }
        args.extend_from_slice(rates);
        args.extend_from_slice(&[&host, &port]);
        let pane = Pane::start(local.path(), &program("ftp-client"), &args, log)?;
        pane.wait_for("220 ", 1);
        pane.wait_for_prompt();
        let protection = if pki.is_some() { "TLS" } else { "clear" };
        let session = Session {
            pane,
            local,
            protection,
        };
        let login = session.command(&format!("user {user} {password}"));
        assert!(login.contains("\n230 "), "{login}");
        session.command("binary");
        Some(session)
    }

    /// Types `line` at the prompt and waits for the next prompt; returns
    /// the screen from `line` on.
    fn command(&self, line: &str) -> String {
        self.type_line(line);
        self.after(line)
    }

    /// Types `line` at the prompt.
    fn type_line(&self, line: &str) {
        self.pane.wait_for_prompt();
        self.pane.line(line);
    }

    /// Waits for the prompt after the command `line`; returns the screen
    /// from `line` on.
    fn after(&self, line: &str) -> String {
        let typed = format!("ftp> {line}\n");
        let screen = self
            .pane
            .wait_until(&format!("the prompt after {line:?}"), |screen| {
                screen.rfind(&typed).is_some_and(|at| {
                    let rest = &screen[at + typed.len()..];
                    rest.contains("ftp>") && rest.trim_end().ends_with("ftp>")
                })
            });
        screen[screen.rfind(&typed).expect("seen") + typed.len()..].to_string()
    }

    /// Runs `line` (a transfer), presses Ctrl-C once it has run a while,
    /// and waits for the prompt; returns the screen from `line` on.
    fn interrupt(&self, line: &str, verb: &str) -> String {
        let started = self.pane.screen().matches("\n150 ").count();
        self.type_line(line);
        self.pane.wait_for("\n150 ", started + 1);
        std::thread::sleep(RUNNING);
        self.pane.keys(&["C-c"]);
        let screen = self.after(line);
        assert!(screen.contains(&format!("{verb} aborted")), "{screen}");
        screen
    }

    /// `ls` and a small download of `small` on the same connection, after
    /// an abort; the connection is still protected (or clear).
    fn goes_on(&self, small: &str) {
        let listing = self.command("ls");
        assert!(listing.contains("\n226 "), "{listing}");
        let got = self.command(&format!("get {small} hello.txt"));
        assert!(got.contains("\n226 "), "{got}");
        assert_eq!(
            std::fs::read(self.local.path().join("hello.txt")).expect("the small download"),
            HELLO,
            "{got}"
        );
        let status = self.command("status");
        let protection = format!("Protection: control {0}, data {0}", self.protection);
        assert!(status.contains(&protection), "{status}");
    }
}

/// The dialog of an aborted transfer: `ABOR` sent, the transfer's `426`
/// (or `226` when it had just ended) and the `ABOR`'s `226` or `225`.
fn assert_aborted(screen: &str) {
    let after = &screen[screen
        .find("---> ABOR")
        .unwrap_or_else(|| panic!("no ABOR:\n{screen}"))..];
    let codes: Vec<&str> = after
        .lines()
        .filter_map(|line| line.get(..4))
        .filter(|code| code.ends_with(' ') && code[..3].bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert!(
        matches!(codes.as_slice(), ["426 " | "226 ", "226 " | "225 ", ..]),
        "{codes:?}:\n{screen}"
    );
}

/// Our server with TLS on 127.0.0.1, serving `pub/huge.bin` and
/// `pub/hello.txt` to alice.
fn our_server(pki: &TestPki) -> Server {
    let (cert, key) = (pki.cert(), pki.key());
    let server = Server::start(&[
        "--tls-cert",
        cert.to_str().expect("UTF-8 path"),
        "--tls-key",
        key.to_str().expect("UTF-8 path"),
    ]);
    sparse(&server.root().join("pub/huge.bin"));
    server
}

/// A sparse file of [`HUGE`] bytes at `path`.
fn sparse(path: &Path) {
    let file = std::fs::File::create(path).expect("huge file");
    file.set_len(HUGE).expect("sparse file");
}

fn log_of(server: &Server) -> Option<PathBuf> {
    Some(server.outside().join("server.log"))
}

/// The clear session and the TLS one: one abort path serves both.
fn both(pki: &TestPki) -> [Option<&TestPki>; 2] {
    [None, Some(pki)]
}

/// Runs `check` in a clear session and in a TLS one with our server (rates
/// limited by `rates`), then quits each and checks the terminal; returns
/// the server. Skipped without tmux.
fn with_our_server(rates: &[&str], check: impl Fn(&Server, &Session)) -> Server {
    let pki = TestPki::new();
    let server = our_server(&pki);
    for security in both(&pki) {
        let (addr, log) = (server.addr(), log_of(&server));
        let Some(session) = Session::start(security, addr, USER, PASSWORD, rates, log) else {
            break;
        };
        check(&server, &session);
        assert_terminal_restored(&session.pane.quit());
    }
    server
}

#[test]
fn ctrl_c_during_a_download_aborts_it_keeps_what_came_and_the_session_goes_on() {
    // A slower download, so that what came before Ctrl-C is a few MB.
    let server = with_our_server(&["-T", "get,4m"], |_, session| {
        let screen = session.interrupt("get pub/huge.bin got.bin", "receive");
        assert_aborted(&screen);
        let got = std::fs::metadata(session.local.path().join("got.bin")).map_or(0, |m| m.len());
        assert!(got > 0 && got < HUGE, "{got} bytes kept:\n{screen}");
        session.goes_on("pub/hello.txt");
    });
    let log = server.log();
    let sessions = log.matches("session start").count();
    assert_eq!(log.matches("<- ABOR").count(), sessions, "{log}");
}

#[test]
fn ctrl_c_during_an_upload_aborts_it_and_the_server_keeps_no_file() {
    with_our_server(&[], |server, session| {
        sparse(&session.local.path().join("big.bin"));
        let screen = session.interrupt("put big.bin up.bin", "send");
        assert_aborted(&screen);
        // An upload the server took for complete would be 226 and the file.
        assert!(screen.contains("\n426 "), "{screen}");
        assert!(!server.root().join("up.bin").exists(), "{screen}");
        session.goes_on("pub/hello.txt");
    });
}

/// Sends `signal` (`STOP`, `CONT`) to process `pid`.
fn signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{signal} {pid}");
}

#[test]
fn ctrl_c_cuts_short_a_download_from_a_server_that_stopped_sending() {
    with_our_server(&[], |server, session| {
        let line = "get pub/huge.bin /dev/null";
        session.type_line(line);
        session.pane.wait_for("150 ", 1);
        std::thread::sleep(RUNNING);
        signal(server.pid(), "STOP");
        // The transfer now waits for data that does not come (for the data
        // timeout, 30 s); Ctrl-C must end that wait at once and send ABOR,
        // while the server is still stopped.
        session.pane.keys(&["C-c"]);
        let sent = std::panic::catch_unwind(|| session.pane.wait_for("---> ABOR", 1));
        signal(server.pid(), "CONT");
        let screen = sent.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        assert!(screen.contains("receive aborted"), "{screen}");
        assert_aborted(&session.after(line));
        session.goes_on("pub/hello.txt");
    });
}

#[test]
fn ctrl_c_during_a_download_and_an_upload_with_vsftpd_aborts_them_and_the_session_goes_on() {
    let pki = TestPki::new();
    let root = TempDir::new("ftps-terminal-vsftpd");
    sparse(&root.path().join("huge.bin"));
    std::fs::write(root.path().join("hello.txt"), HELLO).expect("hello.txt");
    let tls = peers::vsftpd_tls(&pki.cert(), &pki.key(), false);
    for security in both(&pki) {
        let extra = if security.is_some() { tls.as_str() } else { "" };
        let ip = "127.0.0.1".parse().expect("ip");
        let Some(peer): Option<Peer> = peers::vsftpd_with(root.path(), ip, extra) else {
            return;
        };
        let (user, password) = (&peer.user, &peer.password);
        let Some(session) = Session::start(security, peer.addr, user, password, &[], None) else {
            return;
        };
        let screen = session.interrupt("get huge.bin /dev/null", "receive");
        assert_aborted(&screen);
        session.goes_on("hello.txt");
        sparse(&session.local.path().join("big.bin"));
        let screen = session.interrupt("put big.bin up.bin", "send");
        assert_aborted(&screen);
        session.goes_on("hello.txt");
        assert_terminal_restored(&session.pane.quit());
        let _ = std::fs::remove_file(root.path().join("up.bin"));
    }
}
