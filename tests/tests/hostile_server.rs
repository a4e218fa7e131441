//! End-to-end tests of the `ftp-client` program against a hostile server: a
//! small FTP server on a thread of this test, on loopback (`ftp_tests::hostile`), that sends what no
//! honest server sends — a reply that never ends, a reply trickled a byte at
//! a time, a listing of hundreds of megabytes, terminal escape sequences in
//! its greeting, its replies and its listings. Each test runs the real
//! `ftp-client` binary against it and checks the exit status, the output and,
//! for the enormous cases, the client's peak memory (`VmHWM` in
//! `/proc/PID/status`, so these tests need Linux's `/proc`).
//!
//! The same file also checks the client's own secrets (a password in a URL
//! is never printed, a `.netrc` that is not private is refused) and, with
//! the same small server acting as vsftpd does for a missing directory (an
//! empty `LIST` and `226`), that a directory URL fails when the directory
//! does not exist.
//!
//! Every server thread is bounded: its sockets have timeouts, it stops
//! sending when the client goes away or the test ends, and the test joins it.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ftp_tests::hostile::{fixed, flooding, vm_hwm, Hostile, Listing, CLIENT_LIMIT};
use ftp_tests::run::run_with_input;
use ftp_tests::{program, KillOnDrop, TempDir};

/// How much a listing sends in the enormous cases.
const HUGE: usize = 400 << 20;
/// The growth of the client's peak memory allowed while it streams a listing.
const STREAMING_GROWTH: u64 = 8 << 20;

/// What one run of `ftp-client` did, with its peak memory.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    peak: u64,
    elapsed: Duration,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `ftp-client args` with `stdin`, HOME in `home`, no `.netrc`; stdout
