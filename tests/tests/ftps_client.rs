//! Our client's FTPS (RFC 4217) against the servers that speak it, on
//! loopback: vsftpd (`ssl_enable`, `require_ssl_reuse=YES`, TLS forced for
//! logins and data), ProFTPD (mod_tls, `TLSRequired on`, session reuse
//! required as mod_tls does by default; also `ccc`), Pure-FTPd (`-Y 2`) and
//! pyftpdlib (`TLS_FTPHandler`, TLS required) and our own server (built
//! with its `tls` feature, session reuse required), each in every data mode (PASV, EPSV, PORT, EPRT; IPv6:
//! EPSV and EPRT) with a listing, a download, an upload and a resumed
//! download, every data connection protected; implicit FTPS (`ftps://`)
//! against vsftpd's `implicit_ssl`; uploads in a row that keep resuming
//! the session (TLS 1.3 tickets); and servers that misbehave: garbage
//! after `234`, a handshake that stops halfway, a certificate for another
//! name, a server that refuses `AUTH TLS`.
//!
//! ProFTPD's mod_tls is a loadable module from Debian's proftpd-mod-crypto,
//! which `.ci/install-peers` unpacks beside proftpd-core.
//!
//! The certificates are made for the test by [`TestPki`]; the client trusts
//! its CA with `--cacert`.
#![cfg(feature = "tls")]

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use ftp_tests::certs::TestPki;
use ftp_tests::peers::{self, Peer};
use ftp_tests::run::{run_with_input, Finished};
use ftp_tests::server::{Server, PASSWORD, USER};
use ftp_tests::{pattern, program, TempDir};

/// How long one client run may take before the test fails.
const LIMIT: Duration = Duration::from_secs(60);

/// The size of the file downloaded, uploaded and resumed.
const SIZE: usize = 300_000;

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// Runs `ftp-client` with `args`, `input` on its stdin.
fn ftp_client(args: &[&str], input: &str) -> Finished {
    let mut command = Command::new(program("ftp-client"));
    command.args(args);
    run_with_input(command, input, LIMIT).expect("ftp-client starts")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The four ways to open a data connection.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Pasv,
    Epsv,
    Port,
    Eprt,
}

impl Mode {
    /// The shell lines that choose the mode.
    fn setup(self) -> &'static str {
        match self {
            Mode::Pasv => "epsv4 off\n",
            Mode::Epsv => "",
            Mode::Port => "passive off\nepsv4 off\n",
            Mode::Eprt => "passive off\n",
        }
    }

    /// The command `--explain` names.
    fn command(self) -> &'static str {
        match self {
            Mode::Pasv => "(PASV)",
            Mode::Epsv => "(EPSV)",
            Mode::Port => "(PORT)",
            Mode::Eprt => "(EPRT)",
        }
    }

    /// The modes a family has: PASV and PORT carry IPv4 addresses only.
    fn of(ip: IpAddr) -> &'static [Mode] {
        match ip {
            IpAddr::V4(_) => &[Mode::Pasv, Mode::Epsv, Mode::Port, Mode::Eprt],
            IpAddr::V6(_) => &[Mode::Epsv, Mode::Eprt],
        }
    }
}

/// The host argument for `ip`.
fn host(ip: IpAddr) -> String {
    ip.to_string()
}

/// Where a session logs in: a server's address and a user with write access.
struct Login {
    addr: SocketAddr,
    user: String,
    password: String,
}

impl From<&Peer> for Login {
    fn from(peer: &Peer) -> Login {
        Login {
            addr: peer.addr,
            user: peer.user.clone(),
            password: peer.password.clone(),
        }
    }
}

