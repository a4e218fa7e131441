//! What the server refuses: paths out of the root, anonymous writes, FTP
//! bounce, passive connections from another address, guessed passwords,
//! sessions beyond the limits; and the timeouts that end what waits too long.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::symlink;
use std::thread;
use std::time::{Duration, Instant};

use ftp_tests::raw::{data_connection, Raw};
use ftp_tests::server::Server;
use ftp_tests::sockets::Relay;
use ftp_tests::{have_python, TempDir, HELLO};

use ftp_tests::raw::read_until_closed;

use crate::anonymous;

#[test]
fn paths_never_leave_the_root() {
    let server = Server::start(&[]);
    let outside = TempDir::new("ftp-server-e2e-outside");
    fs::write(outside.path().join("secret.txt"), b"secret").expect("secret");
    symlink(outside.path(), server.root().join("escape")).expect("symlink");
    symlink(
        outside.path().join("secret.txt"),
        server.root().join("secret-link"),
    )
    .expect("symlink");
    let mut raw = Raw::login(server.addr());
    let mut replies = Vec::new();
    let mut refused = |raw: &mut Raw, command: &str, data: bool| {
        let _data = data.then(|| raw.epsv());
        replies.push(raw.expect(command, 550).to_string());
    };
    refused(&mut raw, "RETR ../../../../etc/passwd", true);
    refused(&mut raw, "RETR /etc/passwd", true);
    refused(&mut raw, "RETR ..//..//etc/passwd", true);
    raw.expect("CWD ../../..", 250);
    assert!(raw.expect("PWD", 257).text().starts_with("\"/\""));
    refused(&mut raw, "CWD escape", false);
    refused(&mut raw, "RETR escape/secret.txt", true);
    refused(&mut raw, "RETR secret-link", true);
    refused(&mut raw, "NLST escape", true);
    refused(&mut raw, "SIZE secret-link", false);
    refused(&mut raw, "CWD /escape", false);
    let root = server.root().canonicalize().expect("root");
    let outside = outside.path().canonicalize().expect("outside");
    for reply in &replies {
        for real in [&root, &outside] {
            assert!(
                !reply.contains(&*real.to_string_lossy()),
                "a real path leaked: {reply}"
            );
        }
    }
}

#[test]
fn anonymous_users_cannot_write_by_default() {
    let server = Server::start(&["--anonymous"]);
    let mut raw = anonymous(&server);
    for command in ["STOR new.txt", "APPE pub/hello.txt"] {
        let _data = raw.epsv();
        raw.expect(command, 550);
    }
    raw.expect("MKD newdir", 550);
    raw.expect("DELE pub/hello.txt", 550);
    if raw.command("RNFR pub/hello.txt").code.0 == 350 {
        raw.expect("RNTO x", 550);
    }
    assert_eq!(
        fs::read(server.root().join("pub/hello.txt")).expect("hello"),
        HELLO
    );
    assert!(!server.root().join("new.txt").exists());
    assert!(!server.root().join("newdir").exists());
}

#[test]
fn port_and_eprt_cannot_bounce_to_another_host_or_a_low_port() {
    let server = Server::start(&[]);
    let mut raw = Raw::login(server.addr());
    let trap = TcpListener::bind("127.0.0.2:0").expect("listen on 127.0.0.2");
    let port = trap.local_addr().expect("addr").port();
    for (command, code) in [
        (format!("PORT 127,0,0,2,{},{}", port >> 8, port & 0xff), 501),
        (format!("EPRT |1|127.0.0.2|{port}|"), 501),
        ("PORT 127,0,0,1,0,80".to_string(), 501),
        ("EPRT |2|::1|40000|".to_string(), 501),
        ("EPRT |3|x|40000|".to_string(), 522),
        ("RETR pub/hello.txt".to_string(), 425),
    ] {
        raw.expect(&command, code);
    }
    thread::sleep(Duration::from_millis(500));
    trap.set_nonblocking(true).expect("nonblocking");
    assert!(trap.accept().is_err(), "the server connected to the trap");
}

