//! FTPS on the server side (RFC 4217), with real clients on loopback: curl
//! (explicit `--ssl-reqd` and implicit `ftps://`, passive mode: the curl
//! of Debian 12, 7.88, cannot do active FTPS, curl issue 10666), lftp
//! (`ftp:ssl-force`, both modes), Python's ftplib `FTP_TLS` with `prot_p`
//! in every data mode and both families, and
//! hostile peers: garbage instead of a ClientHello, a handshake that stops
//! halfway, a data connection that does not resume the control
//! connection's TLS session, and a second client that takes a passive data
//! port with a TLS 1.2 or 1.3 session of its own. Also HELP and FEAT, the
//! start-up checks of the certificate and key, what a server without a
//! certificate answers, both listeners under `--run-as` (as root), and
//! implicit TLS on an inetd socket.
//!
//! Run with `cargo build --workspace --features ftp-tests/tls` first, then
//! `cargo test -p ftp-tests --features tls --test ftps_server`.
#![cfg(feature = "tls")]

use std::fs::File;
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ftp_server::privileges::Identity;
use ftp_tests::certs::TestPki;
use ftp_tests::raw::Raw;
use ftp_tests::server::{Server, PASSWORD, USER};
use ftp_tests::{
    ftplib, have_root, program, root_with_hello, run_as_this_user, KillOnDrop, TempDir, HELLO,
};

/// The server's TLS options for `pki`, then `extra`.
fn tls_options<'a>(pki: &'a TestPki, extra: &[&'a str]) -> Vec<String> {
    let mut options = vec![
        "--tls-cert".to_string(),
        pki.cert().to_string_lossy().into_owned(),
        "--tls-key".to_string(),
        pki.key().to_string_lossy().into_owned(),
    ];
    options.extend(extra.iter().map(|s| s.to_string()));
    options
}

/// A server on `host` with a certificate from `pki` and `extra` options.
fn tls_server(pki: &TestPki, host: &str, extra: &[&str]) -> Server {
    let options = tls_options(pki, extra);
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    Server::start_on(host, &options)
}

/// Runs `command` with a time limit of 60 s (curl and python carry their
/// own shorter ones).
fn output(command: &mut Command) -> Output {
    command.output().expect("the program runs")
}

/// curl with the test CA, TLS required, and `args`.
fn curl(pki: &TestPki, args: &[&str]) -> Output {
    output(
        Command::new("curl")
            .args(["-sS", "--max-time", "30", "--cacert"])
            .arg(pki.ca())
            .args(args),
    )
}

/// curl as alice with `flags`, on `url`.
fn curl_as_alice(pki: &TestPki, flags: &[&str], url: &str) -> Output {
    let user = format!("{USER}:{PASSWORD}");
    let mut args = flags.to_vec();
    args.extend(["-u", &user, url]);
    curl(pki, &args)
}

/// curl with `flags` downloads `pub/hello.txt` from `base` (a URL ending
/// in `/`) whole.
fn curl_gets_hello(pki: &TestPki, base: &str, flags: &[&str]) {
    let got = ok(&curl_as_alice(pki, flags, &format!("{base}pub/hello.txt")));
    assert_eq!(got.as_bytes(), HELLO, "{flags:?}");
}

