//! `--inetd`: one session on standard input and output, as pipes, as a
//! socketpair (socat `EXEC:`, stunnel `exec=`) and as the socket inetd
//! passes.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ftp_tests::raw::Raw;
use ftp_tests::{program, run_as_this_user, KillOnDrop, TempDir};

/// Waits (up to 10 s) for a child to exit and returns whether it succeeded.
fn exits_cleanly(child: &mut KillOnDrop) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.0.try_wait() {
            return status.success();
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

/// `ftp-server --inetd` with `options`, serving `root`, on the given
/// standard streams.
fn inetd(options: &[&str], root: &TempDir, streams: [Stdio; 3]) -> KillOnDrop {
    let [stdin, stdout, stderr] = streams;
    KillOnDrop(
        Command::new(program("ftp-server"))
            .args(run_as_this_user())
            .arg("--inetd")
            .args(options)
            .arg("--root")
            .arg(root.path())
            .stdin(stdin)
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("ftp-server starts"),
    )
}

/// `--inetd` with stdin/stdout as pipes: the session acts as if the client
/// were on 127.0.0.1.
#[test]
fn inetd_mode_on_pipes() {
    let scratch = TempDir::new("ftp-server-e2e-inetd");
    fs::write(scratch.path().join("a.txt"), b"from inetd").expect("write");
    let mut child = inetd(
        &[],
        &scratch,
        [Stdio::piped(), Stdio::piped(), Stdio::null()],
    );
    let stdin = child.0.stdin.take().expect("stdin");
    let stdout = child.0.stdout.take().expect("stdout");
    let mut raw = Raw::over(stdout, stdin);
    raw.expect_reply(220);
    raw.log_in("anonymous", "x");
    assert_eq!(raw.retr("a.txt"), b"from inetd");
    raw.expect("QUIT", 221);
    assert!(exits_cleanly(&mut child));
}

/// `--inetd` on a socketpair: the client's address cannot be known, so
/// PORT and EPRT are refused with a reply that says why — before, EPRT to a
/// service on 127.0.0.1 was accepted and the file delivered there (a bounce
/// into localhost) — while passive transfers work; and the idle timeout
/// ends a silent session, which a pipe could not.
#[test]
fn inetd_on_a_socketpair_refuses_active_mode_and_times_out() {
    let scratch = TempDir::new("ftp-server-e2e-inetd-pair");
    fs::write(scratch.path().join("a.txt"), b"from a pair").expect("write");
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socketpair");
    let theirs = OwnedFd::from(theirs);
    let theirs_out = theirs.try_clone().expect("dup");
    let mut child = inetd(
        &["--idle-timeout", "2"],
        &scratch,
        [theirs.into(), theirs_out.into(), Stdio::null()],
    );
    ours.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut raw = Raw::over(ours.try_clone().expect("clone"), ours);
    raw.expect_reply(220);
    raw.log_in("anonymous", "x");
    let victim = TcpListener::bind("127.0.0.1:0").expect("a loopback service");
    let port = victim.local_addr().expect("addr").port();
    for command in [
        format!("EPRT |1|127.0.0.1|{port}|"),
        format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff),
    ] {
        let reply = raw.expect(&command, 502);
        assert!(reply.to_string().contains("PASV or EPSV"), "{reply}");
    }
    assert_eq!(raw.retr("a.txt"), b"from a pair");
    let started = Instant::now();
    raw.expect_reply(421);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(exits_cleanly(&mut child));
}

/// `--inetd` with stdin, stdout and stderr as a socket, as inetd passes it:
/// the session listens for passive connections on the socket's local address
/// (here IPv6, where PASV is refused), and no log line (`-v`) reaches the
/// client.
#[test]
fn inetd_mode_on_a_socket() {
    let scratch = TempDir::new("ftp-server-e2e-inetd-socket");
    fs::write(scratch.path().join("a.txt"), b"from a socket").expect("write");
    let listener = TcpListener::bind("[::1]:0").expect("bind ::1");
    let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let (accepted, _) = listener.accept().expect("accept");
    let socket = OwnedFd::from(accepted);
    let socket_out = socket.try_clone().expect("dup");
    let socket_err = socket.try_clone().expect("dup");
    let mut child = inetd(
        &["-v"],
        &scratch,
        [socket.into(), socket_out.into(), socket_err.into()],
    );
    let mut raw = Raw::over_tcp(client);
    raw.expect_reply(220);
    raw.log_in("ftp", "x");
    raw.expect("PASV", 425);
    assert_eq!(raw.retr("a.txt"), b"from a socket");
    raw.expect("QUIT", 221);
    assert!(exits_cleanly(&mut child));
}
