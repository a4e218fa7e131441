//! lftp as a client of our server, driven by a script on its standard input.
//!
//! Modes: `ftp:passive-mode on` with `ftp:prefer-epsv no` (PASV) or `yes`
//! (EPSV) on IPv4; `ftp:passive-mode off` is PORT on IPv4 and EPRT on IPv6.
//! lftp has no setting to send EPRT over IPv4, and over IPv6 it always uses
//! EPSV and EPRT. Resumed transfers: `get -c` (REST + RETR) and `put -c`
//! (SIZE, then REST + STOR). Login is checked with `quote PWD`, which makes
//! lftp connect and log in (it connects lazily). `cmd:fail-exit` makes the
//! first failed command end lftp with a non-zero status.
//!
//! FTPS: `ftp:ssl-force` (AUTH TLS, refusing to go on in the clear),
//! `ftp:ssl-protect-data` (PROT P) and `ssl:ca-file` for the test CA.

use std::process::Command;

use ftp_tests::version_command;

use crate::clients::{files, Client, Target};
use crate::exec::{run, Run};
use crate::matrix::{Family, Mode, Op};

/// lftp.
pub struct Lftp;

impl Lftp {
    /// The settings that choose `mode`.
    fn mode_settings(mode: Mode) -> &'static str {
        match mode {
            Mode::Pasv => "set ftp:passive-mode on\nset ftp:prefer-epsv no\n",
            Mode::Epsv => "set ftp:passive-mode on\nset ftp:prefer-epsv yes\n",
            Mode::Port | Mode::Eprt => "set ftp:passive-mode off\n",
        }
    }
}

impl Client for Lftp {
    fn name(&self) -> &'static str {
        "lftp"
    }

    fn probe(&self) -> Command {
        version_command("lftp")
    }

    fn version(&self) -> String {
        // `LFTP | Version 4.9.2 | Copyright (c) ...`
        let line = crate::report::first_line(self.probe());
        let version = line.split('|').nth(1).unwrap_or(&line).trim();
        format!("lftp {}", version.trim_start_matches("Version "))
    }

    fn driven(&self) -> &'static str {
        "`ftp:passive-mode on` + `ftp:prefer-epsv no` (PASV) / `yes` (EPSV), \
         `ftp:passive-mode off` (PORT on IPv4, EPRT on IPv6; no EPRT on IPv4); resume \
         `get -c` (REST + RETR), `put -c` (SIZE, REST + STOR)"
    }

    fn mode(&self, family: Family, mode: Mode) -> Result<(), &'static str> {
        match (family, mode) {
            (Family::V4, Mode::Eprt) => Err("lftp sends EPRT only over IPv6"),
            _ => Ok(()),
        }
    }

    fn run(&self, op: Op, target: &Target) -> Run {
        let (remote, local) = files(op);
        let command = match op {
            Op::Login => "quote PWD".to_string(),
            Op::List => "ls".to_string(),
            Op::Get => format!("get {remote} -o {local}"),
            Op::Reget => format!("get -c {remote} -o {local}"),
            Op::Put => format!("put {local} -o {remote}"),
            Op::Reput => format!("put -c {local} -o {remote}"),
            Op::Files => unreachable!("{} is not in the first table", op),
        };
        let tls = match target.ca {
            Some(ca) => format!(
                "set ssl:ca-file {}\nset ftp:ssl-force true\nset ftp:ssl-protect-data true\n",
                ca.display()
            ),
            None => String::new(),
        };
        let script = format!(
            "set net:max-retries 1\nset net:timeout 10\nset cmd:fail-exit yes\n\
             set xfer:clobber on\n{tls}{}open -u {},{} {}\n{command}\nbye\n",
            Lftp::mode_settings(target.mode),
            target.user,
            target.password,
            target.url()
        );
        run(Command::new("lftp"), target.dir, target.home, &script)
    }

    fn login_result(&self, run: &Run) -> Option<bool> {
        if run.success() && run.stdout.contains("257 ") {
            Some(true)
        } else if run.stderr.contains("530") {
            Some(false)
        } else {
            None
        }
    }
}
