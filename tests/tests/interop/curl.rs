//! curl as a client of our server.
//!
//! Modes: `--ftp-pasv` (EPSV, falling back to PASV unless told not to),
//! `--disable-epsv` (PASV), `-P -` (active on the control connection's
//! address: EPRT, falling back to PORT) and `--disable-eprt` (PORT), on both
//! families. Resumed transfers: `-C -` with `-o` (REST + RETR) and with `-T`
//! (SIZE, then APPE of the rest). Login is checked with `--head` on a file,
//! which logs in and asks SIZE and MDTM without a data connection.
//!
//! FTPS: `--ssl-reqd --cacert CA` with `ftp://` (AUTH TLS, then PROT P), or
//! an `ftps://` URL (implicit). curl 7.87 and 7.88 cannot do FTPS in active
//! mode (curl issue 10666); with those versions the active FTPS cells are
//! not run.

use std::process::Command;

use ftp_tests::version_command;

use crate::clients::{files, Client, Target};
use crate::exec::{run, Run};
use crate::matrix::{Family, Mode, Op};

/// curl's exit status when the server refused the login.
const LOGIN_DENIED: i32 = 67;

/// Why curl 7.87 and 7.88 have no active FTPS.
const NO_ACTIVE_FTPS: &str = "curl 7.87 and 7.88 never start TLS on an active-mode data \
     connection and wait until they time out (curl issue 10666, fixed in curl 8.0.0); \
     with another version these cells run";

/// curl, driven by its command line.
pub struct Curl;

impl Curl {
    /// curl's options for `mode`.
    fn mode_args(mode: Mode) -> &'static [&'static str] {
        match mode {
            Mode::Pasv => &["--ftp-pasv", "--disable-epsv"],
            Mode::Epsv => &["--ftp-pasv"],
            Mode::Port => &["--ftp-port", "-", "--disable-eprt"],
            Mode::Eprt => &["--ftp-port", "-"],
        }
    }

    /// Runs curl with the login, the mode, and `args`.
    fn curl(target: &Target, args: &[&str]) -> Run {
        let mut command = Command::new("curl");
        command
            .args(["-sS", "--max-time", "25", "--user"])
            .arg(format!("{}:{}", target.user, target.password))
            .args(Curl::mode_args(target.mode));
        if let Some(ca) = target.ca {
            command.args(["--ssl-reqd", "--cacert"]).arg(ca);
        }
        command.args(args);
        run(command, target.dir, target.home, "")
    }

    /// Whether this curl is 7.87 or 7.88, which have no active FTPS.
    pub fn lacks_active_ftps(&self) -> bool {
        let version = self.version();
        let mut numbers = version.split(' ').nth(1).unwrap_or_default().split('.');
        matches!(
            (numbers.next(), numbers.next()),
            (Some("7"), Some("87" | "88"))
        )
    }
}

impl Client for Curl {
    fn name(&self) -> &'static str {
        "curl"
    }

    fn probe(&self) -> Command {
        version_command("curl")
    }

    fn version(&self) -> String {
        // `curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/...`
        let line = crate::report::first_line(self.probe());
        line.split(' ').take(2).collect::<Vec<_>>().join(" ")
    }

    fn driven(&self) -> &'static str {
        "PASV `--ftp-pasv --disable-epsv`, EPSV `--ftp-pasv`, PORT `-P - --disable-eprt`, \
         EPRT `-P -`; resume `-C -` (download: REST; upload: SIZE then APPE)"
    }

    fn tls_mode(&self, _family: Family, mode: Mode) -> Result<(), &'static str> {
        match !mode.is_passive() && self.lacks_active_ftps() {
            true => Err(NO_ACTIVE_FTPS),
            false => Ok(()),
        }
    }

    fn run(&self, op: Op, target: &Target) -> Run {
        let (remote, local) = files(op);
        let url = format!("{}/{remote}", target.url());
        match op {
            Op::Login => Curl::curl(target, &["--head", &format!("{}/down.bin", target.url())]),
            Op::List => Curl::curl(target, &[&format!("{}/", target.url())]),
            Op::Get => Curl::curl(target, &["-o", local, &url]),
            Op::Reget => Curl::curl(target, &["-C", "-", "-o", local, &url]),
            Op::Put => Curl::curl(target, &["-T", local, &url]),
            Op::Reput => Curl::curl(target, &["-C", "-", "-T", local, &url]),
            Op::Files => unreachable!("{} is not in the first table", op),
        }
    }

    fn login_result(&self, run: &Run) -> Option<bool> {
        match run.code {
            Some(0) => Some(true),
            Some(LOGIN_DENIED) => Some(false),
            _ => None,
        }
    }
}
