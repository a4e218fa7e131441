//! The servers under test and the files they all serve.
//!
//! [`Fixture`] writes the files once, on tmpfs (`/dev/shm`) so that no disk
//! is measured: a big file, a middle-sized one for the concurrent downloads,
//! and a directory of small files. [`Server`] is one running server on a
//! loopback address of its own serving that directory read-write: ftp-server (the release build),
//! a baseline ftp-server (another build, to compare with), vsftpd or
//! pyftpdlib (started by [`ftp_tests::peers`]); it is stopped when dropped.
//! Given [`Certificates`], ftp-server (its build with the `tls` feature) and
//! vsftpd are started for FTPS instead, required on control and data, and
//! their [`Login`] carries the client's trust.
//!
//! It does not measure anything (see `workloads`).

use std::fs::File;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ftp_tests::peers::{self, Peer};
use ftp_tests::{pattern, run_as_this_user, KillOnDrop, TempDir};

use crate::ftps::{Certificates, Trust};
use crate::metrics::Build;
use crate::options::Sizes;
use crate::Failure;

/// The big file, at the root.
pub const BIG: &str = "big.bin";
/// The file every concurrent session downloads.
pub const MIDDLE: &str = "middle.bin";
/// The directory of small files.
pub const SMALL_DIR: &str = "small";
/// The tmpfs the files go to, when the machine has it.
const TMPFS: &str = "/dev/shm";
/// The user and password of ftp-server and pyftpdlib.
const USER: (&str, &str) = ("bench", "bench-secret");
/// vsftpd's session limits lifted (it allows 50 sessions per address by
/// default); ftp-server gets `--max-sessions` and `--max-per-ip`, and
/// pyftpdlib's defaults (512 sessions, none per address) are enough.
const VSFTPD_LIMITS: &str = "max_per_ip=0\nmax_clients=0\n";
/// The session limits ftp-server gets for every measurement but (l).
const USUAL: Limits = Limits {
    sessions: 2000,
    open_files: None,
};
/// Size of the pattern written over and over into the fixture files.
const CHUNK: usize = 1 << 20;

/// The served directory and the names in it.
#[derive(Debug)]
pub struct Fixture {
    root: TempDir,
    small: Vec<String>,
    chunk: Vec<u8>,
}

impl Fixture {
    /// Writes the files for `sizes` into a fresh directory on tmpfs (or the
    /// system's temporary directory when there is no `/dev/shm`).
    pub fn create(sizes: &Sizes) -> io::Result<Fixture> {
        let tmpfs = Path::new(TMPFS);
        let root = if tmpfs.is_dir() {
            TempDir::new_in(tmpfs, "ftp-bench")
        } else {
            TempDir::new("ftp-bench")
        };
        let chunk = pattern(CHUNK, 0x6265_6e63);
        write_file(&root.path().join(BIG), sizes.big, &chunk)?;
        write_file(&root.path().join(MIDDLE), sizes.parallel_size, &chunk)?;
        std::fs::create_dir(root.path().join(SMALL_DIR))?;
        let small: Vec<String> = (0..sizes.small_count)
            .map(|n| format!("{SMALL_DIR}/f{n:04}"))
            .collect();
        for name in &small {
            write_file(&root.path().join(name), sizes.small_size as u64, &chunk)?;
        }
        Ok(Fixture { root, small, chunk })
    }

    /// The served directory.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The local path of a file `name` in the served directory.
    pub fn local(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Writes and removes `size` bytes on the fixture's file system, so that
    /// a measurement that writes that much next (STOR, a download to a file)
    /// gets memory that is ready. In a virtual machine the host takes back
    /// memory the guest has left free for a while, and the first write into
    /// it runs several times slower than the next.
    pub fn warm_up(&self, size: u64) -> io::Result<()> {
        let path = self.root.path().join("warm-up.bin");
        write_file(&path, size, &self.chunk)?;
        std::fs::remove_file(path)
    }

    /// The remote names of the small files.
    pub fn small(&self) -> &[String] {
        &self.small
    }
}

/// Writes `size` bytes to `path`: `chunk` over and over.
fn write_file(path: &Path, size: u64, chunk: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    let mut left = size;
    while left > 0 {
        let part = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..part])?;
        left -= part as u64;
    }
    Ok(())
}