/// A loopback address with a port the OS chose, given back for the server
/// to take.
fn free_address() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    format!("127.0.0.1:{port}")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn curl_explicit_tls_lists_gets_and_puts_in_passive_mode_on_ipv4_and_ipv6() {
    let pki = TestPki::new();
    for host in ["127.0.0.1", "::1"] {
        let logs = TempDir::new("ftps-xferlog");
        let xferlog = logs.path().join("xferlog");
        let server = tls_server(&pki, host, &["--xferlog", xferlog.to_str().expect("utf-8")]);
        let url = server.url();
        curl_gets_hello(&pki, &url, &["--ssl-reqd"]);
        let listing = ok(&curl_as_alice(&pki, &["--ssl-reqd"], &format!("{url}pub/")));
        assert!(listing.contains("hello.txt"), "{listing}");
        let scratch = TempDir::new("ftps-curl");
        let local = scratch.path().join("up.bin");
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&local, &content).expect("write");
        ok(&curl_as_alice(
            &pki,
            &["--ssl-reqd", "-T", local.to_str().expect("utf-8")],
            &format!("{url}up.bin"),
        ));
        assert!(std::fs::read(server.root().join("up.bin")).expect("uploaded") == content);
        // TLS 1.2: its data connections resume its own session too.
        curl_gets_hello(&pki, &url, &["--ssl-reqd", "--tls-max", "1.2"]);
        let log = server.log();
        assert!(log.contains("234 AUTH TLS ok"), "{log}");
        assert!(
            log.contains("data: protected by TLS 1.2 (session resumed)"),
            "{log}"
        );
        assert!(log.contains("200 PROT P"), "{log}");
        // The trace and the logs say the data was protected.
        assert!(
            log.contains("data: protected by TLS 1.3 (session resumed)"),
            "{log}"
        );
        assert!(
            log.contains("(binary, passive EPSV, TLS) complete"),
            "{log}"
        );
        let lines = std::fs::read_to_string(&xferlog).expect("xferlog");
        assert!(lines.contains(" r alice ftps 0 * c"), "{lines}");
    }
}

#[test]
fn curl_implicit_tls_gets_a_file() {
    let pki = TestPki::new();
    let listen = free_address();
    let _server = tls_server(&pki, "127.0.0.1", &["--implicit-tls-listen", &listen]);
    curl_gets_hello(&pki, &format!("ftps://{listen}/"), &[]);
}

#[test]
fn lftp_forces_tls_and_protects_data_in_passive_and_active_mode() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &[]);
    let scratch = TempDir::new("ftps-lftp");
    let local = scratch.path().join("up.bin");
    let content: Vec<u8> = (0..150_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(&local, &content).expect("write");
    for passive in ["true", "false"] {
        let script = format!(
            "set ssl:ca-file {ca}; set ftp:ssl-force true; set ftp:ssl-protect-data true; \
             set ftp:passive-mode {passive}; set net:max-retries 1; set net:timeout 10; \
             open -u {USER},{PASSWORD} ftp://{addr}; cls pub; cat pub/hello.txt; \
             put {local} -o up-{passive}.bin",
            ca = pki.ca().display(),
            addr = server.addr(),
            local = local.display(),
        );
        let out = ok(&output(
            Command::new("timeout").args(["60", "lftp", "-c", &script]),
        ));
        assert!(
            out.contains("pub/hello.txt") || out.contains("hello.txt"),
            "{out}"
        );
        assert!(
            out.contains(&String::from_utf8_lossy(HELLO).to_string()),
            "{out}"
        );
        let uploaded = std::fs::read(server.root().join(format!("up-{passive}.bin")));
        assert!(uploaded.expect("uploaded") == content, "passive {passive}");
    }
    let log = server.log();
    assert!(log.contains("(binary, active PORT, TLS) complete"), "{log}");
    assert!(
        log.contains("(binary, passive EPSV, TLS) complete")
            || log.contains("(binary, passive PASV, TLS) complete"),
        "{log}"
    );
}

/// Python's ftplib `FTP_TLS` (`TlsClient` of [`ftplib::tls_script`]),
/// logged in with `PROT P`, in the data mode `sys.argv[4]`; `sys.argv[5]`
/// is a comma-separated list of flags: with `reuse` it resumes the control
/// connection's TLS session on data connections (ftplib alone does not),
/// with `tls1.2` it speaks TLS 1.2 at most. The test's flow follows; its
/// own arguments start at `sys.argv[6]`.
const TLS_CLIENT: &str = r#"
import threading

mode, flags = sys.argv[4], sys.argv[5].split(',')
reuse = 'reuse' in flags

