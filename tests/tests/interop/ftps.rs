//! The FTPS sections of the matrix (RFC 4217), in builds with the `tls`
//! feature: our server, with a certificate and TLS required, × curl (AUTH
//! TLS, and implicit `ftps://`), Python's `FTP_TLS` and lftp; and our
//! client (`--tls --cacert`) × vsftpd, pyftpdlib, ProFTPD, Pure-FTPd and our
//! server, each requiring TLS. Every family × mode × operation, as in the
//! clear tables, by the same jobs (`clients.rs`, `servers.rs`), which also
//! check that every data connection was protected.
//!
//! One test PKI (`ftp_tests::certs::TestPki`) serves the whole run: the
//! servers present its certificate, the clients trust its CA.
//!
//! curl 7.87 and 7.88 have no active FTPS (curl issue 10666), so with those
//! versions the curl rows' active cells are `n/a`; that bug is tried once
//! per run, and the run fails if curl does not fail as the issue says.
//!
//! It does not write the document: `document.rs` renders the sections it
//! returns, after the clear ones.

use std::process::Command;
use std::sync::Arc;
use std::thread;

use ftp_tests::certs::TestPki;
use ftp_tests::peers::proftpd_tls_module_dir;
use ftp_tests::{pattern, peer_available, version_command, TempDir};

use crate::clients::{self, Client, Ftps, Target, DOWNLOAD};
use crate::curl::Curl;
use crate::document::{how_clients_are_driven, Section};
use crate::ftplib::Ftplib;
use crate::lftp::Lftp;
use crate::matrix::{apply_known_bugs, run_jobs, Cell, Family, KnownBug, Mode, Op};
use crate::our_server::{OurServer, PASSWORD, USER};
use crate::report::{evidence_block, first_line};
use crate::run::describe;
use crate::servers::{self, Server};

/// How many FTPS jobs run at once (as for the clear tables).
const WORKERS: usize = 3;

/// One row of the first FTPS table: a client and how it uses TLS.
pub struct Row {
    /// The row's name.
    pub name: &'static str,
    /// The client.
    pub client: &'static dyn Client,
    /// Implicit FTPS (`ftps://`) rather than AUTH TLS.
    pub implicit: bool,
    /// How it is told to use TLS, in Markdown.
    pub driven: &'static str,
}

/// The rows of the first FTPS table.
pub const CLIENTS: &[Row] = &[
    Row {
        name: "curl",
        client: &Curl,
        implicit: false,
        driven: "`--ssl-reqd --cacert CA` on an `ftp://` URL: AUTH TLS, then PBSZ and PROT P; \
                 the modes as in the clear table",
    },
    Row {
        name: "curl `ftps://`",
        client: &Curl,
        implicit: true,
        driven: "an `ftps://` URL to our server's `--implicit-tls-listen` address: TLS from \
                 the first byte, then PBSZ and PROT P; the modes as in the clear table",
    },
    Row {
        name: "Python ftplib",
        client: &Ftplib,
        implicit: false,
        driven: "`FTP_TLS` with `ssl.create_default_context(cafile=CA)`: `login()` (AUTH TLS \
                 first), then `prot_p()`; the modes as in the clear table. `FTP_TLS` never \
                 resumes the control connection's TLS session on a data connection, which our \
                 server requires (as vsftpd's `require_ssl_reuse` and ProFTPD's mod_tls do): \
                 the subclass passes `session=` to `wrap_socket` (without it the data \
                 connection is refused with `522`, `tests/tests/ftps_server.rs`)",
    },
    Row {
        name: "lftp",
        client: &Lftp,
        implicit: false,
        driven: "`set ftp:ssl-force true`, `set ftp:ssl-protect-data true`, \
                 `set ssl:ca-file CA`; the modes as in the clear table",
    },
];

/// The servers of the second FTPS table: those of the clear one that speak
/// FTPS.
pub const SERVERS: [Server; 5] = [
    Server::Vsftpd,
    Server::Pyftpdlib,
    Server::Proftpd,
    Server::PureFtpd,
    Server::Ours,
];

/// Third-party bugs that make FTPS cells fail; each cell here must fail
/// (so the list stays true) and is shown with its evidence.
const KNOWN_BUGS: &[KnownBug] = &[];

