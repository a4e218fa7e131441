//! Hostile clients: each test attacks a fresh server one way and then
//! checks that the attack got the answer RFC 959 / RFC 2577 and the design
//! notes promise, that the server's memory, threads and descriptors stayed
//! bounded, and that a legitimate user is still served.
//!
//! What it does not do: load and faults (that is `load.rs`), or fuzz the
//! parsers (the cargo-fuzz targets in `fuzz/` do).

use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::symlink;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use ftp_tests::raw::{data_connection, read_until_closed};
use ftp_tests::sockets::{Relay, SmallBuffer};
use ftp_tests::{have_python, pattern};

use super::harness::{exclusive, soft_limit, Raw, Server, HELLO, PASSWORD, USER};

/// How many silent connections the flood test opens (fewer, with a note,
/// when the descriptor limits cannot hold them).
const SILENT_CONNECTIONS: usize = 1000;
/// How fast a legitimate user must be logged in, whatever else is going on.
const LOGIN_LIMIT: Duration = Duration::from_secs(1);
const MIB: usize = 1 << 20;

/// 1,000 connections that never log in hold 1,000 sessions (the limits are
/// raised for this), yet a user logs in within a second; when they go, the
/// server's threads and descriptors return to their baseline.
#[test]
fn a_thousand_silent_connections_do_not_keep_a_user_out() {
    let _alone = exclusive();
    let server = Server::start_under(
        "ulimit -S -n \"$(ulimit -H -n)\"",
        &["--max-sessions", "1100", "--max-per-ip", "1100"],
    );
    let count = silent_connection_count(server.pid());
    server.serves_a_user();
    let baseline = server.at_rest();
    let started = Instant::now();
    let silent: Vec<TcpStream> = (0..count).map(|_| greeted(server.addr())).collect();
    let opened = started.elapsed();
    let crowded = server.stats();
    let login = server.serves_a_user();
    println!(
        "{count} silent sessions opened in {opened:?}; server: {crowded}; \
         a user logged in in {login:?}"
    );
    assert!(login < LOGIN_LIMIT, "login took {login:?}");
    assert!(
        crowded.threads >= baseline.threads + count,
        "one session thread per connection: {crowded} vs {baseline}"
    );
    drop(silent);
    let after = server.settles_to(baseline);
    println!("after they left: {after}");
    server.serves_a_user();
}

/// How many silent connections fit under this process's and the server's
/// descriptor limits (the server needs three per session).
fn silent_connection_count(server_pid: u32) -> usize {
    let ours = soft_limit("self", "Max open files").unwrap_or(u64::MAX);
    let theirs = soft_limit(&server_pid.to_string(), "Max open files").unwrap_or(u64::MAX);
    let fits = usize::try_from(ours.saturating_sub(64).min(theirs.saturating_sub(64) / 3))
        .unwrap_or(usize::MAX);
    if fits < SILENT_CONNECTIONS {
        println!(
            "NOTE: open-file limits (test {ours}, server {theirs}) allow only {fits} \
             silent connections instead of {SILENT_CONNECTIONS}"
        );
    }
    fits.min(SILENT_CONNECTIONS)
}

/// A connection that has read its `220` greeting and will say nothing.
fn greeted(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut greeting = Vec::new();
    let mut byte = [0u8; 1];
    while !greeting.ends_with(b"\n") {
        let n = stream.read(&mut byte).expect("the greeting");
        assert!(n == 1, "closed before the greeting");
        greeting.push(byte[0]);
    }
    assert!(
        greeting.starts_with(b"220 "),
        "{}",
        String::from_utf8_lossy(&greeting)
    );
    stream
}

/// With the default limits (200 sessions, 50 per address), 1,000
/// connections from one address (127.0.0.2) get 50 sessions and 950 `421`
/// replies, each refused connection is closed, and a user from 127.0.0.1
/// logs in within a second meanwhile.
#[test]
fn the_per_address_limit_keeps_one_address_from_filling_the_server() {
    let _alone = exclusive();
    if !have_python() {
        return;
    }
    let server = Server::start(&[]);
    let mut stranger = Relay::start(OTHER_ADDRESS, server.addr()).expect("python3");
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..1000 {
        let mut raw = Raw::over_tcp(stranger.connect().expect("the relay connects"));
        let reply = raw.reply();
        match reply.code.0 {
            220 => held.push(raw),
            421 => {
                assert!(
                    raw.closed_within(Duration::from_secs(5)),
                    "a refused connection is closed"
                );
                refused += 1;
            }
            _ => panic!("{reply}"),
        }
    }
    assert_eq!((held.len(), refused), (50, 950));
    let login = server.serves_a_user();
    assert!(login < LOGIN_LIMIT, "login took {login:?}");
    println!(
        "1000 connections from 127.0.0.2: {} sessions, {refused} refused; \
         a user from 127.0.0.1 logged in in {login:?}",
        held.len()
    );
    drop(held);
    server.serves_a_user();
}

/// The second loopback address, where connections from a stranger come from.
const OTHER_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A connection that says nothing, one that sends a byte every 200 ms but
/// never ends a line, and a logged-in one that does the same after its
/// login are all closed with `421` at the login (2 s) or idle (3 s) timeout:
/// trickling bytes does not keep a session open.
#[test]
fn silent_and_trickling_connections_are_closed_at_the_timeouts() {
    let server = Server::start(&["--login-timeout", "2", "--idle-timeout", "3"]);
    let started = Instant::now();
    let mut silent = Raw::open(server.addr());
    let mut trickler = Raw::open(server.addr());
    let mut logged_in = Raw::login(server.addr());
    let logged_in_at = Instant::now();
    let trickle = [trickler.stream(), logged_in.stream()]
        .map(|stream| trickle_bytes(stream.try_clone().expect("clone")));
    for (raw, since, limit, what) in [
        (&mut silent, started, 2, "Login timeout"),
        (&mut trickler, started, 2, "Login timeout"),
        (&mut logged_in, logged_in_at, 3, "Idle timeout"),
    ] {
        let reply = raw
            .next_reply(Duration::from_secs(8))
            .unwrap_or_else(|| panic!("no 421 ({what}); {}", server.log_tail(20)));
        let took = since.elapsed();
        assert_eq!(reply.code.0, 421, "{reply}");
        assert!(reply.text().starts_with(what), "{reply}");
        assert!(
            raw.closed_within(Duration::from_secs(2)),
            "closed after 421"
        );
        let limit = Duration::from_secs(limit);
        assert!(
            took >= limit - Duration::from_millis(300) && took < limit + Duration::from_secs(2),
            "{what} after {took:?}"
        );
    }
    for thread in trickle {
        thread.join().expect("trickle thread");
    }
    server.serves_a_user();
}

