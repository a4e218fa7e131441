//! Third-party quirks met while building the matrix, shown again on every
//! run with their evidence: they shape how the matrix drives the clients,
//! and none of them is a bug of ours.
//!
//! It does not fail the test when a quirk is gone; the document then says
//! it was not seen in this run.

use std::process::Command;

use ftp_tests::TempDir;

use crate::clients::{Client, Target};
use crate::exec::run;
use crate::lftp::Lftp;
use crate::matrix::{Family, Mode, Op};
use crate::our_server::{OurServer, PASSWORD, USER};

/// One quirk and whether this run saw it.
pub struct Quirk {
    /// What the third party does.
    pub title: &'static str,
    /// Why it is theirs, and what the matrix does about it.
    pub explanation: &'static str,
    /// Whether this run reproduced it.
    pub seen: bool,
    /// The exchange or output that shows it.
    pub evidence: String,
}

/// Every quirk, each checked anew against our server.
pub fn all() -> Vec<Quirk> {
    vec![lftp_host_without_brackets(), inetutils_toggles()]
}

/// lftp sends `HOST ::1`; RFC 7151 §3 wants an IPv6 literal in brackets.
fn lftp_host_without_brackets() -> Quirk {
    let server = OurServer::with_user(Family::V6);
    let dir = TempDir::new("interop-quirk");
    let target = Target {
        addr: server.addr,
        user: USER,
        password: PASSWORD,
        mode: Mode::Epsv,
        dir: dir.path(),
        home: &dir,
        ca: None,
        implicit: false,
    };
    let output = Lftp.run(Op::Login, &target);
    let log = server.log();
    let evidence: String = log
        .lines()
        .filter(|line| line.contains("HOST ::1") || line.contains("-> 501 HOST"))
        .map(|line| format!("{line}\n"))
        .collect();
    Quirk {
        title: "lftp sends `HOST ::1` without brackets",
        explanation: "RFC 7151 §3 writes an IPv6 literal as `[::1]`. Our server answers `501` \
                      naming the expected form; lftp ignores the refusal and goes on, so no \
                      cell is affected.",
        seen: output.success()
            && log.contains("<- (unparsable) HOST ::1")
            && log.contains("-> 501"),
        evidence,
    }
}

/// inetutils `ftp` treats `passive off` and `epsv4 off` as plain toggles.
fn inetutils_toggles() -> Quirk {
    let dir = TempDir::new("interop-quirk");
    let mut command = Command::new("inetutils-ftp");
    command.arg("-v");
    let output = run(command, dir.path(), &dir, "passive off\nepsv4 off\nbye\n");
    Quirk {
        title: "inetutils `ftp`: `passive off` and `epsv4 off` turn the setting on",
        explanation: "Both commands are toggles that ignore their argument (tnftp honours \
                      `on`/`off`), so the matrix sends bare toggles from the known defaults \
                      (both off).",
        seen: output.stdout.contains("Passive mode on") && output.stdout.contains("IPv4: on"),
        evidence: output.transcript(),
    }
}
