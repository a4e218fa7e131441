//! Our client × servers: the jobs of the second table.
//!
//! For each server (vsftpd, pyftpdlib, ProFTPD, Pure-FTPd and our
//! `ftp-server`), family and mode, a fresh server is started on a fresh root
//! and the `ftp-client` program runs batch sessions against it (`-n`, then
//! `user NAME PASSWORD` and the commands on stdin), with `-d --explain` so
//! that its trace shows every command and every data connection. Each cell
//! checks the files on both sides byte for byte, the exit status, and that
//! the data connections used the column's mode.
//!
//! The PASV and PORT columns check our client's fallback from EPSV and EPRT:
//! it talks to the server through the RFC 959 front of `front.rs`, which
//! refuses those two commands so that the client falls back.
//!
//! The same jobs make the second FTPS table (`ftps.rs`): each server then
//! has a certificate and requires TLS for logins and data, our client runs
//! with `--tls --cacert CA`, and each data connection must also show in its
//! trace as protected. The relay cannot read a control connection under
//! TLS, so there the PASV and PORT columns use the client's `epsv4 off`
//! instead, which makes it send PASV and PORT on IPv4 from the start.
//!
//! It does not start third-party servers itself: `ftp_tests::peers` does.

use std::any::Any;
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ftp_tests::certs::TestPki;
use ftp_tests::peers::{self, Peer};
use ftp_tests::{pattern, program, version_command, TempDir};

use crate::clients::{same_bytes, DOWNLOAD, RESUME_AT, UPLOAD};
use crate::exec::{run, Run};
use crate::front::Front;
use crate::matrix::{check_mode, check_protected, Family, Job, Mode, Op, Outcome, NO_IPV6_FORM};
use crate::our_server::{tls_options, OurServer, PASSWORD, USER};
use crate::rfc959_server;

/// The operations of the second table, in its order.
pub const OPS: &[Op] = &[Op::Login, Op::List, Op::Get, Op::Put, Op::Reget, Op::Files];

/// How long a server that fails to start is retried: a little more than the
/// 60 s a connection stays in TIME_WAIT on Linux.
const START_PATIENCE: Duration = Duration::from_secs(75);

/// The pause between two attempts to start a server.
const START_PAUSE: Duration = Duration::from_secs(3);

/// The file on the server that the `Files` cell renames and deletes.
const OLD_NAME: &str = "old.txt";

/// What [`OLD_NAME`] holds.
const OLD_TEXT: &[u8] = b"renamed, then deleted\n";

/// The servers of the second table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// vsftpd, anonymous with write access.
    Vsftpd,
    /// pyftpdlib, one user.
    Pyftpdlib,
    /// pyftpdlib without EPSV and EPRT (`rfc959_server.rs`).
    PyftpdlibRfc959,
    /// ProFTPD, one virtual user.
    Proftpd,
    /// Pure-FTPd, one virtual user.
    PureFtpd,
    /// Our `ftp-server`, one user.
    Ours,
}

impl Server {
    /// Every server, in table order.
    pub const ALL: [Server; 6] = [
        Server::Vsftpd,
        Server::Pyftpdlib,
        Server::PyftpdlibRfc959,
        Server::Proftpd,
        Server::PureFtpd,
        Server::Ours,
    ];