/// Sends one byte of a line that never ends every 200 ms, for up to 10 s
/// or until the server closes the connection.
fn trickle_bytes(mut stream: TcpStream) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && stream.write_all(b"N").is_ok() {
            thread::sleep(Duration::from_millis(200));
        }
    })
}

/// 32 sessions each send a line of 1 MiB without CRLF: the server holds at
/// most one line limit (4 KiB) of it per session, answers `500` when the
/// line finally ends, and goes on. Its peak memory grows by far less than
/// the 32 MiB it was sent.
#[test]
fn lines_of_a_mebibyte_without_a_line_end_keep_memory_bounded() {
    const SESSIONS: usize = 32;
    let server = Server::start(&["--max-per-ip", "64"]);
    server.serves_a_user();
    let before = server.at_rest();
    let mut sessions: Vec<Raw> = (0..SESSIONS).map(|_| Raw::login(server.addr())).collect();
    let line: Vec<u8> = b"NOOP ".iter().chain(&[b'A'; MIB]).copied().collect();
    let senders: Vec<_> = sessions
        .iter()
        .map(|raw| raw.send_in_background(line.clone()))
        .collect();
    for sender in senders {
        assert!(sender.join().expect("sender"), "the server took the line");
    }
    for raw in &mut sessions {
        raw.send(b"\r\n");
        let reply = raw.reply();
        assert_eq!(reply.code.0, 500, "{reply}");
        assert!(reply.text().contains("Line longer than"), "{reply}");
        raw.expect("NOOP", 200);
    }
    let after = server.stats();
    let growth = after.peak_kib.saturating_sub(before.rss_kib);
    println!(
        "{SESSIONS} sessions x 1 MiB lines: server {before} before, {after} after; \
         peak growth {growth} KiB"
    );
    assert!(
        growth < 12 << 10,
        "memory grew by {growth} KiB for {SESSIONS} MiB of unfinished lines"
    );
    drop(sessions);
    server.serves_a_user();
}

/// 256 KiB of pseudo-random bytes, before and after login, get error replies
/// (whatever lines the CR and LF bytes in it make); a `SYST` after it is
/// answered and the session goes on.
#[test]
fn binary_garbage_gets_error_replies_and_the_session_goes_on() {
    let server = Server::start(&[]);
    for (seed, logged_in) in [(99, false), (100, true)] {
        let mut raw = if logged_in {
            Raw::login(server.addr())
        } else {
            Raw::open(server.addr())
        };
        let mut garbage = pattern(256 << 10, seed);
        // Ends a Telnet subnegotiation (IAC SB ...) the garbage may have begun
        // and the line it was in, then asks a question with a known answer.
        garbage.extend_from_slice(b"\xff\xf0\xff\xf0\r\nSYST\r\n");
        let sender = raw.send_in_background(garbage);
        let mut errors = 0;
        let syst = loop {
            let reply = raw.reply();
            if reply.code.0 == 215 {
                break reply;
            }
            assert!(reply.code.0 >= 400, "garbage got {reply}");
            errors += 1;
            assert!(errors < 1 << 20, "replies never end");
        };
        assert!(sender.join().expect("sender"), "the server took it all");
        assert_eq!(syst.text(), "UNIX Type: L8");
        assert!(errors > 0, "the garbage was answered");
        raw.expect("NOOP", 200);
        println!("256 KiB of garbage (logged in: {logged_in}): {errors} error replies");
    }
    server.serves_a_user();
}

/// Floods of Telnet commands: 1 MiB of `IAC NOP`, `IAC WILL/DO x` and
/// `IAC AYT` is stripped silently; 1 MiB of `IAC IAC` (escaped 0xFF data) is
/// a line over the limit (`500`); a 1 MiB subnegotiation is skipped. The
/// session answers after each, and memory stays bounded.
#[test]
fn telnet_floods_are_stripped_and_memory_stays_bounded() {
    let server = Server::start(&[]);
    server.serves_a_user();
    let before = server.at_rest();
    let mut raw = Raw::login(server.addr());
    let commands: [&[u8]; 4] = [b"\xff\xf1", b"\xff\xfb\x01", b"\xff\xfd\x03", b"\xff\xf6"];
    let mut flood: Vec<u8> = commands
        .iter()
        .cycle()
        .take(MIB / 3)
        .flat_map(|c| c.iter())
        .copied()
        .collect();
    flood.extend_from_slice(b"NOOP\r\n");
    let sender = raw.send_in_background(flood);
    assert_eq!(raw.reply().code.0, 200, "the only reply is NOOP's");
    assert!(sender.join().expect("sender"));

    let mut escaped = b"\xff\xff".repeat(MIB / 2);
    escaped.extend_from_slice(b"\r\nNOOP\r\n");
    let sender = raw.send_in_background(escaped);
    let too_long = raw.reply();
    assert_eq!(too_long.code.0, 500, "{too_long}");
    assert_eq!(raw.reply().code.0, 200);
    assert!(sender.join().expect("sender"));

    let mut subnegotiation = b"\xff\xfa\x18".to_vec();
    subnegotiation.extend(std::iter::repeat_n(b'x', MIB));
    subnegotiation.extend_from_slice(b"\xff\xf0NOOP\r\n");
    let sender = raw.send_in_background(subnegotiation);
    assert_eq!(raw.reply().code.0, 200, "the subnegotiation is skipped");
    assert!(sender.join().expect("sender"));

    let after = server.stats();
    println!("Telnet floods of 3 MiB: server {before} before, {after} after");
    assert!(
        after.peak_kib.saturating_sub(before.rss_kib) < 4 << 10,
        "memory grew: {before} -> {after}"
    );
    raw.expect("QUIT", 221);
    server.serves_a_user();
}

