//! Third-party FTP servers started on loopback for the tests: vsftpd and
//! pyftpdlib.
//!
//! Each starter writes a generated configuration into a scratch directory,
//! starts the server on a port the OS picked, waits until it answers with a 220
//! greeting, and returns a guard that kills it. A missing program follows
//! [`crate::peer_available`]: skipped with a message on a laptop, a failure in CI.
//!
//! It does not install anything: `.ci/run` does.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{peer_available, KillOnDrop, TempDir};

/// A running third-party server; killed when dropped.
#[derive(Debug)]
pub struct Peer {
    /// The control address it listens on.
    pub addr: SocketAddr,
    _process: KillOnDrop,
    _scratch: Option<TempDir>,
}

/// A port that was free a moment ago on `ip` (the OS picked it).
fn free_port(ip: IpAddr) -> u16 {
    let listener = TcpListener::bind((ip, 0)).expect("loopback can bind port 0");
    listener
        .local_addr()
        .expect("a bound socket has an address")
        .port()
}

/// Waits until `addr` answers with a `220` greeting.
fn wait_for_greeting(addr: SocketAddr, process: &mut KillOnDrop) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = process.0.try_wait() {
            panic!("the server at {addr} exited early: {status}");
        }
        if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut greeting = String::new();
            if BufReader::new(stream).read_line(&mut greeting).is_ok()
                && greeting.starts_with("220")
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no 220 greeting from {addr} within 10 s");
}

/// Starts vsftpd serving `root` to anonymous users with full write access,
/// listening on `ip` (127.0.0.1 or ::1). `None` when vsftpd is missing and the
/// tests may skip it.
///
/// vsftpd runs as the user that starts it (`run_as_launching_user`), so the tests
/// need no system accounts; its seccomp sandbox is off because some container
/// sandboxes refuse it.
pub fn vsftpd(root: &Path, ip: IpAddr) -> Option<Peer> {
    if !peer_available(
        "vsftpd",
        Command::new("sh").args(["-c", "command -v vsftpd"]),
    ) {
        return None;
    }
    let scratch = TempDir::new("vsftpd");
    let empty = scratch.path().join("empty");
    std::fs::create_dir(&empty).expect("scratch dir is writable");
    let port = free_port(ip);
    let listen = match ip {
        IpAddr::V4(v4) => format!("listen=YES\nlisten_ipv6=NO\nlisten_address={v4}\n"),
        IpAddr::V6(v6) => format!("listen=NO\nlisten_ipv6=YES\nlisten_address6={v6}\n"),
    };
    let config = format!(
        "{listen}listen_port={port}\nbackground=NO\nrun_as_launching_user=YES\n\
         seccomp_sandbox=NO\nsecure_chroot_dir={empty}\n\
         anonymous_enable=YES\nno_anon_password=YES\nanon_root={root}\nlocal_enable=NO\n\
         write_enable=YES\nanon_upload_enable=YES\nanon_mkdir_write_enable=YES\n\
         anon_other_write_enable=YES\nanon_umask=022\n\
         port_enable=YES\npasv_enable=YES\nxferlog_enable=NO\n\
         vsftpd_log_file={log}\n",
        empty = empty.display(),
        root = root.display(),
        log = scratch.path().join("vsftpd.log").display(),
    );
    let config_path = scratch.path().join("vsftpd.conf");
    std::fs::write(&config_path, config).expect("scratch dir is writable");
    let mut command = Command::new("vsftpd");
    command
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let mut process = KillOnDrop(command.spawn().expect("vsftpd starts"));
    let addr = SocketAddr::new(ip, port);
    wait_for_greeting(addr, &mut process);
    Some(Peer {
        addr,
        _process: process,
        _scratch: Some(scratch),
    })
}

/// The pyftpdlib server as a small inline script: one user with full rights
/// on `root`, listening on `ip`, printing its port when ready.
const PYFTPDLIB_SCRIPT: &str = r#"
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
ip, root, user, password = sys.argv[1:5]
authorizer = DummyAuthorizer()
authorizer.add_user(user, password, root, perm="elradfmwMT")
FTPHandler.authorizer = authorizer
server = FTPServer((ip, 0), FTPHandler)
print("listening on port", server.address[1], flush=True)
server.serve_forever()
"#;

/// Starts pyftpdlib serving `root` to `user`/`password` (full rights) on `ip`.
/// `None` when pyftpdlib is missing and the tests may skip it.
pub fn pyftpdlib(root: &Path, ip: IpAddr, user: &str, password: &str) -> Option<Peer> {
    if !peer_available(
        "pyftpdlib",
        Command::new("python3").args(["-c", "import pyftpdlib"]),
    ) {
        return None;
    }
    let mut command = Command::new("python3");
    command
        .args(["-c", PYFTPDLIB_SCRIPT, &ip.to_string()])
        .arg(root)
        .args([user, password])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let (mut process, line) =
        KillOnDrop::spawn_until(command, "listening on port", Duration::from_secs(10));
    let port = line
        .rsplit(' ')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("pyftpdlib prints its port");
    let addr = SocketAddr::new(ip, port);
    wait_for_greeting(addr, &mut process);
    Some(Peer {
        addr,
        _process: process,
        _scratch: None,
    })
}