/// What one run of the FTPS tables found.
pub struct FtpsMatrix {
    /// The rows of the first table that ran.
    pub clients: Vec<&'static Row>,
    /// The servers of the second table that ran.
    pub servers: Vec<Server>,
    /// The cells of both tables.
    pub cells: Vec<Cell>,
    /// The peers that were missing (their rows were skipped).
    pub missing: Vec<&'static str>,
    /// One line per red cell, naming it and why.
    pub red: Vec<String>,
    /// curl's active FTPS, tried when curl is a version without it.
    pub curl_active: Option<CurlActive>,
    /// The TLS libraries of the programs, as they report them.
    pub libraries: String,
}

/// curl's exit status when the operation timed out.
const CURL_TIMED_OUT: i32 = 28;

/// What a try of curl's active FTPS found, with a curl that has none.
pub struct CurlActive {
    /// Whether curl failed as curl issue 10666 says: it timed out (exit
    /// status 28) on a data connection our server had made.
    pub confirmed: bool,
    /// curl's output and our server's log.
    pub evidence: String,
}

/// Runs every FTPS cell with the peers that are there; a missing peer
/// follows [`peer_available`].
pub fn matrix() -> FtpsMatrix {
    let mut missing = Vec::new();
    let mut there = |name: &'static str, mut probe: Command| {
        let present = peer_available(name, &mut probe);
        if !present && !missing.contains(&name) {
            missing.push(name);
        }
        present
    };
    let mut openssl = Command::new("openssl");
    openssl.arg("version");
    let openssl = there("openssl", openssl);
    let clients: Vec<&Row> = CLIENTS
        .iter()
        .filter(|row| openssl && there(row.client.name(), row.client.probe()))
        .collect();
    let servers: Vec<Server> = SERVERS
        .into_iter()
        .filter(|&server| {
            openssl
                && there(server.name(), server.probe())
                && tls_prerequisite(server).is_none_or(|(name, probe)| there(name, probe))
        })
        .collect();
    let with_curl = clients.iter().any(|row| row.client.name() == Curl.name());
    let (mut cells, curl_active) = match clients.is_empty() && servers.is_empty() {
        true => (Vec::new(), None),
        false => {
            let pki = Arc::new(TestPki::new());
            let jobs = clients
                .iter()
                .flat_map(|row| {
                    let ftps = Ftps {
                        pki: Arc::clone(&pki),
                        implicit: row.implicit,
                    };
                    clients::jobs_as(row.name, row.client, Some(ftps))
                })
                .chain(
                    servers
                        .iter()
                        .flat_map(|&server| servers::jobs(server, Some(Arc::clone(&pki)))),
                )
                .collect();
            thread::scope(|scope| {
                let probe = scope.spawn(|| match with_curl && Curl.lacks_active_ftps() {
                    true => Some(curl_active(&pki)),
                    false => None,
                });
                let cells = run_jobs(jobs, WORKERS);
                (cells, probe.join().expect("the curl check panicked"))
            })
        }
    };
    apply_known_bugs(&mut cells, KNOWN_BUGS);
    let mut red: Vec<String> = cells
        .iter()
        .filter(|cell| !cell.outcome.is_acceptable())
        .map(|cell| format!("FTPS {}", describe(cell)))
        .collect();
    if curl_active.as_ref().is_some_and(|tried| !tried.confirmed) {
        red.push(format!(
            "FTPS curl active mode: {} did not fail as curl issue 10666 says, so its n/a \
             cells are wrong",
            Curl.version()
        ));
    }
    FtpsMatrix {
        clients,
        servers,
        cells,
        missing,
        red,
        curl_active,
        libraries: tls_libraries(),
    }
}

/// The TLS libraries of curl, lftp, Python (and pyOpenSSL, which
/// pyftpdlib's `TLS_FTPHandler` uses) and our programs, in one line.
fn tls_libraries() -> String {
    let curl = first_line(version_command("curl"));
    let curl = curl.split(' ').find(|word| word.starts_with("OpenSSL/"));
    let lftp = Command::new("lftp").arg("--version").output();
    let lftp = lftp.map(|output| String::from_utf8_lossy(&output.stdout).into_owned());
    let lftp = lftp.unwrap_or_default();
    let gnutls = lftp.split([',', ':', '\n']).find(|part| part.trim().starts_with("GnuTLS"));
    let mut python = Command::new("python3");
    python.args([
        "-c",
        "import ssl, OpenSSL; print(ssl.OPENSSL_VERSION, '(pyOpenSSL', OpenSSL.__version__ + ')')",
    ]);
    format!(
        "curl: {}; lftp: {}; Python: {}; ours: rustls {} (ring)",
        curl.unwrap_or("unknown"),
        gnutls.map_or("unknown", str::trim),
        first_line(python),
        rustls_version()
    )
}