/// 10,000 commands sent in one go, without waiting for replies, are all
/// answered, in order (the `500` replies echo the command's number).
#[test]
fn ten_thousand_pipelined_commands_are_answered_in_order() {
    const COMMANDS: usize = 10_000;
    let server = Server::start(&[]);
    let mut raw = Raw::login(server.addr());
    let expected: Vec<(String, u16, String)> = (0..COMMANDS).map(pipelined).collect();
    let wire: Vec<u8> = expected
        .iter()
        .flat_map(|(command, _, _)| format!("{command}\r\n").into_bytes())
        .collect();
    let started = Instant::now();
    let sender = raw.send_in_background(wire);
    for (command, code, text) in &expected {
        let reply = raw.reply();
        assert_eq!(reply.code.0, *code, "{command} -> {reply}");
        assert!(reply.text().contains(text.as_str()), "{command} -> {reply}");
    }
    let took = started.elapsed();
    assert!(sender.join().expect("sender"));
    println!("{COMMANDS} pipelined commands answered in order in {took:?}");
    raw.expect("QUIT", 221);
    server.serves_a_user();
}

/// The `i`th pipelined command, its reply code and a text the reply contains.
fn pipelined(i: usize) -> (String, u16, String) {
    let plain = |command: &str, code, text: &str| (command.to_string(), code, text.to_string());
    match i % 5 {
        0 => plain("NOOP", 200, ""),
        1 => plain("SIZE pub/hello.txt", 213, "13"),
        2 => plain("TYPE I", 200, "Type set to I"),
        3 => plain("TYPE A", 200, "Type set to A"),
        _ => (format!("XYZZY{i}"), 500, format!("\"XYZZY{i}\"")),
    }
}

/// PORT and EPRT to another address (127.0.0.2, ::1, 10.0.0.1) or to a port
/// below 1024 are refused with `501`, and no connection is attempted: the
/// listeners waiting there see nothing. A PORT to the client itself works.
#[test]
fn port_and_eprt_never_bounce_and_never_reach_low_ports() {
    let server = Server::start(&[]);
    let elsewhere = TcpListener::bind("127.0.0.2:0").expect("listen on 127.0.0.2");
    let far_port = elsewhere.local_addr().expect("addr").port();
    let low = low_port_listener();
    let low_port = low
        .as_ref()
        .map_or(1023, |l| l.local_addr().expect("addr").port());
    let mut raw = Raw::login(server.addr());
    let (hi, lo) = (far_port >> 8, far_port & 0xff);
    let (low_hi, low_lo) = (low_port >> 8, low_port & 0xff);
    for command in [
        format!("PORT 127,0,0,2,{hi},{lo}"),
        format!("EPRT |1|127.0.0.2|{far_port}|"),
        format!("EPRT |2|::1|{far_port}|"),
        format!("PORT 10,0,0,1,{hi},{lo}"),
        format!("PORT 127,0,0,1,{low_hi},{low_lo}"),
        format!("EPRT |1|127.0.0.1|{low_port}|"),
        format!("EPRT |1|0.0.0.0|{low_port}|"),
        "PORT 127,0,0,1,0,0".to_string(),
    ] {
        let reply = raw.command(&command);
        assert_eq!(reply.code.0, 501, "{command} -> {reply}");
        let retr = raw.command("RETR pub/hello.txt");
        assert_eq!(retr.code.0, 425, "after a refused {command}: {retr}");
    }
    thread::sleep(Duration::from_millis(300));
    for listener in std::iter::once(&elsewhere).chain(low.as_ref()) {
        listener.set_nonblocking(true).expect("nonblocking");
        let attempt = listener.accept();
        assert!(
            attempt.is_err(),
            "the server connected to {:?}",
            listener.local_addr()
        );
    }
    let mine = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = mine.local_addr().expect("addr").port();
    raw.expect(
        &format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff),
        200,
    );
    raw.expect("RETR pub/hello.txt", 150);
    let (mut data, _) = mine.accept().expect("the server connects to the client");
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).expect("data");
    assert_eq!(bytes, HELLO);
    assert_eq!(raw.reply().code.0, 226);
    if low.is_none() {
        println!("NOTE: cannot listen below 1024 here; the low-port replies were checked, not the absence of a connection");
    }
    server.serves_a_user();
}

/// A listener on 127.0.0.1 with a port below 1024 (needs root), if one is free.
fn low_port_listener() -> Option<TcpListener> {
    (1000..1024).find_map(|port| TcpListener::bind(("127.0.0.1", port)).ok())
}

/// A thief on 127.0.0.2 connects to the passive port first (PASV and EPSV):
/// the server closes its connection without sending a byte, keeps waiting,
/// and the client's own connection gets the file. After the transfer the
/// port is closed.
#[test]
fn passive_connections_from_another_address_are_refused() {
    if !have_python() {
        return;
    }
    let server = Server::start(&[]);
    let mut raw = Raw::login(server.addr());
    raw.expect("TYPE I", 200);
    for verb in ["PASV", "EPSV"] {
        let port = match verb {
            "PASV" => raw.pasv_address().port(),
            _ => epsv_port(&mut raw),
        };
        let target = SocketAddr::from(([127, 0, 0, 1], port));
        let mut thieves = Relay::start(OTHER_ADDRESS, target).expect("python3");
        let thief = thieves.connect().expect("the thief connects");
        // The thief is first in the listen queue; the server takes the data
        // connection (and sends its 150) only from the client.
        let mut data = data_connection(target);
        raw.expect("RETR pub/hello.txt", 150);
        assert_eq!(read_until_closed(thief), b"", "{verb}: the thief got bytes");
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes).expect("the file");
        assert_eq!(bytes, HELLO, "{verb}");
        raw.expect_reply(226);
        assert!(
            thieves.connect().is_err(),
            "{verb}: the passive port is still open after the transfer"
        );
    }
    raw.expect("QUIT", 221);
    let log = server.log();
    assert_eq!(
        log.matches("data: refused a connection").count(),
        2,
        "{log}"
    );
    server.serves_a_user();
}

