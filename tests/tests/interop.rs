//! The interoperability matrix: our `ftp-server` against the FTP clients
//! people use, and our `ftp-client` against the FTP servers people run, in
//! every data-channel mode (PASV, EPSV, PORT, EPRT) on IPv4 and IPv6
//! loopback, every transfer checked byte for byte.
//!
//! Each cell is a real run of the programs. The matrix is printed as
//! Markdown tables and, when every peer was there, written to
//! `docs/interop.md`. The test fails on any red cell unless it is a
//! third-party bug listed in [`KNOWN_BUGS`] with its cause; the run's own
//! exchange is kept as evidence.
//!
//! A missing peer is skipped with a `SKIPPED:` line on a machine without it,
//! and fails the test when `FTP_TESTS_REQUIRE_PEERS` is set (as in CI).

#[path = "interop/anonymous.rs"]
mod anonymous;
#[path = "interop/bsd_ftp.rs"]
mod bsd_ftp;
#[path = "interop/clients.rs"]
mod clients;
#[path = "interop/curl.rs"]
mod curl;
#[path = "interop/document.rs"]
mod document;
#[path = "interop/eprt.rs"]
mod eprt;
#[path = "interop/exec.rs"]
mod exec;
#[path = "interop/front.rs"]
mod front;
#[path = "interop/ftplib.rs"]
mod ftplib;
#[path = "interop/lftp.rs"]
mod lftp;
#[path = "interop/matrix.rs"]
mod matrix;
#[path = "interop/our_server.rs"]
mod our_server;
#[path = "interop/quirks.rs"]
mod quirks;
#[path = "interop/report.rs"]
mod report;
#[path = "interop/rfc959_server.rs"]
mod rfc959_server;
#[path = "interop/servers.rs"]
mod servers;
#[path = "interop/wget.rs"]
mod wget;

use std::net::{IpAddr, Ipv6Addr};
use std::thread;

use ftp_tests::peer_available;

use clients::Client;
use matrix::{apply_known_bugs, run_jobs, Cell, KnownBug, Outcome};
use servers::Server;

/// How many matrix jobs run at once, besides the anonymous checks and the
/// EPRT probes (the machines have two cores; most of the time is spent
/// waiting on processes and sockets).
const WORKERS: usize = 3;

/// The third-party clients of the first table.
const CLIENTS: &[&dyn Client] = &[
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

/// Where the document goes.
const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/interop.md");

#[test]
fn interop_matrix() {
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
        .chain(servers.iter().flat_map(|&server| servers::jobs(server)))
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
    });
    println!("{document}");
    if missing.is_empty() {
        std::fs::write(DOCUMENT, &document).expect("docs/interop.md is writable");
    } else {
        eprintln!("SKIPPED: not writing docs/interop.md, missing peers: {missing:?}");
    }
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
    assert!(
        red.is_empty(),
        "{} red cells:\n{}",
        red.len(),
        red.join("\n")
    );
}

/// One line naming a red cell and why.
fn describe(cell: &Cell) -> String {
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
