//! Third-party FTP servers started on loopback for the tests: vsftpd,
//! pyftpdlib, ProFTPD and Pure-FTPd.
//!
//! Each starter writes a generated configuration into a scratch directory,
//! starts the server on a port the OS picked, on the IPv4 or IPv6 loopback
//! address the caller chose, waits until it answers with a 220 greeting, and
//! returns a [`Peer`] guard that kills it and carries the login to use. A
//! missing program follows [`crate::peer_available`]: skipped with a message on
//! a laptop, a failure in CI.
//!
//! Versions CI installs (Debian 12): vsftpd 3.0.3-13+b2, pyftpdlib 2.2.0 from
//! pip (Debian's python3-pyftpdlib 1.5.7-3 on a machine whose `python3` is
//! Debian's), ProFTPD 1.3.8 (proftpd-core 1.3.8+dfsg-4+deb12u5) and Pure-FTPd
//! 1.0.50 (pure-ftpd 1.0.50-2.1+b2). `.ci/run` prints them on every run.
//!
//! For FTPS ([`vsftpd_tls`] for [`vsftpd_with`], [`pyftpdlib_with`],
//! [`proftpd_tls`], [`pure_ftpd_tls`]), each with TLS required: vsftpd and
//! Pure-FTPd have TLS built in, pyftpdlib's `TLS_FTPHandler` needs pyOpenSSL,
//! and ProFTPD's mod_tls is Debian's proftpd-mod-crypto, unpacked beside
//! proftpd-core and loaded with `LoadModule`.
//!
//! A server started for implicit FTPS is ready when it accepts connections
//! (its greeting comes after a TLS handshake).
//!
//! It does not install anything: `.ci/run` does. ProFTPD and Pure-FTPd are
//! unpacked rather than installed there (their Debian packages conflict with
//! vsftpd's) and found on `PATH` like the others.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use crate::{peer_available, KillOnDrop, TempDir};

/// A running third-party server; killed when dropped.
#[derive(Debug)]
pub struct Peer {
    /// The control address it listens on.
    pub addr: SocketAddr,
    /// The user name that logs in with read and write access to the served root.
    pub user: String,
    /// The password for [`Peer::user`] (any password for an anonymous login).
    pub password: String,
    _process: KillOnDrop,
    _scratch: Option<TempDir>,
}

impl Peer {
    /// The process id of the server (its parent process, for servers that
    /// fork one process per session).
    pub fn pid(&self) -> u32 {
        self._process.0.id()
    }
}

/// The virtual user ProFTPD and Pure-FTPd let in.
const VIRTUAL_USER: &str = "peer";

/// The password of [`VIRTUAL_USER`].
const VIRTUAL_PASSWORD: &str = "peer-secret";

/// [`VIRTUAL_PASSWORD`] as a SHA-512 crypt(3) hash, the form both servers'
/// password files take; made with `openssl passwd -6 -salt peersalt peer-secret`.
const VIRTUAL_PASSWORD_HASH: &str =
    "$6$peersalt$8P1QoOG.ubUvKVr57o75JDqSHvYH4Z7WaO4u2Z90HQWKb8Zt4SiOqHGlMueuyEmO6up4hld.DzK2qHV5PPzAu/";

/// How many ports the passive range of ProFTPD and Pure-FTPd spans. Pure-FTPd
/// admits at most half as many clients at once as its range has ports.
const PASSIVE_PORTS: u16 = 32;

/// The user and group id of `nobody`/`nogroup` on Debian.
const NOBODY: u32 = 65534;

/// A port that was free a moment ago on `ip` (the OS picked it).
fn free_port(ip: IpAddr) -> u16 {
    let listener = TcpListener::bind((ip, 0)).expect("loopback can bind port 0");
    listener
        .local_addr()
        .expect("a bound socket has an address")
        .port()
}