/// How to log in to a server; cheap to clone into session threads.
#[derive(Debug, Clone)]
pub struct Login {
    /// The control address.
    pub addr: SocketAddr,
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
    /// Log in over explicit TLS trusting this (`None`: in clear).
    pub tls: Option<Trust>,
}

/// Where the programs under test are.
#[derive(Debug)]
pub struct Programs {
    /// The directory of the release `ftp-server` and `ftp-client`.
    pub dir: PathBuf,
    /// Another `ftp-server` binary to compare ours with, if any.
    pub baseline: Option<PathBuf>,
    /// The directory of the release `ftp-server` and `ftp-client` built with
    /// the `tls` feature, when ftp-bench was.
    pub tls: Option<PathBuf>,
}

impl Programs {
    /// The path of `program` in [`Programs::dir`].
    pub fn join(&self, program: &str) -> PathBuf {
        self.dir.join(program)
    }

    /// The path of `program` as `build`, if that build was made.
    pub fn binary(&self, program: &str, build: Build) -> Option<PathBuf> {
        match build {
            Build::Default => Some(self.join(program)),
            Build::Tls => self.tls.as_ref().map(|dir| dir.join(program)),
        }
    }

    /// The `ftp-server` binary run as `kind`, if that kind is an ftp-server
    /// and was given; for FTPS (`tls`), only ours, the build with the feature.
    fn ftp_server(&self, kind: Kind, tls: bool) -> Option<PathBuf> {
        match (kind, tls) {
            (Kind::Ours, false) => Some(self.join("ftp-server")),
            (Kind::Ours, true) => self.tls.as_ref().map(|dir| dir.join("ftp-server")),
            (Kind::Baseline, false) => self.baseline.clone(),
            (Kind::Baseline | Kind::Vsftpd | Kind::Pyftpdlib, _) => None,
        }
    }
}

/// How many sessions an ftp-server takes, and how many descriptors it may
/// have open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Its `--max-sessions` and `--max-per-ip`.
    pub sessions: usize,
    /// Its `RLIMIT_NOFILE`, soft and hard (`None`: the bench's own).
    pub open_files: Option<u64>,
}

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// ftp-server, the release build next to the bench.
    Ours,
    /// Another ftp-server binary (`--baseline`), run exactly as ours.
    Baseline,
    /// vsftpd, anonymous with write access.
    Vsftpd,
    /// pyftpdlib, one user.
    Pyftpdlib,
}

impl Kind {
    /// Every server in the order the tables show them, ours first.
    pub const ALL: [Kind; 4] = [Kind::Ours, Kind::Baseline, Kind::Vsftpd, Kind::Pyftpdlib];

    /// Every server in the order a run measures them (each run starting one
    /// further on): the baseline half-way round from ours, so that each is
    /// measured right after the other equally often.
    pub const RUN_ORDER: [Kind; 4] = [Kind::Ours, Kind::Vsftpd, Kind::Baseline, Kind::Pyftpdlib];

    /// Whether it is a build of ftp-server (ours or the baseline).
    pub fn is_ftp_server(self) -> bool {
        matches!(self, Kind::Ours | Kind::Baseline)
    }

    /// Its name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours => "ftp-server",
            Kind::Baseline => "baseline",
            Kind::Vsftpd => "vsftpd",
            Kind::Pyftpdlib => "pyftpdlib",
        }
    }

    /// The loopback address it listens on: one of its own, so that the
    /// thousands of data connections one server leaves in TIME_WAIT do not
    /// make another's search for a free passive port slower (the kernel only
    /// counts a waiting port against a new listener on the same address).
    ///
    /// ftp-server keeps 127.0.0.1, the client's address: in active mode it
    /// connects back from the address the kernel picks (std cannot bind a
    /// socket before connecting), which is 127.0.0.1 here, and the client
    /// accepts data connections only from the server's address. The
    /// baseline shares it for the same reason: the two then also share the
    /// waiting ports, which the run order spreads evenly between them.
    pub fn address(self) -> IpAddr {
        let last = match self {
            Kind::Ours | Kind::Baseline => 1,
            Kind::Vsftpd => 2,
            Kind::Pyftpdlib => 3,
        };
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
    }
}