    /// Its name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Server::Vsftpd => "vsftpd",
            Server::Pyftpdlib => "pyftpdlib",
            Server::PyftpdlibRfc959 => "pyftpdlib without EPSV/EPRT",
            Server::Proftpd => "ProFTPD",
            Server::PureFtpd => "Pure-FTPd",
            Server::Ours => "ftp-server (ours)",
        }
    }

    /// Starts it on `family` serving `root` (already filled) as `setup`
    /// says, or `None` when a third-party server is missing.
    fn start(self, family: Family, root: &Path, setup: Setup) -> Option<Running> {
        let ip = family.loopback();
        let peer = |peer: Option<Peer>| {
            peer.map(|peer| {
                let (user, password) = (peer.user.clone(), peer.password.clone());
                Running::new(peer.addr, &user, &password, root, peer)
            })
        };
        match (self, setup) {
            (Server::Vsftpd, Setup::Clear { .. }) => peer(peers::vsftpd(root, ip)),
            (Server::Vsftpd, Setup::Ftps(pki)) => {
                let tls = peers::vsftpd_tls(&pki.cert(), &pki.key(), false);
                peer(peers::vsftpd_with(root, ip, &tls))
            }
            (Server::Pyftpdlib, Setup::Clear { .. }) => {
                peer(peers::pyftpdlib(root, ip, USER, PASSWORD))
            }
            (Server::Pyftpdlib, Setup::Ftps(pki)) => {
                let (cert, key) = (pki.cert(), pki.key());
                peer(peers::pyftpdlib_with(root, ip, USER, PASSWORD, &[&cert, &key]))
            }
            (Server::PyftpdlibRfc959, Setup::Clear { .. }) => Some(rfc959_server::start(root, ip)),
            (Server::PyftpdlibRfc959, Setup::Ftps(_)) => panic!("{} has no FTPS", self.name()),
            (Server::Proftpd, Setup::Clear { .. }) => peer(peers::proftpd(root, ip)),
            (Server::Proftpd, Setup::Ftps(pki)) => {
                peer(peers::proftpd_tls(root, ip, (&pki.cert(), &pki.key()), "on"))
            }
            (Server::PureFtpd, Setup::Clear { .. }) => peer(peers::pure_ftpd(root, ip)),
            (Server::PureFtpd, Setup::Ftps(pki)) => {
                peer(peers::pure_ftpd_tls(root, ip, &pki.cert_and_key()))
            }
            (Server::Ours, setup) => Some(Running::ours(family, root, setup)),
        }
    }

    /// A command that succeeds only when the server is installed.
    pub fn probe(self) -> Command {
        shell(match self {
            Server::Vsftpd => "command -v vsftpd",
            Server::Pyftpdlib | Server::PyftpdlibRfc959 => "python3 -c 'import pyftpdlib'",
            Server::Proftpd => "command -v proftpd",
            Server::PureFtpd => "command -v pure-ftpd && command -v pure-pw",
            Server::Ours => "true",
        })
    }

    /// A command that prints its version.
    pub fn version_command(self) -> Command {
        match self {
            // vsftpd writes its version to standard input's descriptor.
            Server::Vsftpd => shell("vsftpd -v 0>&1"),
            Server::Pyftpdlib | Server::PyftpdlibRfc959 => {
                shell("python3 -c 'import pyftpdlib; print(\"pyftpdlib\", pyftpdlib.__ver__)'")
            }
            Server::Proftpd => shell("proftpd --version"),
            Server::PureFtpd => shell("pure-ftpd --help"),
            Server::Ours => version_command(program("ftp-server")),
        }
    }

    /// Why `family` × `mode` cannot be checked with this server, if so.
    fn unsupported(self, family: Family, mode: Mode) -> Option<&'static str> {
        match (family, mode.is_ipv4_only(), self) {
            (Family::V6, true, _) => Some(NO_IPV6_FORM),
            (_, false, Server::PyftpdlibRfc959) => {
                Some("this server has no EPSV and EPRT: its point is the PASV and PORT fallback")
            }
            (Family::V6, false, _) | (Family::V4, _, _) => None,
        }
    }

    /// Whether it must refuse EPSV and EPRT for our client to use PASV and
    /// PORT: in those columns, unless it refuses them anyway.
    fn must_refuse_extended(self, mode: Mode) -> bool {
        mode.is_ipv4_only() && self != Server::PyftpdlibRfc959
    }

    /// Whether our client must reach it through the relay that refuses EPSV
    /// and EPRT: when it must refuse them and cannot be told to (ours can).
    fn needs_front(self, mode: Mode) -> bool {
        self.must_refuse_extended(mode) && self != Server::Ours
    }

    /// Whether its login takes any password (vsftpd's anonymous login), so
    /// the login check refuses a wrong user name instead.
    fn is_anonymous(self) -> bool {
        self == Server::Vsftpd
    }
}

/// How a server is started for a job.
#[derive(Clone, Copy)]
pub enum Setup<'a> {
    /// In the clear; with `rfc959`, ours is told to refuse EPSV and EPRT
    /// (`--quirk no-epsv,no-eprt`); the others need the relay of `front.rs`
    /// for that.
    Clear {
        /// Refuse EPSV and EPRT.
        rfc959: bool,
    },
    /// For FTPS with the certificate of this PKI, TLS required for logins
    /// and data connections.
    Ftps(&'a TestPki),
}

/// A started server, whichever it is.
pub struct Running {
    /// Its control address.
    pub addr: SocketAddr,
    /// The user to log in as.
    pub user: String,
    /// That user's password.
    pub password: String,
    /// The directory it serves.
    pub root: PathBuf,
    /// The server's process guard ([`Peer`] or [`OurServer`]), which stops
    /// it when dropped.
    _guard: Box<dyn Any>,
}

impl Running {
    /// A server at `addr` that `user`/`password` logs in to, serving `root`,
    /// kept running by `guard` until dropped.
    pub fn new(
        addr: SocketAddr,
        user: &str,
        password: &str,
        root: &Path,
        guard: impl Any,
    ) -> Running {
        Running {
            addr,
            user: user.into(),
            password: password.into(),
            root: root.to_path_buf(),
            _guard: Box::new(guard),
        }
    }