/// Where servers that need a fixed block of ports (a control port and a
/// passive range, for ProFTPD and Pure-FTPd) get it: below Linux's ephemeral
/// range (32768-60999), so that the thousands of TIME_WAIT connections other
/// tests leave behind cannot crowd them out. No other test uses these ports.
const FIXED_PORTS: std::ops::Range<u16> = 20000..32000;

/// The first of `count` consecutive ports in [`FIXED_PORTS`] that were all free
/// a moment ago on `ip`. Each call starts at a different block, so servers
/// started at the same time by one test process do not pick the same one.
fn free_ports(ip: IpAddr, count: u16) -> u16 {
    static NEXT_BLOCK: AtomicU16 = AtomicU16::new(0);
    let start =
        (std::process::id() as u16).wrapping_add(NEXT_BLOCK.fetch_add(1, Ordering::Relaxed));
    first_free_block(ip, count, start)
}

/// The first block of `count` ports in [`FIXED_PORTS`], counting from block
/// number `start` (wrapping), whose ports could all be bound on `ip` a moment
/// ago. Another program may take one of them before the caller binds it: the
/// ports are only as free as the machine lets them stay.
fn first_free_block(ip: IpAddr, count: u16, start: u16) -> u16 {
    let blocks = (FIXED_PORTS.end - FIXED_PORTS.start) / count;
    for step in 0..blocks {
        let first = FIXED_PORTS.start + (start.wrapping_add(step) % blocks) * count;
        if (first..first + count).all(|port| TcpListener::bind((ip, port)).is_ok()) {
            return first;
        }
    }
    panic!("found no {count} consecutive free ports in {FIXED_PORTS:?} on {ip}");
}

/// The control port and the passive port range right above it, all free a
/// moment ago on `ip`.
fn control_and_passive_ports(ip: IpAddr) -> (u16, u16, u16) {
    let control = free_ports(ip, PASSIVE_PORTS + 1);
    (control, control + 1, control + PASSIVE_PORTS)
}

/// Whether `program` is on `PATH`, following [`peer_available`].
fn installed(program: &str) -> bool {
    peer_available(
        program,
        Command::new("sh").args(["-c", &format!("command -v {program}")]),
    )
}

/// The user and group owning `path`.
fn owner(path: &Path) -> (u32, u32) {
    let metadata = std::fs::metadata(path).expect("the served root exists");
    (metadata.uid(), metadata.gid())
}

/// Gives `path` and everything under it (symbolic links themselves, not their
/// targets) to `uid`:`gid`.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if std::fs::symlink_metadata(path)?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// Writes `contents` to `path`, readable and writable by its owner only
/// (ProFTPD refuses a world-readable password file).
fn write_private(path: &Path, contents: &str) {
    std::fs::write(path, contents).expect("scratch dir is writable");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .expect("the file was just written");
}

/// Waits until `addr` answers with a `220` greeting.
fn wait_for_greeting(addr: SocketAddr, process: &mut KillOnDrop) {
    wait_until_ready(addr, process, true);
}