/// One running server, stopped when dropped.
#[derive(Debug)]
pub struct Server {
    /// Which server it is.
    pub kind: Kind,
    /// How to log in.
    pub login: Login,
    /// The process id of the server (the parent of any per-session process).
    pub pid: u32,
    _ours: Option<KillOnDrop>,
    _peer: Option<Peer>,
}

impl Server {
    /// Starts a server of `kind` serving `root`, for FTPS with `tls`. `None`
    /// when a peer is not installed, no baseline was given, or `kind` is not
    /// measured over FTPS (the baseline, pyftpdlib).
    pub fn start(
        kind: Kind,
        programs: &Programs,
        root: &Path,
        tls: Option<&Certificates>,
    ) -> Result<Option<Server>, Failure> {
        let ip = kind.address();
        match (kind, tls) {
            (Kind::Ours | Kind::Baseline, _) => Server::limited(kind, programs, root, USUAL, tls),
            (Kind::Vsftpd, None) => {
                let peer = peers::vsftpd_with(root, ip, VSFTPD_LIMITS);
                Ok(Server::peer(kind, peer, None))
            }
            (Kind::Vsftpd, Some(tls)) => {
                let config = format!("{VSFTPD_LIMITS}{}", tls.vsftpd());
                let peer = peers::vsftpd_with(root, ip, &config);
                Ok(Server::peer(kind, peer, Some(tls.trust())))
            }
            (Kind::Pyftpdlib, None) => {
                let peer = peers::pyftpdlib(root, ip, USER.0, USER.1);
                Ok(Server::peer(kind, peer, None))
            }
            (Kind::Pyftpdlib, Some(_)) => Ok(None),
        }
    }

    /// Starts an ftp-server of `kind` (ours or the baseline) with these
    /// `limits`, for FTPS with `tls`; `None` for the other kinds, a baseline
    /// not given, and the baseline over FTPS.
    pub fn limited(
        kind: Kind,
        programs: &Programs,
        root: &Path,
        limits: Limits,
        tls: Option<&Certificates>,
    ) -> Result<Option<Server>, Failure> {
        let ip = kind.address();
        programs
            .ftp_server(kind, tls.is_some())
            .map(|program| Server::ours(kind, &program, root, ip, limits, tls))
            .transpose()
    }

    /// Starts an `ftp-server` program (ours or the baseline, as `kind`)
    /// serving `root` read-write to one user, with these limits, for FTPS
    /// with `tls`.
    fn ours(
        kind: Kind,
        program: &Path,
        root: &Path,
        ip: IpAddr,
        limits: Limits,
        tls: Option<&Certificates>,
    ) -> Result<Server, Failure> {
        if let Some(open_files) = limits.open_files {
            allowed(open_files)?;
        }
        let sessions = limits.sessions.to_string();
        let mut command = limited(program, limits.open_files, have_prlimit());
        command
            .args(run_as(program))
            .args(["--listen", &format!("{ip}:0"), "--no-anonymous"])
            .args(["--user", &format!("{}:{}:rw", USER.0, USER.1)])
            .args(["--max-sessions", &sessions, "--max-per-ip", &sessions])
            .arg("--root")
            .arg(root)
            .args(tls.map(Certificates::ftp_server_args).unwrap_or_default())
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        let (child, line) =
            KillOnDrop::spawn_until(command, "listening on", Duration::from_secs(10));
        let addr = listening_addr(&line).ok_or_else(|| {
            Failure(format!(
                "{} printed no address: {line:?}",
                program.display()
            ))
        })?;
        let login = Login {
            addr,
            user: USER.0.into(),
            password: USER.1.into(),
            tls: tls.map(Certificates::trust),
        };
        Ok(Server {
            kind,
            login,
            pid: child.0.id(),
            _ours: Some(child),
            _peer: None,
        })
    }