/// Our shell with `--tls --cacert CA --explain` at `addr`, running
/// `script` (which logs in: `-n`); its stdout and stderr, once it succeeded.
fn tls_shell(addr: SocketAddr, pki: &TestPki, script: &str) -> (String, String) {
    let (ca, port) = (pki.ca(), addr.port().to_string());
    let ca = ca.to_str().expect("UTF-8 path");
    let host = host(addr.ip());
    let run = ftp_client(
        &["-n", "--tls", "--cacert", ca, "--explain", &host, &port],
        script,
    );
    let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
    assert!(
        run.status.is_some_and(|status| status.success()),
        "ftp-client at {addr}:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// One session in the shell with `--tls`: list, download, upload and a
/// resumed download in `mode`, each data connection protected; `reused`:
/// the server demands that data connections resume the control
/// connection's TLS session, so each must say so.
fn session(peer: &Login, pki: &TestPki, root: &Path, mode: Mode, reused: bool) {
    let local = TempDir::new("ftps-client-local");
    let content = pattern(SIZE, 17);
    let upload = local.path().join("upload.bin");
    std::fs::write(&upload, &content).expect("write the upload");
    let got = local.path().join("got.bin");
    let partial = local.path().join("partial.bin");
    std::fs::write(&partial, &content[..SIZE / 3]).expect("write the partial file");
    let script = format!(
        "user {user} {password}\nbinary\n{setup}ls\nget data.bin {got}\nput {upload} up.bin\n\
         reget data.bin {partial}\nstatus\nquit\n",
        user = peer.user,
        password = peer.password,
        setup = mode.setup(),
        got = got.display(),
        upload = upload.display(),
        partial = partial.display(),
    );
    let (stdout, stderr) = tls_shell(peer.addr, pki, &script);
    let context = format!("{mode:?} on {}:\n{stdout}\n{stderr}", peer.addr);
    assert!(stdout.contains("data.bin"), "the listing: {context}");
    assert!(
        stdout.contains("Protection: control TLS, data TLS"),
        "{context}"
    );
    let opened = stderr.matches(mode.command()).count();
    let protected: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("data connection protected"))
        .collect();
    assert_eq!(opened, 4, "four data connections in {mode:?}: {context}");
    assert_eq!(protected.len(), 4, "each protected: {context}");
    if reused {
        assert!(
            protected
                .iter()
                .all(|line| line.ends_with("session resumed")),
            "{context}"
        );
    }
    assert_eq!(
        std::fs::read(&got).expect("downloaded"),
        content,
        "{context}"
    );
    assert_eq!(
        std::fs::read(&partial).expect("resumed"),
        content,
        "{context}"
    );
    assert_eq!(
        std::fs::read(root.join("up.bin")).expect("uploaded"),
        content,
        "{context}"
    );
    let _ = std::fs::remove_file(root.join("up.bin"));
}

/// A served root holding `data.bin`, writable by everyone (the servers
/// write as other users).
fn served_root() -> TempDir {
    let root = TempDir::new("ftps-client-root");
    std::fs::write(root.path().join("data.bin"), pattern(SIZE, 17)).expect("write data.bin");
    open_up(root.path());
    root
}

/// Lets any user write `dir` (vsftpd's anonymous user, Pure-FTPd's `nobody`).
fn open_up(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
        .expect("chmod the served root");
}

/// vsftpd's FTPS settings with the test certificate.
fn vsftpd_tls(pki: &TestPki, implicit: bool) -> String {
    peers::vsftpd_tls(&pki.cert(), &pki.key(), implicit)
}

/// Every mode of `ip` against the server `start` starts.
fn every_mode(ip: IpAddr, reused: bool, start: impl Fn(&Path, &TestPki) -> Option<Peer>) {
    let pki = TestPki::new();
    let root = served_root();
    let Some(peer) = start(root.path(), &pki) else {
        return;
    };
    for &mode in Mode::of(ip) {
        session(&Login::from(&peer), &pki, root.path(), mode, reused);
    }
}

/// Our own server (built with its `tls` feature), which requires each
/// data connection to resume its control connection's TLS session: every
/// mode of `ip`.
fn our_server(ip: IpAddr) {
    let pki = TestPki::new();
    let (cert, key) = (pki.cert(), pki.key());
    let server = Server::start_on(
        &host(ip),
        &[
            "--tls-cert",
            cert.to_str().expect("UTF-8 path"),
            "--tls-key",
            key.to_str().expect("UTF-8 path"),
        ],
    );
    let root = server.root();
    std::fs::write(root.join("data.bin"), pattern(SIZE, 17)).expect("write data.bin");
    let login = Login {
        addr: server.addr(),
        user: USER.to_string(),
        password: PASSWORD.to_string(),
    };
    for &mode in Mode::of(ip) {
        session(&login, &pki, &root, mode, true);
    }
}

#[test]
fn our_server_in_every_mode_over_ipv4() {
    our_server(V4);
}

#[test]
fn our_server_in_every_mode_over_ipv6() {
    our_server(V6);
}

fn vsftpd(ip: IpAddr) {
    every_mode(ip, true, |root, pki| {
        peers::vsftpd_with(root, ip, &vsftpd_tls(pki, false))
    });
}

#[test]
fn vsftpd_with_required_session_reuse_over_ipv4() {
    vsftpd(V4);
}

#[test]
fn vsftpd_with_required_session_reuse_over_ipv6() {
    vsftpd(V6);
}

/// With TLS 1.3 each resumption spends a session ticket, and the server
/// sends new ones on the data connection: an upload, where the client only
/// writes, must still read them (after its close_notify), or the tickets
/// run out after two uploads and vsftpd refuses the next data connection
/// (`522 SSL connection failed: session reuse required`).
#[test]
fn uploads_in_a_row_keep_resuming_the_session() {
    let pki = TestPki::new();
    let root = served_root();
    let Some(peer) = peers::vsftpd_with(root.path(), V4, &vsftpd_tls(&pki, false)) else {
        return;
    };
    let local = TempDir::new("ftps-client-uploads");
    let upload = local.path().join("upload.bin");
    std::fs::write(&upload, pattern(10_000, 5)).expect("write the upload");
    let puts: String = (1..=6)
        .map(|n| format!("put {} up{n}.bin\n", upload.display()))
        .collect();
    let script = format!("user {} {}\n{puts}quit\n", peer.user, peer.password);
    let (stdout, stderr) = tls_shell(peer.addr, &pki, &script);
    let resumed = stderr
        .lines()
        .filter(|line| {
            line.starts_with("data connection protected") && line.ends_with("session resumed")
        })
        .count();
    assert_eq!(resumed, 6, "{stdout}\n{stderr}");
    for n in 1..=6 {
        let copy = std::fs::read(root.path().join(format!("up{n}.bin"))).expect("uploaded");
        assert_eq!(copy, pattern(10_000, 5));
    }
}

fn pure_ftpd(ip: IpAddr) {
    every_mode(ip, false, |root, pki| {
        peers::pure_ftpd_tls(root, ip, &pki.cert_and_key())
    });
}

#[test]
fn pure_ftpd_with_tls_required_over_ipv4() {
    pure_ftpd(V4);
}

#[test]
fn pure_ftpd_with_tls_required_over_ipv6() {
    pure_ftpd(V6);
}

fn pyftpdlib(ip: IpAddr) {
    every_mode(ip, false, |root, pki| {
        let (cert, key) = (pki.cert(), pki.key());
        peers::pyftpdlib_with(root, ip, "alice", "secret", &[&cert, &key])
    });
}

#[test]
fn pyftpdlib_tls_handler_over_ipv4() {
    pyftpdlib(V4);
}

#[test]
fn pyftpdlib_tls_handler_over_ipv6() {
    pyftpdlib(V6);
}

/// ProFTPD with mod_tls and TLS required as `required` says.
fn proftpd_tls(root: &Path, ip: IpAddr, pki: &TestPki, required: &str) -> Option<Peer> {
    peers::proftpd_tls(root, ip, (&pki.cert(), &pki.key()), required)
}

#[test]
fn proftpd_mod_tls_over_ipv4() {
    every_mode(V4, true, |root, pki| proftpd_tls(root, V4, pki, "on"));
}

#[test]
fn proftpd_mod_tls_over_ipv6() {
    every_mode(V6, true, |root, pki| proftpd_tls(root, V6, pki, "on"));
}

#[test]
fn ccc_clears_the_control_connection_and_data_stays_protected() {
    let pki = TestPki::new();
    let root = served_root();
    let Some(peer) = proftpd_tls(root.path(), V4, &pki, "auth+data") else {
        return;
    };
    let script = format!(
        "user {} {}\nccc\nstatus\nls\nquit\n",
        peer.user, peer.password
    );
    let (stdout, stderr) = tls_shell(peer.addr, &pki, &script);
    assert!(
        stdout.contains("Protection: control clear, data TLS"),
        "{stdout}"
    );
    assert!(stdout.contains("data.bin"), "{stdout}");
    assert!(stderr.contains("data connection protected"), "{stderr}");
}

#[test]
fn implicit_ftps_urls_download_and_upload_with_vsftpd() {
    let pki = TestPki::new();
    let root = served_root();
    let Some(peer) = peers::vsftpd_with(root.path(), V4, &vsftpd_tls(&pki, true)) else {
        return;
    };
    let ca = pki.ca();
    let ca = ca.to_str().expect("UTF-8 path");
    let url = format!("ftps://127.0.0.1:{}/data.bin", peer.addr.port());
    let local = TempDir::new("ftps-client-implicit");
    let got = local.path().join("got.bin");
    let run = ftp_client(
        &[
            "--cacert",
            ca,
            "--explain",
            "-o",
            got.to_str().expect("UTF-8"),
            &url,
        ],
        "",
    );
    let stderr = text(&run.stderr);
    assert!(run.status.is_some_and(|s| s.success()), "{stderr}");
    assert!(stderr.contains("data connection protected"), "{stderr}");
    assert_eq!(std::fs::read(&got).expect("downloaded"), pattern(SIZE, 17));
    let upload_url = format!("ftps://127.0.0.1:{}/up.bin", peer.addr.port());
    let run = ftp_client(
        &[
            "--cacert",
            ca,
            "-A",
            "-u",
            &upload_url,
            got.to_str().expect("UTF-8"),
        ],
        "",
    );
    assert!(
        run.status.is_some_and(|s| s.success()),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(
        std::fs::read(root.path().join("up.bin")).expect("uploaded"),
        pattern(SIZE, 17)
    );
}

/// `ftp-client --tls --cacert CA -o - URL`, trusting `pki`'s CA.
fn tls_download(pki: &TestPki, url: &str) -> Finished {
    let ca = pki.ca();
    let ca = ca.to_str().expect("UTF-8 path");
    ftp_client(&["--tls", "--cacert", ca, "-o", "-", url], "")
}

#[test]
fn a_certificate_for_another_name_is_refused_and_insecure_warns() {
    // The certificate names 127.0.0.1, ::1 and localhost; 127.0.0.2 is
    // loopback too, but not in it.
    let other: IpAddr = "127.0.0.2".parse().expect("an address");
    let pki = TestPki::new();
    let root = served_root();
    let Some(peer) = peers::vsftpd_with(root.path(), other, &vsftpd_tls(&pki, false)) else {
        return;
    };
    let url = format!("ftp://127.0.0.2:{}/data.bin", peer.addr.port());
    let run = tls_download(&pki, &url);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.and_then(|s| s.code()), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("certificate is not trusted") && stderr.contains("NotValidForName"),
        "{stderr}"
    );
    assert!(run.stdout.is_empty());

    let run = ftp_client(&["--tls", "--insecure", "-o", "-", &url], "");
    let stderr = text(&run.stderr);
    assert!(run.status.is_some_and(|s| s.success()), "{stderr}");
    assert!(stderr.contains("WARNING: --insecure"), "{stderr}");
    assert_eq!(run.stdout, pattern(SIZE, 17));
}

#[test]
fn an_untrusted_ca_is_refused() {
    let pki = TestPki::new();
    let stranger = TestPki::new();
    let root = served_root();
    let Some(peer) = peers::vsftpd_with(root.path(), V4, &vsftpd_tls(&pki, false)) else {
        return;
    };
    let url = format!("ftp://127.0.0.1:{}/data.bin", peer.addr.port());
    let run = tls_download(&stranger, &url);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.and_then(|s| s.code()), Some(1), "{stderr}");
    // The stranger's CA has the same name as the server's issuer, so the
    // signature is what fails.
    assert!(stderr.contains("certificate is not trusted"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn a_refused_auth_tls_fails_unless_tls_is_optional() {
    let root = served_root();
    let Some(peer) = peers::vsftpd(root.path(), V4) else {
        return;
    };
    let url = format!("ftp://127.0.0.1:{}/data.bin", peer.addr.port());
    let run = ftp_client(&["--tls", "--insecure", "-o", "-", &url], "");
    let stderr = text(&run.stderr);
    assert_eq!(run.status.and_then(|s| s.code()), Some(1), "{stderr}");
    // The warning, then the one line of the failure.
    let failure: Vec<&str> = stderr.lines().filter(|l| !l.contains("WARNING")).collect();
    assert_eq!(failure.len(), 1, "{stderr}");
    assert!(failure[0].contains("server replied: 5"), "{stderr}");

    let run = ftp_client(&["--tls-optional", "--insecure", "-o", "-", &url], "");
    assert!(
        run.status.is_some_and(|s| s.success()),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(run.stdout, pattern(SIZE, 17));
}

/// A server that greets, answers `234` to `AUTH TLS`, then does `after` with
/// the connection. Returns its port.
fn hostile(after: fn(&mut std::net::TcpStream)) -> u16 {
    let listener = TcpListener::bind((V4, 0)).expect("bind loopback");
    let port = listener.local_addr().expect("an address").port();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
        let _ = stream.write_all(b"220 hostile\r\n");
        let mut line = [0; 64];
        let _ = stream.read(&mut line);
        let _ = stream.write_all(b"234 go ahead\r\n");
        after(&mut stream);
    });
    port
}

/// Runs the client with `--tls` and a short stall limit against `port`;
/// returns its stderr after checking it failed in one line, in time.
fn fails_in_one_line(port: u16) -> String {
    let started = Instant::now();
    let url = format!("ftp://127.0.0.1:{port}/file");
    let run = ftp_client(&["--tls", "-q", "2", "-o", "-", &url], "");
    let stderr = text(&run.stderr);
    assert_eq!(run.status.and_then(|s| s.code()), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "{stderr}");
    stderr
}

#[test]
fn garbage_after_234_is_a_failed_handshake() {
    let port = hostile(|stream| {
        let mut hello = [0; 4096];
        let _ = stream.read(&mut hello);
        let _ = stream.write_all(b"HTTP/1.0 400 this is not TLS\r\n\r\n");
        thread::sleep(Duration::from_secs(5));
    });
    let stderr = fails_in_one_line(port);
    assert!(
        stderr.contains("TLS handshake on the control connection failed"),
        "{stderr}"
    );
}

#[test]
fn clear_text_sent_right_after_234_is_refused() {
    let listener = TcpListener::bind((V4, 0)).expect("bind loopback");
    let port = listener.local_addr().expect("an address").port();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.write_all(b"220 hostile\r\n");
        let mut line = [0; 64];
        let _ = stream.read(&mut line);
        // The 234 and an injected reply in one write: the client must not
        // take the second for something said under TLS.
        let _ = stream.write_all(b"234 go ahead\r\n230 injected\r\n");
        thread::sleep(Duration::from_secs(5));
    });
    let stderr = fails_in_one_line(port);
    assert!(stderr.contains("sent more after its 234"), "{stderr}");
}

#[test]
fn a_handshake_that_stops_halfway_times_out() {
    let port = hostile(|stream| {
        let mut hello = [0; 4096];
        let _ = stream.read(&mut hello);
        // A handshake record header announcing 100 bytes, then 10 of them.
        let _ = stream.write_all(&[0x16, 0x03, 0x03, 0x00, 0x64]);
        let _ = stream.write_all(&[0x02, 0, 0, 0x60, 0x03, 0x03, 1, 2, 3, 4]);
        thread::sleep(Duration::from_secs(10));
    });
    let stderr = fails_in_one_line(port);
    assert!(stderr.contains("the server stopped answering"), "{stderr}");
}