/// Waits until `addr` answers with a `220` greeting (`clear`), or only
/// accepts connections (implicit FTPS, whose greeting comes after a TLS
/// handshake).
fn wait_until_ready(addr: SocketAddr, process: &mut KillOnDrop, clear: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = process.0.try_wait() {
            panic!("the server at {addr} exited early: {status}");
        }
        if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            if !clear {
                return;
            }
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

/// Runs `command` (a server that stays in the foreground), waits for its
/// greeting on `addr` and wraps it in a [`Peer`] that logs in as `user`.
fn start(command: Command, addr: SocketAddr, user: &str, password: &str, scratch: TempDir) -> Peer {
    start_when(command, addr, user, password, scratch, true)
}

/// [`start`], waiting for a greeting when `clear`, else only for the server
/// to accept connections (see [`wait_until_ready`]).
fn start_when(
    mut command: Command,
    addr: SocketAddr,
    user: &str,
    password: &str,
    scratch: TempDir,
    clear: bool,
) -> Peer {
    command.stdin(Stdio::null()).stdout(Stdio::null());
    let mut process = KillOnDrop(command.spawn().expect("the server starts"));
    wait_until_ready(addr, &mut process, clear);
    Peer {
        addr,
        user: user.into(),
        password: password.into(),
        _process: process,
        _scratch: Some(scratch),
    }
}

/// Starts vsftpd serving `root` to anonymous users with full write access,
/// listening on `ip` (127.0.0.1 or ::1). `None` when vsftpd is missing and the
/// tests may skip it.
///
/// vsftpd runs as the user that starts it (`run_as_launching_user`), so the tests
/// need no system accounts; its seccomp sandbox is off because some container
/// sandboxes refuse it.
pub fn vsftpd(root: &Path, ip: IpAddr) -> Option<Peer> {
    vsftpd_with(root, ip, "")
}

/// [`vsftpd`] with `extra` lines (`name=value\n` each) appended to its
/// configuration, e.g. `max_per_ip=0\n` to lift its limit of 50 sessions from
/// one address.
pub fn vsftpd_with(root: &Path, ip: IpAddr, extra: &str) -> Option<Peer> {
    if !installed("vsftpd") {
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
         vsftpd_log_file={log}\n{extra}",
        empty = empty.display(),
        root = root.display(),
        log = scratch.path().join("vsftpd.log").display(),
    );
    let config_path = scratch.path().join("vsftpd.conf");
    std::fs::write(&config_path, config).expect("scratch dir is writable");
    let mut command = Command::new("vsftpd");
    command.arg(&config_path);
    let addr = SocketAddr::new(ip, port);
    let clear = !extra.contains("implicit_ssl=YES");
    Some(start_when(
        command,
        addr,
        "anonymous",
        "peer@",
        scratch,
        clear,
    ))
}

/// vsftpd's FTPS settings for [`vsftpd_with`]: the certificate and key,
/// TLS forced for logins and data (anonymous and local), and data
/// connections that must resume the control connection's TLS session
/// (`require_ssl_reuse`); `implicit`: TLS from the first byte.
pub fn vsftpd_tls(cert: &Path, key: &Path, implicit: bool) -> String {
    format!(
        "ssl_enable=YES\nallow_anon_ssl=YES\nforce_anon_logins_ssl=YES\n\
         force_anon_data_ssl=YES\nforce_local_logins_ssl=YES\nforce_local_data_ssl=YES\n\
         require_ssl_reuse=YES\nrsa_cert_file={}\nrsa_private_key_file={}\n{}",
        cert.display(),
        key.display(),
        if implicit { "implicit_ssl=YES\n" } else { "" }
    )
}

/// The pyftpdlib server as a small inline script: one user with full rights
/// on `root`, listening on `ip`, printing its port when ready; with a
/// certificate and key after the password, FTPS required (`TLS_FTPHandler`).
const PYFTPDLIB_SCRIPT: &str = r#"
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
ip, root, user, password = sys.argv[1:5]
Handler = FTPHandler
if len(sys.argv) > 5:
    from pyftpdlib.handlers import TLS_FTPHandler as Handler
    Handler.certfile, Handler.keyfile = sys.argv[5:7]
    Handler.tls_control_required = Handler.tls_data_required = True
authorizer = DummyAuthorizer()
authorizer.add_user(user, password, root, perm="elradfmwMT")
Handler.authorizer = authorizer
server = FTPServer((ip, 0), Handler)
print("listening on port", server.address[1], flush=True)
server.serve_forever()
"#;

/// Starts pyftpdlib serving `root` to `user`/`password` (full rights) on `ip`.
/// `None` when pyftpdlib is missing and the tests may skip it.
pub fn pyftpdlib(root: &Path, ip: IpAddr, user: &str, password: &str) -> Option<Peer> {
    pyftpdlib_with(root, ip, user, password, &[])
}

/// [`pyftpdlib`] with `tls` (a certificate and its key, PEM) for FTPS
/// required on control and data (`TLS_FTPHandler`, which needs pyOpenSSL),
/// or none.
pub fn pyftpdlib_with(
    root: &Path,
    ip: IpAddr,
    user: &str,
    password: &str,
    tls: &[&Path],
) -> Option<Peer> {
    let check = if tls.is_empty() {
        "import pyftpdlib"
    } else {
        "import pyftpdlib, OpenSSL"
    };
    if !peer_available("pyftpdlib", Command::new("python3").args(["-c", check])) {
        return None;
    }
    let mut command = Command::new("python3");
    command
        .args(["-c", PYFTPDLIB_SCRIPT, &ip.to_string()])
        .arg(root)
        .args([user, password])
        .args(tls)
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
        user: user.into(),
        password: password.into(),
        _process: process,
        _scratch: None,
    })
}

