//! End-to-end tests of the real `ftp-server` binary, driven by Python's
//! `ftplib`, by curl, and over raw sockets where a test needs bytes no client
//! library sends (BSD-style abort, inetd pipes).
//!
//! Every test starts its own server on a port chosen by the OS (the server
//! prints `listening on ftp://127.0.0.1:PORT/`), in a scratch root, and kills
//! it when done. Files are compared byte for byte. Python scripts assert on
//! their own and exit non-zero on failure; the test then shows the script's
//! error and the server's log.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ftp_core::reply::{Reply, ReplyParser, Status};
use ftp_tests::{
    assert_same_file, have_curl, have_python, lines_on_a_thread, listening_address, pattern,
    program, root_with_hello, run_as_this_user, start_ftp_server, KillOnDrop, TempDir,
    SERVER_STARTUP,
};

/// How long a test waits for a Python script it started to say it is ready.
const STARTUP: Duration = Duration::from_secs(10);

/// A running `ftp-server` with its scratch root and log file.
struct Server {
    _process: KillOnDrop,
    host: String,
    port: u16,
    scratch: TempDir,
}

/// Starts a server with `args` and runs one ftplib `script` against it (see
/// [`Server::python`]); without python3 the test says so and passes.
fn ftplib_session(args: &[&str], script: &str) {
    if !have_python() {
        return;
    }
    Server::start(args).python(script);
}

impl Server {
    /// Starts the server on `127.0.0.1` with `-v` and the given options, in a
    /// root holding `pub/hello.txt`.
    fn start(options: &[&str]) -> Server {
        Server::start_on("127.0.0.1", options)
    }

    fn start_on(host: &str, options: &[&str]) -> Server {
        let scratch = TempDir::new("ftp-server-e2e");
        let root = scratch.path().join("root");
        root_with_hello(&root);
        let log = fs::File::create(scratch.path().join("server.log")).expect("log file");
        let listen = if host.contains(':') {
            format!("[{host}]:0")
        } else {
            format!("{host}:0")
        };
        let mut command = Command::new(program("ftp-server"));
        command
            .args(run_as_this_user())
            .args(["-v", "--root"])
            .arg(&root)
            .args(["--listen", &listen])
            .args(options)
            .stderr(log);
        let (process, addr) = start_ftp_server(command);
        Server {
            _process: process,
            host: host.to_string(),
            port: addr.port(),
            scratch,
        }
    }

    fn root(&self) -> PathBuf {
        self.scratch.path().join("root")
    }

    fn log(&self) -> String {
        fs::read_to_string(self.scratch.path().join("server.log")).unwrap_or_default()
    }

    /// `ftp://host:port/` with brackets for IPv6.
    fn url(&self) -> String {
        if self.host.contains(':') {
            format!("ftp://[{}]:{}/", self.host, self.port)
        } else {
            format!("ftp://{}:{}/", self.host, self.port)
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host.parse().expect("ip"), self.port)
    }

