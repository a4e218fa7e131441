//! Our server × third-party clients: the jobs of the first table.
//!
//! A [`Client`] says how to make one program (curl, ftplib, lftp, ...) do
//! each operation in a given mode; this module does everything else the same
//! way for all of them: starts our `ftp-server` for each family × mode, lays
//! out the files, runs the operation, compares the bytes on both sides, and
//! reads the server's log to check that the data connection really used the
//! mode of the column (a client that quietly falls back to another mode fails
//! the cell).
//!
//! The same jobs make the first FTPS table (`ftps.rs`): our server then has
//! a certificate and requires TLS, the client is told to use it (and to
//! trust the test CA), and each data connection must also show in the
//! server's log as protected by TLS.
//!
//! It does not cover our own client; the second table (`servers.rs`) has our
//! client against our server.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use ftp_tests::certs::TestPki;
use ftp_tests::{pattern, TempDir};

use crate::exec::Run;
use crate::matrix::{check_mode, check_protected, Family, Job, Mode, Op, Outcome, NO_IPV6_FORM};
use crate::our_server::{read_or_empty, OurServer, PASSWORD, USER};

/// The operations of the first table, in its order.
pub const OPS: &[Op] = &[Op::Login, Op::List, Op::Get, Op::Put, Op::Reget, Op::Reput];

/// The file on the server that is listed and downloaded.
pub const DOWNLOAD: &str = "down.bin";

/// The local file that is uploaded.
pub const UPLOAD: &str = "up.bin";

/// How many bytes a partial copy has before a resumed transfer.
pub const RESUME_AT: usize = 100_000;

/// A third-party FTP client, as the matrix drives it.
pub trait Client: Sync {
    /// Its name in the tables.
    fn name(&self) -> &'static str;

    /// A command that succeeds only when the client is installed.
    fn probe(&self) -> Command;

    /// Its version, as it reports it.
    fn version(&self) -> String;

    /// How the matrix makes it use each mode and resume, in one line of
    /// Markdown for the document.
    fn driven(&self) -> &'static str;

    /// `Err(why)` when the client cannot be made to open data connections
    /// with `mode` over `family`; by default it can in every mode.
    fn mode(&self, _family: Family, _mode: Mode) -> Result<(), &'static str> {
        Ok(())
    }

    /// `Err(why)` when the client cannot open protected data connections
    /// with `mode` over `family` (FTPS), though it can in the clear; by
    /// default it can.
    fn tls_mode(&self, _family: Family, _mode: Mode) -> Result<(), &'static str> {
        Ok(())
    }

    /// `Err(why)` when the client has no way to do `op`; by default it can
    /// do every operation.
    fn supports(&self, _op: Op) -> Result<(), &'static str> {
        Ok(())
    }

    /// Runs `op` against `target`; never asked for [`Op::Files`] (not in
    /// [`OPS`]) nor for an operation [`Client::supports`] refuses.
    fn run(&self, op: Op, target: &Target) -> Run;

    /// What a run of [`Op::Login`] shows: `Some(true)` logged in,
    /// `Some(false)` refused by the server, `None` neither (another error).
    fn login_result(&self, run: &Run) -> Option<bool>;

    /// The listing a run of [`Op::List`] produced.
    fn listing(&self, run: &Run, _target: &Target) -> String {
        run.stdout.clone()
    }
}

/// Where and how a client connects for one operation.
pub struct Target<'a> {
    /// The server's control address.
    pub addr: SocketAddr,
    /// The user name.
    pub user: &'a str,
    /// The password (a wrong one in the second half of the login check).
    pub password: &'a str,
    /// The mode the client must use.
    pub mode: Mode,
    /// The client's working directory.
    pub dir: &'a Path,
    /// The client's home directory (empty: no personal configuration).
    pub home: &'a TempDir,
    /// For FTPS: the CA certificate the client must trust.
    pub ca: Option<&'a Path>,
    /// Whether TLS starts with the connection (implicit FTPS, `ftps://`)
    /// rather than with `AUTH TLS`.
    pub implicit: bool,
}

impl Target<'_> {
    /// `ftp://host:port` (IPv6 in brackets; `ftps://` for implicit FTPS),
    /// no trailing slash.
    pub fn url(&self) -> String {
        let scheme = if self.implicit { "ftps" } else { "ftp" };
        format!("{scheme}://{}", self.addr)
    }

    /// The host as a client's `open host port` wants it (no brackets).
    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    /// The control port.
    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }
}