/// ProFTPD's configuration: a standalone server bound to `ip` only, one
/// virtual user from the generated `scratch/passwd` jailed in its home, writes
/// and restarted transfers allowed, every log and state file in `scratch`.
fn proftpd_config(ip: IpAddr, ports: (u16, u16, u16), scratch: &Path) -> String {
    let (control, passive_first, passive_last) = ports;
    let scratch = scratch.display();
    format!(
        "ServerType standalone\nServerName \"ftp-tests ProFTPD\"\n\
         UseIPv6 on\nDefaultAddress {ip}\nSocketBindTight on\nPort {control}\n\
         PassivePorts {passive_first} {passive_last}\n\
         PidFile {scratch}/proftpd.pid\nScoreboardFile {scratch}/proftpd.scoreboard\n\
         SystemLog {scratch}/proftpd.log\nDelayTable none\nWtmpLog off\nTransferLog none\n\
         UseReverseDNS off\n\
         AuthOrder mod_auth_file.c\nAuthUserFile {scratch}/passwd\n\
         AuthGroupFile {scratch}/group\nRequireValidShell off\nRootLogin on\n\
         DefaultRoot ~\nUmask 022\nAllowOverwrite on\n\
         AllowRetrieveRestart on\nAllowStoreRestart on\n"
    )
}

/// Starts ProFTPD serving `root` on `ip` to the virtual user in
/// [`Peer::user`], who reads and writes `root` (jailed in it) as the owner of
/// `root`. `None` when ProFTPD is missing and the tests may skip it.
///
/// Users come only from a generated password file (`mod_auth_file`), so no
/// system account or PAM is involved; when the owner of `root` is the
/// superuser, `RootLogin on` lets that user in. The passive range is the 32
/// ports above the control port.
pub fn proftpd(root: &Path, ip: IpAddr) -> Option<Peer> {
    proftpd_with(root, ip, "")
}

/// [`proftpd`] with `extra` configuration lines appended, e.g. mod_tls's.
pub fn proftpd_with(root: &Path, ip: IpAddr, extra: &str) -> Option<Peer> {
    if !installed("proftpd") {
        return None;
    }
    let scratch = TempDir::new("proftpd");
    let (uid, gid) = owner(root);
    let passwd = format!(
        "{VIRTUAL_USER}:{VIRTUAL_PASSWORD_HASH}:{uid}:{gid}::{}:/bin/false\n",
        root.display()
    );
    write_private(&scratch.path().join("passwd"), &passwd);
    write_private(
        &scratch.path().join("group"),
        &format!("{VIRTUAL_USER}:x:{gid}:\n"),
    );
    let ports = control_and_passive_ports(ip);
    let config_path = scratch.path().join("proftpd.conf");
    let config = proftpd_config(ip, ports, scratch.path()) + extra;
    std::fs::write(&config_path, config).expect("scratch dir is writable");
    let mut command = Command::new("proftpd");
    // -n: stay in the foreground; -q: log only to the SystemLog (fatal
    // configuration errors still reach stderr).
    command.args(["-n", "-q", "-c"]).arg(&config_path);
    let addr = SocketAddr::new(ip, ports.0);
    Some(start(
        command,
        addr,
        VIRTUAL_USER,
        VIRTUAL_PASSWORD,
        scratch,
    ))
}