    /// Runs a Python script (after [`PRELUDE`]) against the server; it must
    /// exit successfully. Returns its stdout.
    fn python(&self, script: &str) -> String {
        let output = Command::new("python3")
            .arg("-c")
            .arg(format!("{PRELUDE}\n{script}"))
            .arg(self.port.to_string())
            .arg(self.root())
            .arg(&self.host)
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "python script failed:\n{}\n--- server log ---\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs curl with `args` (`-sS` added); it must succeed. Returns stderr.
    fn curl(&self, args: &[&str]) -> String {
        let output = Command::new("curl")
            .args(["-sS", "--max-time", "60"])
            .args(args)
            .output()
            .expect("curl runs");
        assert!(
            output.status.success(),
            "curl {args:?} failed:\n{}\n--- server log ---\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}

/// Helpers every Python script gets. `argv`: port, root, host.
const PRELUDE: &str = r#"
import ftplib, io, os, socket, struct, sys, time
PORT, ROOT, HOST = int(sys.argv[1]), sys.argv[2], sys.argv[3]
HELLO = b'hello, world\n'

def connect(user='anonymous', password='guest@example.com', source=None):
    ftp = ftplib.FTP(timeout=10, source_address=source)
    ftp.connect(HOST, PORT)
    if user is not None:
        ftp.login(user, password)
    return ftp

def refused(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ftplib.Error as err:
        assert str(err).startswith(code), f'expected {code}, got {err}'
        return str(err)
    raise AssertionError(f'expected {code}, but {call.__name__}{args} succeeded')

def local(name):
    return os.path.join(ROOT, name)

def read_local(name):
    with open(local(name), 'rb') as f:
        return f.read()

def write_local(name, data):
    with open(local(name), 'wb') as f:
        f.write(data)

def temporaries():
    return [n for n in os.listdir(ROOT) if '.ftp-tmp-' in n]

def retr(ftp, name, **kwargs):
    out = io.BytesIO()
    ftp.retrbinary('RETR ' + name, out.write, **kwargs)
    return out.getvalue()

def stor(ftp, name, data, verb='STOR', **kwargs):
    ftp.storbinary(f'{verb} {name}', io.BytesIO(data), **kwargs)

def recv_all(conn):
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)
"#;

#[test]
fn ftplib_transfers_in_passive_and_active_mode() {
    if !have_python() {
        return;
    }
    let server = Server::start(&["--anonymous=rw"]);
    server.python(
        r#"
ftp = connect()
data = os.urandom(300_000)
for passive in (True, False):
    ftp.set_pasv(passive)
    stor(ftp, 'up.bin', data)
    assert read_local('up.bin') == data
    assert retr(ftp, 'up.bin') == data
    assert ftp.size('up.bin') == len(data)
    # REST, then RETR from the offset.
    assert retr(ftp, 'up.bin', rest=1000) == data[1000:]
    # APPE writes in place at the end.
    stor(ftp, 'up.bin', b'tail', verb='APPE')
    assert read_local('up.bin') == data + b'tail'
    # REST + STOR writes in place from the offset.
    stor(ftp, 'up.bin', b'XYZ', rest=10)
    assert read_local('up.bin') == data[:10] + b'XYZ'
    ftp.delete('up.bin')
    assert not os.path.exists(local('up.bin'))
assert temporaries() == []
print(ftp.quit())
"#,
    );
    let log = server.log();
    assert!(
        log.contains("data: passive (PASV) — server listens on 127.0.0.1:"),
        "{log}"
    );
    assert!(
        log.contains("data: active (PORT) — client listens on 127.0.0.1:"),
        "{log}"
    );
    assert!(
        log.contains("anonymous STOR /up.bin: 300000 bytes"),
        "{log}"
    );
}

#[test]
fn ftplib_directory_and_file_commands() {
    ftplib_session(
        &["--user", "alice:secret"],
        r#"
ftp = connect('alice', 'secret')
assert ftp.pwd() == '/'
assert ftp.mkd('d "q" r') == '/d "q" r'
ftp.cwd('d "q" r')
assert ftp.pwd() == '/d "q" r'
stor(ftp, 'f.txt', b'x')
ftp.rename('f.txt', '../g.txt')
assert read_local('g.txt') == b'x'
ftp.cwd('..')
ftp.rmd('d "q" r')
refused('550', ftp.rmd, 'd "q" r')
refused('550', ftp.cwd, 'g.txt')
refused('550', ftp.delete, 'pub')
refused('503', ftp.sendcmd, 'RNTO x')
# Listings.
assert ftp.nlst() == ['g.txt', 'pub'], ftp.nlst()
assert ftp.nlst('pub') == ['pub/hello.txt'], ftp.nlst('pub')
lines = []
ftp.retrlines('LIST -la pub', lines.append)
assert len(lines) == 1 and lines[0].startswith('-rw') and lines[0].endswith(' hello.txt'), lines
facts = dict(ftp.mlsd('pub'))
assert facts['hello.txt']['type'] == 'file' and facts['hello.txt']['size'] == '13', facts
mlst = ftp.sendcmd('MLST pub/hello.txt')
assert mlst.startswith('250-') and 'type=file;size=13;' in mlst, mlst
stat = ftp.sendcmd('STAT pub')
assert stat.startswith('213-') and stat.rstrip().endswith('213 End of status') and 'hello.txt' in stat, stat
# Facts about files.
assert ftp.sendcmd('MFMT 20200102030405 g.txt') == '213 Modify=20200102030405; /g.txt'
assert ftp.sendcmd('MDTM g.txt') == '213 20200102030405'
assert ftp.sendcmd('SITE CHMOD 600 g.txt').startswith('200')
assert os.stat(local('g.txt')).st_mode & 0o777 == 0o600
assert ftp.sendcmd('SYST') == '215 UNIX Type: L8'
feat = ftp.sendcmd('FEAT')
for feature in ('EPRT', 'EPSV', 'MDTM', 'MLST type*;', 'PASV', 'REST STREAM', 'SIZE', 'TVFS', 'UTF8'):
    assert '\n ' + feature in feat, feat
assert ftp.sendcmd('HELP').startswith('214-')
assert ftp.sendcmd('NOOP').startswith('200')
refused('500', ftp.sendcmd, 'XYZZY')
refused('502', ftp.sendcmd, 'SMNT /')
refused('504', ftp.sendcmd, 'TYPE E')
refused('504', ftp.sendcmd, 'MODE B')
refused('501', ftp.sendcmd, 'PORT 1,2,3')
# The rest of the command set, and the X forms.
assert ftp.sendcmd('XPWD') == '257 "/" is the current directory'
assert ftp.sendcmd('XMKD x').startswith('257') and ftp.sendcmd('XCWD x').startswith('250')
assert ftp.sendcmd('XCUP').startswith('250') and ftp.sendcmd('XRMD x').startswith('250')
for command, code in [('ALLO 100', '202'), ('ACCT x', '202'), ('STRU F', '200'), ('MODE S', '200'),
                      ('TYPE L 8', '200'), ('OPTS UTF8 ON', '200'), ('SITE HELP', '214')]:
    assert ftp.sendcmd(command).startswith(code), command
refused('503', ftp.sendcmd, 'HOST example.com')
assert ftp.sendcmd('EPSV ALL').startswith('200')
refused('503', ftp.sendcmd, 'PASV')
assert ftp.sendcmd('REIN').startswith('220')
refused('530', ftp.sendcmd, 'PWD')
ftp.login('alice', 'secret')
ftp.quit()
"#,
    );
}

#[test]
fn type_a_converts_line_ends_and_stou_names_the_file() {
    ftplib_session(
        &["--anonymous=rw"],
        r#"
write_local('unix.txt', b'one\ntwo\n')
ftp = connect()
lines = []
ftp.retrlines('RETR unix.txt', lines.append)
assert lines == ['one', 'two'], lines
ftp.voidcmd('TYPE A')
conn = ftp.transfercmd('RETR unix.txt')
assert recv_all(conn) == b'one\r\ntwo\r\n'
conn.close()
assert ftp.voidresp().startswith('226')
ftp.storlines('STOR dos.txt', io.BytesIO(b'a\nb\n'))
assert read_local('dos.txt') == b'a\nb\n'
# STOU: the 150 reply names the file chosen.
ftp.voidcmd('TYPE I')
host, port = ftp.makepasv()
with socket.create_connection((host, port), timeout=10) as conn:
    resp = ftp.sendcmd('STOU')
    assert resp.startswith('150 FILE: '), resp
    conn.sendall(b'unique')
assert ftp.voidresp().startswith('226')
assert read_local(resp[len('150 FILE: '):]) == b'unique'
ftp.quit()
"#,
    );
}

/// curl in every data mode it has, over IPv4 and IPv6, down and up.
#[test]
fn curl_in_every_data_mode_over_ipv4_and_ipv6() {
    if !have_curl() {
        return;
    }
    let modes: [(&str, &[&str], bool); 4] = [
        ("EPSV", &[], true),
        ("PASV", &["--disable-epsv"], false),
        ("EPRT", &["--ftp-port", "-"], true),
        ("PORT", &["--ftp-port", "-", "--disable-eprt"], false),
    ];
    for host in ["127.0.0.1", "::1"] {
        let server = Server::start_on(host, &["--user", "alice:secret"]);
        let content = pattern(1 << 20, 7);
        fs::write(server.root().join("file.bin"), &content).expect("write");
        let scratch = TempDir::new("ftp-server-e2e-curl");
        for (verb, flags, works_on_ipv6) in modes {
            if host == "::1" && !works_on_ipv6 {
                continue;
            }
            let out = scratch.path().join(format!("{verb}.bin"));
            let url = format!("{}file.bin", server.url());
            let mut args = vec!["-g", "-v", "--user", "alice:secret", "-o"];
            let out_str = out.to_str().expect("utf-8 path");
            args.push(out_str);
            args.extend_from_slice(flags);
            args.push(&url);
            let trace = server.curl(&args);
            assert!(
                trace.contains(&format!("> {verb}")),
                "curl did not use {verb}: {trace}"
            );
            let downloaded = fs::read(&out).expect("downloaded");
            assert!(downloaded == content, "{host} {verb} download differs");

            let upload_url = format!("{}up-{verb}.bin", server.url());
            let mut args = vec!["-g", "--user", "alice:secret", "-T", out_str];
            args.extend_from_slice(flags);
            args.push(&upload_url);
            server.curl(&args);
            let uploaded =
                fs::read(server.root().join(format!("up-{verb}.bin"))).expect("uploaded");
            assert!(uploaded == content, "{host} {verb} upload differs");
        }
    }
}

#[test]
fn ftplib_over_ipv6_uses_epsv_and_eprt() {
    if !have_python() {
        return;
    }
    let server = Server::start_on("::1", &["--anonymous=rw"]);
    server.python(
        r#"
ftp = connect()
for passive in (True, False):
    ftp.set_pasv(passive)
    stor(ftp, 'six.bin', b'v6' * 1000)
    assert retr(ftp, 'six.bin') == b'v6' * 1000
refused('425', ftp.sendcmd, 'PASV')
refused('522', ftp.sendcmd, 'EPSV 1')
ftp.quit()
"#,
    );
    let log = server.log();
    assert!(
        log.contains("data: passive (EPSV) — server listens on [::1]:"),
        "{log}"
    );
    assert!(
        log.contains("data: active (EPRT) — client listens on [::1]:"),
        "{log}"
    );
}

/// A 256 MiB file down and up, compared byte for byte.
#[test]
fn a_large_file_survives_the_round_trip() {
    if !have_curl() {
        return;
    }
    const MIB: usize = 1 << 20;
    let server = Server::start(&["--anonymous=rw"]);
    // 256 blocks of one pseudo-random MiB, each with its number in front, so
    // that a lost, repeated or shifted block shows.
    let block = pattern(MIB, 11);
    let mut file = fs::File::create(server.root().join("large.bin")).expect("create");
    for index in 0..256u64 {
        file.write_all(&index.to_be_bytes()).expect("write");
        file.write_all(&block[8..]).expect("write");
    }
    drop(file);
    let scratch = TempDir::new("ftp-server-e2e-large");
    let down = scratch.path().join("large.bin");
    let url = format!("{}large.bin", server.url());
    server.curl(&["-o", down.to_str().expect("utf-8"), &url]);
    assert_same_file(&server.root().join("large.bin"), &down);
    let up_url = format!("{}large-up.bin", server.url());
    server.curl(&["-T", down.to_str().expect("utf-8"), &up_url]);
    assert_same_file(&down, &server.root().join("large-up.bin"));
}

#[test]
fn abor_during_a_download_answers_426_then_226_in_both_forms() {
    if !have_python() {
        return;
    }
    let server = Server::start(&[]);
    fs::write(server.root().join("big.bin"), pattern(64 << 20, 3)).expect("big file");
    server.python(
        r#"
ftp = connect()
ftp.voidcmd('TYPE I')
# Python's form: ABOR sent as urgent data.
conn = ftp.transfercmd('RETR big.bin')
assert len(conn.recv(65536)) > 0
stat = ftp.sendcmd('STAT')
assert stat.startswith('213 Transfer in progress: '), stat
resp = ftp.abort()
assert resp.startswith('426'), resp
conn.close()
assert ftp.voidresp().startswith('226')
assert ftp.pwd() == '/'
# BSD's form: Telnet IP, then Synch (IAC as urgent byte, DM), then ABOR.
conn = ftp.transfercmd('RETR big.bin')
assert len(conn.recv(65536)) > 0
ftp.sock.sendall(b'\xff\xf4')
ftp.sock.send(b'\xff', socket.MSG_OOB)
ftp.sock.sendall(b'\xf2ABOR\r\n')
first = ftp.getmultiline()
assert first.startswith('426'), first
conn.close()
assert ftp.getmultiline().startswith('226')
# With no transfer, ABOR is 225, and the session goes on.
assert ftp.sendcmd('ABOR').startswith('225')
assert retr(ftp, 'pub/hello.txt') == HELLO
ftp.quit()
"#,
    );
}

#[test]
fn quit_during_a_download_lets_it_finish() {
    if !have_python() {
        return;
    }
    let server = Server::start(&[]);
    let content = pattern(8 << 20, 5);
    fs::write(server.root().join("big.bin"), &content).expect("big file");
    server.python(
        r#"
ftp = connect()
ftp.voidcmd('TYPE I')
conn = ftp.transfercmd('RETR big.bin')
ftp.sock.sendall(b'QUIT\r\n')
data = recv_all(conn)
assert data == read_local('big.bin'), len(data)
assert ftp.getmultiline().startswith('226')
assert ftp.getmultiline().startswith('221')
"#,
    );
}

#[test]
fn failed_uploads_leave_the_old_file_and_no_temporary() {
    ftplib_session(
        &["--anonymous=rw"],
        r#"
write_local('keep.bin', b'old contents')
ftp = connect()
ftp.voidcmd('TYPE I')
# Active mode: the data connection is open once transfercmd returns.
ftp.set_pasv(False)
# Aborted by ABOR.
conn = ftp.transfercmd('STOR keep.bin')
conn.sendall(b'partial' * 10000)
assert ftp.abort().startswith('426')
conn.close()
assert ftp.voidresp().startswith('226')
# Broken by a reset data connection.
conn = ftp.transfercmd('STOR keep.bin')
conn.sendall(b'partial' * 10000)
time.sleep(0.2)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
conn.close()
assert ftp.getmultiline().startswith('426')
assert read_local('keep.bin') == b'old contents'
assert temporaries() == [], temporaries()
# The client hangs up the control connection, then ends the data connection
# normally: in stream mode that is the end of the file, so it is kept.
conn = ftp.transfercmd('STOR keep.bin')
conn.sendall(b'whole' * 10000)
ftp.close()
time.sleep(0.3)
conn.close()
time.sleep(0.3)
assert read_local('keep.bin') == b'whole' * 10000
assert temporaries() == [], temporaries()
"#,
    );
}

/// The uploading client process is killed in the middle of the upload. Its
/// kernel may end the data connection normally — in stream mode the end of
/// the file, so the upload is committed as far as it came — or reset it
/// (with a lot still unsent), which keeps the old file. Either way the file
/// is one or the other, never a mix, and no temporary file is left.
#[test]
fn an_upload_killed_mid_transfer_is_never_mixed_with_the_old_file() {
    if !have_python() {
        return;
    }
    let server = Server::start(&["--anonymous=rw"]);
    fs::write(server.root().join("keep.bin"), b"old contents").expect("old file");
    let uploader = r#"
ftp = connect()
ftp.voidcmd('TYPE I')
conn = ftp.transfercmd('STOR keep.bin')
chunk = b'x' * (1 << 20)
conn.sendall(chunk)
print('sending', flush=True)
while True:
    conn.sendall(chunk)
"#;
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg(format!("{PRELUDE}\n{uploader}"))
        .arg(server.port.to_string())
        .arg(server.root())
        .arg(&server.host);
    let (mut client, _) = KillOnDrop::spawn_until(command, "sending", STARTUP);
    thread::sleep(Duration::from_millis(200));
    client.0.kill().expect("kill the uploader");
    client.0.wait().expect("reap the uploader");
    let log = wait_for_log(&server, "anonymous STOR /keep.bin");
    let kept = fs::read(server.root().join("keep.bin")).expect("read");
    let committed = !kept.is_empty() && kept.iter().all(|&byte| byte == b'x');
    if log.contains("incomplete") {
        assert!(
            kept == b"old contents",
            "an incomplete upload replaced keep.bin with {} bytes\n{log}",
            kept.len()
        );
    } else {
        assert!(
            committed,
            "keep.bin is a mix of {} bytes\n{log}",
            kept.len()
        );
    }
    let names: Vec<_> = fs::read_dir(server.root())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "a temporary file was left: {names:?}");
}

/// Waits (up to 10 s) for the server log to contain `text`; returns the log.
fn wait_for_log(server: &Server, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = server.log();
        if log.contains(text) || Instant::now() > deadline {
            return log;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn paths_never_leave_the_root() {
    if !have_python() {
        return;
    }
    let server = Server::start(&[]);
    let outside = TempDir::new("ftp-server-e2e-outside");
    fs::write(outside.path().join("secret.txt"), b"secret").expect("secret");
    std::os::unix::fs::symlink(outside.path(), server.root().join("escape")).expect("symlink");
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        server.root().join("secret-link"),
    )
    .expect("symlink");
    let out = server.python(
        r#"
ftp = connect()
refused('550', retr, ftp, '../../../../etc/passwd')
refused('550', retr, ftp, '/etc/passwd')
refused('550', retr, ftp, '..//..//etc/passwd')
ftp.cwd('../../..')
assert ftp.pwd() == '/'
refused('550', ftp.cwd, 'escape')
refused('550', retr, ftp, 'escape/secret.txt')
refused('550', retr, ftp, 'secret-link')
refused('550', ftp.nlst, 'escape')
refused('550', ftp.size, 'secret-link')
print(refused('550', ftp.cwd, '/escape'))
"#,
    );
    let root = server.root().canonicalize().expect("root");
    assert!(
        !out.contains(&*root.to_string_lossy()),
        "a real path leaked: {out}"
    );
}

#[test]
fn anonymous_users_cannot_write_by_default() {
    ftplib_session(
        &[],
        r#"
ftp = connect()
refused('550', stor, ftp, 'new.txt', b'x')
refused('550', stor, ftp, 'pub/hello.txt', b'x', verb='APPE')
refused('550', ftp.mkd, 'newdir')
refused('550', ftp.delete, 'pub/hello.txt')
refused('550', ftp.rename, 'pub/hello.txt', 'x')
assert read_local('pub/hello.txt') == HELLO and not os.path.exists(local('new.txt'))
"#,
    );
}

#[test]
fn port_and_eprt_cannot_bounce_to_another_host_or_a_low_port() {
    ftplib_session(
        &[],
        r#"
ftp = connect()
with socket.create_server(('127.0.0.2', 0)) as trap:
    port = trap.getsockname()[1]
    refused('501', ftp.sendport, '127.0.0.2', port)
    refused('501', ftp.sendcmd, f'EPRT |1|127.0.0.2|{port}|')
    refused('501', ftp.sendport, '127.0.0.1', 80)
    refused('501', ftp.sendcmd, 'EPRT |2|::1|40000|')
    refused('522', ftp.sendcmd, 'EPRT |3|x|40000|')
    refused('425', ftp.sendcmd, 'RETR pub/hello.txt')
    trap.settimeout(0.5)
    try:
        trap.accept()
        raise AssertionError('the server connected to the trap')
    except socket.timeout:
        pass
"#,
    );
}

#[test]
fn a_passive_connection_from_another_address_is_refused() {
    if !have_python() {
        return;
    }
    let server = Server::start(&[]);
    server.python(
        r#"
ftp = connect()
ftp.voidcmd('TYPE I')
port = ftplib.parse229(ftp.sendcmd('EPSV'), ftp.sock.getpeername())[1]
thief = socket.socket()
thief.settimeout(10)
thief.bind(('127.0.0.2', 0))
thief.connect(('127.0.0.1', port))
real = socket.create_connection(('127.0.0.1', port), timeout=10)
assert ftp.sendcmd('RETR pub/hello.txt').startswith('150')
assert recv_all(real) == HELLO
real.close()
assert ftp.voidresp().startswith('226')
try:
    stolen = thief.recv(100)
except ConnectionResetError:
    stolen = b''
assert stolen == b'', stolen
"#,
    );
    let log = server.log();
    assert!(
        log.contains("refused a connection") && log.contains("127.0.0.2"),
        "{log}"
    );
}

#[test]
fn failed_logins_are_delayed_and_the_third_closes_the_session() {
    ftplib_session(
        &["--user", "alice:secret"],
        r#"
ftp = connect(None)
for attempt in range(3):
    assert ftp.sendcmd('USER alice').startswith('331')
    started = time.monotonic()
    refused('530', ftp.sendcmd, 'PASS guess%d' % attempt)
    assert time.monotonic() - started >= 0.9, 'no delay'
try:
    ftp.sendcmd('NOOP')
    raise AssertionError('the session is still open')
except (EOFError, OSError):
    pass
# Unknown users get the same 331.
ftp = connect(None)
assert ftp.sendcmd('USER mallory').startswith('331')
"#,
    );
}

#[test]
fn session_limits_answer_421() {
    ftplib_session(
        &["--max-sessions", "2", "--max-per-ip", "1"],
        r#"
first = connect(None)
refused('421', connect, None)
second = connect(None, source=('127.0.0.2', 0))
refused('421', connect, None, source=('127.0.0.3', 0))
first.quit()
time.sleep(0.2)
connect(None).quit()
"#,
    );
}

#[test]
fn idle_and_login_timeouts_close_with_421() {
    ftplib_session(
        &["--idle-timeout", "1", "--login-timeout", "1"],
        r#"
idle = connect()
waiting = connect(None)
time.sleep(1.5)
assert refused('421', idle.getresp).startswith('421 Idle timeout'), 'idle'
assert refused('421', waiting.getresp).startswith('421 Login timeout'), 'login'
"#,
    );
}

#[test]
fn a_passive_connection_that_never_comes_is_explained() {
    ftplib_session(
        &["--data-timeout", "1"],
        r#"
ftp = connect()
ftp.sendcmd('EPSV')
started = time.monotonic()
# The 150 waits for the data connection; the 425 follows it.
assert ftp.sendcmd('RETR pub/hello.txt').startswith('150')
err = refused('425', ftp.getresp)
assert 'firewall or NAT in front of the server' in err, err
assert 0.9 <= time.monotonic() - started < 5
assert ftp.sendcmd('NOOP').startswith('200')
"#,
    );
}

#[test]
fn rein_starts_a_new_login_timeout() {
    ftplib_session(
        &["--login-timeout", "1"],
        r#"
ftp = connect()
time.sleep(1.2)
assert ftp.sendcmd('REIN').startswith('220')
assert ftp.sendcmd('USER anonymous').startswith('331')
assert ftp.sendcmd('PASS x').startswith('230')
"#,
    );
}

#[test]
fn xferlog_records_each_file_transfer() {
    if !have_python() {
        return;
    }
    let scratch = TempDir::new("ftp-server-e2e-xferlog");
    let path = scratch.path().join("xferlog");
    let server = Server::start(&["--xferlog", path.to_str().expect("utf-8")]);
    server.python("ftp = connect(); retr(ftp, 'pub/hello.txt'); ftp.quit()");
    let log = wait_for_log(&server, "RETR /pub/hello.txt");
    assert!(
        log.contains("anonymous RETR /pub/hello.txt: 13 bytes"),
        "{log}"
    );
    let xferlog = fs::read_to_string(&path).expect("xferlog");
    let fields: Vec<&str> = xferlog.split_whitespace().collect();
    assert_eq!(fields.len(), 18, "{xferlog}");
    assert_eq!(
        &fields[6..],
        [
            "127.0.0.1",
            "13",
            "/pub/hello.txt",
            "b",
            "_",
            "o",
            "a",
            "anonymous",
            "ftp",
            "0",
            "*",
            "c"
        ]
    );
}

#[test]
fn non_utf8_names_round_trip() {
    ftplib_session(
        &["--anonymous=rw"],
        r#"
ftp = connect()
ftp.encoding = 'latin-1'
stor(ftp, 'caf\xe9.txt', b'latin')
assert os.path.exists(os.path.join(ROOT.encode(), b'caf\xe9.txt'))
assert ftp.nlst() == ['caf\xe9.txt', 'pub'], ftp.nlst()
assert retr(ftp, 'caf\xe9.txt') == b'latin'
"#,
    );
}

#[test]
fn no_options_but_listen_serve_the_working_directory_read_only() {
    if !have_python() {
        return;
    }
    let scratch = TempDir::new("ftp-server-e2e-cwd");
    fs::write(scratch.path().join("here.txt"), b"here").expect("write");
    let mut command = Command::new(program("ftp-server"));
    command
        .args(run_as_this_user())
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(scratch.path())
        .stderr(Stdio::null());
    let (_process, line) = KillOnDrop::spawn_until(command, "listening on", SERVER_STARTUP);
    assert!(line.contains("ftp://127.0.0.1:"), "{line}");
    let script = format!(
        "{PRELUDE}\nftp = connect()\nassert retr(ftp, 'here.txt') == b'here'\nrefused('550', stor, ftp, 'x', b'x')\n"
    );
    let output = Command::new("python3")
        .args([
            "-c",
            &script,
            &listening_address(&line).port().to_string(),
            "unused",
            "127.0.0.1",
        ])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A control connection read and written by the test itself.
struct Control<S> {
    lines: mpsc::Receiver<Vec<u8>>,
    out: S,
}

impl<S: Write> Control<S> {
    /// Reads `input` line by line on a thread (so every wait has a timeout).
    fn new(input: impl Read + Send + 'static, out: S) -> Control<S> {
        Control {
            lines: lines_on_a_thread(input),
            out,
        }
    }

    fn reply(&mut self) -> Reply {
        let mut parser = ReplyParser::new();
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .expect("a reply line");
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if let Status::Complete(reply) = parser.feed(line).expect("a valid reply") {
                return reply;
            }
        }
    }

    fn command(&mut self, line: &str) -> Reply {
        self.out
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("send");
        self.out.flush().expect("flush");
        self.reply()
    }

    /// EPSV, then RETR `name` over the announced port on `host`; returns the data.
    fn epsv_retr(&mut self, host: &str, name: &str) -> Vec<u8> {
        let epsv = self.command("EPSV");
        assert_eq!(epsv.code.0, 229, "{epsv}");
        let port = ftp_core::addr::parse_epsv_reply(&epsv.text()).expect("229 port");
        let mut data = TcpStream::connect((host, port)).expect("data connection");
        assert_eq!(self.command(&format!("RETR {name}")).code.0, 150);
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes).expect("data");
        assert_eq!(self.reply().code.0, 226);
        bytes
    }
}

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

/// `--inetd` with stdin/stdout as pipes: the session acts as if the client
/// were on 127.0.0.1.
#[test]
fn inetd_mode_on_pipes() {
    let scratch = TempDir::new("ftp-server-e2e-inetd");
    fs::write(scratch.path().join("a.txt"), b"from inetd").expect("write");
    let mut child = KillOnDrop(
        Command::new(program("ftp-server"))
            .args(run_as_this_user())
            .arg("--inetd")
            .arg("--root")
            .arg(scratch.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ftp-server starts"),
    );
    let stdin = child.0.stdin.take().expect("stdin");
    let stdout = child.0.stdout.take().expect("stdout");
    let mut control = Control::new(stdout, stdin);
    assert_eq!(control.reply().code.0, 220);
    assert_eq!(control.command("USER anonymous").code.0, 331);
    assert_eq!(control.command("PASS x").code.0, 230);
    assert_eq!(control.epsv_retr("127.0.0.1", "a.txt"), b"from inetd");
    assert_eq!(control.command("QUIT").code.0, 221);
    assert!(exits_cleanly(&mut child));
}

/// `--inetd` on a socketpair (socat `EXEC:`, stunnel `exec=`): the client's
/// address cannot be known, so PORT and EPRT are refused with a reply that
/// says why — before, EPRT to a service on 127.0.0.1 was accepted and the
/// file delivered there (a bounce into localhost) — while passive transfers
/// work; and the idle timeout ends a silent session, which a pipe could not.
#[test]
fn inetd_on_a_socketpair_refuses_active_mode_and_times_out() {
    let scratch = TempDir::new("ftp-server-e2e-inetd-pair");
    fs::write(scratch.path().join("a.txt"), b"from a pair").expect("write");
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socketpair");
    let theirs = OwnedFd::from(theirs);
    let theirs_out = theirs.try_clone().expect("dup");
    let mut child = KillOnDrop(
        Command::new(program("ftp-server"))
            .args(run_as_this_user())
            .args(["--inetd", "--idle-timeout", "2", "--root"])
            .arg(scratch.path())
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::from(theirs_out))
            .stderr(Stdio::null())
            .spawn()
            .expect("ftp-server starts"),
    );
    ours.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut control = Control::new(ours.try_clone().expect("clone"), ours);
    assert_eq!(control.reply().code.0, 220);
    assert_eq!(control.command("USER anonymous").code.0, 331);
    assert_eq!(control.command("PASS x").code.0, 230);
    let victim = TcpListener::bind("127.0.0.1:0").expect("a loopback service");
    let port = victim.local_addr().expect("addr").port();
    for command in [
        format!("EPRT |1|127.0.0.1|{port}|"),
        format!("PORT 127,0,0,1,{},{}", port >> 8, port & 0xff),
    ] {
        let reply = control.command(&command);
        assert_eq!(reply.code.0, 502, "{command} -> {reply}");
        assert!(reply.to_string().contains("PASV or EPSV"), "{reply}");
    }
    assert_eq!(control.epsv_retr("127.0.0.1", "a.txt"), b"from a pair");
    let started = Instant::now();
    let reply = control.reply();
    assert_eq!(reply.code.0, 421, "{reply}");
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
    let mut child = KillOnDrop(
        Command::new(program("ftp-server"))
            .args(run_as_this_user())
            .args(["--inetd", "-v", "--root"])
            .arg(scratch.path())
            .stdin(Stdio::from(socket))
            .stdout(Stdio::from(socket_out))
            .stderr(Stdio::from(socket_err))
            .spawn()
            .expect("ftp-server starts"),
    );
    let mut control = Control::new(client.try_clone().expect("clone"), client);
    assert_eq!(control.reply().code.0, 220);
    assert_eq!(control.command("USER ftp").code.0, 331);
    assert_eq!(control.command("PASS x").code.0, 230);
    assert_eq!(
        control.command("PASV").code.0,
        425,
        "an IPv6 control connection"
    );
    assert_eq!(control.epsv_retr("::1", "a.txt"), b"from a socket");
    assert_eq!(control.command("QUIT").code.0, 221);
    assert!(exits_cleanly(&mut child));
}

/// The address printed at startup answers with a 220 greeting (no peer needed).
#[test]
fn the_listening_line_names_a_reachable_address() {
    let server = Server::start(&[]);
    let stream = TcpStream::connect(server.addr()).expect("connect");
    let mut control = Control::new(stream.try_clone().expect("clone"), stream);
    let greeting = control.reply();
    assert_eq!(greeting.code.0, 220, "{greeting}");
    assert_eq!(control.command("QUIT").code.0, 221);
}
