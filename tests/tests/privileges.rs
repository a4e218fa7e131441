//! No session runs as root: the real `ftp-server`, started as root, with and
//! without `--run-as`.
//!
//! Each test starts its own server on loopback (a port chosen by the OS) in
//! a scratch root that the unprivileged user [`RUN_AS`] owns, looks at the
//! serving process in `/proc/PID/status` once it has greeted a client (so it
//! is the process that serves, after the switch), and kills it when done.
//!
//! These tests need root. Without it each prints `SKIPPED: not root` and
//! passes, unless `FTP_TESTS_REQUIRE_PEERS` is set (as in CI, which runs as
//! root): then it fails.

use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ftp_client::client::{Client, IpFamily, Options, Representation};
use ftp_server::privileges::Identity;
use ftp_tests::run::run_with_input;
use ftp_tests::{have_root, lines_on_a_thread, program, start_ftp_server, KillOnDrop, TempDir};

/// The unprivileged user the sessions run as; every Linux system has it.
const RUN_AS: &str = "nobody";

/// The read-write account the tests log in as.
const USER: &str = "alice";
const PASSWORD: &str = "secret";

/// How long a test waits for a reply, a connection or a program's exit.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A scratch directory with `root/`, served and owned by [`RUN_AS`], and
/// `private/`, root's only (mode 700).
struct Scratch {
    dir: TempDir,
    user: Identity,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = TempDir::new("ftp-privileges");
        let user = Identity::resolve(RUN_AS).expect("the unprivileged user exists");
        let root = dir.path().join("root");
        fs::create_dir(&root).expect("root");
        std::os::unix::fs::chown(&root, Some(user.uid), Some(user.gid)).expect("chown root");
        let private = dir.path().join("private");
        fs::create_dir(&private).expect("private");
        fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).expect("chmod");
        Scratch { dir, user }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn private(&self) -> PathBuf {
        self.dir.path().join("private")
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// `ftp-server -v --listen 127.0.0.1:0` with a read-write user, serving
    /// [`Scratch::root`], with `options`; its log goes to `server.log`.
    fn command(&self, options: &[&str]) -> Command {
        self.command_serving(&self.root(), options)
    }

    /// [`Scratch::command`], serving `root`.
    fn command_serving(&self, root: &Path, options: &[&str]) -> Command {
        let log = fs::File::create(self.dir.path().join("server.log")).expect("log file");
        let mut command = Command::new(program("ftp-server"));
        command
            .args(["-v", "--listen", "127.0.0.1:0", "--root"])
            .arg(root)
            .args(["--user", &format!("{USER}:{PASSWORD}:rw")])
            .args(options)
            .stdin(Stdio::null())
            .stderr(log);
        command
    }

    /// Starts [`Scratch::command`] and waits for it to listen.
    fn start(&self, options: &[&str]) -> (KillOnDrop, SocketAddr) {
        start_ftp_server(self.command(options))
    }
}

/// A logged-in client of the server at `addr`.
fn login(addr: SocketAddr) -> Client<TcpStream> {
    let options = Options {
        connect_timeout: TIMEOUT,
        data_timeout: TIMEOUT,
        reply_timeout: TIMEOUT,
        ..Options::default()
    };
    let host = addr.ip().to_string();
    let mut client =
        Client::connect(&host, addr.port(), Some(IpFamily::V4), options).expect("connect");
    client.login(USER, PASSWORD).expect("login");
    client
}

/// The numbers on line `name:` of `/proc/PID/status` (`Uid`, `Gid`,
/// `Groups`; `CapEff` is hexadecimal).
fn status_line(pid: u32, name: &str) -> Vec<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let prefix = format!("{name}:");
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"));
    line.split_whitespace().map(str::to_string).collect()
}

