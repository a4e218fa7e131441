//! The third-party programs the other tests rely on are there and work: each
//! server starts on IPv4 and IPv6 loopback, lets its [`Peer`] login in, serves a
//! file's size and takes an upload (checked with a plain socket, no FTP client
//! of ours); each third-party client is installed and tells its version.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ftp_tests::peers::{self, Peer};
use ftp_tests::{peer_available, TempDir};

/// How long any single read on a control or data connection may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// A raw FTP control connection.
struct Control {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Control {
    /// Connects to `addr` and reads the greeting, which must be a 220.
    fn connect(addr: SocketAddr) -> Control {
        let stream = TcpStream::connect(addr).expect("connects");
        stream.set_read_timeout(Some(TIMEOUT)).expect("timeout set");
        let writer = stream.try_clone().expect("clone");
        let mut control = Control {
            reader: BufReader::new(stream),
            writer,
        };
        let greeting = control.reply();
        assert!(greeting.starts_with("220"), "greeting: {greeting}");
        control
    }

    /// Reads one reply, following RFC 959's multi-line form
    /// (`123-first line` ... `123 last line`); returns its last line.
    fn reply(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("reply");
        let code = line.get(..3).unwrap_or_default().to_owned();
        if line.as_bytes().get(3) == Some(&b'-') {
            let last_line_start = format!("{code} ");
            while !line.starts_with(&last_line_start) {
                line.clear();
                assert_ne!(self.reader.read_line(&mut line).expect("reply"), 0);
            }
        }
        line.trim_end().to_owned()
    }

    /// Sends `command` and returns the last line of its reply.
    fn command(&mut self, command: &str) -> String {
        self.writer
            .write_all(format!("{command}\r\n").as_bytes())
            .expect("send");
        self.reply()
    }

    /// Logs in as the peer's user.
    fn login(&mut self, peer: &Peer) {
        let user = self.command(&format!("USER {}", peer.user));
        if user.starts_with("230") {
            return;
        }
        assert!(user.starts_with("331"), "USER: {user}");
        let pass = self.command(&format!("PASS {}", peer.password));
        assert!(pass.starts_with("230"), "PASS: {pass}");
    }

    /// Opens a data connection through `EPSV` (RFC 2428), which every server
    /// here offers on both address families.
    fn passive_data(&mut self, host: IpAddr) -> TcpStream {
        let reply = self.command("EPSV");
        assert!(reply.starts_with("229"), "EPSV: {reply}");
        // 229 Entering Extended Passive Mode (|||port|)
        let port = reply
            .split('|')
            .nth(3)
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {reply:?}"));
        let data = TcpStream::connect((host, port)).expect("data connection");
        data.set_read_timeout(Some(TIMEOUT)).expect("timeout set");
        data
    }

    /// Uploads `content` as `name` over a passive data connection and checks
    /// the transfer's replies.
    fn store(&mut self, host: IpAddr, name: &str, content: &[u8]) {
        let mut data = self.passive_data(host);
        let started = self.command(&format!("STOR {name}"));
        assert!(
            started.starts_with("150") || started.starts_with("125"),
            "STOR: {started}"
        );
        data.write_all(content).expect("upload");
        drop(data);
        let done = self.reply();
        assert!(done.starts_with("226"), "STOR end: {done}");
    }
}

/// Starts a server with `start` on each loopback address, serving a fresh
/// root, and checks it logs in, answers `SIZE`, and stores an upload into a
/// subdirectory whose bytes land on disk.
fn serves_and_stores(name: &str, start: impl Fn(&Path, IpAddr) -> Option<Peer>) {
    for ip in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        let root = TempDir::new("peers-root");
        std::fs::write(root.path().join("hello.txt"), b"hello peer\n").expect("write");
        std::fs::create_dir(root.path().join("inbox")).expect("mkdir");
        let Some(peer) = start(root.path(), ip) else {
            return;
        };
        let mut control = Control::connect(peer.addr);
        control.login(&peer);
        assert!(control.command("TYPE I").starts_with("200"));
        assert_eq!(
            control.command("SIZE hello.txt"),
            "213 11",
            "{name} on {ip}"
        );
        let upload = format!("upload from the {name} test on {ip}\r\n\0\u{ff}").into_bytes();
        control.store(ip, "inbox/upload.bin", &upload);
        assert_eq!(
            control.command("SIZE inbox/upload.bin"),
            format!("213 {}", upload.len()),
            "{name} on {ip}"
        );
        assert!(control.command("QUIT").starts_with("221"));
        let stored = std::fs::read(root.path().join("inbox/upload.bin")).expect("stored");
        assert_eq!(stored, upload, "{name} on {ip}");
    }
}

#[test]
fn vsftpd_serves_and_stores_on_both_loopbacks() {
    serves_and_stores("vsftpd", peers::vsftpd);
}

#[test]
fn pyftpdlib_serves_and_stores_on_both_loopbacks() {
    serves_and_stores("pyftpdlib", |root, ip| {
        peers::pyftpdlib(root, ip, "alice", "secret")
    });
}

#[test]
fn proftpd_serves_and_stores_on_both_loopbacks() {
    serves_and_stores("ProFTPD", peers::proftpd);
}

#[test]
fn pure_ftpd_serves_and_stores_on_both_loopbacks() {
    serves_and_stores("Pure-FTPd", peers::pure_ftpd);
}

/// Runs `program args` with `input` on stdin and returns the first line of its
/// output (stdout then stderr) that contains `marker`, if any.
fn output_line(program: &str, args: &[&str], input: &str, marker: &str) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    let output = [output.stdout, output.stderr].concat();
    String::from_utf8_lossy(&output)
        .lines()
        .find(|line| line.contains(marker))
        .map(str::to_owned)
}

/// The third-party clients are called by their real names: both `tnftp` and
/// `inetutils-ftp` may own the plain `ftp` name through Debian's alternatives.
#[test]
fn third_party_clients_are_installed_and_tell_their_versions() {
    // (program, arguments, stdin, a word on its version line)
    let clients: [(&str, &[&str], &str, &str); 5] = [
        ("curl", &["--version"], "", "curl "),
        ("lftp", &["--version"], "", "Version"),
        // tnftp has no version flag; its `status` command prints one.
        ("tnftp", &[], "status\n", "Version:"),
        ("inetutils-ftp", &["--version"], "", "GNU inetutils"),
        ("wget", &["--version"], "", "GNU Wget"),
    ];
    for (program, args, input, marker) in clients {
        if !peer_available(
            program,
            Command::new("sh").args(["-c", &format!("command -v {program}")]),
        ) {
            continue;
        }
        let version = output_line(program, args, input, marker)
            .unwrap_or_else(|| panic!("{program} printed no line with {marker:?}"));
        println!("{program}: {version}");
    }
}
