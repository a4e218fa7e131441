//! GNU Wget as a client of our server. It only downloads.
//!
//! Modes: passive by default, `--no-passive-ftp` for active. Wget picks the
//! command by family: PASV and PORT over IPv4, EPSV and EPRT over IPv6, with
//! no option to choose. Listing: a directory URL with
//! `--no-remove-listing`, which keeps the raw `LIST` output in `.listing`.
//! Resumed download: `-c` (REST + RETR). Login is checked by a download:
//! exit status 0, or 6 when the server refused the login.

use std::process::Command;

use ftp_tests::version_command;

use crate::clients::{files, Client, Target};
use crate::exec::{run, Run};
use crate::matrix::{Family, Mode, Op};

/// Wget's exit status when the server refused the login.
const LOGIN_DENIED: i32 = 6;

/// GNU Wget.
pub struct Wget;

impl Client for Wget {
    fn name(&self) -> &'static str {
        "wget"
    }

    fn probe(&self) -> Command {
        version_command("wget")
    }

    fn version(&self) -> String {
        // `GNU Wget 1.21.3 built on linux-gnu.`
        let line = crate::report::first_line(self.probe());
        line.trim_end_matches(" built on linux-gnu.").to_string()
    }

    fn driven(&self) -> &'static str {
        "passive by default (PASV on IPv4, EPSV on IPv6), `--no-passive-ftp` (PORT on IPv4, \
         EPRT on IPv6); downloads only; resume `-c` (REST + RETR)"
    }

    fn mode(&self, family: Family, mode: Mode) -> Result<(), &'static str> {
        match (family, mode) {
            (Family::V4, Mode::Epsv | Mode::Eprt) => Err("wget sends EPSV and EPRT only over IPv6"),
            _ => Ok(()),
        }
    }

    fn supports(&self, op: Op) -> Result<(), &'static str> {
        match op {
            Op::Put | Op::Reput => Err("wget does not upload"),
            _ => Ok(()),
        }
    }

    fn run(&self, op: Op, target: &Target) -> Run {
        let (remote, local) = files(op);
        let file_url = format!("{}/{remote}", target.url());
        let args: Vec<String> = match op {
            Op::Login => vec![
                "-O".into(),
                "login.bin".into(),
                format!("{}/down.bin", target.url()),
            ],
            Op::List => vec![
                "--no-remove-listing".into(),
                "-O".into(),
                "index.html".into(),
                format!("{}/", target.url()),
            ],
            Op::Get => vec!["-O".into(), local.into(), file_url],
            Op::Reget => vec!["-c".into(), "-O".into(), local.into(), file_url],
            Op::Put | Op::Reput | Op::Files => unreachable!("wget is not asked for {op}"),
        };
        let mut command = Command::new("wget");
        command
            .args(["-q", "--tries=1", "--timeout=20"])
            .arg(format!("--user={}", target.user))
            .arg(format!("--password={}", target.password));
        if !target.mode.is_passive() {
            command.arg("--no-passive-ftp");
        }
        command.args(args);
        run(command, target.dir, target.home, "")
    }

    fn login_result(&self, run: &Run) -> Option<bool> {
        match run.code {
            Some(0) => Some(true),
            Some(LOGIN_DENIED) => Some(false),
            _ => None,
        }
    }

    fn listing(&self, _run: &Run, target: &Target) -> String {
        std::fs::read_to_string(target.dir.join(".listing")).unwrap_or_default()
    }
}