    /// Wraps a started peer, logged in to over TLS trusting `tls` if given.
    fn peer(kind: Kind, peer: Option<Peer>, tls: Option<Trust>) -> Option<Server> {
        let peer = peer?;
        let login = Login {
            addr: peer.addr,
            user: peer.user.clone(),
            password: peer.password.clone(),
            tls,
        };
        Some(Server {
            kind,
            login,
            pid: peer.pid(),
            _ours: None,
            _peer: Some(peer),
        })
    }

    /// Its name in the tables.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// Whether it was started for FTPS.
    pub fn protected(&self) -> bool {
        self.login.tls.is_some()
    }
}

/// A command that runs `program` with `open_files` as its limit on open
/// descriptors, soft and hard: through util-linux's `prlimit` if `prlimit`,
/// or else `sh -c 'ulimit -n N'` (std cannot call setrlimit without unsafe
/// code). Both exec the program, so the child's pid is the program's.
fn limited(program: &Path, open_files: Option<u64>, prlimit: bool) -> Command {
    match open_files {
        None => Command::new(program),
        Some(limit) if prlimit => {
            let mut command = Command::new("prlimit");
            command
                .arg(format!("--nofile={limit}:{limit}"))
                .arg("--")
                .arg(program);
            command
        }
        Some(limit) => {
            let mut command = Command::new("sh");
            let script = format!("ulimit -n {limit} && exec \"$0\" \"$@\"");
            command.arg("-c").arg(script).arg(program);
            command
        }
    }
}

/// The options that let `program` serve sessions as this user
/// ([`run_as_this_user`]), when its `--help` has `--run-as`: a baseline
/// built before that option has none, and serves as root without it.
fn run_as(program: &Path) -> &'static [&'static str] {
    let help = Command::new(program)
        .arg("--help")
        .stdin(Stdio::null())
        .output();
    match help {
        Ok(help) if !mentions_run_as(&help.stdout) => &[],
        _ => run_as_this_user(),
    }
}

/// Whether a program's help text has the option `--run-as`.
fn mentions_run_as(help: &[u8]) -> bool {
    String::from_utf8_lossy(help)
        .split_whitespace()
        .any(|word| word == "--run-as")
}

/// Whether util-linux's `prlimit` is installed.
fn have_prlimit() -> bool {
    Command::new("prlimit")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// An error unless a server may be given `open_files` descriptors: only
/// root may raise the hard limit.
fn allowed(open_files: u64) -> Result<(), Failure> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    match crate::open_files_limit(&limits, crate::Limit::Hard) {
        Some(hard) if hard < open_files && !ftp_tests::running_as_root() => Err(Failure(format!(
            "cannot give the server {open_files} descriptors: the hard limit is {hard}"
        ))),
        _ => Ok(()),
    }
}