#[test]
fn sessions_run_as_the_user_without_groups_or_capabilities() {
    if !have_root() {
        return;
    }
    let scratch = Scratch::new();
    let (server, addr) = scratch.start(&["--run-as", RUN_AS]);
    // Logged in: the process that serves it is the one to look at.
    let client = login(addr);
    let pid = server.0.id();
    let (uid, gid) = (scratch.user.uid.to_string(), scratch.user.gid.to_string());
    assert_eq!(
        status_line(pid, "Uid"),
        [uid.as_str(); 4],
        "real, effective, saved, fs"
    );
    assert_eq!(
        status_line(pid, "Gid"),
        [gid.as_str(); 4],
        "real, effective, saved, fs"
    );
    assert!(
        status_line(pid, "Groups").is_empty(),
        "supplementary groups"
    );
    for caps in ["CapEff", "CapPrm", "CapAmb"] {
        assert_eq!(status_line(pid, caps), ["0000000000000000"], "{caps}");
    }
    client.quit().expect("quit");
    assert!(
        scratch.log().contains("serving sessions as nobody"),
        "{}",
        scratch.log()
    );
}

#[test]
fn uploads_belong_to_the_user_and_the_xferlog_root_opened_gets_the_line() {
    if !have_root() {
        return;
    }
    let scratch = Scratch::new();
    let xferlog = scratch.private().join("xferlog");
    fs::File::create(&xferlog).expect("xferlog");
    fs::set_permissions(&xferlog, fs::Permissions::from_mode(0o600)).expect("chmod");
    let xferlog_arg = xferlog.to_str().expect("utf-8 temp dir");
    let (_server, addr) = scratch.start(&["--run-as", RUN_AS, "--xferlog", xferlog_arg]);
    let mut client = login(addr);
    client.set_type(Representation::Binary).expect("TYPE I");
    client
        .stor("up.txt", &mut &b"uploaded"[..], 0, None)
        .expect("STOR");
    client.quit().expect("quit");

    let path = scratch.root().join("up.txt");
    assert_eq!(fs::read(&path).expect("the upload is there"), b"uploaded");
    let uploaded = fs::metadata(&path).expect("metadata");
    assert_eq!(
        (uploaded.uid(), uploaded.gid()),
        (scratch.user.uid, scratch.user.gid),
        "owner of the upload"
    );
    let log = fs::metadata(&xferlog).expect("xferlog");
    assert_eq!(
        (log.uid(), log.mode() & 0o777),
        (0, 0o600),
        "the xferlog stays root's"
    );
    let lines = fs::read_to_string(&xferlog).expect("xferlog");
    assert!(
        lines.contains(" 8 /up.txt b _ i r alice ftp 0 * c\n"),
        "xferlog: {lines:?}"
    );
}

/// Sessions no longer run as root, so the file system's own permissions
/// hold: a 0444 file in a writable directory is not replaced by STOR
/// (`550`, as APPE), and stays as it was; a file the user may write is
/// replaced and keeps its permission bits.
#[test]
fn a_read_only_file_is_not_replaced() {
    if !have_root() {
        return;
    }
    let scratch = Scratch::new();
    for (name, mode) in [("locked.txt", 0o444), ("open.txt", 0o640)] {
        let path = scratch.root().join(name);
        fs::write(&path, b"old").expect("write");
        std::os::unix::fs::chown(&path, Some(scratch.user.uid), Some(scratch.user.gid))
            .expect("chown");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let (_server, addr) = scratch.start(&["--run-as", RUN_AS]);
    let mut client = login(addr);
    client.set_type(Representation::Binary).expect("TYPE I");
    let refused = [
        client.stor("locked.txt", &mut &b"new"[..], 0, None),
        client.appe("locked.txt", &mut &b"new"[..], None),
    ];
    for refused in refused {
        let code = match refused {
            Err(ftp_client::client::Error::Reply(reply)) => reply.code.0,
            other => panic!("a 0444 file was written: {other:?}"),
        };
        assert_eq!(code, 550);
    }
    client
        .stor("open.txt", &mut &b"new"[..], 0, None)
        .expect("a writable file is replaced");
    client.quit().expect("quit");
    let locked = scratch.root().join("locked.txt");
    assert_eq!(fs::read(&locked).expect("read"), b"old");
    assert_eq!(fs::metadata(&locked).expect("stat").mode() & 0o7777, 0o444);
    let open = scratch.root().join("open.txt");
    assert_eq!(fs::read(&open).expect("read"), b"new");
    assert_eq!(fs::metadata(&open).expect("stat").mode() & 0o7777, 0o640);
}

#[test]
fn root_without_run_as_is_refused_before_listening() {
    if !have_root() {
        return;
    }
    let scratch = Scratch::new();
    let finished = run_with_input(scratch.command(&[]), "", TIMEOUT).expect("runs");
    assert_eq!(finished.status.and_then(|s| s.code()), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&finished.stderr),
        "ftp-server: refusing to serve sessions as root: add --run-as USER \
         (an unprivileged user such as ftp or nobody), or --run-as root to insist\n"
    );
    assert!(finished.stdout.is_empty(), "it never listened");
}