/// A connection from 127.0.0.2 to the passive port, before the client's
/// own, is refused and logged; the client's gets the file.
#[test]
fn a_passive_connection_from_another_address_is_refused() {
    if !have_python() {
        return;
    }
    let server = Server::start(&[]);
    let mut raw = Raw::login(server.addr());
    raw.expect("TYPE I", 200);
    let reply = raw.expect("EPSV", 229);
    let port = ftp_core::protocol::addr::parse_epsv_reply(&reply.text()).expect("229 port");
    let target = SocketAddr::from(([127, 0, 0, 1], port));
    let mut thieves =
        Relay::start(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), target).expect("python3");
    let thief = thieves.connect().expect("the thief connects");
    let mut real = data_connection(target);
    raw.expect("RETR pub/hello.txt", 150);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut real, &mut bytes).expect("data");
    assert_eq!(bytes, HELLO);
    raw.expect_reply(226);
    assert_eq!(read_until_closed(thief), b"", "the thief got bytes");
    let log = server.log();
    assert!(
        log.contains("refused a connection") && log.contains("127.0.0.2"),
        "{log}"
    );
}

#[test]
fn failed_logins_are_delayed_and_the_third_closes_the_session() {
    let server = Server::start(&[]);
    let mut raw = Raw::open(server.addr());
    for attempt in 0..3 {
        raw.expect("USER alice", 331);
        let started = Instant::now();
        raw.expect(&format!("PASS guess{attempt}"), 530);
        assert!(started.elapsed() >= Duration::from_millis(900), "no delay");
    }
    assert!(
        raw.closed_within(Duration::from_secs(5)),
        "the session is still open"
    );
    // Unknown users get the same 331.
    let mut raw = Raw::open(server.addr());
    raw.expect("USER mallory", 331);
}

#[test]
fn session_limits_answer_421() {
    if !have_python() {
        return;
    }
    let server = Server::start(&["--max-sessions", "2", "--max-per-ip", "1"]);
    let relay = |last: u8| {
        Relay::start(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)), server.addr()).expect("python3")
    };
    let (mut from_2, mut from_3) = (relay(2), relay(3));
    let greeting = |stream: TcpStream| Raw::over_tcp(stream).reply().code.0;
    let first = Raw::open(server.addr());
    let local = || TcpStream::connect(server.addr()).expect("connect");
    assert_eq!(greeting(local()), 421, "a second from 127.0.0.1");
    let mut second = Raw::over_tcp(from_2.connect().expect("relay"));
    second.expect_reply(220);
    assert_eq!(
        greeting(from_3.connect().expect("relay")),
        421,
        "a third in all"
    );
    drop(first);
    thread::sleep(Duration::from_millis(200));
    let mut again = Raw::open(server.addr());
    again.expect("QUIT", 221);
}

#[test]
fn idle_and_login_timeouts_close_with_421() {
    let server = Server::start(&["--idle-timeout", "1", "--login-timeout", "1"]);
    let mut idle = Raw::login(server.addr());
    let mut waiting = Raw::open(server.addr());
    thread::sleep(Duration::from_millis(1500));
    for (raw, what) in [(&mut idle, "Idle timeout"), (&mut waiting, "Login timeout")] {
        // Both timeouts have passed: the 421 is there already.
        let reply = raw
            .next_reply(Duration::from_secs(1))
            .unwrap_or_else(|| panic!("no 421 ({what}) a second after the timeout"));
        assert_eq!(reply.code.0, 421, "{reply}");
        assert!(reply.text().starts_with(what), "{reply}");
    }
}

#[test]
fn a_passive_connection_that_never_comes_is_explained() {
    let server = Server::start(&["--data-timeout", "1"]);
    let mut raw = Raw::login(server.addr());
    raw.expect("EPSV", 229);
    let started = Instant::now();
    // The 150 waits for the data connection; the 425 follows it.
    raw.expect("RETR pub/hello.txt", 150);
    let reply = raw.expect_reply(425);
    assert!(
        reply
            .text()
            .contains("firewall or NAT in front of the server"),
        "{reply}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    raw.expect("NOOP", 200);
}

#[test]
fn rein_starts_a_new_login_timeout() {
    let server = Server::start(&["--login-timeout", "1"]);
    let mut raw = Raw::login(server.addr());
    thread::sleep(Duration::from_millis(1200));
    raw.expect("REIN", 220);
    raw.log_in("alice", "secret");
}