/// Where ProFTPD's mod_tls may be: Debian's own place, or where
/// `.ci/install-peers` unpacks it.
const PROFTPD_MODULE_DIRS: &[&str] = &[
    "/opt/ftp-peers/proftpd-mod-crypto/usr/lib/proftpd",
    "/usr/lib/proftpd",
];

/// The directory holding ProFTPD's `mod_tls.so`, if there is one.
pub fn proftpd_tls_module_dir() -> Option<&'static str> {
    PROFTPD_MODULE_DIRS
        .iter()
        .copied()
        .find(|dir| Path::new(dir).join("mod_tls.so").is_file())
}

/// [`proftpd`] with mod_tls loaded, the certificate `cert` and its `key`,
/// and TLS required as `required` says (`TLSRequired`: `on`, or
/// `auth+data`, which allows CCC); data connections must resume the
/// control connection's TLS session, as mod_tls wants by default. `None`
/// (skipped, or a failure under `FTP_TESTS_REQUIRE_PEERS`) without ProFTPD
/// or its mod_tls.
pub fn proftpd_tls(
    root: &Path,
    ip: IpAddr,
    (cert, key): (&Path, &Path),
    required: &str,
) -> Option<Peer> {
    let found = proftpd_tls_module_dir();
    let mut check = Command::new("test");
    check.args(["-n", found.unwrap_or_default()]);
    if !peer_available("ProFTPD's mod_tls", &mut check) {
        return None;
    }
    let extra = format!(
        "ModulePath {dir}\nLoadModule mod_tls.c\n<IfModule mod_tls.c>\nTLSEngine on\n\
         TLSProtocol TLSv1.2 TLSv1.3\nTLSRequired {required}\nTLSRSACertificateFile {cert}\n\
         TLSRSACertificateKeyFile {key}\n</IfModule>\n",
        dir = found.expect("checked"),
        cert = cert.display(),
        key = key.display(),
    );
    proftpd_with(root, ip, &extra)
}

/// The account Pure-FTPd's virtual user acts as: the owner of `root`, unless
/// that is the superuser, whom Pure-FTPd never lets in; then `root` and
/// everything under it is handed to `nobody` first.
fn pure_ftpd_account(root: &Path) -> (u32, u32) {
    let (uid, gid) = owner(root);
    if uid != 0 {
        return (uid, gid);
    }
    chown_tree(root, NOBODY, NOBODY).expect("the superuser can give the served root away");
    (NOBODY, NOBODY)
}

/// Writes Pure-FTPd's user database into `scratch`: one virtual user jailed in
/// `root` (the `/./` suffix) acting as `uid`:`gid`. Returns its path.
fn pure_ftpd_users(scratch: &Path, root: &Path, (uid, gid): (u32, u32)) -> std::path::PathBuf {
    let passwd = scratch.join("pureftpd.passwd");
    let line = format!(
        "{VIRTUAL_USER}:{VIRTUAL_PASSWORD_HASH}:{uid}:{gid}::{}/./::::::::::::\n",
        root.display()
    );
    std::fs::write(&passwd, line).expect("scratch dir is writable");
    let database = scratch.join("pureftpd.pdb");
    let status = Command::new("pure-pw")
        .arg("mkdb")
        .arg(&database)
        .arg("-f")
        .arg(&passwd)
        .stdin(Stdio::null())
        .status()
        .expect("pure-pw runs");
    assert!(status.success(), "pure-pw mkdb failed: {status}");
    database
}

/// Starts Pure-FTPd serving `root` on `ip` to the virtual user in
/// [`Peer::user`], who reads and writes `root` (jailed in it). `None` when
/// Pure-FTPd or its `pure-pw` tool is missing and the tests may skip it.
///
/// Anonymous access in Pure-FTPd needs a system `ftp` account, so a virtual
/// user from a generated PureDB file is used instead, and anonymous logins are
/// refused. Pure-FTPd never lets a user act as the superuser: when the
/// superuser owns `root`, the whole tree is given to `nobody` (65534:65534)
/// before the server starts, so create the fixtures before calling this and
/// expect uploaded files to belong to `nobody`. The passive range is the 32
/// ports above the control port, which caps Pure-FTPd at 16 clients at once.
pub fn pure_ftpd(root: &Path, ip: IpAddr) -> Option<Peer> {
    pure_ftpd_with(root, ip, &[])
}