#[test]
fn two_listen_addresses_with_run_as_are_a_one_line_error() {
    if !have_root() {
        return;
    }
    let scratch = Scratch::new();
    let command = scratch.command(&["--run-as", RUN_AS, "--listen", "127.0.0.1:0"]);
    let finished = run_with_input(command, "", TIMEOUT).expect("runs");
    assert_eq!(finished.status.and_then(|s| s.code()), Some(2));
    let stderr = String::from_utf8_lossy(&finished.stderr);
    assert!(
        stderr.lines().count() == 1 && stderr.contains("--listen [::]:21"),
        "{stderr}"
    );
    assert!(finished.stdout.is_empty(), "it never listened");
}

#[test]
fn run_as_root_serves_as_root_with_a_warning() {
    if !have_root() {
        return;
    }
    let scratch = Scratch::new();
    let (server, addr) = scratch.start(&["--run-as", "root"]);
    login(addr).quit().expect("quit");
    assert_eq!(status_line(server.0.id(), "Uid"), ["0", "0", "0", "0"]);
    let log = scratch.log();
    assert!(
        log.contains("WARN") && log.contains("serving sessions as root"),
        "{log}"
    );
}

#[test]
fn a_root_the_user_cannot_read_is_a_one_line_error_naming_the_user() {
    if !have_root() {
        return;
    }
    let scratch = Scratch::new();
    let root = scratch.private();
    let command = scratch.command_serving(&root, &["--run-as", RUN_AS]);
    let finished = run_with_input(command, "", TIMEOUT).expect("runs");
    assert_eq!(finished.status.and_then(|s| s.code()), Some(2));
    let stderr = String::from_utf8_lossy(&finished.stderr);
    let error = stderr.lines().find(|line| line.starts_with("ftp-server: "));
    let expected = format!(
        "ftp-server: root {}: Permission denied (os error 13) (sessions run as nobody)",
        root.display()
    );
    assert_eq!(error, Some(expected.as_str()), "{stderr}");
}

/// `--inetd` on pipes: the switch keeps the standard streams (the
/// connection), and a refusal reaches the client as `421`.
#[test]
fn inetd_sessions_switch_too_and_a_refusal_is_a_421() {
    if !have_root() {
        return;
    }
    let scratch = Scratch::new();
    let command = scratch.command(&["--inetd"]);
    let finished = run_with_input(command, "", TIMEOUT).expect("runs");
    assert_eq!(finished.status.and_then(|s| s.code()), Some(2));
    let reply = String::from_utf8_lossy(&finished.stdout);
    assert!(
        reply.starts_with("421 refusing to serve sessions as root") && reply.ends_with("\r\n"),
        "{reply:?}"
    );

    let mut command = scratch.command(&["--inetd", "--run-as", RUN_AS]);
    command.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut server = KillOnDrop(command.spawn().expect("starts"));
    let mut to_server = server.0.stdin.take().expect("stdin");
    let replies = lines_on_a_thread(server.0.stdout.take().expect("stdout"));
    let reply = || {
        let line = replies.recv_timeout(TIMEOUT).expect("a reply in time");
        String::from_utf8_lossy(&line).into_owned()
    };
    let greeting = reply();
    assert!(
        greeting.starts_with("220"),
        "{greeting:?}: {}",
        scratch.log()
    );
    let uid = scratch.user.uid.to_string();
    assert_eq!(status_line(server.0.id(), "Uid"), [uid.as_str(); 4]);
    to_server.write_all(b"QUIT\r\n").expect("QUIT");
    assert!(reply().starts_with("221"));
}