/// is collected, or thrown away (`/dev/null`) when `discard` is set. Polls
/// the client's `VmHWM` while it runs and tells `server` its pid.
fn run_client(server: Option<&Hostile>, args: &[&str], stdin: &str, discard: bool) -> Run {
    let home = TempDir::new("hostile-home");
    let mut command = Command::new(program("ftp-client"));
    command
        .args(args)
        .current_dir(home.path())
        .env("HOME", home.path())
        .env_remove("NETRC")
        .stdin(Stdio::piped())
        .stdout(if discard {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = KillOnDrop(command.spawn().expect("ftp-client starts"));
    let pid = child.0.id();
    if let Some(server) = server {
        server.shared.pid.store(pid, Ordering::Relaxed);
    }
    let mut input = child.0.stdin.take().expect("stdin");
    let stdin = stdin.as_bytes().to_vec();
    let writer = thread::spawn(move || drop(input.write_all(&stdin)));
    let stdout = child
        .0
        .stdout
        .take()
        .map(|out| thread::spawn(move || read_all(out)));
    let stderr = child
        .0
        .stderr
        .take()
        .map(|err| thread::spawn(move || read_all(err)));
    let mut peak = 0;
    let code = loop {
        if let Some(hwm) = vm_hwm(pid) {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status.code();
        }
        assert!(
            started.elapsed() < CLIENT_LIMIT,
            "ftp-client {args:?} ran longer than {CLIENT_LIMIT:?} (peak VmHWM {:.1} MiB)",
            mib(peak)
        );
        thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let _ = writer.join();
    let join = |reader: Option<JoinHandle<Vec<u8>>>| {
        reader
            .map(|reader| reader.join().expect("reader"))
            .unwrap_or_default()
    };
    let stdout = join(stdout);
    let stderr = String::from_utf8_lossy(&join(stderr)).into_owned();
    Run {
        code,
        stdout,
        stderr,
        peak,
        elapsed,
    }
}

fn read_all(mut from: impl std::io::Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = from.read_to_end(&mut bytes);
    bytes
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

// ---------------------------------------------------------------------------
// 1. Bounded memory and time
// ---------------------------------------------------------------------------

#[test]
fn a_greeting_that_never_ends_is_cut_off_at_the_reply_limit() {
    let server = Hostile::start(|mut control| {
        control.flood(
            b"220-Welcome\r\n",
            b" and another line of welcome\r\n",
            256 << 20,
        );
    });
    let run = run_client(
        Some(&server),
        &["-n", "127.0.0.1", &server.port.to_string()],
        "",
        true,
    );
    println!("peak VmHWM {:.1} MiB", mib(run.peak));
    assert!(run.peak < 16 << 20, "peak {:.1} MiB", mib(run.peak));
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("reply longer than the limit of 262144 bytes")
            && run.stderr.contains("the server sent more"),
        "stderr: {}",
        run.stderr
    );
}

#[test]
fn a_trickled_reply_ends_at_the_overall_deadline() {
    let server = Hostile::start(|mut control| {
        // A byte every 100 ms: each read succeeds, the reply never completes.
        let start = Instant::now();
        let mut bytes = b"220 Hello".iter().chain(std::iter::repeat(&b' '));
        while start.elapsed() < CLIENT_LIMIT {
            let byte = *bytes.next().expect("endless");
            if !control.send(&[byte]) {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let port = server.port.to_string();
    let run = run_client(
        Some(&server),
        &["--reply-deadline", "2", "-n", "127.0.0.1", &port],
        "",
        false,
    );
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "timed out during read reply: no complete reply within the overall deadline of 2 s"
        ),
        "stderr: {}",
        run.stderr
    );
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
}

/// A listing that sends one line, then nothing more until the test ends.
fn stalling() -> Listing {
    Box::new(|shared, stream| {
        let _ = stream.write_all(b"a.txt\r\n");
        let start = Instant::now();
        while !shared.stopped() && start.elapsed() < CLIENT_LIMIT {
            thread::sleep(Duration::from_millis(20));
        }
    })
}

/// Runs a script with `-q 1` against a server whose `PWD` is never answered
/// (`pwd`) or whose listing stalls (`ls`), and checks that the client ends
/// within seconds with exit status 1 and `message` as its only output on
/// stderr, without running the command after it. Returns the run and the
/// commands the server received.
fn run_stalled(command: &str, message: &str) -> (Run, Vec<String>) {
    let server = Hostile::start(|control| {
        control.dialog(b"220 Hello\r\n", b"", stalling());
    });
    let port = server.port.to_string();
    let script = format!("user alice secret\n{command}\nmkdir after\n");
    let run = run_client(
        Some(&server),
        &["-q", "1", "-n", "127.0.0.1", &port],
        &script,
        false,
    );
    let seen = server.shared.commands.lock().expect("lock").clone();
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert_eq!(run.stderr, format!("ftp-client: {message}\n"));
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    assert!(!seen.iter().any(|line| line.starts_with("MKD")), "{seen:?}");
    (run, seen)
}

#[test]
fn dash_q_ends_a_stalled_reply_with_one_line_and_quits_the_script() {
    run_stalled(
        "pwd",
        "no reply from the server for 1 s (-q 1); the connection to 127.0.0.1 is closed",
    );
}

#[test]
fn dash_q_ends_a_stalled_transfer_with_one_line_and_quits_the_script() {
    let (run, seen) = run_stalled(
        "ls",
        "transfer aborted: no data moved for 1 s (-q 1); the connection to 127.0.0.1 is closed",
    );
    assert!(run.stdout().contains("a.txt"), "{}", run.stdout());
    assert!(seen.iter().any(|line| line == "LIST"), "{seen:?}");
}

#[test]
fn dash_q_ends_a_stalled_directory_url_with_one_line() {
    let server = Hostile::start(|control| {
        control.dialog(b"220 Hello\r\n", b"257 \"/\"\r\n", stalling());
    });
    let url = format!("ftp://{}/dir/", server.addr());
    let run = run_client(Some(&server), &["-q", "1", &url], "", false);
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "ftp-client: {url}: transfer aborted: no data moved for 1 s (-q 1); \
             the connection to 127.0.0.1 is closed\n"
        )
    );
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
}

/// The client's peak memory while it handles an enormous listing, over what
/// it held when it sent the listing command.
fn growth(server: &Hostile, run: &Run) -> u64 {
    let before = server.shared.hwm_at_listing.lock().expect("lock");
    let before = before.expect("the server saw the listing command");
    println!(
        "VmHWM at the listing command {:.1} MiB, peak {:.1} MiB",
        mib(before),
        mib(run.peak)
    );
    run.peak.saturating_sub(before)
}

#[test]
fn an_enormous_directory_url_listing_is_streamed() {
    let line: &[u8] = b"-rw-r--r--   1 ftp      ftp          4096 Jan 01  2024 a-file-name.txt\r\n";
    let server = Hostile::start(move |control| {
        control.dialog(b"220 Hello\r\n", b"257 \"/\"\r\n", flooding(line, HUGE));
    });
    let url = format!("ftp://{}/", server.addr());
    let run = run_client(Some(&server), &["-V", &url], "", true);
    let grew = growth(&server, &run);
    assert!(grew < STREAMING_GROWTH, "grew {:.1} MiB", mib(grew));
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
}

#[test]
fn an_enormous_ls_in_the_shell_is_streamed() {
    let line: &[u8] = b"-rw-r--r--   1 ftp      ftp          4096 Jan 01  2024 a-file-name.txt\r\n";
    let server = Hostile::start(move |control| {
        control.dialog(b"220 Hello\r\n", b"257 \"/\"\r\n", flooding(line, HUGE));
    });
    let port = server.port.to_string();
    let run = run_client(
        Some(&server),
        &["-V", "-n", "127.0.0.1", &port],
        "user u p\ndir\n",
        true,
    );
    let grew = growth(&server, &run);
    assert!(grew < STREAMING_GROWTH, "grew {:.1} MiB", mib(grew));
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
}

#[test]
fn mget_of_an_enormous_name_list_stops_at_the_listing_limit() {
    let server = Hostile::start(|control| {
        control.dialog(
            b"220 Hello\r\n",
            b"257 \"/\"\r\n",
            flooding(b"name-of-a-file-0001\r\n", 100 << 20),
        );
    });
    let port = server.port.to_string();
    let run = run_client(
        Some(&server),
        &["-V", "-n", "127.0.0.1", &port],
        "user u p\nmget *\n",
        true,
    );
    let grew = growth(&server, &run);
    assert!(grew < 24 << 20, "grew {:.1} MiB", mib(grew));
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("listing longer than the limit of 8388608 bytes"),
        "stderr: {}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------
// 2. No terminal injection
// ---------------------------------------------------------------------------

/// A greeting, a 257 path and listings carrying OSC 0 (window title), OSC 52
/// (clipboard) and a screen clear.
const EVIL_GREETING: &[u8] =
    b"220-\x1b]0;pwned-title\x07Welcome\r\n220 \x1b]52;c;cHduZWQ=\x07ready\r\n";
const EVIL_PWD: &[u8] = b"257 \"/\x1b[2J\x1b[Hhome\" is the directory\r\n";
const EVIL_LISTING: &[u8] = b"-rw-r--r-- 1 ftp ftp 3 Jan 01 2024 \x1b]0;title\x07evil.txt\r\n";

fn evil_server() -> Hostile {
    Hostile::start(|control| control.dialog(EVIL_GREETING, EVIL_PWD, fixed(EVIL_LISTING)))
}

#[test]
fn replies_are_escaped_even_when_stdout_is_a_pipe() {
    let server = evil_server();
    let port = server.port.to_string();
    let run = run_client(
        Some(&server),
        &["-n", "127.0.0.1", &port],
        "user u p\npwd\nls\n",
        false,
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let stdout = run.stdout();
    for shown in [
        "220-\\x1b]0;pwned-title\\x07Welcome",
        "220 \\x1b]52;c;cHduZWQ=\\x07ready",
        "257 \"/\\x1b[2J\\x1b[Hhome\" is the directory",
    ] {
        assert!(stdout.contains(shown), "{shown:?} not in {stdout:?}");
    }
    // A listing to a pipe is data: the server's bytes, line ends as LF.
    let listing = b"-rw-r--r-- 1 ftp ftp 3 Jan 01 2024 \x1b]0;title\x07evil.txt\n";
    assert!(
        run.stdout.windows(listing.len()).any(|w| w == listing),
        "{stdout:?}"
    );
    assert_eq!(
        run.stdout.iter().filter(|&&b| b == 0x1b).count(),
        1,
        "{stdout:?}"
    );
}

#[test]
fn nothing_from_the_server_reaches_a_terminal_raw() {
    // `script` gives the client a terminal (stdin, stdout and stderr).
    if Command::new("script").arg("--version").output().is_err() {
        println!("SKIPPED: script (util-linux) is not installed");
        return;
    }
    let server = evil_server();
    let client = format!(
        "{} -n 127.0.0.1 {}",
        program("ftp-client").display(),
        server.port
    );
    let mut command = Command::new("script");
    command
        .args(["-qec", &client, "/dev/null"])
        .env_remove("NETRC");
    let home = TempDir::new("hostile-tty-home");
    command.env("HOME", home.path()).current_dir(home.path());
    let input = "user u p\npwd\nls\nmget *\nn\nquit\n";
    let finished = run_with_input(command, input, CLIENT_LIMIT).expect("script starts");
    let output = String::from_utf8_lossy(&finished.stdout).into_owned();
    assert!(finished.status.is_some(), "ran too long: {output}");
    for shown in [
        "\\x1b]0;pwned-title\\x07Welcome",
        "\\x1b]52;c;cHduZWQ=\\x07ready",
        "\"/\\x1b[2J\\x1b[Hhome\"",
        "2024 \\x1b]0;title\\x07evil.txt",
        "mget -rw-r--r-- 1 ftp ftp 3 Jan 01 2024 \\x1b]0;title\\x07evil.txt [anqy]?",
    ] {
        assert!(output.contains(shown), "{shown:?} not in {output:?}");
    }
    assert!(
        !finished.stdout.contains(&0x1b) && !finished.stdout.contains(&0x07),
        "raw escape in {output:?}"
    );
}

// ---------------------------------------------------------------------------
// 3. and 4. The client's own secrets
// ---------------------------------------------------------------------------

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn a_download_error_masks_the_urls_password() {
    let url = format!("ftp://alice:S3cret@127.0.0.1:{}/f", closed_port());
    let run = run_client(None, &[&url], "", false);
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    assert!(!run.stderr.contains("S3cret"), "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("ftp://alice:***@127.0.0.1:"),
        "stderr: {}",
        run.stderr
    );
    let bad = "ftp://alice:S3cret@host:99999/f";
    let run = run_client(None, &[bad], "", false);
    assert_eq!(run.code, Some(2), "stderr: {}", run.stderr);
    assert!(!run.stderr.contains("S3cret"), "stderr: {}", run.stderr);
}

/// Runs a download with `netrc` (text, mode) as `$HOME/.netrc`; returns stderr.
fn with_netrc(text: &str, mode: u32, owner: Option<u32>) -> String {
    use std::os::unix::fs::PermissionsExt;
    let home = TempDir::new("hostile-netrc");
    let path = home.path().join(".netrc");
    std::fs::write(&path, text).expect("write .netrc");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    if let Some(uid) = owner {
        std::os::unix::fs::chown(&path, Some(uid), None).expect("chown");
    }
    let url = format!("ftp://127.0.0.1:{}/f", closed_port());
    let mut command = Command::new(program("ftp-client"));
    command
        .arg(url)
        .env("HOME", home.path())
        .env_remove("NETRC");
    let finished = run_with_input(command, "", CLIENT_LIMIT).expect("starts");
    String::from_utf8_lossy(&finished.stderr).into_owned()
}

#[test]
fn a_netrc_with_group_or_other_bits_is_refused() {
    let text = "machine 127.0.0.1 login alice password S3cret\n";
    for mode in [0o622, 0o602, 0o620, 0o640, 0o604] {
        let stderr = with_netrc(text, mode, None);
        let why =
            format!("holds a password but its mode {mode:04o} gives the group or others access");
        assert!(stderr.contains(&why), "{mode:o}: {stderr}");
    }
    assert!(!with_netrc(text, 0o600, None).contains("ignoring"));
}

#[test]
fn a_netrc_of_another_user_is_refused() {
    if std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|status| !status.lines().any(|line| line.starts_with("Uid:\t0\t")))
    {
        println!("SKIPPED: only root can give a file to another user");
        return;
    }
    let text = "machine 127.0.0.1 login alice password S3cret\n";
    let stderr = with_netrc(text, 0o600, Some(4242));
    assert!(
        stderr.contains("holds a password but belongs to uid 4242, not to this user (uid 0)"),
        "{stderr}"
    );
}

#[test]
fn a_netrc_error_does_not_show_the_password() {
    let stderr = with_netrc("machine h login a password my secret pw\n", 0o600, None);
    assert!(stderr.contains("ignoring"), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
}

// ---------------------------------------------------------------------------
// 10. Directory URLs
// ---------------------------------------------------------------------------

/// The commands the server received.
fn commands(server: &Hostile) -> Vec<String> {
    server.shared.commands.lock().expect("lock").clone()
}

fn listing_server() -> Hostile {
    Hostile::start(|control| {
        control.dialog(b"220 Hello\r\n", b"257 \"/\"\r\n", fixed(b"a.txt\r\n"))
    })
}

#[test]
fn a_directory_url_of_a_missing_directory_fails() {
    let server = listing_server();
    let url = format!("ftp://{}/missing/", server.addr());
    let run = run_client(Some(&server), &[&url], "", false);
    assert_eq!(run.code, Some(1), "stdout: {}", run.stdout());
    assert!(
        run.stderr.contains("550 No such directory"),
        "{}",
        run.stderr
    );
    let seen = commands(&server);
    assert!(seen.contains(&"CWD missing".to_string()), "{seen:?}");
    assert!(
        !seen.iter().any(|line| line.starts_with("LIST")),
        "{seen:?}"
    );
}

#[test]
fn a_directory_url_is_entered_then_listed() {
    let server = listing_server();
    let url = format!("ftp://{}/%2Fpub/sub/", server.addr());
    let run = run_client(Some(&server), &[&url], "", false);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout(), "a.txt\n");
    let seen = commands(&server);
    let tail: Vec<&str> = seen
        .iter()
        .map(String::as_str)
        .skip_while(|c| !c.starts_with("CWD"))
        .collect();
    assert_eq!(tail, ["CWD /pub/sub", "EPSV", "LIST", "QUIT"], "{seen:?}");

    // A file under %2F is absolute too, and sent whole.
    let server = listing_server();
    let url = format!("ftp://{}/%2Fpub/f.txt", server.addr());
    let run = run_client(Some(&server), &["-o", "-", &url], "", false);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout(), "content\n");
    assert!(commands(&server).contains(&"RETR /pub/f.txt".to_string()));
}

#[test]
fn the_host_path_form_downloads_and_lists() {
    let server = listing_server();
    let port = server.port.to_string();
    let run = run_client(
        Some(&server),
        &["-P", &port, "127.0.0.1:missing/"],
        "",
        false,
    );
    assert_eq!(run.code, Some(1), "stdout: {}", run.stdout());
    let server = listing_server();
    let port = server.port.to_string();
    let run = run_client(
        Some(&server),
        &["-P", &port, "-o", "-", "127.0.0.1:/abs/f b.txt"],
        "",
        false,
    );
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout(), "content\n");
    assert!(commands(&server).contains(&"RETR /abs/f b.txt".to_string()));
}