/// The version of rustls our programs are built with, from `Cargo.lock`.
fn rustls_version() -> &'static str {
    let lock = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"));
    lock.split_once("name = \"rustls\"\nversion = \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or("unknown", |(version, _)| version)
}

/// Downloads a file with curl in active mode (PORT) over FTPS from our
/// server on IPv4, as the n/a cells would.
fn curl_active(pki: &TestPki) -> CurlActive {
    let server = OurServer::ftps(Family::V4, pki, false);
    std::fs::write(server.file(DOWNLOAD), pattern(1000, 13)).expect("root is writable");
    let (local, home) = (TempDir::new("interop-curl"), TempDir::new("interop-home"));
    let ca = pki.ca();
    let target = Target {
        addr: server.addr,
        user: USER,
        password: PASSWORD,
        mode: Mode::Port,
        dir: local.path(),
        home: &home,
        ca: Some(&ca),
        implicit: false,
    };
    let run = Curl.run(Op::Get, &target);
    let log = server.log();
    CurlActive {
        confirmed: run.code == Some(CURL_TIMED_OUT) && log.contains("server connects from"),
        evidence: format!("{}--- ftp-server log ---\n{log}", run.transcript()),
    }
}

/// What a server needs for FTPS besides itself: its name and a command
/// that succeeds only when it is there.
fn tls_prerequisite(server: Server) -> Option<(&'static str, Command)> {
    match server {
        Server::Pyftpdlib => {
            let mut command = Command::new("python3");
            command.args(["-c", "import OpenSSL"]);
            Some(("pyOpenSSL (pyftpdlib's TLS_FTPHandler)", command))
        }
        Server::Proftpd => {
            let mut command = Command::new("test");
            command.args(["-n", proftpd_tls_module_dir().unwrap_or_default()]);
            Some(("ProFTPD's mod_tls", command))
        }
        _ => None,
    }
}

impl FtpsMatrix {
    /// The two FTPS sections of the document.
    pub fn sections(&self) -> Vec<Section<'_>> {
        vec![
            Section {
                title: "FTPS: our server × clients".into(),
                intro: format!(
                    "As the first table, over FTPS (RFC 4217): `ftp-server -v` with a \
                        certificate from a test CA and `--tls-required` (a login or a data \
                        connection without TLS is refused), and for the implicit row also \
                        `--implicit-tls-listen`. Each client trusts the test CA (no \
                        `--insecure`), and each data connection must show in the server's log \
                        as protected by TLS. Our own client against our server is the last \
                        row of the next table. TLS libraries: {}.",
                    self.libraries
                ),
                cells: &self.cells,
                peers: self.clients.iter().map(|row| row.name).collect(),
                ops: clients::OPS,
                after: how_clients_are_driven(self.clients.iter().map(|row| (row.name, row.driven)))
                    + &self.curl_active.as_ref().map_or_else(String::new, curl_active_text),
            },
            Section {
                title: "FTPS: our client × servers".into(),
                intro: "As the second table, over FTPS: `ftp-client -d --explain -n --tls \
                        --cacert CA` against servers that require TLS for logins and data: \
                        vsftpd (`ssl_enable`, `force_anon_logins_ssl`, `force_anon_data_ssl`, \
                        `require_ssl_reuse=YES`), pyftpdlib (`TLS_FTPHandler` with \
                        `tls_control_required` and `tls_data_required`), ProFTPD (mod_tls, \
                        `TLSRequired on`, which also requires session reuse), Pure-FTPd (`-Y 2`) \
                        and our server (`--tls-required`; session reuse required by default). \
                        The relay cannot read a control connection under TLS, so in the PASV \
                        and PORT columns the client is told `epsv4 off` and sends PASV or \
                        PORT from the start; the fallback after a refused EPSV or EPRT is \
                        checked in the clear table. Each data connection must show in the \
                        client's trace as protected (`data connection protected`)."
                    .into(),
                cells: &self.cells,
                peers: self.servers.iter().map(|server| server.name()).collect(),
                ops: servers::OPS,
                after: String::new(),
            },
        ]
    }
}

/// The paragraph on curl's active FTPS, with its evidence.
fn curl_active_text(tried: &CurlActive) -> String {
    let found = match tried.confirmed {
        true => "curl let our server make the data connection, never started TLS on it, and \
                 timed out (exit status 28)",
        false => "**curl did not fail as the issue says**",
    };
    format!(
        "\ncurl's active FTPS (the `n/a` cells of the curl rows), tried once in this run: \
         `--ssl-reqd -P - --disable-eprt`, a download on IPv4. {found}.\n\n{}\n",
        evidence_block(&tried.evidence)
    )
}