def tls_context():
    context = ssl.create_default_context(cafile=cafile)
    if 'tls1.2' in flags:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context

host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ftp = TlsClient(context=tls_context(), timeout=20)
ftp.connect(host, port)
ftp.auth()
ftp.login(user, password)
ftp.prot_p()
ftp.set_pasv(mode in ('PASV', 'EPSV'))
"#;

/// Lists, gets, puts and gets back `sys.argv[6]`; a refused data
/// connection is printed with the server's reply.
const TRANSFERS: &str = r#"
local = sys.argv[6]
try:
    names = ftp.nlst('pub')
    got = bytearray()
    ftp.retrbinary('RETR pub/hello.txt', got.extend)
    with open(local, 'rb') as f:
        ftp.storbinary('STOR up.bin', f)
    again = bytearray()
    ftp.retrbinary('RETR up.bin', again.extend)
    print('names', names)
    print('hello', got == hello)
    print('roundtrip', again == open(local, 'rb').read())
except ftplib.Error as err:
    print('refused', err)
except OSError as err:
    # The data connection was closed during its handshake: the reason is
    # the reply on the control connection.
    try:
        ftp.voidresp()
    except ftplib.Error as reply:
        print('refused', reply)
ftp.quit()
"#;

/// Runs [`TLS_CLIENT`] and then `flow` against `server`, with `extra`
/// arguments; its output.
fn python_tls(
    server: &Server,
    pki: &TestPki,
    (mode, flags): (&str, &str),
    flow: &str,
    extra: &[&std::ffi::OsStr],
) -> String {
    let hello = String::from_utf8_lossy(HELLO);
    let body = format!(
        "user, password = {USER:?}, {PASSWORD:?}\nhello = {hello:?}.encode()\n{TLS_CLIENT}{flow}"
    );
    let script = ftplib::tls_script(&body);
    ok(&output(
        Command::new("timeout")
            .args(["60", "python3", "-c", &script])
            .arg(server.addr().ip().to_string())
            .arg(server.addr().port().to_string())
            .arg(pki.ca())
            .arg(mode)
            .arg(flags)
            .args(extra),
    ))
}

/// Runs [`TRANSFERS`] against `server`; its output.
fn ftplib_tls(server: &Server, pki: &TestPki, mode: &str, flags: &str) -> String {
    let scratch = TempDir::new("ftps-ftplib");
    let local = scratch.path().join("up.bin");
    let content: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&local, content).expect("write");
    python_tls(server, pki, (mode, flags), TRANSFERS, &[local.as_os_str()])
}

#[test]
fn ftplib_prot_p_works_in_every_mode_on_ipv4_and_ipv6() {
    let pki = TestPki::new();
    for host in ["127.0.0.1", "::1"] {
        let server = tls_server(&pki, host, &[]);
        // On IPv6 ftplib sends EPSV and EPRT whatever the mode.
        let modes: &[&str] = if host == "::1" {
            &["EPSV", "EPRT"]
        } else {
            &["PASV", "EPSV", "PORT", "EPRT"]
        };
        for mode in modes {
            let out = ftplib_tls(&server, &pki, mode, "reuse");
            assert!(
                out.contains("hello True") && out.contains("roundtrip True"),
                "{host} {mode}: {out}\n{}",
                server.log_tail(30)
            );
            let log = server.log();
            assert!(
                log.contains(&format!("<- {mode}")),
                "{mode} was used: {log}"
            );
        }
    }
}

#[test]
fn a_data_connection_that_does_not_resume_the_session_is_refused_with_the_reason() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &[]);
    let out = ftplib_tls(&server, &pki, "EPSV", "fresh");
    assert!(out.contains("refused 522"), "{out}");
    assert!(out.contains("must resume the control connection"), "{out}");
    let log = server.wait_for_log("did not resume");
    assert!(log.contains("did not resume"), "{log}");

    let relaxed = tls_server(&pki, "127.0.0.1", &["--no-tls-session-reuse"]);
    let out = ftplib_tls(&relaxed, &pki, "EPSV", "fresh");
    assert!(out.contains("roundtrip True"), "{out}");
}