/// The port of an `EPSV` reply.
fn epsv_port(raw: &mut Raw) -> u16 {
    let reply = raw.expect("EPSV", 229);
    ftp_core::protocol::addr::parse_epsv_reply(&reply.text()).expect("229 port")
}

/// Every path trick is answered with an error and leaves the outside
/// untouched: `..` in all spellings, `\`, `%2e%2e`, NUL, over-long names
/// and paths, symlinks out of the root (absolute and relative, to a
/// directory and to a file), symlink loops, and RNFR/RNTO across the
/// boundary. No reply shows the real path.
#[test]
fn path_tricks_stay_in_the_jail() {
    let server = Server::start(&[]);
    let (root, outside) = (server.root(), server.outside().to_path_buf());
    fs::write(outside.join("secret.txt"), b"secret").expect("secret");
    symlink(&outside, root.join("escape")).expect("symlink");
    symlink("..", root.join("up")).expect("symlink");
    symlink(outside.join("secret.txt"), root.join("leak")).expect("symlink");
    symlink("loop", root.join("loop")).expect("symlink");
    symlink("b", root.join("a")).expect("symlink");
    symlink("a", root.join("b")).expect("symlink");
    let before = outside_listing(&server);
    let mut tricks = Tricks {
        raw: Raw::login(server.addr()),
        replies: Vec::new(),
    };
    tricks.play(&root);
    let Tricks { mut raw, replies } = tricks;
    raw.expect("QUIT", 221);
    let hidden = outside.to_string_lossy();
    let leaked: Vec<&String> = replies.iter().filter(|r| r.contains(&*hidden)).collect();
    assert!(leaked.is_empty(), "the real path in {leaked:?}");
    println!(
        "{} path tricks refused or kept inside the root",
        replies.len()
    );
    assert_eq!(outside_listing(&server), before, "the outside changed");
    assert_eq!(
        fs::read(outside.join("secret.txt")).expect("secret"),
        b"secret"
    );
    server.serves_a_user();
}

/// The names and sizes outside the root (the server log aside).
fn outside_listing(server: &Server) -> Vec<(String, u64)> {
    let mut names: Vec<(String, u64)> = fs::read_dir(server.outside())
        .expect("outside")
        .map(|entry| {
            let entry = entry.expect("entry");
            let size = entry.metadata().map_or(0, |meta| meta.len());
            (entry.file_name().to_string_lossy().into_owned(), size)
        })
        .filter(|(name, _)| name != "server.log" && name != "root")
        .collect();
    names.sort();
    names
}

/// A session that plays path tricks and keeps every reply it got.
struct Tricks {
    raw: Raw,
    replies: Vec<String>,
}

impl Tricks {
    /// Sends `command`; the reply must start with `prefix` (`55` for a
    /// refusal). Keeps the reply.
    fn answered(&mut self, command: &str, prefix: &str) {
        let reply = self.raw.command(command);
        let text = reply.to_string();
        assert!(
            text.starts_with(prefix),
            "{command:?}: expected {prefix}, got {text}"
        );
        self.replies.push(text);
    }

    /// As [`Tricks::answered`] with `55`.
    fn refused(&mut self, command: &str) {
        self.answered(command, "55");
    }

    /// A data command (RETR, LIST, STOR, APPE) after EPSV, as a client
    /// sends it; it must be refused with `55x` before any transfer.
    fn refused_transfer(&mut self, command: &str) {
        let _data = self.raw.epsv();
        self.refused(command);
    }

    /// Every trick, in the order the test plays them.
    fn play(&mut self, root: &std::path::Path) {
        let mut reads: Vec<String> = [
            "../secret.txt",
            "/../secret.txt",
            "//..//..//secret.txt",
            "pub/../../secret.txt",
            "..\\secret.txt",
            "..\\..\\secret.txt",
            "%2e%2e/secret.txt",
            "%2e%2e%2fsecret.txt",
            ".../secret.txt",
            "escape/secret.txt",
            "up/secret.txt",
            "leak",
            "loop",
            "a",
            "pub/hello.txt\0/../../secret.txt",
        ]
        .map(String::from)
        .to_vec();
        let (long_name, deep_path) = ("n".repeat(300), format!("{}x", "a/".repeat(1900)));
        reads.extend([long_name.clone(), deep_path.clone()]);
        for name in &reads {
            self.refused_transfer(&format!("RETR {name}"));
            self.refused(&format!("SIZE {name}"));
            self.refused(&format!("MDTM {name}"));
        }
        self.answered(&format!("RETR {}", "n".repeat(5000)), "500");
        for dir in ["escape", "up", "loop", "a", "escape/", "up/."] {
            self.refused(&format!("CWD {dir}"));
            self.refused_transfer(&format!("LIST {dir}"));
            self.refused(&format!("MLST {dir}"));
            self.refused(&format!("STAT {dir}"));
        }
        for up in ["..", "../..", "/..", "//", "\\.."] {
            self.answered("CWD /", "25");
            match up {
                "\\.." => self.refused(&format!("CWD {up}")),
                // ftplib sends CDUP for `..`.
                ".." => self.answered("CDUP", "25"),
                _ => self.answered(&format!("CWD {up}"), "250"),
            }
            let pwd = self.raw.expect("PWD", 257);
            assert!(pwd.text().starts_with("\"/\""), "after {up}: {pwd}");
        }
        for name in [
            "escape/new.txt",
            "up/new.txt",
            "leak/new.txt",
            &long_name,
            &deep_path,
        ] {
            self.refused_transfer(&format!("STOR {name}"));
            self.refused(&format!("MKD {name}"));
        }
        self.refused_transfer("APPE leak");
        for name in ["leak", "escape/secret.txt"] {
            let _data = self.raw.epsv();
            self.answered("REST 1", "350");
            self.refused(&format!("STOR {name}"));
        }
        for name in ["escape/secret.txt", "up/secret.txt", "../secret.txt"] {
            self.refused(&format!("DELE {name}"));
            self.refused(&format!("RNFR {name}"));
            self.refused(&format!("SITE CHMOD 777 {name}"));
            self.refused(&format!("MFMT 20000101000000 {name}"));
        }
        self.refused("RMD escape");
        self.refused("SITE CHMOD 777 leak");
        self.refused("MFMT 20000101000000 leak");
        for target in ["escape/stolen.txt", "up/stolen.txt", "escape/../stolen/x"] {
            self.answered("RNFR pub/hello.txt", "350");
            self.refused(&format!("RNTO {target}"));
        }
        // `..` above the root stays at the root: this rename lands inside it.
        self.answered("RNFR pub/hello.txt", "350");
        self.answered("RNTO ../../moved.txt", "250");
        assert!(root.join("moved.txt").exists());
        self.raw.expect("RNFR /moved.txt", 350);
        self.raw.expect("RNTO /pub/hello.txt", 250);
        self.raw.stor("../up-high.txt", b"inside");
        assert_eq!(
            fs::read(root.join("up-high.txt")).expect("inside"),
            b"inside"
        );
        self.raw.expect("DELE up-high.txt", 250);
        let names = String::from_utf8(self.raw.read_data("NLST")).expect("names");
        for name in ["escape", "up", "leak", "loop", "a", "b", "pub"] {
            assert!(names.lines().any(|line| line.trim_end() == name), "{names}");
        }
        assert_eq!(self.raw.retr("pub/hello.txt"), HELLO);
    }
}

