//! One run of the whole matrix: which peers are there, every cell, the
//! anonymous checks, the EPRT probes and the third-party quirks, the
//! document they make, and the red cells among them.
//!
//! The FTPS sections are run by `ftps.rs`; this module only places them in
//! the document.
//!
//! It decides nothing about files or failures: the test asserts that no
//! cell is red, and the `interop-report` command writes the document.

use std::net::{IpAddr, Ipv6Addr};
use std::process::Command;
use std::thread;

use ftp_tests::peer_available;

use crate::clients::{self, Client};
use crate::document::Section;
use crate::matrix::{apply_known_bugs, run_jobs, Cell, KnownBug, Outcome};
use crate::servers::{self, Server};
use crate::{anonymous, bsd_ftp, curl, document, eprt, ftplib, lftp, quirks, report, wget};

/// How many matrix jobs run at once, besides the anonymous checks and the
/// EPRT probes (the machines have two cores; most of the time is spent
/// waiting on processes and sockets).
const WORKERS: usize = 3;

/// The third-party clients of the first table.
pub const CLIENTS: &[&dyn Client] = &[
    &curl::Curl,
    &ftplib::Ftplib,
    &lftp::Lftp,
    &bsd_ftp::TNFTP,
    &bsd_ftp::INETUTILS,
    &wget::Wget,
];

/// Third-party bugs that make cells fail; each cell here must fail (so the
/// list stays true) and is shown with its evidence.
const KNOWN_BUGS: &[KnownBug] = &[];

/// Every third-party peer of the matrix, by name, with the command that
/// succeeds only when it is installed. (Only the report command's
/// `--peers` uses it; the test finds the peers through [`matrix`].)
#[cfg_attr(test, allow(dead_code))]
pub fn peers() -> Vec<(&'static str, Command)> {
    CLIENTS
        .iter()
        .map(|client| (client.name(), client.probe()))
        .chain(
            Server::ALL
                .into_iter()
                .map(|server| (server.name(), server.probe())),
        )
        .collect()
}

/// What one run of the matrix found.
pub struct Matrix {
    /// The document (`docs/interop.md`), Markdown.
    pub document: String,
    /// The peers that were missing (their rows were skipped).
    pub missing: Vec<&'static str>,
    /// One line per red cell, naming it and why.
    pub red: Vec<String>,
}

/// Runs every cell of the clear tables with the peers that are there, and
/// makes the document with them and the `ftps` sections (`None`: the
/// document says this run had none). A missing peer follows
/// [`peer_available`]: skipped, or a failure when `FTP_TESTS_REQUIRE_PEERS`
/// is set.
pub fn matrix(ftps: Option<Vec<Section>>) -> Matrix {
    let mut missing = Vec::new();
    let mut versions = Vec::new();
    let mut clients = Vec::new();
    for &client in CLIENTS {
        match peer_available(client.name(), &mut client.probe()) {
            true => {
                versions.push((client.name(), client.version()));
                clients.push(client);
            }
            false => missing.push(client.name()),
        }
    }
    let mut servers = Vec::new();
    for server in Server::ALL {
        match peer_available(server.name(), &mut server.probe()) {
            true => {
                versions.push((server.name(), report::first_line(server.version_command())));
                servers.push(server);
            }
            false => missing.push(server.name()),
        }
    }
    let jobs = clients
        .iter()
        .flat_map(|&client| clients::jobs(client))
        .chain(servers.iter().flat_map(|&server| servers::jobs(server, None)))
        .collect();
    let (mut cells, anonymous, probes, quirks) = thread::scope(|scope| {
        let anonymous = scope.spawn(|| {
            clients
                .iter()
                .flat_map(|&client| anonymous::run(client))
                .collect::<Vec<_>>()
        });
        let lftp_there = clients.iter().any(|client| client.name() == "lftp");
        let probes = scope.spawn(move || match lftp_there {
            true => servers
                .iter()
                .filter(|&&server| server != Server::PyftpdlibRfc959)
                .map(|&server| eprt::probe(server))
                .collect(),
            false => Vec::new(),
        });
        let quirks = scope.spawn(|| match missing.is_empty() {
            true => quirks::all(),
            false => Vec::new(),
        });
        let cells = run_jobs(jobs, WORKERS);
        let join = "a check thread panicked";
        (
            cells,
            anonymous.join().expect(join),
            probes.join().expect(join),
            quirks.join().expect(join),
        )
    });
    apply_known_bugs(&mut cells, KNOWN_BUGS);
    let document = document::render(&document::Results {
        versions,
        clients,
        servers: Server::ALL
            .into_iter()
            .filter(|server| !missing.contains(&server.name()))
            .collect(),
        cells: &cells,
        anonymous: &anonymous,
        probes: &probes,
        quirks: &quirks,
        ftps,
    });
    let mut red: Vec<String> = cells
        .iter()
        .filter(|cell| !cell.outcome.is_acceptable())
        .map(describe)
        .collect();
    red.extend(
        anonymous
            .iter()
            .filter(|cell| !cell.outcome.is_acceptable())
            .map(|cell| {
                format!(
                    "anonymous {} × {} × {}",
                    cell.client, cell.family, cell.check
                )
            }),
    );
    red.extend(probes.iter().filter_map(our_eprt_problem));
    Matrix {
        document,
        missing,
        red,
    }
}

/// What the matrix tests do with a run: print `document`, say which peers'
/// rows were skipped, and fail on any red cell. (The report command's own
/// test build, which clippy checks, does not use it.)
#[cfg(test)]
#[allow(dead_code)]
pub fn print_and_check(document: &str, missing: &[&str], red: &[String]) {
    println!("{document}");
    if !missing.is_empty() {
        eprintln!("SKIPPED: the rows of {missing:?}");
    }
    assert!(
        red.is_empty(),
        "{} red cells:\n{}",
        red.len(),
        red.join("\n")
    );
}

/// One line naming a red cell and why.
pub fn describe(cell: &Cell) -> String {
    let reason = match &cell.outcome {
        Outcome::Fail { reason, .. } => reason.as_str(),
        _ => "",
    };
    format!(
        "{} × {} {} × {}: {reason}",
        cell.peer, cell.family, cell.mode, cell.op
    )
}

/// What is wrong with our server's answer to `EPRT |2|::|port|`, if
/// anything: it must accept it, connect from `::1` (the control peer), still
/// refuse another host's address, and let lftp list in active mode.
fn our_eprt_problem(probe: &eprt::Probe) -> Option<String> {
    if probe.server != Server::Ours.name() {
        return None;
    }
    let loopback = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let fine = probe.reply.starts_with('2')
        && probe.connected.is_some_and(|from| from.ip() == loopback)
        && probe.other_address.starts_with('5')
        && probe.lftp_lists;
    (!fine).then(|| format!("our server and EPRT |2|::|port|:\n{}", probe.evidence))
}