#[test]
fn tls_commands_follow_rfc_4217_order_and_feat_and_help_list_them() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &[]);
    let mut raw = Raw::open(server.addr());
    let feat = raw.command("FEAT");
    let text = feat.text();
    for line in ["AUTH TLS", "PBSZ", "PROT"] {
        assert!(text.contains(line), "{text}");
    }
    let help = raw.expect("HELP", 214).text();
    let verbs: Vec<&str> = help.split_whitespace().collect();
    for verb in ["AUTH", "CCC", "PBSZ", "PROT"] {
        assert!(verbs.contains(&verb), "{verb}: {help}");
    }
    raw.expect("HELP CCC", 214);
    raw.expect("PBSZ 0", 503);
    raw.expect("PROT P", 503);
    raw.expect("AUTH SSL", 504);
    raw.log_in(USER, PASSWORD);
    raw.expect("AUTH TLS", 503);

    let bare = Server::start(&[]);
    let mut raw = Raw::open(bare.addr());
    let feat = raw.command("FEAT");
    assert!(!feat.text().contains("AUTH"), "{}", feat.text());
    let help = raw.expect("HELP", 214).text();
    assert!(!help.contains("AUTH") && !help.contains("PBSZ"), "{help}");
    raw.expect("AUTH TLS", 500);
}

#[test]
fn tls_required_refuses_a_login_in_the_clear_but_anonymous_with_tls_anonymous() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &["--tls-required"]);
    let mut raw = Raw::open(server.addr());
    let refused = raw.expect(&format!("USER {USER}"), 530);
    assert!(
        refused.text().contains("TLS required"),
        "{}",
        refused.text()
    );
    curl_gets_hello(&pki, &server.url(), &["--ssl-reqd"]);

    let server = tls_server(
        &pki,
        "127.0.0.1",
        &["--tls-required", "--tls-anonymous", "--anonymous"],
    );
    let mut raw = Raw::open(server.addr());
    raw.expect(&format!("USER {USER}"), 530);
    raw.expect("USER anonymous", 331);
    raw.expect("PASS guest@", 230);
}

/// CCC (ftplib sends its close_notify and waits for the server's), then a
/// protected download and a listing with the control connection in the
/// clear.
const AFTER_CCC: &str = r#"
print(ftp.ccc())
print('clear', ftp.sock._sslobj is None)
got = bytearray()
ftp.retrbinary('RETR pub/hello.txt', got.extend)
print('hello', got == hello)
print('names', ftp.nlst('pub'))
ftp.quit()
"#;

#[test]
fn ccc_turns_the_control_connection_back_to_the_clear_and_data_stays_protected() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &[]);
    let out = python_tls(&server, &pki, ("EPSV", "reuse"), AFTER_CCC, &[]);
    assert!(out.contains("200 CCC ok"), "{out}");
    assert!(
        out.contains("clear True") && out.contains("hello True"),
        "{out}"
    );
    assert!(out.contains("pub/hello.txt"), "{out}");
    let log = server.log();
    assert!(
        log.contains("control connection: in the clear (CCC)"),
        "{log}"
    );
    assert!(log.contains("data: protected by TLS"), "{log}");

    // curl, data in the clear (PROT C) as behind a NAT: in its passive
    // mode it does not answer the server's close_notify, in its active mode
    // it sends its own first.
    for mode in ["passive", "active"] {
        let flags = [
            "--ftp-ssl-control",
            "--ftp-ssl-ccc",
            "--ftp-ssl-ccc-mode",
            mode,
        ];
        curl_gets_hello(&pki, &server.url(), &flags);
    }

    let strict = tls_server(&pki, "127.0.0.1", &["--tls-required"]);
    let out = curl_as_alice(
        &pki,
        &["--ftp-ssl-control", "--ftp-ssl-ccc"],
        &format!("{}pub/hello.txt", strict.url()),
    );
    assert!(
        strict
            .wait_for_log("534 CCC refused")
            .contains("534 CCC refused"),
        "{out:?}"
    );
}