/// Wildcard patterns built to backtrack (`*?` twelve times, then a byte no
/// name has) are answered at once, also against a long name: matching is
/// not exponential in the number of `*`.
#[test]
fn wildcard_patterns_cannot_pin_a_cpu() {
    let server = Server::start(&[]);
    let name = "debian-12.5.0-amd64-netinst-with-firmware.iso";
    fs::write(server.root().join(name), b"").expect("file");
    let mut raw = Raw::login(server.addr());
    for pattern in [format!("{}Z", "*?".repeat(12)), "*?".repeat(12)] {
        let mut data = raw.epsv();
        let started = Instant::now();
        raw.expect(&format!("NLST {pattern}"), 150);
        let mut names = String::new();
        data.read_to_string(&mut names).expect("the listing");
        assert_eq!(raw.reply().code.0, 226);
        let took = started.elapsed();
        println!("NLST {pattern}: {:?} in {took:?}", names.trim());
        assert!(
            took < Duration::from_secs(2),
            "NLST {pattern} took {took:?}"
        );
        let matched = !pattern.ends_with('Z');
        assert_eq!(names.trim() == name, matched, "{names:?}");
    }
    server.serves_a_user();
}

/// A FIFO in the root (a local user can make one; FTP cannot): RETR, APPE,
/// STOR (with and without REST), MFMT and SITE CHMOD of it are refused at
/// once as not a plain file instead of waiting forever for the other end
/// (MFMT used to open it), and no session thread is left behind.
#[test]
fn a_fifo_in_the_root_is_refused_not_waited_on() {
    let server = Server::start(&[]);
    let made = Command::new("mkfifo")
        .arg(server.root().join("fifo"))
        .status()
        .is_ok_and(|status| status.success());
    assert!(made, "mkfifo");
    server.serves_a_user();
    let baseline = server.at_rest();
    let mut raw = Raw::login(server.addr());
    for (rest, command) in [
        (false, "RETR fifo"),
        (false, "APPE fifo"),
        (true, "STOR fifo"),
        (false, "STOR fifo"),
    ] {
        raw.expect("EPSV", 229);
        if rest {
            raw.expect("REST 0", 350);
        }
        raw.expect(command, 550);
    }
    raw.expect("MFMT 20200101000000 fifo", 550);
    raw.expect("SITE CHMOD 600 fifo", 550);
    raw.expect("QUIT", 221);
    drop(raw);
    server.settles_to(baseline);
    server.serves_a_user();
}