/// The remote and local file names of a transfer operation.
pub fn files(op: Op) -> (&'static str, &'static str) {
    match op {
        Op::Get => (DOWNLOAD, "get.bin"),
        Op::Reget => (DOWNLOAD, "reget.bin"),
        Op::Put => ("put.bin", UPLOAD),
        Op::Reput => ("reput.bin", UPLOAD),
        Op::Login | Op::List | Op::Files => ("", ""),
    }
}

/// The bytes every job serves and uploads.
struct Fixtures {
    download: Vec<u8>,
    upload: Vec<u8>,
}

impl Fixtures {
    fn new() -> Fixtures {
        Fixtures {
            download: pattern(300_007, 11),
            upload: pattern(200_003, 12),
        }
    }
}

/// FTPS for the jobs of one row of the first FTPS table.
#[derive(Clone)]
#[cfg_attr(not(feature = "tls"), allow(dead_code))]
pub struct Ftps {
    /// The certificate our server presents, and the CA the client trusts.
    pub pki: Arc<TestPki>,
    /// Implicit FTPS (`ftps://`, TLS from the first byte) rather than
    /// `AUTH TLS`.
    pub implicit: bool,
}

/// The jobs of the first table for `client`: every family × mode.
pub fn jobs(client: &'static dyn Client) -> Vec<Job> {
    jobs_as(client.name(), client, None)
}

/// The jobs of a row named `name` for `client`, over FTPS with `ftps`:
/// every family × mode.
pub fn jobs_as(name: &'static str, client: &'static dyn Client, ftps: Option<Ftps>) -> Vec<Job> {
    let mut jobs = Vec::new();
    for family in Family::ALL {
        for mode in Mode::ALL {
            let unsupported = match (family, mode.is_ipv4_only()) {
                (Family::V6, true) => Err(NO_IPV6_FORM),
                _ => client.mode(family, mode).and_then(|()| match ftps {
                    Some(_) => client.tls_mode(family, mode),
                    None => Ok(()),
                }),
            };
            jobs.push(match unsupported {
                Err(reason) => Job::not_applicable(name, family, mode, OPS, reason),
                Ok(()) => {
                    let ftps = ftps.clone();
                    Job {
                        peer: name,
                        family,
                        mode,
                        ops: OPS,
                        run: Box::new(move || run_job(client, family, mode, ftps)),
                    }
                }
            });
        }
    }
    jobs
}

/// One job: our server on `family` (for FTPS with `ftps`), every operation
/// in `mode`.
fn run_job(client: &dyn Client, family: Family, mode: Mode, ftps: Option<Ftps>) -> Vec<(Op, Outcome)> {
    let server = match &ftps {
        None => OurServer::with_user(family),
        Some(ftps) => OurServer::ftps(family, &ftps.pki, ftps.implicit),
    };
    let ca = ftps.as_ref().map(|ftps| ftps.pki.ca());
    let local = TempDir::new("interop-client");
    let home = TempDir::new("interop-home");
    let fixtures = Fixtures::new();
    std::fs::write(server.file(DOWNLOAD), &fixtures.download).expect("root is writable");
    std::fs::write(local.path().join(UPLOAD), &fixtures.upload).expect("local is writable");
    let target = Target {
        addr: server.addr,
        user: USER,
        password: PASSWORD,
        mode,
        dir: local.path(),
        home: &home,
        ca: ca.as_deref(),
        implicit: ftps.is_some_and(|ftps| ftps.implicit),
    };
    OPS.iter()
        .map(|&op| {
            let outcome = match client.supports(op) {
                Err(reason) => Outcome::NotApplicable(reason.into()),
                Ok(()) => cell(client, op, &target, &server, &fixtures),
            };
            (op, outcome)
        })
        .collect()
}