/// Logs in a second client, then gives the first client's data connection
/// the second one's TLS session: resumed, but not its own control
/// connection's.
const OTHER_SESSION: &str = r#"
other = TlsClient(context=ftp.context, timeout=20)
other.connect(host, port)
other.auth()
other.login(user, password)
other.prot_p()
other.nlst('pub')
ftp.session = other.session
try:
    print('names', ftp.nlst('pub'))
except OSError:
    try:
        ftp.voidresp()
    except ftplib.Error as reply:
        print('refused', reply)
print('other still', other.nlst('pub'))
"#;

#[test]
fn a_data_connection_resuming_another_sessions_tls_session_is_refused() {
    let pki = TestPki::new();
    for (flags, version) in [("reuse", "TLS 1.3"), ("reuse,tls1.2", "TLS 1.2")] {
        let server = tls_server(&pki, "127.0.0.1", &[]);
        let out = python_tls(&server, &pki, ("EPSV", flags), OTHER_SESSION, &[]);
        assert!(out.contains("refused 522"), "{flags}: {out}");
        assert!(out.contains("other still ['pub/hello.txt']"), "{out}");
        let log = server.log();
        assert!(
            log.contains(&format!("data: protected by {version} (session resumed)")),
            "the other client resumed its own session in {version}: {log}"
        );
    }
}

/// A second client, logged in with a TLS session of its own, connects to
/// the first client's passive data port before it does, while the first
/// client asks for `hello.txt`, twice: first it offers its own session
/// there, then whatever session it got from its first try (a full
/// handshake on the first client's data port), if it got one. Prints the
/// first client's replies, what the thief received each time, and whether
/// the first client can still list.
const THIEF: &str = r#"
thief = TlsClient(context=tls_context(), timeout=20)
thief.connect(host, port)
thief.auth()
thief.login(user, password)
thief.prot_p()
print('thief own', thief.nlst('pub'), thief.sock.version(), thief.session is not None)

def steal(offer):
    data_host, data_port = ftp.makepasv()
    stolen = socket.create_connection((data_host, data_port), timeout=20)
    got, gained, failed = [], [], []
    def run():
        try:
            conn = thief.context.wrap_socket(stolen, server_hostname=host, session=offer)
            gained.append(conn.session)
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                got.append(chunk)
        except OSError as err:
            failed.append(type(err).__name__)
    stealer = threading.Thread(target=run)
    stealer.start()
    try:
        print('victim', ftp.sendcmd('RETR pub/hello.txt'))
        print('victim', ftp.voidresp())
    except ftplib.Error as reply:
        print('refused', reply)
    stealer.join(30)
    print('thief got', len(b''.join(got)), 'bytes', failed)
    return gained[0] if gained else None

gained = steal(thief.session)
print('thief gained a session', gained is not None)
steal(gained or thief.session)
print('victim still', ftp.nlst('pub'))
"#;

#[test]
fn a_thief_on_the_passive_port_gets_nothing_in_tls_1_2_or_1_3() {
    let pki = TestPki::new();
    for (flags, version) in [("reuse,tls1.2", "TLSv1.2"), ("reuse", "TLSv1.3")] {
        let server = tls_server(&pki, "127.0.0.1", &[]);
        let out = python_tls(&server, &pki, ("EPSV", flags), THIEF, &[]);
        assert!(
            out.contains(&format!("thief own ['pub/hello.txt'] {version} True")),
            "the thief has a {version} session of its own to resume: {out}"
        );
        assert_eq!(
            out.matches("refused 522").count(),
            2,
            "{version}: {out}\n{}",
            server.log_tail(30)
        );
        assert_eq!(out.matches("thief got 0 bytes").count(), 2, "{out}");
        assert!(out.contains("victim still ['pub/hello.txt']"), "{out}");
        let log = server.log();
        assert!(log.contains("did not resume"), "{log}");
    }
}