/// Wrong passwords wait a second each and the third closes the session;
/// unknown names get `331` like known ones. Eight brute-forcers at once do
/// not keep a user from logging in within a second.
#[test]
fn brute_force_logins_are_delayed_then_disconnected() {
    let server = Server::start(&[]);
    let mut raw = Raw::open(server.addr());
    for (attempt, user) in ["alice", "nobody", "alice"].iter().enumerate() {
        raw.expect(&format!("USER {user}"), 331);
        let started = Instant::now();
        raw.expect("PASS wrong", 530);
        let delay = started.elapsed();
        assert!(
            delay >= Duration::from_millis(900),
            "attempt {attempt}: {delay:?}"
        );
    }
    assert!(
        raw.closed_within(Duration::from_secs(2)),
        "the third failure closes the session"
    );
    let forcers: Vec<_> = (0..8)
        .map(|_| {
            let addr = server.addr();
            thread::spawn(move || {
                let mut raw = Raw::open(addr);
                for _ in 0..3 {
                    raw.expect("USER alice", 331);
                    raw.expect("PASS guess", 530);
                }
                raw.closed_within(Duration::from_secs(2))
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(200));
    let login = server.serves_a_user();
    println!("a user logged in in {login:?} during 8 brute-force sessions");
    assert!(login < LOGIN_LIMIT, "{login:?}");
    for forcer in forcers {
        assert!(
            forcer.join().expect("forcer"),
            "closed after three failures"
        );
    }
    server.serves_a_user();
}

/// `--max-sessions 4 --max-per-ip 2`: the third connection from an address
/// and the fifth in all get `421` and are closed; a slot given back is
/// taken by the next client.
#[test]
fn session_limits_answer_421_and_give_slots_back() {
    if !have_python() {
        return;
    }
    let server = Server::start(&["--max-sessions", "4", "--max-per-ip", "2"]);
    let mut from_2 = Relay::start(OTHER_ADDRESS, server.addr()).expect("python3");
    let third = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    let mut from_3 = Relay::start(third, server.addr()).expect("python3");
    let greeting = |stream: TcpStream| {
        let mut raw = Raw::over_tcp(stream);
        let code = raw.reply().code.0;
        (raw, code)
    };
    let local = || TcpStream::connect(server.addr()).expect("connect");
    let (a1, a2) = (greeting(local()), greeting(local()));
    assert_eq!((a1.1, a2.1), (220, 220));
    let (mut a3, code) = greeting(local());
    assert_eq!(code, 421, "the third from 127.0.0.1");
    assert!(a3.closed_within(Duration::from_secs(5)), "closed after 421");
    let b1 = greeting(from_2.connect().expect("relay"));
    let b2 = greeting(from_2.connect().expect("relay"));
    assert_eq!((b1.1, b2.1), (220, 220));
    let (_, code) = greeting(from_3.connect().expect("relay"));
    assert_eq!(code, 421, "the fifth in all");
    drop(a1);
    let deadline = Instant::now() + Duration::from_secs(5);
    let code = loop {
        let (c, code) = greeting(from_3.connect().expect("relay"));
        if code == 220 || Instant::now() > deadline {
            break code;
        }
        drop(c);
        thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, 220, "the slot was given back");
    drop((a2, b1, b2));
    let log = server.log();
    assert!(log.contains("refused, too many sessions"), "{log}");
    server.wait_for_sessions_to_end(5);
    server.serves_a_user();
}

/// `--data-timeout 1`: a passive connection that never comes gets `425`, a
/// download nobody reads and an upload that stalls get `426`, each within a
/// few seconds; the stalled upload leaves the old file and no temporary
/// file; the session goes on, and the server's threads and descriptors
/// return to their baseline.
#[test]
fn data_connections_that_never_come_or_stall_time_out() {
    let server = Server::start(&["--data-timeout", "1"]);
    let big = pattern(32 * MIB, 5);
    let old = pattern(100_000, 6);
    fs::write(server.root().join("big.bin"), &big).expect("big");
    fs::write(server.root().join("old.bin"), &old).expect("old");
    server.serves_a_user();
    let baseline = server.at_rest();
    let mut raw = Raw::login(server.addr());
    raw.expect("TYPE I", 200);

    raw.expect("EPSV", 229);
    let started = Instant::now();
    raw.expect("RETR pub/hello.txt", 150);
    assert_eq!(raw.reply().code.0, 425, "nobody connected");
    let never = started.elapsed();

    let data = raw.epsv();
    let started = Instant::now();
    raw.expect("RETR big.bin", 150);
    assert_eq!(raw.reply().code.0, 426, "nobody read");
    let unread = started.elapsed();
    drop(data);

    let mut data = raw.epsv();
    raw.expect("STOR old.bin", 150);
    let started = Instant::now();
    data.write_all(&big[..100_000]).expect("some data");
    assert_eq!(raw.reply().code.0, 426, "the upload stalled");
    let stalled = started.elapsed();
    drop(data);
    raw.expect("NOOP", 200);
    assert_eq!(fs::read(server.root().join("old.bin")).expect("old"), old);
    assert_eq!(server.temporaries(), Vec::<String>::new());
    println!(
        "data timeout 1 s: never connected -> 425 after {never:?}, unread download -> 426 \
         after {unread:?}, stalled upload -> 426 after {stalled:?}"
    );
    for took in [never, unread, stalled] {
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }
    raw.expect("QUIT", 221);
    drop(raw);
    server.settles_to(baseline);
    server.serves_a_user();
}

/// A client that sends the whole file, closes the data connection, then
/// sends QUIT (or NOOP) and half-closes its control connection without
/// waiting for the `226` has uploaded the file: 20 of 20 replacing STORs
/// are committed, and each gets its `226` before the `221`.
#[test]
fn an_upload_followed_at_once_by_quit_and_a_half_close_is_kept() {
    let server = Server::start(&[]);
    let target = server.root().join("target.bin");
    for round in 0..20u64 {
        fs::write(&target, b"old").expect("old");
        let content = pattern(64 << 10, round);
        let mut raw = Raw::login(server.addr());
        raw.expect("TYPE I", 200);
        let mut data = raw.epsv();
        raw.send(b"STOR target.bin\r\n");
        data.write_all(&content).expect("upload");
        drop(data);
        let last = if round % 2 == 0 { "QUIT" } else { "NOOP" };
        raw.send(format!("{last}\r\n").as_bytes());
        raw.stream()
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
        let mut codes = Vec::new();
        while let Some(reply) = raw.next_reply(Duration::from_secs(5)) {
            codes.push(reply.code.0);
        }
        let kept = fs::read(&target).expect("target") == content;
        assert!(
            kept,
            "round {round} ({last}): the upload was thrown away; replies {codes:?}"
        );
        assert_eq!(codes[..2], [150, 226], "round {round} ({last})");
    }
    assert_eq!(server.temporaries(), Vec::<String>::new());
}

/// A client that connects to the passive port only once it has seen the
/// `150` gets the `150` at once; a connection from another address before
/// it (127.0.0.2, through the relay of `ftp_tests::sockets`) is
/// closed, and the server keeps waiting for the client's own.
#[test]
fn the_150_comes_at_once_when_the_client_waits_for_it() {
    if !have_python() {
        return;
    }
    let server = Server::start(&["--data-timeout", "10"]);
    let mut raw = Raw::login(server.addr());
    for foreign_first in [false, true] {
        let reply = raw.expect("EPSV", 229);
        let port = ftp_core::protocol::addr::parse_epsv_reply(&reply.text()).expect("229 port");
        let target = SocketAddr::from(([127, 0, 0, 1], port));
        let foreign = foreign_first.then(|| {
            let mut relay = Relay::start(OTHER_ADDRESS, target).expect("python3");
            let stream = relay.connect().expect("the foreign connection");
            (relay, stream)
        });
        let started = Instant::now();
        raw.send(b"RETR pub/hello.txt\r\n");
        let first = raw
            .next_reply(Duration::from_secs(3))
            .expect("a reply while the server waits for the data connection");
        assert_eq!(first.code.0, 150, "{first}");
        let waited = started.elapsed();
        let mut data = TcpStream::connect(("127.0.0.1", port)).expect("data connection");
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes).expect("data");
        assert_eq!(bytes, HELLO);
        assert_eq!(raw.reply().code.0, 226);
        if let Some((_relay, stream)) = foreign {
            let got = read_until_closed(stream);
            assert_eq!(got, b"", "the foreign connection was closed");
        }
        println!("150 after {waited:?} (a foreign connection first: {foreign_first})");
    }
    raw.expect("QUIT", 221);
}

/// A download to a client that stops reading is aborted one data timeout
/// (3 s) after the data stopped moving, not two or three (each short write
/// used to restart the clock), and the session goes on.
#[test]
fn a_stalled_download_is_aborted_one_data_timeout_after_it_stalled() {
    let server = Server::start(&["--data-timeout", "3"]);
    fs::write(server.root().join("big.bin"), pattern(64 * MIB, 8)).expect("big");
    let mut raw = Raw::login(server.addr());
    raw.expect("TYPE I", 200);
    let data = raw.epsv();
    let started = Instant::now();
    raw.expect("RETR big.bin", 150);
    let done = raw.reply();
    let took = started.elapsed();
    assert_eq!(done.code.0, 426, "{done}");
    println!("a download nobody reads, --data-timeout 3: 426 after {took:?}");
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_millis(4500),
        "426 after {took:?}"
    );
    drop(data);
    raw.expect("NOOP", 200);
    raw.expect("QUIT", 221);
}

/// A password on a line that does not parse (`PASS\tx`, ` PASS x`) is
/// neither logged nor echoed, and a file name with an escape sequence
/// reaches the log escaped (a line break cannot be sent in a command; the
/// unit tests cover names with one).
#[test]
fn secrets_and_control_characters_never_reach_the_log_raw() {
    let server = Server::start(&[]);
    let mut raw = Raw::open(server.addr());
    for line in [
        "PASS\tsecret-tab",
        " PASS secret-space",
        "pass\x01secret-ctl",
    ] {
        let reply = raw.command(line);
        assert_eq!(reply.code.0, 500, "{reply}");
        assert!(!reply.to_string().contains("secret"), "echoed: {reply}");
    }
    raw.expect("USER alice", 331);
    raw.expect("PASS secret", 230);
    let name = "x\x1b]0;owned\x07";
    fs::write(server.root().join(name), b"x").expect("write");
    raw.expect(&format!("DELE {name}"), 250);
    raw.expect("QUIT", 221);
    drop(raw);
    let log = server.log();
    for secret in ["secret-tab", "secret-space", "secret-ctl"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    assert!(
        !log.contains('\x1b') && !log.contains('\x07'),
        "raw escapes in the log:\n{log}"
    );
    assert!(
        log.lines()
            .any(|line| line.contains("deleted /x\\x1b]0;owned\\x07")),
        "{log}"
    );
}

/// With the default limits, 50 sessions from one address (an office behind
/// one NAT address running a parallel mirror) are all served; the 51st is
/// refused with `421`.
#[test]
fn fifty_sessions_from_one_address_are_served_by_default() {
    let server = Server::start(&[]);
    let sessions: Vec<Raw> = (0..50).map(|_| Raw::login(server.addr())).collect();
    let mut refused = Raw::connect(server.addr());
    assert_eq!(refused.reply().code.0, 421, "the 51st");
    assert!(refused.closed_within(Duration::from_secs(5)));
    drop(sessions);
    server.wait_for_sessions_to_end(50);
    server.serves_a_user();
}

/// One address cannot hold the whole passive range: ten sessions from
/// 127.0.0.1 sending EPSV and nothing else get at most half the ten ports,
/// a client from 127.0.0.2 meanwhile logs in and lists, and the hoarded
/// listeners are given back after the data timeout unused.
#[test]
fn one_address_cannot_hoard_the_passive_range() {
    if !have_python() {
        return;
    }
    let server = Server::start(&["--pasv-ports", "47310-47319", "--data-timeout", "2"]);
    let mut hoarders: Vec<Raw> = (0..10).map(|_| Raw::login(server.addr())).collect();
    let codes: Vec<u16> = hoarders
        .iter_mut()
        .map(|raw| raw.command("EPSV").code.0)
        .collect();
    let held = codes.iter().filter(|&&code| code == 229).count();
    assert_eq!(held, 5, "{codes:?}");
    assert!(
        codes.iter().all(|&code| code == 229 || code == 425),
        "{codes:?}"
    );
    let printed = nlst_from(OTHER_ADDRESS, &server, "pub");
    assert!(
        printed.contains("hello.txt"),
        "another address lists: {printed}"
    );
    // The five that were refused get ports once the first five's listeners,
    // unused, are given back after the data timeout (2 s): asked again until
    // then, within 10 s in all (a busy machine may wake the sessions late).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut again = vec![0u16; 5];
    while again.iter().any(|&code| code != 229) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(250));
        for (code, raw) in again.iter_mut().zip(hoarders.iter_mut().skip(5)) {
            if *code != 229 {
                *code = raw.command("EPSV").code.0;
            }
        }
    }
    assert_eq!(again, [229; 5], "after the data timeout");
    println!("EPSV from one address: {codes:?}; after the data timeout: {again:?}");
}