/// The address in ftp-server's `listening on ftp://ADDR/` line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let url = &line[line.find("ftp://")? + "ftp://".len()..];
    url.trim_end_matches('/').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_comes_from_the_listening_line() {
        let line = "ftp-server: listening on ftp://127.0.0.1:40123/";
        assert_eq!(listening_addr(line), "127.0.0.1:40123".parse().ok());
        let v6 = "ftp-server: listening on ftp://[::1]:2121/";
        assert_eq!(listening_addr(v6), "[::1]:2121".parse().ok());
        assert_eq!(listening_addr("ftp-server: serving /srv"), None);
    }

    #[test]
    fn every_peer_has_its_own_loopback_address() {
        let peers = [Kind::Ours, Kind::Vsftpd, Kind::Pyftpdlib];
        let addresses: Vec<IpAddr> = peers.iter().map(|kind| kind.address()).collect();
        assert!(addresses.iter().all(IpAddr::is_loopback));
        assert_eq!(Kind::Ours.address(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(Kind::Baseline.address(), Kind::Ours.address());
        let unique: std::collections::HashSet<&IpAddr> = addresses.iter().collect();
        assert_eq!(unique.len(), addresses.len());
    }

    #[test]
    fn the_baseline_runs_half_way_round_from_ours() {
        let position = |kind| Kind::RUN_ORDER.iter().position(|&k| k == kind);
        let (ours, baseline) = (position(Kind::Ours), position(Kind::Baseline));
        assert_eq!((ours, baseline), (Some(0), Some(Kind::RUN_ORDER.len() / 2)));
        assert!(Kind::ALL.iter().all(|kind| Kind::RUN_ORDER.contains(kind)));
    }

    #[test]
    fn a_baseline_is_only_started_when_given() {
        let dir = TempDir::new("ftp-bench-programs");
        let mut programs = Programs {
            dir: dir.path().to_path_buf(),
            baseline: None,
            tls: None,
        };
        assert_eq!(programs.ftp_server(Kind::Baseline, false), None);
        let started = Server::start(Kind::Baseline, &programs, dir.path(), None).expect("no error");
        assert!(started.is_none());
        programs.baseline = Some(PathBuf::from("old/ftp-server"));
        assert_eq!(
            programs.ftp_server(Kind::Baseline, false),
            Some(PathBuf::from("old/ftp-server"))
        );
        assert_eq!(
            programs.ftp_server(Kind::Ours, false),
            Some(dir.path().join("ftp-server"))
        );
        assert_eq!(programs.ftp_server(Kind::Vsftpd, false), None);
        assert_eq!(programs.ftp_server(Kind::Ours, true), None);
        programs.tls = Some(PathBuf::from("tls"));
        assert_eq!(
            programs.ftp_server(Kind::Ours, true),
            Some(PathBuf::from("tls/ftp-server"))
        );
        assert_eq!(programs.ftp_server(Kind::Baseline, true), None);
        assert_eq!(
            programs.binary("ftp-client", Build::Tls),
            Some(PathBuf::from("tls/ftp-client"))
        );
        assert_eq!(
            programs.binary("ftp-client", Build::Default),
            Some(dir.path().join("ftp-client"))
        );
    }

    #[test]
    fn run_as_is_found_as_an_option_in_the_help() {
        let help = b"  --max-per-ip N  sessions per address\n  --run-as USER   serve as USER\n";
        assert!(mentions_run_as(help));
        assert!(!mentions_run_as(b"  --run-asap  no\n  see run-as\n"));
        assert!(!mentions_run_as(b""));
    }

    #[test]
    fn a_limited_program_runs_with_that_limit_either_way() {
        for prlimit in [true, false] {
            if prlimit && !have_prlimit() {
                continue;
            }
            let mut command = limited(Path::new("cat"), Some(999), prlimit);
            let output = command.arg("/proc/self/limits").output().expect("runs");
            let limits = String::from_utf8_lossy(&output.stdout);
            let (soft, hard) = (crate::Limit::Soft, crate::Limit::Hard);
            assert_eq!(
                crate::open_files_limit(&limits, soft),
                Some(999),
                "{limits}"
            );
            assert_eq!(
                crate::open_files_limit(&limits, hard),
                Some(999),
                "{limits}"
            );
        }
        let plain = limited(Path::new("cat"), None, true);
        assert_eq!(plain.get_program(), "cat");
        assert!(allowed(1).is_ok());
    }

    #[test]
    fn files_are_written_to_the_byte() {
        let dir = TempDir::new("ftp-bench-test");
        let path = dir.path().join("f");
        write_file(&path, 2 * 5 + 3, b"abcde").expect("written");
        assert_eq!(std::fs::read(&path).expect("read"), b"abcdeabcdeabc");
        write_file(&path, 0, b"abcde").expect("written");
        assert_eq!(std::fs::metadata(&path).expect("exists").len(), 0);
    }
}