    /// Our server on `family`, with the files of `root` copied into its own,
    /// as `setup` says.
    fn ours(family: Family, root: &Path, setup: Setup) -> Running {
        let mut options = vec!["--user".to_string(), format!("{USER}:{PASSWORD}:rw")];
        match setup {
            Setup::Clear { rfc959: true } => {
                options.extend(["--quirk".to_string(), "no-epsv,no-eprt".to_string()]);
            }
            Setup::Clear { rfc959: false } => {}
            Setup::Ftps(pki) => options.extend(tls_options(pki)),
        }
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        let server = OurServer::start(family, &options);
        let entries = std::fs::read_dir(root).expect("the fixtures' root is readable");
        for entry in entries.map(|entry| entry.expect("the fixtures' root is readable")) {
            std::fs::copy(
                entry.path(),
                server.file(&entry.file_name().to_string_lossy()),
            )
            .expect("the root is writable");
        }
        let (addr, root) = (server.addr, server.root());
        Running::new(addr, USER, PASSWORD, &root, server)
    }
}

/// The jobs of the second table for `server` (of the second FTPS table
/// with `pki`): every family × mode.
pub fn jobs(server: Server, pki: Option<Arc<TestPki>>) -> Vec<Job> {
    let mut jobs = Vec::new();
    for family in Family::ALL {
        for mode in Mode::ALL {
            let name = server.name();
            jobs.push(match server.unsupported(family, mode) {
                Some(reason) => Job::not_applicable(name, family, mode, OPS, reason),
                None => {
                    let pki = pki.clone();
                    Job {
                        peer: name,
                        family,
                        mode,
                        ops: OPS,
                        run: Box::new(move || run_job(server, family, mode, pki)),
                    }
                }
            });
        }
    }
    jobs
}

/// One job: `server` on `family` (for FTPS with `pki`), every operation in
/// `mode`.
fn run_job(server: Server, family: Family, mode: Mode, pki: Option<Arc<TestPki>>) -> Vec<(Op, Outcome)> {
    let root = TempDir::new("interop-root");
    let download = pattern(300_007, 21);
    let upload = pattern(200_003, 22);
    std::fs::write(root.path().join(DOWNLOAD), &download).expect("root is writable");
    std::fs::write(root.path().join(OLD_NAME), OLD_TEXT).expect("root is writable");
    let setup = match pki.as_deref() {
        Some(pki) => Setup::Ftps(pki),
        None => Setup::Clear {
            rfc959: server.must_refuse_extended(mode),
        },
    };
    let running = start_with_retries(server, family, root.path(), setup);
    let front = (pki.is_none() && server.needs_front(mode)).then(|| Front::start(running.addr));
    let session = Session {
        addr: front.as_ref().map_or(running.addr, |front| front.addr),
        running: &running,
        mode,
        local: TempDir::new("interop-local"),
        home: TempDir::new("interop-home"),
        wrong_user: server.is_anonymous(),
        ca: pki.map(|pki| pki.ca()),
    };
    std::fs::write(session.local.path().join(UPLOAD), &upload).expect("local is writable");
    OPS.iter()
        .map(|&op| {
            let outcome = match session.check(op, &download, &upload) {
                Ok(()) => Outcome::Pass,
                Err((reason, evidence)) => Outcome::fail(reason, evidence),
            };
            (op, outcome)
        })
        .collect()
}

/// Starts `server`, trying again a moment later when it fails to start, for
/// up to [`START_PATIENCE`]: ProFTPD and Pure-FTPd need a block of 33 free
/// consecutive ports, which the ephemeral range may lack while another test
/// (a benchmark, say) has left thousands of connections in TIME_WAIT.
pub fn start_with_retries(server: Server, family: Family, root: &Path, setup: Setup) -> Running {
    let deadline = Instant::now() + START_PATIENCE;
    while Instant::now() < deadline {
        match panic::catch_unwind(AssertUnwindSafe(|| server.start(family, root, setup))) {
            Ok(running) => return running.unwrap_or_else(|| missing(server)),
            Err(_) => thread::sleep(START_PAUSE),
        }
    }
    server
        .start(family, root, setup)
        .unwrap_or_else(|| missing(server))
}

/// Stops the job: the server was there when the matrix started.
fn missing(server: Server) -> Running {
    panic!("{} went missing", server.name())
}

/// Our client's sessions with one running server.
struct Session<'a> {
    addr: SocketAddr,
    running: &'a Running,
    mode: Mode,
    local: TempDir,
    home: TempDir,
    wrong_user: bool,
    /// For FTPS: the CA certificate the client trusts.
    ca: Option<PathBuf>,
}

/// Why a cell failed, and the evidence.
type Failure = (String, String);