/// Logs in from `source` and lists `dir` over EPSV, the data connection
/// from `source` too; returns the names.
fn nlst_from(source: IpAddr, server: &Server, dir: &str) -> String {
    let mut control = Relay::start(source, server.addr()).expect("python3");
    let mut raw = Raw::over_tcp(control.connect().expect("the relay connects"));
    raw.expect_reply(220);
    raw.log_in(USER, PASSWORD);
    let port = epsv_port(&mut raw);
    let mut data = Relay::start(source, SocketAddr::from(([127, 0, 0, 1], port))).expect("python3");
    let stream = data.connect().expect("the data connection");
    raw.expect(&format!("NLST {dir}"), 150);
    let names = read_until_closed(stream);
    raw.expect_reply(226);
    raw.expect("QUIT", 221);
    String::from_utf8_lossy(&names).into_owned()
}

/// Out of descriptors (`ulimit -n 40`): each connection the server cannot
/// take is answered `421` at once instead of waiting in the queue, the
/// condition is logged once (not once per attempt, ten times a second), the
/// sessions it has go on, and once some end a new client is served.
#[test]
fn out_of_descriptors_new_clients_get_421_and_sessions_go_on() {
    let server = Server::start_under("ulimit -n 40", &["--max-per-ip", "1000"]);
    let mut users: Vec<Raw> = (0..3).map(|_| Raw::login(server.addr())).collect();
    // Connections that log in to nothing hold a descriptor each.
    let mut idle = Vec::new();
    let mut refused = None;
    for _ in 0..60 {
        let mut raw = Raw::connect(server.addr());
        let reply = raw.reply();
        match reply.code.0 {
            220 => idle.push(raw),
            _ => {
                refused = Some(reply);
                break;
            }
        }
    }
    let refused = refused.expect("a refusal within 60 connections under ulimit -n 40");
    assert_eq!(refused.code.0, 421, "{refused}");
    println!(
        "{} connections held, then: {refused}",
        users.len() + idle.len()
    );
    // Each further client is told at once, not left in the queue.
    for _ in 0..20 {
        let mut raw = Raw::connect(server.addr());
        assert_eq!(raw.reply().code.0, 421);
    }
    for raw in &mut users {
        raw.expect("NOOP", 200);
    }
    // Once some connections end (their sessions notice within moments), a
    // new client is served again.
    idle.truncate(idle.len().saturating_sub(10));
    let served = (0..50).any(|_| {
        let mut raw = Raw::connect(server.addr());
        if raw.reply().code.0 == 220 {
            raw.expect("USER alice", 331);
            return raw.command("PASS secret").code.0 == 230;
        }
        thread::sleep(Duration::from_millis(100));
        false
    });
    assert!(served, "no login after ten connections ended");
    let warnings = server.log().matches("accept failed").count();
    assert_eq!(warnings, 1, "said once:\n{}", server.log_tail(20));
}

