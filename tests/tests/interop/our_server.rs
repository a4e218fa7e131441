//! Our `ftp-server`, started for one job: on the loopback address of one
//! family, on a port the OS picked, with `-v` so that its log shows the
//! dialog and every data connection (`data: passive (EPSV) — ...`), which the
//! cells read to check which mode a client really used.
//!
//! For the FTPS sections it is started with a certificate and TLS required
//! for logins and data (`--tls-required`), and for implicit FTPS with a
//! listener of its own (`--implicit-tls-listen`).
//!
//! It does not decide what is served; the caller fills the root.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use ftp_tests::certs::TestPki;
use ftp_tests::{program, run_as_this_user, start_ftp_server_until, KillOnDrop, TempDir};

use crate::matrix::Family;

/// The user every job logs in as, with read and write access.
pub const USER: &str = "interop";

/// [`USER`]'s password.
pub const PASSWORD: &str = "Interop-pw1";

/// A running `ftp-server` with its root and log.
pub struct OurServer {
    _process: KillOnDrop,
    /// Where it listens.
    pub addr: SocketAddr,
    scratch: TempDir,
}

impl OurServer {
    /// Starts `ftp-server -v` on `family`'s loopback address with `options`
    /// (for example `--user NAME:PASSWORD`), serving an empty root.
    pub fn start(family: Family, options: &[&str]) -> OurServer {
        OurServer::start_until(family, options, "listening on")
    }

    /// [`OurServer::start`], its address taken from the first line of its
    /// output that holds `marker`.
    fn start_until(family: Family, options: &[&str], marker: &str) -> OurServer {
        let scratch = TempDir::new("interop-ours");
        let root = scratch.path().join("root");
        fs::create_dir(&root).expect("scratch dir is writable");
        let log = fs::File::create(scratch.path().join("server.log")).expect("log file");
        let listen = SocketAddr::new(family.loopback(), 0).to_string();
        let mut command = Command::new(program("ftp-server"));
        command
            .args(run_as_this_user())
            .args(["-v", "--listen", &listen, "--root"])
            .arg(&root)
            .args(options)
            .stderr(log);
        let (process, addr) = start_ftp_server_until(command, marker);
        OurServer {
            _process: process,
            addr,
            scratch,
        }
    }

    /// Starts it with the one read-write user [`USER`].
    pub fn with_user(family: Family) -> OurServer {
        OurServer::start(family, &["--user", &format!("{USER}:{PASSWORD}:rw")])
    }

    /// Starts it for FTPS with the one read-write user [`USER`]
    /// ([`tls_options`]); with `implicit`, also listening for implicit FTPS,
    /// and [`OurServer::addr`] is that listener's address.
    pub fn ftps(family: Family, pki: &TestPki, implicit: bool) -> OurServer {
        let mut options = vec!["--user".to_string(), format!("{USER}:{PASSWORD}:rw")];
        options.extend(tls_options(pki));
        let marker = match implicit {
            true => {
                let listen = SocketAddr::new(family.loopback(), 0).to_string();
                options.extend(["--implicit-tls-listen".to_string(), listen]);
                "(implicit TLS)"
            }
            false => "listening on",
        };
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        OurServer::start_until(family, &options, marker)
    }

    /// The directory it serves.
    pub fn root(&self) -> PathBuf {
        self.scratch.path().join("root")
    }

    /// The path of `name` in the served root.
    pub fn file(&self, name: &str) -> PathBuf {
        self.root().join(name)
    }

    /// Its whole log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Its log from byte `offset` on (an earlier `log().len()`).
    pub fn log_since(&self, offset: usize) -> String {
        self.log().get(offset..).unwrap_or_default().to_string()
    }

    fn log_path(&self) -> PathBuf {
        self.scratch.path().join("server.log")
    }
}

/// The options of an FTPS server: the certificate and key of `pki`, and
/// TLS required for logins and data connections.
pub fn tls_options(pki: &TestPki) -> Vec<String> {
    let (cert, key) = (pki.cert(), pki.key());
    vec![
        "--tls-cert".into(),
        cert.to_string_lossy().into_owned(),
        "--tls-key".into(),
        key.to_string_lossy().into_owned(),
        "--tls-required".into(),
    ]
}

/// Reads `path`, or an empty vector if it is not there.
pub fn read_or_empty(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_default()
}
