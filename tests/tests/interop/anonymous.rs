//! Anonymous read-only access to our server, with every client of the first
//! table: `ftp-server --anonymous=ro` and no other user; each client logs in
//! as `anonymous`, lists, downloads (compared byte for byte), and tries an
//! upload, which must be refused with a `550` and leave no file behind.
//!
//! Each client runs in its default passive mode (EPSV, or PASV where it
//! does not send EPSV on that family).

use crate::clients::{files, same_bytes, Client, Target, DOWNLOAD, UPLOAD};
use crate::exec::Run;
use crate::matrix::{check_mode, Family, Mode, Op, Outcome};
use crate::our_server::{read_or_empty, OurServer};
use ftp_tests::{pattern, TempDir};

/// The checks of the anonymous table, in its order.
pub const CHECKS: [Check; 3] = [Check::List, Check::Download, Check::UploadRefused];

/// One check of anonymous access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The listing names the file.
    List,
    /// The download arrives byte for byte.
    Download,
    /// An upload is refused with `550` and leaves no file.
    UploadRefused,
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Check::List => "list",
            Check::Download => "download",
            Check::UploadRefused => "upload refused",
        })
    }
}

/// One cell of the anonymous table.
pub struct AnonymousCell {
    /// The client.
    pub client: &'static str,
    /// The family.
    pub family: Family,
    /// The check.
    pub check: Check,
    /// What happened.
    pub outcome: Outcome,
}

/// Runs every check with `client` on both families.
pub fn run(client: &dyn Client) -> Vec<AnonymousCell> {
    let mut cells = Vec::new();
    for family in Family::ALL {
        let mode = [Mode::Epsv, Mode::Pasv].into_iter().find(|&mode| {
            client.mode(family, mode).is_ok() && !(family == Family::V6 && mode.is_ipv4_only())
        });
        for check in CHECKS {
            let outcome = match mode {
                Some(mode) => check_one(client, family, mode, check),
                None => Outcome::NotApplicable("no passive mode on this family".into()),
            };
            cells.push(AnonymousCell {
                client: client.name(),
                family,
                check,
                outcome,
            });
        }
    }
    cells
}

/// One check against a fresh read-only anonymous server.
fn check_one(client: &dyn Client, family: Family, mode: Mode, check: Check) -> Outcome {
    let op = match check {
        Check::List => Op::List,
        Check::Download => Op::Get,
        Check::UploadRefused => Op::Put,
    };
    if let Err(reason) = client.supports(op) {
        return Outcome::NotApplicable(reason.into());
    }
    let server = OurServer::start(family, &["--anonymous=ro"]);
    let local = TempDir::new("interop-anon");
    let home = TempDir::new("interop-home");
    let download = pattern(70_001, 31);
    std::fs::write(server.file(DOWNLOAD), &download).expect("root is writable");
    std::fs::write(local.path().join(UPLOAD), pattern(5_000, 32)).expect("local is writable");
    let target = Target {
        addr: server.addr,
        user: "anonymous",
        password: "guest@example.com",
        mode,
        dir: local.path(),
        home: &home,
        ca: None,
        implicit: false,
    };
    let run = client.run(op, &target);
    let log = server.log();
    let verdict = match check {
        Check::List => listed(client, &run, &target, &log),
        Check::Download => run_ok(&run)
            .and_then(|()| same_bytes(&local.path().join(files(op).1), &download))
            .and_then(|()| check_mode(&log, mode)),
        Check::UploadRefused => refused(&log, &read_or_empty(&server.file(files(op).0))),
    };
    match verdict {
        Ok(()) => Outcome::Pass,
        Err(reason) => Outcome::fail(
            reason,
            format!("{}--- ftp-server log ---\n{log}", run.transcript()),
        ),
    }
}

/// The client succeeded.
fn run_ok(run: &Run) -> Result<(), String> {
    match run.success() {
        true => Ok(()),
        false => Err(format!("the client failed ({:?})", run.code)),
    }
}

/// The listing names the file, over a data connection in the mode.
fn listed(client: &dyn Client, run: &Run, target: &Target, log: &str) -> Result<(), String> {
    run_ok(run)?;
    if !client.listing(run, target).contains(DOWNLOAD) {
        return Err(format!("the listing does not name {DOWNLOAD}"));
    }
    check_mode(log, target.mode)
}

/// The server answered the upload with `550` and no file was left.
fn refused(log: &str, left: &[u8]) -> Result<(), String> {
    let answered_550 = log
        .lines()
        .skip_while(|line| !line.contains("<- STOR "))
        .find(|line| line.contains(" -> "))
        .is_some_and(|reply| reply.contains(" -> 550 "));
    match (answered_550, left.is_empty()) {
        (true, true) => Ok(()),
        (false, _) => Err("the STOR was not answered with 550".into()),
        (true, false) => Err("a file was left behind".into()),
    }
}