/// `STAT dir` of a 100,000-name directory from 40 sessions that never read
/// their replies: each listing is sent as it is rendered, and a directory
/// that large is read as it is sent rather than sorted, so the server holds
/// a socket's worth of lines per session, not each listing whole (about
/// 23 MB each before), and the other sessions are served meanwhile.
#[test]
fn stat_of_a_huge_directory_to_clients_that_do_not_read_holds_little() {
    let _alone = exclusive();
    let server = Server::start(&[]);
    let big = server.root().join("big");
    fs::create_dir(&big).expect("mkdir");
    for n in 0..100_000 {
        fs::File::create(big.join(format!("file-with-a-longish-name-{n:06}"))).expect("create");
    }
    let before = server.stats();
    let sessions: Vec<Raw> = (0..40)
        .map(|_| {
            let mut raw = Raw::login(server.addr());
            raw.send(b"STAT big\r\n");
            raw
        })
        .collect();
    // Let every session render and block on its full socket.
    thread::sleep(Duration::from_secs(3));
    let during = server.stats();
    let grown_mib = during.rss_kib.saturating_sub(before.rss_kib) / 1024;
    println!("STAT of 100,000 names from 40 sessions that do not read: {before} -> {during}");
    assert!(grown_mib < 40, "the server grew by {grown_mib} MiB");
    server.serves_a_user();
    drop(sessions);
}

/// Uploads whose data connection never comes change nothing on disk: a
/// restarted STOR at 0 does not cut the file, APPE and a restarted STOR of a
/// new name leave no empty file, a replacing STOR leaves the old file and
/// no temporary, and REST 5 with STOR of a missing name creates nothing.
#[test]
fn uploads_without_a_data_connection_change_nothing() {
    let server = Server::start(&["--data-timeout", "1"]);
    let old = pattern(10_000, 7);
    fs::write(server.root().join("old.bin"), &old).expect("old");
    let mut raw = Raw::login(server.addr());
    raw.expect("TYPE I", 200);
    for (rest, command) in [
        (Some(0), "STOR old.bin"),
        (None, "STOR old.bin"),
        (None, "APPE old.bin"),
        (None, "APPE new.bin"),
        (Some(0), "STOR new.bin"),
    ] {
        raw.expect("EPSV", 229);
        if let Some(offset) = rest {
            raw.expect(&format!("REST {offset}"), 350);
        }
        raw.expect(command, 150);
        assert_eq!(raw.reply().code.0, 425, "{command}: nobody connected");
        let kept = fs::read(server.root().join("old.bin")).expect("old") == old;
        assert!(kept, "{command}: old.bin changed");
        assert!(
            !server.root().join("new.bin").exists(),
            "{command}: new.bin made"
        );
    }
    raw.expect("EPSV", 229);
    raw.expect("REST 5", 350);
    raw.expect("STOR missing.bin", 550);
    assert!(!server.root().join("missing.bin").exists());
    assert_eq!(server.temporaries(), Vec::<String>::new());
    raw.expect("QUIT", 221);
    server.serves_a_user();
}

/// A download small enough for the session's own thread to send
/// (ftp-server's `INLINE_LIMIT`, 16 KiB) to a client that shrank its receive
/// buffer and reads nothing: the send buffer takes the data, the `226` comes
/// at once and the session answers the next command; the client still gets
/// every byte when it reads.
#[test]
fn a_small_download_to_a_client_that_does_not_read_holds_nothing() {
    if !have_python() {
        return;
    }
    let server = Server::start(&["--data-timeout", "5"]);
    let small = pattern(16 << 10, 9);
    fs::write(server.root().join("small.bin"), &small).expect("small");
    let mut raw = Raw::login(server.addr());
    raw.expect("TYPE I", 200);
    let port = epsv_port(&mut raw);
    let file = server.outside().join("received.bin");
    let reader = SmallBuffer::connect(port, &file).expect("python3");
    let started = Instant::now();
    raw.expect("RETR small.bin", 150);
    raw.expect_reply(226);
    raw.expect("NOOP", 200);
    let took = started.elapsed();
    let received = reader.read_into(&file);
    assert_eq!(received.len(), 16384);
    assert!(received == small, "the client got other bytes");
    assert!(
        took < Duration::from_secs(2),
        "the session waited for the client: {took:?}"
    );
    raw.expect("QUIT", 221);
    server.serves_a_user();
}