#[test]
fn ftplib_with_tls_1_2_resumes_its_session_in_both_modes() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &[]);
    for mode in ["EPSV", "PORT"] {
        let out = ftplib_tls(&server, &pki, mode, "reuse,tls1.2");
        assert!(
            out.contains("hello True") && out.contains("roundtrip True"),
            "{mode}: {out}\n{}",
            server.log_tail(30)
        );
    }
    let log = server.log();
    assert!(
        log.contains("data: protected by TLS 1.2 (session resumed)"),
        "{log}"
    );
    assert!(!log.contains("TLS 1.3"), "{log}");
}

/// Starts a download of `big.bin`, reads a little of it, aborts: prints
/// the replies to ABOR and a NOOP after it.
const ABORT: &str = r#"
conn = ftp.transfercmd('RETR big.bin')
conn.recv(1024)
print('abort', ftp.abort())
conn.close()
print('then', ftp.getresp())
print('noop', ftp.voidcmd('NOOP'))
ftp.quit()
"#;

#[test]
fn abor_stops_a_protected_download_and_the_session_goes_on() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &[]);
    // More than the socket buffers hold: the transfer is still running.
    std::fs::write(server.root().join("big.bin"), vec![b'x'; 32 << 20]).expect("write");
    let out = python_tls(&server, &pki, ("EPSV", "reuse"), ABORT, &[]);
    assert!(out.contains("abort 426"), "{out}");
    assert!(out.contains("then 226"), "{out}");
    assert!(out.contains("noop 200"), "{out}");
}

/// Whether a server still serves a legitimate FTPS client.
fn still_serves(server: &Server, pki: &TestPki) {
    curl_gets_hello(pki, &server.url(), &["--ssl-reqd"]);
}

#[test]
fn garbage_instead_of_a_client_hello_ends_that_session_only() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &[]);
    let mut raw = Raw::open(server.addr());
    raw.expect("AUTH TLS", 234);
    raw.send(b"USER alice\r\nPASS secret\r\n");
    assert!(
        raw.closed_within(Duration::from_secs(10)),
        "the session ends"
    );
    let log = server.wait_for_log("TLS handshake failed");
    assert!(log.contains("TLS handshake failed"), "{log}");
    still_serves(&server, &pki);
}

#[test]
fn a_handshake_that_stops_halfway_times_out_and_others_are_served_meanwhile() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &["--login-timeout", "3"]);
    let mut raw = Raw::open(server.addr());
    raw.expect("AUTH TLS", 234);
    // The start of a ClientHello record, and no more.
    raw.send(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]);
    let started = Instant::now();
    still_serves(&server, &pki);
    assert!(
        raw.closed_within(Duration::from_secs(10)),
        "the session ends"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let log = server.wait_for_log("TLS handshake failed");
    assert!(log.contains("did not complete in time"), "{log}");
}

/// A client that sends a login and an MKD in the clear right behind AUTH
/// TLS, in one packet, then does the handshake and sends NOOP: prints the
/// first reply that comes over TLS.
const INJECTION: &str = r#"
import socket, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.create_connection((host, port), timeout=20)
reader = sock.makefile('rb')
reader.readline()
sock.sendall(b'AUTH TLS\r\nUSER alice\r\nPASS secret\r\nMKD injected\r\n')
# Read the 234 a byte at a time: nothing after it may be taken from the socket.
line = b''
while not line.endswith(b'\n'):
    line += sock.recv(1)
assert line.startswith(b'234'), line
tls = ssl.create_default_context(cafile=cafile).wrap_socket(sock, server_hostname=host)
tls.sendall(b'NOOP\r\n')
print(tls.recv(4096).decode().strip())
"#;