/// Runs and checks one operation; a failure carries the client's output and
/// the server's log of it.
fn cell(
    client: &dyn Client,
    op: Op,
    target: &Target,
    server: &OurServer,
    fixtures: &Fixtures,
) -> Outcome {
    prepare(op, target, server, fixtures);
    let offset = server.log().len();
    let (verdict, transcript) = match op {
        Op::Login => check_login(client, target),
        _ => {
            let run = client.run(op, target);
            (
                check_transfer(client, op, &run, target, server, fixtures),
                run.transcript(),
            )
        }
    };
    let log = server.log_since(offset);
    let verdict = verdict.and_then(|()| match op.uses_data() {
        true => check_mode(&log, target.mode),
        false => Ok(()),
    });
    let verdict = verdict.and_then(|()| match (op.uses_data(), target.ca) {
        (true, Some(_)) => check_protected(&log, "data: protected by TLS"),
        _ => Ok(()),
    });
    let verdict = verdict.and_then(|()| check_resumed(op, &log));
    match verdict {
        Ok(()) => Outcome::Pass,
        Err(reason) => Outcome::fail(reason, format!("{transcript}--- ftp-server log ---\n{log}")),
    }
}

/// Lays out the partial copies the resume operations start from.
fn prepare(op: Op, target: &Target, server: &OurServer, fixtures: &Fixtures) {
    let (remote, local) = files(op);
    let written = match op {
        Op::Reget => std::fs::write(target.dir.join(local), &fixtures.download[..RESUME_AT]),
        Op::Reput => std::fs::write(server.file(remote), &fixtures.upload[..RESUME_AT]),
        _ => Ok(()),
    };
    written.expect("scratch directories are writable");
}

/// The right password logs in, a wrong one does not.
fn check_login(client: &dyn Client, target: &Target) -> (Result<(), String>, String) {
    let good = client.run(Op::Login, target);
    let wrong = Target {
        password: "not-the-password",
        ..*target
    };
    let bad = client.run(Op::Login, &wrong);
    let transcript = format!(
        "=== right password ===\n{}=== wrong password ===\n{}",
        good.transcript(),
        bad.transcript()
    );
    let verdict = match (client.login_result(&good), client.login_result(&bad)) {
        (Some(true), Some(false)) => Ok(()),
        (Some(true), Some(true)) => Err("a wrong password logged in".to_string()),
        (Some(true), None) => Err("a wrong password was not refused by a 530".to_string()),
        _ => Err("the right password did not log in".to_string()),
    };
    (verdict, transcript)
}

/// Checks a transfer's (or listing's) result on both sides.
fn check_transfer(
    client: &dyn Client,
    op: Op,
    run: &Run,
    target: &Target,
    server: &OurServer,
    fixtures: &Fixtures,
) -> Result<(), String> {
    if !run.success() {
        return Err(format!("the client failed ({:?})", run.code));
    }
    let (remote, local) = files(op);
    match op {
        Op::List => {
            let listing = client.listing(run, target);
            match listing.contains(DOWNLOAD) {
                true => Ok(()),
                false => Err(format!("the listing does not name {DOWNLOAD}")),
            }
        }
        Op::Get | Op::Reget => same_bytes(&target.dir.join(local), &fixtures.download),
        Op::Put | Op::Reput => same_bytes(&server.file(remote), &fixtures.upload),
        Op::Login | Op::Files => Ok(()),
    }
}

/// Whether the file at `path` holds exactly `expected`.
pub fn same_bytes(path: &Path, expected: &[u8]) -> Result<(), String> {
    let found = read_or_empty(path);
    match found == expected {
        true => Ok(()),
        false => Err(format!(
            "{} has {} bytes, not the {} expected (or they differ)",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            found.len(),
            expected.len()
        )),
    }
}

/// A resumed transfer must have resumed: `REST <offset>` (or `APPE` for an
/// upload) in the server's log, not a transfer from the start.
fn check_resumed(op: Op, log: &str) -> Result<(), String> {
    let rest = format!("<- REST {RESUME_AT}");
    let resumed = match op {
        Op::Reget => log.contains(&rest),
        Op::Reput => log.contains(&rest) || log.contains("<- APPE "),
        _ => true,
    };
    match resumed {
        true => Ok(()),
        false => Err(format!("not resumed: no `REST {RESUME_AT}` or `APPE` sent")),
    }
}

/// What a client's printed replies say about a login: a line starting with
/// `230` logged in; otherwise a `530` anywhere (some clients wrap it in their
/// own words) means refused.
pub fn login_from_replies(text: &str) -> Option<bool> {
    if text
        .lines()
        .any(|line| line.trim_start().starts_with("230"))
    {
        Some(true)
    } else if text.contains("530") {
        Some(false)
    } else {
        None
    }
}