impl Session<'_> {
    /// Runs `ftp-client -d --explain -n [-A] [--tls --cacert CA] host port`
    /// with `user NAME PASSWORD`, then (FTPS in PASV and PORT) `epsv4 off`,
    /// then `script`, then `bye` on its input.
    fn client(&self, user: &str, password: &str, script: &str) -> Run {
        let mut command = Command::new(program("ftp-client"));
        command.args(["-d", "--explain", "-n"]);
        if !self.mode.is_passive() {
            command.arg("-A");
        }
        if let Some(ca) = &self.ca {
            command.args(["--tls", "--cacert"]).arg(ca);
        }
        command
            .arg(self.addr.ip().to_string())
            .arg(self.addr.port().to_string());
        let rfc959 = match self.ca.is_some() && self.mode.is_ipv4_only() {
            true => "epsv4 off\n",
            false => "",
        };
        let input = format!("user {user} {password}\n{rfc959}{script}bye\n");
        run(command, self.local.path(), &self.home, &input)
    }

    /// Runs `script` logged in; the client must exit with status 0 and, if
    /// the script moves data, every data connection must use the mode.
    fn logged_in(&self, script: &str, moves_data: bool) -> Result<Run, Failure> {
        let run = self.client(&self.running.user, &self.running.password, script);
        let evidence = || run.transcript();
        if !run.success() {
            return Err(("the client reported an error".into(), evidence()));
        }
        if moves_data {
            check_mode(&run.stderr, self.mode).map_err(|reason| (reason, evidence()))?;
        }
        if moves_data && self.ca.is_some() {
            check_protected(&run.stderr, "data connection protected")
                .map_err(|reason| (reason, evidence()))?;
        }
        Ok(run)
    }

    /// Checks `op`.
    fn check(&self, op: Op, download: &[u8], upload: &[u8]) -> Result<(), Failure> {
        match op {
            Op::Login => self.check_login(),
            Op::List => {
                let run = self.logged_in("ls\n", true)?;
                expect(
                    run.stdout.contains(DOWNLOAD),
                    "the listing does not name the file",
                    &run,
                )
            }
            Op::Get => {
                let run = self.logged_in(&format!("get {DOWNLOAD} get.bin\n"), true)?;
                bytes(&self.local.path().join("get.bin"), download, &run)
            }
            Op::Put => {
                let run = self.logged_in(&format!("put {UPLOAD} put.bin\n"), true)?;
                bytes(&self.running.root.join("put.bin"), upload, &run)
            }
            Op::Reget => {
                let partial = self.local.path().join("reget.bin");
                std::fs::write(&partial, &download[..RESUME_AT]).expect("local is writable");
                let run = self.logged_in(&format!("reget {DOWNLOAD} reget.bin\n"), true)?;
                let rest = format!("---> REST {RESUME_AT}");
                expect(
                    run.stderr.contains(&rest),
                    "not resumed: no REST sent",
                    &run,
                )?;
                bytes(&partial, download, &run)
            }
            Op::Files => self.check_files(),
            Op::Reput => Err(("our client has no resumed upload".into(), String::new())),
        }
    }

    /// The right login works (`230`), a wrong one is refused (`530`, exit 1).
    fn check_login(&self) -> Result<(), Failure> {
        let good = self.logged_in("pwd\n", false)?;
        expect(good.stdout.contains("230"), "no 230 after the login", &good)?;
        let (user, password) = match self.wrong_user {
            true => ("no-such-user", "wrong"),
            false => (self.running.user.as_str(), "not-the-password"),
        };
        let bad = self.client(user, password, "");
        let refused = bad.code == Some(1) && bad.stdout.contains("530");
        expect(refused, "a wrong login was not refused with 530", &bad)
    }

    /// `mkdir` and `rename` into the new directory, then `delete` and
    /// `rmdir`, each pair checked on the server's disk.
    fn check_files(&self) -> Result<(), Failure> {
        let root = &self.running.root;
        let moved = root.join("newdir/moved.txt");
        let run = self.logged_in(
            &format!("mkdir newdir\nrename {OLD_NAME} newdir/moved.txt\n"),
            false,
        )?;
        bytes(&moved, OLD_TEXT, &run)?;
        expect(
            !root.join(OLD_NAME).exists(),
            "the old name is still there",
            &run,
        )?;
        let run = self.logged_in("delete newdir/moved.txt\nrmdir newdir\n", false)?;
        expect(
            !root.join("newdir").exists(),
            "the directory is still there",
            &run,
        )
    }
}

/// `sh -c script`.
fn shell(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

/// `Ok` if `condition` holds, else the failure with the run's transcript.
fn expect(condition: bool, reason: &str, run: &Run) -> Result<(), Failure> {
    match condition {
        true => Ok(()),
        false => Err((reason.into(), run.transcript())),
    }
}

/// `Ok` if the file at `path` holds `expected`.
fn bytes(path: &Path, expected: &[u8], run: &Run) -> Result<(), Failure> {
    same_bytes(path, expected).map_err(|reason| (reason, run.transcript()))
}