#[test]
fn nothing_sent_in_the_clear_after_auth_is_taken_for_a_command() {
    let pki = TestPki::new();
    let server = tls_server(&pki, "127.0.0.1", &[]);
    let out = ok(&output(
        Command::new("timeout")
            .args(["60", "python3", "-c", INJECTION])
            .arg(server.addr().ip().to_string())
            .arg(server.addr().port().to_string())
            .arg(pki.ca()),
    ));
    assert!(
        out.starts_with("200"),
        "the first reply over TLS is NOOP's: {out}"
    );
    assert!(!server.root().join("injected").exists());
}

/// Runs `ftp-server` with `args` (and nothing to serve it would need); its
/// output.
fn start_up(args: &[String]) -> Output {
    let root = TempDir::new("ftps-start");
    output(
        Command::new(program("ftp-server"))
            .args(run_as_this_user())
            .args(["--listen", "127.0.0.1:0", "--root"])
            .arg(root.path())
            .args(args),
    )
}

/// A private key that every user may read is a warning at start-up (not
/// an error: the `--run-as` user must read it too, through its group); a
/// key readable by its group only is not.
#[test]
fn a_private_key_readable_by_everyone_is_warned_about_at_start_up() {
    use std::os::unix::fs::PermissionsExt;
    let pki = TestPki::new();
    for (mode, warned) in [(0o644, true), (0o640, false)] {
        let permissions = std::fs::Permissions::from_mode(mode);
        std::fs::set_permissions(pki.key(), permissions).expect("chmod the key");
        let server = tls_server(&pki, "127.0.0.1", &[]);
        let log = server.log();
        assert_eq!(
            log.contains("the private key is readable by every user"),
            warned,
            "mode {mode:o}: {log}"
        );
        // The server serves either way.
        curl_gets_hello(&pki, &server.url(), &["--ssl-reqd"]);
    }
}