/// [`pure_ftpd`] with `extra` arguments, e.g. `-Y 2 -2 CERTFILE` for FTPS.
pub fn pure_ftpd_with(root: &Path, ip: IpAddr, extra: &[&std::ffi::OsStr]) -> Option<Peer> {
    if !installed("pure-ftpd") || !installed("pure-pw") {
        return None;
    }
    let scratch = TempDir::new("pure-ftpd");
    let database = pure_ftpd_users(scratch.path(), root, pure_ftpd_account(root));
    let (control, passive_first, passive_last) = control_and_passive_ports(ip);
    let mut command = Command::new("pure-ftpd");
    // -E: no anonymous logins; -H: no reverse DNS; -f none: no syslog.
    command
        .arg("-S")
        .arg(format!("{ip},{control}"))
        .arg("-l")
        .arg(format!("puredb:{}", database.display()))
        .arg("-p")
        .arg(format!("{passive_first}:{passive_last}"))
        .arg("-g")
        .arg(scratch.path().join("pure-ftpd.pid"))
        .args(["-E", "-H", "-f", "none"])
        .args(extra);
    let addr = SocketAddr::new(ip, control);
    Some(start(
        command,
        addr,
        VIRTUAL_USER,
        VIRTUAL_PASSWORD,
        scratch,
    ))
}

/// [`pure_ftpd`] with TLS required on control and data connections
/// (`-Y 2`), with `cert_and_key`: the certificate and its key in one PEM
/// file, as Pure-FTPd wants them.
pub fn pure_ftpd_tls(root: &Path, ip: IpAddr, cert_and_key: &Path) -> Option<Peer> {
    pure_ftpd_with(
        root,
        ip,
        &[
            "-Y".as_ref(),
            "2".as_ref(),
            "-2".as_ref(),
            cert_and_key.as_os_str(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// A block with a port in use is skipped. The test holds that port
    /// itself, so it does not depend on what else the machine is doing (an
    /// earlier version bound the returned ports again and failed whenever
    /// another program took one in between).
    #[test]
    fn a_block_with_a_port_in_use_is_skipped() {
        const COUNT: u16 = 8;
        for ip in [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ] {
            let start = std::process::id() as u16;
            let blocks = (FIXED_PORTS.end - FIXED_PORTS.start) / COUNT;
            let busy_first = FIXED_PORTS.start + (start % blocks) * COUNT;
            // Hold a port of the starting block, unless another program
            // already does: either way the block is busy.
            let _held: Vec<TcpListener> = (busy_first..busy_first + COUNT)
                .filter_map(|port| TcpListener::bind((ip, port)).ok())
                .take(1)
                .collect();
            let first = first_free_block(ip, COUNT, start);
            assert_ne!(first, busy_first, "the busy block was chosen on {ip}");
            assert!(FIXED_PORTS.contains(&first) && FIXED_PORTS.contains(&(first + COUNT - 1)));
            assert_eq!(
                (first - FIXED_PORTS.start) % COUNT,
                0,
                "{first} is not a block's first port"
            );
        }
    }

    #[test]
    fn proftpd_config_binds_only_the_chosen_address() {
        let config = proftpd_config(
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            (4000, 4001, 4032),
            Path::new("/scratch"),
        );
        for line in [
            "DefaultAddress ::1\n",
            "SocketBindTight on\n",
            "Port 4000\n",
            "PassivePorts 4001 4032\n",
            "AuthUserFile /scratch/passwd\n",
            "ScoreboardFile /scratch/proftpd.scoreboard\n",
        ] {
            assert!(config.contains(line), "missing {line:?} in:\n{config}");
        }
    }
}