#[test]
fn a_missing_or_mismatched_key_is_a_one_line_error_at_start_up() {
    let pki = TestPki::new();
    let other = TempDir::new("ftps-other-key");
    let other_key = other.path().join("other.key");
    let made = output(
        Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
            ])
            .arg(&other_key),
    );
    ok(&made);
    let cert = pki.cert().to_string_lossy().into_owned();
    let cases = [
        (
            vec![
                "--tls-cert".into(),
                cert.clone(),
                "--tls-key".into(),
                other_key.to_string_lossy().into_owned(),
            ],
            "does not go with",
        ),
        (
            vec![
                "--tls-cert".into(),
                cert.clone(),
                "--tls-key".into(),
                "/nonexistent/key.pem".into(),
            ],
            "--tls-key /nonexistent/key.pem",
        ),
        (vec!["--tls-cert".into(), cert], "go together"),
        (vec!["--tls-required".into()], "needs --tls-cert"),
        (vec!["--implicit-tls".into()], "needs --tls-cert"),
        (tls_options(&pki, &["--implicit-tls"]), "is for --inetd"),
        (
            tls_options(&pki, &["--inetd", "--implicit-tls-listen", "127.0.0.1:0"]),
            "is for a standalone server",
        ),
    ];
    for (args, expected) in cases {
        let out = start_up(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}

/// The effective user id of the process `pid`.
fn effective_uid(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let ids = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .expect("a Uid line");
    ids.split_whitespace()
        .nth(1)
        .and_then(|uid| uid.parse().ok())
        .expect("an effective uid")
}

#[test]
fn with_run_as_the_clear_and_the_implicit_tls_listener_serve_as_that_user() {
    if !have_root() {
        return;
    }
    let pki = TestPki::new();
    let user = Identity::resolve("nobody").expect("the unprivileged user exists");
    let scratch = TempDir::new("ftps-run-as");
    let root = scratch.path().join("root");
    root_with_hello(&root);
    // The key and the xferlog as the sessions' user can use them.
    let key = scratch.path().join("server.key");
    let xferlog = scratch.path().join("xferlog");
    std::fs::copy(pki.key(), &key).expect("copy the key");
    std::fs::write(&xferlog, "").expect("xferlog");
    for file in [&key, &xferlog] {
        std::os::unix::fs::chown(file, Some(user.uid), Some(user.gid)).expect("chown");
    }
    let (clear, implicit) = (free_address(), free_address());
    let log = File::create(scratch.path().join("server.log")).expect("log");
    let mut command = Command::new(program("ftp-server"));
    command
        .args(["-v", "--listen", &clear, "--root"])
        .arg(&root)
        .args([
            "--user",
            &format!("{USER}:{PASSWORD}"),
            "--run-as",
            "nobody",
        ])
        .arg("--tls-cert")
        .arg(pki.cert())
        .arg("--tls-key")
        .arg(&key)
        .args(["--implicit-tls-listen", &implicit, "--xferlog"])
        .arg(&xferlog)
        .stdin(Stdio::null())
        .stderr(log);
    let (server, _) = KillOnDrop::spawn_until(command, "(implicit TLS)", Duration::from_secs(10));
    curl_gets_hello(&pki, &format!("ftps://{implicit}/"), &[]);
    curl_gets_hello(&pki, &format!("ftp://{clear}/"), &["--ssl-reqd"]);
    assert_eq!(
        effective_uid(server.0.id()),
        user.uid,
        "the process that served runs as nobody"
    );
    let log = std::fs::read_to_string(scratch.path().join("server.log")).expect("log");
    for addr in [&clear, &implicit] {
        assert!(
            log.contains(&format!("serving sessions as nobody on ftp://{addr}/")),
            "{log}"
        );
    }
    let transfers = std::fs::read_to_string(&xferlog).expect("xferlog");
    assert_eq!(
        transfers.matches("hello.txt").count(),
        2,
        "written by the sessions' user: {transfers}"
    );

    // One implicit TLS listener can be handed over, as one clear one.
    let out = output(
        Command::new(program("ftp-server"))
            .args(["--listen", "127.0.0.1:0", "--root"])
            .arg(&root)
            .args(["--run-as", "nobody"])
            .args(tls_options(
                &pki,
                &[
                    "--implicit-tls-listen",
                    "127.0.0.1:0",
                    "--implicit-tls-listen",
                    "127.0.0.1:0",
                ],
            ))
            .stdin(Stdio::null()),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--run-as: one --implicit-tls-listen address only"),
        "{stderr}"
    );
}

#[test]
fn inetd_with_implicit_tls_serves_the_socket_on_stdin() {
    let pki = TestPki::new();
    let scratch = TempDir::new("ftps-inetd");
    let root = scratch.path().join("root");
    root_with_hello(&root);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "ftps://{}/pub/hello.txt",
        listener.local_addr().expect("addr")
    );
    std::thread::scope(|scope| {
        let client = scope.spawn(|| curl_as_alice(&pki, &[], &url));
        // What inetd does: accept, and run the server on the connection.
        let (connection, _) = listener.accept().expect("curl connects");
        let log = File::create(scratch.path().join("server.log")).expect("log");
        let options = tls_options(&pki, &["--inetd", "--implicit-tls"]);
        let _server = KillOnDrop(
            Command::new(program("ftp-server"))
                .args(run_as_this_user())
                .args(["-v", "--root"])
                .arg(&root)
                .args(["--user", &format!("{USER}:{PASSWORD}")])
                .args(&options)
                .stdin(Stdio::from(OwnedFd::from(connection)))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("the server starts"),
        );
        let got = ok(&client.join().expect("curl ran"));
        let log = std::fs::read_to_string(scratch.path().join("server.log")).expect("log");
        assert_eq!(got.as_bytes(), HELLO, "{log}");
        assert!(log.contains("data: protected by TLS"), "{log}");
    });

    // Not a socket: refused with the reason.
    let out = output(
        Command::new(program("ftp-server"))
            .args(run_as_this_user())
            .arg("--root")
            .arg(&root)
            .args(tls_options(&pki, &["--inetd", "--implicit-tls"]))
            .stdin(Stdio::null()),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stdin is not a TCP socket"), "{stderr}");
}
